"""Delivery dates in a real browser: the project page lists them with booked time off, and
the checkout's live preview shows the server's date for the chosen tier and add-ons."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from fairlance.accounts.services import time_off_add
from fairlance.catalog.inputs import AddOnInput, TierInput
from fairlance.contracts.models import Contract
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


def test_project_page_and_checkout_show_delivery_dates(page: Any, live_server: Any) -> None:
    # Given a project with a 6-day tier and an express add-on (-2 days), and time off booked
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    make_user("carla@example.com", country="US")
    project = make_project(
        fran,
        title="Hand-drawn logo for your brand",
        tiers=(
            TierInput(name="Basic", price_minor=12_000, delivery_days=3),
            TierInput(name="Premium", price_minor=30_000, delivery_days=6),
        ),
        addons=(AddOnInput(title="Express delivery", price_minor=5_000, extra_delivery_days=-2),),
        questions=(),
    )
    soon = timezone.now().date() + timedelta(days=40)
    time_off_add(user=fran, start_date=soon, end_date=soon + timedelta(days=4), away=False)
    log_in(page, live_server.url, "carla@example.com", PASSWORD)

    # When the client reads the project page
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    dates = page.locator("#delivery-dates")
    # Then it lists a date per tier and the booked time off, accessibly, and fits a phone
    assert dates.get_by_text("Basic").count() == 1 and dates.get_by_text("Premium").count() == 1
    assert "deliveries skip these days" in dates.inner_text()
    axe_check(page)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "project_delivery_dates_360")
    page.set_viewport_size({"width": 1280, "height": 900})

    # When they choose Premium at checkout, then tick the express add-on
    page.goto(f"{live_server.url}/projects/{project.pk}/checkout/")
    page.get_by_label("Premium").check()
    six = page.locator("#sum-date").inner_text()
    assert page.locator("#sum-days").inner_text() == "6 working days"
    page.get_by_label("Express delivery").check()
    # Then the preview shows the server's days and date for 6 - 2 = 4, never its own
    preview = json.loads(page.locator("#delivery-preview").inner_text())
    assert page.locator("#sum-days").inner_text() == "4 working days"
    assert page.locator("#sum-date").inner_text() == preview["4"]["local"] != six
    assert page.locator("#sum-date-why").inner_text().startswith("4 working days after")
    assert page.locator("#sum-date-stale").is_hidden()
    axe_check(page)
    shot(page, "checkout_express_delivery")

    # And buying it gives a contract with those 4 working days
    page.get_by_label("Card number").fill(CARD_SUCCESS)
    page.get_by_role("button", name="Buy").click()
    page.get_by_text("Paid. Work has started.").wait_for()
    contract = Contract.objects.get()
    assert contract.delivery_days == 4
    assert contract.delivery_due_at is not None
    # The purchase came a few seconds after the page was drawn, and working days keep the
    # time of day: the due is the previewed one, those seconds later.
    shown = datetime.fromisoformat(preview["4"]["at"])
    assert timedelta(0) <= contract.delivery_due_at - shown < timedelta(minutes=5)


def test_checkout_with_too_many_day_sums_asks_for_a_refresh(page: Any, live_server: Any) -> None:
    # Given add-ons whose days combine into more sums than the page lists dates for
    fran = make_user("fran@example.com")
    make_user("carla@example.com")
    project = make_project(
        fran,
        title="A project with many add-ons",
        addons=tuple(
            AddOnInput(title=f"Extra {i}", price_minor=1_000, extra_delivery_days=2**i)
            for i in range(7)
        ),
        questions=(),
    )
    log_in(page, live_server.url, "carla@example.com", PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.pk}/checkout/")
    assert page.locator("#delivery-preview").count() == 0
    # When an add-on is ticked, then no date is guessed: the page asks for "Update total"
    page.get_by_label("Extra 3").check()
    assert page.locator("#sum-date-stale").is_visible()
    assert page.locator("#sum-date").is_hidden()
    update = page.get_by_role("button", name="Update total")
    assert update.is_visible()
    # And "Update total" draws the date for that choice
    update.click()
    page.wait_for_load_state()
    assert page.locator("#sum-date").is_visible()
    assert page.locator("#sum-days").inner_text() == "11 working days"
