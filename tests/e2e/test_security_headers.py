"""Every script and style the site uses runs under its Content-Security-Policy (item 20).

The ``page`` fixture fails a test on any policy report in the browser's console; these
journeys visit what the policy could break: the inline scripts (checkout, contract room),
htmx swapping search results, Swagger UI at /api/v1/docs, and Django's admin.
"""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.catalog.inputs import AddOnInput, QuestionInput
from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.services import contract_purchase
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import log_in
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


def test_htmx_search_checkout_and_room_scripts_run_under_the_policy(
    page: Any, live_server: Any
) -> None:
    # Given a project with an add-on, and a client with a contract in progress
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    carla = make_user("carla@example.com", country="US")
    project = make_project(
        fran,
        title="Hand-drawn logo for your brand",
        addons=(AddOnInput(title="Express delivery", price_minor=5_000),),
        questions=(QuestionInput(prompt="Brand name?"),),
    )
    make_project(make_user("dev@example.com"), title="Landing page", category_slug="development")
    contract = contract_purchase(
        client=carla,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        card_number=CARD_SUCCESS,
    ).contract
    apply_transition(
        contract_id=contract.pk,
        name="submit_requirements",
        actor=Actor("person", carla),
        payload={"answers": {str(project.questions.get().pk): "Acme"}},
    )
    log_in(page, live_server.url, "carla@example.com", PASSWORD)

    # When the client filters a search: htmx swaps the results in place
    page.goto(f"{live_server.url}/search/")
    results = page.locator("#results")
    results.get_by_role("link", name="Landing page").wait_for()
    page.get_by_label("Design & illustration").check()
    results.get_by_role("link", name="Landing page").wait_for(state="detached")
    assert "category=design" in page.url

    # And picks an add-on at checkout: the inline script recomputes the total
    page.goto(f"{live_server.url}/projects/{project.pk}/checkout/")
    page.get_by_label("Express delivery").check()
    assert page.locator("#sum-total").inner_text() == "$170"

    # And opens the contract room, whose inline script runs the countdowns
    page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    page.locator("h1").wait_for()

    # Then (the fixture checks) the browser refused nothing, and a 404 page is as clean
    page.goto(f"{live_server.url}/no-such-page/")
    page.get_by_role("heading", name="We could not find that page").wait_for()


def test_api_docs_and_admin_work_under_the_policy(page: Any, live_server: Any) -> None:
    make_user("olga@example.com", is_operator=True, is_staff=True, is_superuser=True)

    # Swagger UI renders the operations from its own static files
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20

    # Django's admin: the login page, the index, a list and an add form (their scripts)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Email").fill("olga@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Site administration").wait_for()
    page.goto(f"{live_server.url}/admin/core/policyversion/")
    page.get_by_role("heading", name="Select policy version to change").wait_for()
    page.goto(f"{live_server.url}/admin/core/policyversion/add/")
    page.get_by_role("heading", name="Add policy version").wait_for()
