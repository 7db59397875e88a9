"""Layout regressions found by walking the demo on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project
from tests.web.test_contract_pages import started

pytestmark = pytest.mark.e2e

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_pages_with_wide_tables_fit_a_phone(page: Any, live_server: Any) -> None:
    # Given a project with a tier table and a client with a contract on it
    owner = make_user("fran@example.com", headline="Illustrator", country="PT")
    project = make_project(owner)
    carla = make_user("carla@example.com")
    started(carla, project)
    page.set_viewport_size({"width": 360, "height": 800})
    # When the project page is opened on a phone
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    # Then the tier table scrolls inside its box and the page itself does not scroll sideways
    # (hidden "Included" labels used to escape the scroller and widen the page)
    assert page.evaluate(FITS)
    shot(page, "qa_project_360")
    # And the client's dashboard lists contracts as cards that fit, with no seller stats
    log_in(page, live_server.url, "carla@example.com", PASSWORD)
    assert page.evaluate(FITS)
    assert page.get_by_text("projects on sale").count() == 0
    assert page.locator(".table-stack td", has_text="$120").first.is_visible()
    shot(page, "qa_dashboard_360")
    axe_check(page)


def test_room_countdown_and_404_page(page: Any, live_server: Any) -> None:
    # Given an in-progress contract
    owner = make_user("fran@example.com", headline="Illustrator", country="PT")
    carla = make_user("carla@example.com")
    contract = started(carla, make_project(owner))
    log_in(page, live_server.url, "carla@example.com", PASSWORD)
    # When the client opens the room, the header and the live countdown use the same words
    page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    headline = page.locator("h1").inner_text()
    countdown = page.locator('.clock:has-text("Delivery due") .countdown').inner_text()
    assert countdown.startswith("in ") and countdown in headline
    # And a contract that does not exist shows the site's own 404 page
    response = page.goto(f"{live_server.url}/contracts/999999/")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="We could not find that page").is_visible()
    assert page.get_by_role("link", name="Your dashboard").is_visible()
    axe_check(page)


def test_checkout_summary_follows_the_chosen_package(page: Any, live_server: Any) -> None:
    # Given a project whose tiers take 3 and 7 days
    owner = make_user("fran@example.com", headline="Illustrator", country="PT")
    project = make_project(owner)
    make_user("carla@example.com")
    log_in(page, live_server.url, "carla@example.com", PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.pk}/checkout/")
    assert page.locator("#sum-days").inner_text() == "3 working days"
    # When the client picks the bigger package
    page.get_by_label("Premium").check()
    # Then the summary's delivery time changes with the price, not only the price
    assert page.locator("#sum-days").inner_text() == "7 working days"
    assert page.locator("#sum-total").inner_text() == "$300"


def test_a_long_query_wraps_on_a_phone(page: Any, live_server: Any) -> None:
    # Given a phone and a query of long unbroken words (a pasted address, say)
    page.set_viewport_size({"width": 360, "height": 800})
    query = "wordpress" * 12 + " " + "x" * 90
    # When it is searched for
    page.goto(f"{live_server.url}/search/?q={query}")
    # Then the heading and the search box wrap or scroll inside the page: it never widens
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.evaluate(FITS)
    shot(page, "qa_long_query_360")
