"""Every main page passes axe-core and fits a 360 px wide screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


def test_public_pages_pass_axe(page: Any, live_server: Any) -> None:
    # Given a published project
    owner = make_user("fran@example.com", headline="Illustrator", country="PT")
    project = make_project(owner)
    for name, path in [
        ("home", "/"),
        ("search", "/search/?q=logo"),
        ("project", f"/projects/{project.pk}/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
    ]:
        # When the page is opened
        page.goto(f"{live_server.url}{path}")
        shot(page, name)
        # Then it has no serious accessibility violations
        axe_check(page)


def test_private_pages_pass_axe(page: Any, live_server: Any) -> None:
    # Given a logged-in freelancer with a project
    owner = make_user("fran@example.com", headline="Illustrator", country="PT")
    project = make_project(owner)
    log_in(page, live_server.url, "fran@example.com", PASSWORD)
    for name, path in [
        ("dashboard", "/dashboard/"),
        ("my_projects", "/my/projects/"),
        ("editor_new", "/my/projects/new/"),
        ("editor", f"/my/projects/{project.pk}/edit/"),
        ("calendar", "/settings/calendar/"),
        ("profile", "/settings/profile/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        shot(page, name)
        axe_check(page)


@pytest.mark.parametrize("path", ["/", "/search/", "project", "/accounts/login/"])
def test_no_horizontal_scroll_at_360px(browser: Any, live_server: Any, path: str) -> None:
    # Given a phone-sized viewport
    owner = make_user("fran@example.com")
    project = make_project(owner)
    url = f"/projects/{project.pk}/" if path == "project" else path
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        # When the page is opened
        page.goto(f"{live_server.url}{url}")
        shot(page, f"mobile{url.replace('/', '_')}")
        # Then nothing sticks out sideways
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()


def test_editor_errors_show_next_to_fields_and_pass_axe(page: Any, live_server: Any) -> None:
    # Given a logged-in freelancer on the new-project form
    make_user("fran@example.com")
    log_in(page, live_server.url, "fran@example.com", PASSWORD)
    page.goto(f"{live_server.url}/my/projects/new/")
    # When she submits a too-short title and a price with three decimals
    page.get_by_label("Title", exact=True).fill("Logo")
    page.get_by_label("Category").select_option("design")
    page.get_by_label("Description", exact=True).fill("Logos.")
    page.fill("#id_tiers-0-price", "10.999")
    page.fill("#id_tiers-0-delivery_days", "3")
    page.get_by_role("button", name="Create draft").click()
    # Then the form comes back with the errors beside the fields
    assert page.get_by_text("Please fix the highlighted fields").is_visible()
    assert page.locator("#id_tiers-0-price_errors").is_visible()
    assert page.locator("#id_title_errors").is_visible()
    shot(page, "editor_errors")
    axe_check(page)
