"""Searching the demo marketplace in a real browser (issue 14): words that find what
people mean, "did you mean", pages that keep the sort, and a phone's first screen.

Screenshots go to /tmp/shots (search_*.png) for people reviewing the page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from fairlance.demo.load import demo_load
from tests.e2e.conftest import axe_check, shot

pytestmark = pytest.mark.e2e

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
LOGO_KIT = "A logo and compact brand kit for your small business"
SHOWING = re.compile(r"Showing (\d+)–(\d+) of (\d+) projects")


@pytest.fixture
def demo(settings: Any) -> None:
    # The demo has a few dozen projects: pages of four make several pages of them.
    settings.FAIRLANCE_SEARCH_PAGE_SIZE = 4
    demo_load()


def card_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#results .project-card h3").all_inner_texts()]


def prices(page: Any) -> list[int]:
    texts = page.locator("#results .project-card .price-from").all_inner_texts()
    return [int(re.sub(r"\D", "", t)) for t in texts]


def showing(page: Any) -> tuple[int, int, int]:
    match = SHOWING.search(page.locator("#results .results-bar").inner_text())
    assert match, page.locator("#results .results-bar").inner_text()
    first, last, total = (int(n) for n in match.groups())
    return first, last, total


def scrolled_down(page: Any) -> None:
    """Wait for the page to scroll (polled from here: wait_for_function evaluates a string,
    which the site's Content-Security-Policy refuses)."""
    for _ in range(50):
        if page.evaluate("window.scrollY") > 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page did not scroll to the results")


def test_logo_design_finds_the_logo_projects_and_counts_the_categories(
    page: Any, live_server: Any, demo: None
) -> None:
    # Given the demo, when a visitor searches "logo design" from the home page
    page.goto(f"{live_server.url}/")
    page.get_by_label("What do you need done?").fill("logo design")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=logo+design*")
    # Then the logo kit comes first, with the word marked in its snippet
    titles = card_titles(page)
    assert titles[0] == LOGO_KIT
    first = page.locator("#results .project-card").first
    assert first.locator(".snippet mark", has_text="logo").first.is_visible()
    # And the design category's other projects follow, the category counted beside its filter
    design = page.get_by_label("Design & illustration")
    assert design.locator("xpath=..").locator(".facet-count").inner_text() == "3"
    band = page.locator("#price-bands li", has_text="$50–$200").locator(".facet-count")
    assert band.inner_text() == "3"
    assert len(titles) == int(page.locator("#facet-count-all").inner_text())
    shot(page, "search_logo_design_1280")
    axe_check(page)

    # When the visitor picks the category (htmx swaps the results)
    design.check()
    page.wait_for_url("**category=design*")
    page.locator("#results .project-card").nth(3).wait_for(state="detached")
    # Then the page stays where it was (the results are beside the filters)
    assert page.evaluate("window.scrollY") == 0
    # And only design projects are left, and the counts still say what the others hold
    assert card_titles(page)[0] == LOGO_KIT and len(card_titles(page)) == 3
    assert page.locator("#facet-count-marketing").inner_text() == "1"
    # And the price bands now count within the category (swapped in out of band)
    assert band.inner_text() == "2"
    assert page.get_by_role("heading", level=1).inner_text() == "Design & illustration"


def test_a_typo_offers_did_you_mean(page: Any, live_server: Any, demo: None) -> None:
    # When a visitor mistypes "illustration"
    page.goto(f"{live_server.url}/search/?q=illustation")
    # Then the illustration projects show, under "Did you mean illustration?"
    offer = page.locator("#results .did-you-mean")
    assert offer.inner_text() == "Did you mean illustration?"
    assert any("illustration" in t.lower() for t in card_titles(page))
    shot(page, "search_did_you_mean_1280")
    # And the suggestion searches the corrected word
    offer.get_by_role("link", name="illustration").click()
    page.wait_for_url("**q=illustration*")
    assert page.get_by_role("heading", level=1).inner_text() == "Results for “illustration”"
    assert page.locator("#results .did-you-mean").count() == 0


def test_page_two_keeps_the_total_and_the_sort_and_goes_back(
    page: Any, browser: Any, live_server: Any, demo: None
) -> None:
    # Given the catalog, dearest first, from $50 up
    page.goto(f"{live_server.url}/search/?sort=-price&min_price=50")
    first_titles, first_prices = card_titles(page), prices(page)
    assert showing(page)[:2] == (1, 4)
    total = showing(page)[2]
    assert total > 8
    assert page.get_by_role("link", name="← Previous").count() == 0
    # When the visitor goes to the next page (htmx swaps the results and pushes the URL)
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url("**cursor=*")
    page.get_by_role("link", name="← Previous").wait_for()
    # Then page 2 keeps the total, the sort and the filter
    assert showing(page) == (5, 8, total)
    assert "sort=-price" in page.url and "min_price=50" in page.url
    assert page.get_by_label("Sort by").input_value() == "-price"
    second_prices = prices(page)
    assert second_prices == sorted(second_prices, reverse=True)
    assert max(second_prices) <= min(first_prices) and min(second_prices) >= 50
    shot(page, "search_page_two_1280")
    # And Previous goes back to the first page
    page.get_by_role("link", name="← Previous").click()
    page.get_by_role("link", name="← Previous").wait_for(state="detached")
    assert card_titles(page) == first_titles and showing(page) == (1, 4, total)

    # And without JavaScript the same links are plain page loads
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        plain = context.new_page()
        plain.goto(f"{live_server.url}/search/?sort=-price&min_price=50")
        plain.get_by_role("link", name="Next →").click()
        plain.wait_for_url("**cursor=*")
        assert showing(plain) == (5, 8, total)
        assert plain.get_by_label("Sort by").input_value() == "-price"
    finally:
        context.close()


def test_a_phone_shows_results_first_and_filters_behind_a_button(
    page: Any, live_server: Any, demo: None
) -> None:
    # Given a 360 x 740 phone
    page.set_viewport_size({"width": 360, "height": 740})
    # When it searches
    page.goto(f"{live_server.url}/search/?q=logo+design")
    # Then the first result's title is on the first screen, without scrolling
    assert page.evaluate("window.scrollY") == 0
    title = page.locator("#results .project-card h3").first.bounding_box()
    assert title is not None and title["y"] + title["height"] <= 740
    assert page.evaluate(FITS)
    # And the filters wait behind the "Filters" button
    filters = page.locator("summary", has_text="Filters")
    assert filters.is_visible()
    assert not page.get_by_label("Delivery time").is_visible()
    page.screenshot(path="/tmp/shots/search_phone_first_screen_360.png")
    shot(page, "search_phone_360")
    axe_check(page)
    # When the button is pressed, the filters open
    filters.click()
    assert page.get_by_label("Delivery time").is_visible()
    assert page.evaluate(FITS)
    shot(page, "search_phone_filters_open_360")
    # And picking a category brings the results below the open filters into view
    page.get_by_label("Design & illustration").check()
    page.wait_for_url("**category=design*")
    page.get_by_role("heading", level=1, name="Design & illustration").wait_for()
    scrolled_down(page)
    top = page.locator("#results .project-card").first.bounding_box()
    assert top is not None and 0 <= top["y"] < 740


def test_wide_screens_show_the_filters_without_a_button(
    page: Any, live_server: Any, demo: None
) -> None:
    page.goto(f"{live_server.url}/search/")
    assert page.get_by_label("Delivery time").is_visible()
    assert not page.locator("summary", has_text="Filters").is_visible()
    shot(page, "search_browse_1280")
