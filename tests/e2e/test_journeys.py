"""The two core catalog journeys, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


def test_client_searches_filters_and_compares_tiers(page: Any, live_server: Any) -> None:
    # Given a logo project and a website project from two freelancers
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    dev = make_user("dev@example.com", headline="Web developer")
    logo = make_project(fran, title="Hand-drawn logo for your brand")
    make_project(
        dev,
        title="Landing page for your brand",
        category_slug="development",
        description="A fast landing page.",
    )

    # When a visitor searches for "brand"
    page.goto(f"{live_server.url}/")
    page.get_by_label("What do you need done?").fill("brand")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=brand*")
    results = page.locator("#results")
    assert results.get_by_role("link", name="Hand-drawn logo for your brand").is_visible()
    assert results.get_by_role("link", name="Landing page for your brand").is_visible()

    # And narrows the results to one category (htmx swaps only the results)
    page.get_by_label("Design & illustration").check()
    results.get_by_role("link", name="Landing page for your brand").wait_for(state="detached")
    assert results.get_by_role("link", name="Hand-drawn logo for your brand").is_visible()
    assert "category=design" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Design & illustration"
    shot(page, "journey_search_filtered")

    # And opens the project
    results.get_by_role("link", name="Hand-drawn logo for your brand").click()
    page.wait_for_url(f"**/projects/{logo.pk}/")

    # Then the tier table compares both tiers side by side
    table = page.locator("#tier-table")
    headers = table.locator("thead th").all_inner_texts()
    assert [h.split("\n")[0] for h in headers] == ["Basic", "Premium"]
    assert "$120" in headers[0] and "$300" in headers[1]
    delivery = table.locator("tbody tr", has_text="Delivery").locator("td").all_inner_texts()
    assert delivery == ["3 working days", "7 working days"]
    # And each tier lists what it includes in its own column
    includes = table.locator("tbody tr", has_text="What you get").locator("td")
    assert includes.nth(0).locator("li").all_inner_texts() == ["PNG file"]
    assert includes.nth(1).locator("li").all_inner_texts() == ["PNG file", "Vector source"]
    receives = table.locator("tbody tr", has_text="Freelancer receives").locator("td")
    assert receives.all_inner_texts() == ["$108", "$270"]
    assert page.get_by_role("link", name="Continue to checkout").is_visible()
    shot(page, "journey_project")


def test_freelancer_creates_publishes_and_finds_project(page: Any, live_server: Any) -> None:
    # Given a freelancer who is logged in
    make_user("fran@example.com", headline="Illustrator")
    log_in(page, live_server.url, "fran@example.com", PASSWORD)

    # When she writes a new project with two tiers and a requirement question
    page.goto(f"{live_server.url}/my/projects/new/")
    page.get_by_label("Title", exact=True).fill("Watercolour pet portrait")
    page.get_by_label("Category").select_option("design")
    page.get_by_label("Description", exact=True).fill(
        "A portrait of your pet, painted in **watercolour**."
    )
    page.get_by_label("Tags").fill("pet, portrait, watercolour")
    page.fill("#id_tiers-0-name", "Small")
    page.fill("#id_tiers-0-price", "80")
    page.fill("#id_tiers-0-delivery_days", "5")
    page.fill("#id_tiers-0-deliverables", "A5 painting\nScan")
    page.get_by_role("button", name="+ Add another tier").click()
    page.fill("#id_tiers-1-name", "Large")
    page.fill("#id_tiers-1-price", "150.50")
    page.fill("#id_tiers-1-delivery_days", "10")
    page.fill("#id_tiers-1-deliverables", "A3 painting\nScan\nFrame")
    page.fill("#id_questions-0-prompt", "Send a photo of your pet")
    axe_check(page)
    page.get_by_role("button", name="Create draft").click()

    # Then the draft is saved and she lands on its edit page
    page.wait_for_url("**/my/projects/*/edit/")
    assert page.get_by_text("Draft created").is_visible()

    # When she publishes it
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/my/projects/*/edit/")
    assert page.locator(".badge", has_text="Published").first.is_visible()
    shot(page, "journey_published")

    # Then it shows up in search, priced from the smaller tier
    page.goto(f"{live_server.url}/search/?q=watercolour")
    card = page.locator(".project-card", has_text="Watercolour pet portrait")
    assert card.is_visible()
    assert "$80" in card.inner_text()

    # And its page lists both tiers and the requirement question
    card.get_by_role("link", name="Watercolour pet portrait").click()
    assert page.locator("#tier-table thead th").count() == 2
    assert page.get_by_text("$150.50").first.is_visible()
    assert page.get_by_text("Send a photo of your pet").is_visible()
