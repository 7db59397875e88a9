"""Settings in a browser: a client and a freelancer fill in their calendar at phone width."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.accounts.models import WorkingCalendar
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


def _overflow(page: Any) -> int:
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


@pytest.mark.parametrize("sells", [False, True])
def test_a_person_picks_a_zone_and_a_holiday_region_at_360px(
    browser: Any, live_server: Any, sells: bool
) -> None:
    # Given a client (no projects) or a freelancer, on a phone-sized screen
    user = make_user("hiro@example.com")
    if sells:
        make_project(user)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "hiro@example.com", PASSWORD)
        page.goto(f"{live_server.url}/settings/calendar/")
        # Then the page fits, passes axe and shows away mode only to someone who sells
        assert _overflow(page) <= 0
        axe_check(page)
        explanation = page.get_by_text("Away mode pauses your projects; it appears once")
        assert explanation.count() == (0 if sells else 1)
        assert page.get_by_label("Away mode: pause purchases of all my projects").count() == (
            1 if sells else 0
        )
        # When they choose Tokyo and Japan's public holidays from the lists and save
        page.get_by_label("Time zone").select_option("Asia/Tokyo")
        page.get_by_label("Public holidays of").select_option("JP")
        page.get_by_role("button", name="Save calendar").click()
        shot(page, f"settings_calendar_{'freelancer' if sells else 'client'}_360")
        # Then the calendar is saved
        page.get_by_text("Working calendar saved.").wait_for()
        calendar = WorkingCalendar.objects.get(user=user)
        assert (calendar.time_zone, calendar.holiday_country) == ("Asia/Tokyo", "JP")
    finally:
        context.close()


def test_a_person_creates_and_revokes_an_api_token_at_360px(browser: Any, live_server: Any):
    # Given a signed-in person on a phone-sized screen
    from fairlance.accounts.models import ApiToken

    user = make_user("tess@example.com")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "tess@example.com", PASSWORD)
        page.goto(f"{live_server.url}/settings/tokens/")
        axe_check(page)
        # When they create a token with a label
        page.get_by_label("Label").fill("invoice script")
        page.get_by_role("button", name="Create token").click()
        # Then it is shown once, whole, on a page that fits and passes axe
        secret = page.get_by_label("New token", exact=True).input_value()
        assert secret.startswith("flt_")
        assert _overflow(page) <= 0
        axe_check(page)
        shot(page, "settings_tokens_created_360")
        # And revoking it from the list removes it
        page.get_by_role("button", name="Revoke invoice script").click()
        page.get_by_text("Token revoked").wait_for()
        assert not ApiToken.objects.filter(user=user).exists()
        assert secret not in page.content()
    finally:
        context.close()


def test_the_sign_in_by_code_pages_fit_and_pass_axe(browser: Any, live_server: Any):
    make_user("cody@example.com")
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("link", name="Email me a sign-in code").click()
        axe_check(page)
        page.get_by_label("Email").fill("cody@example.com")
        page.get_by_role("button", name="Email me a code").click()
        page.get_by_role("heading", name="Enter your code").wait_for()
        assert _overflow(page) <= 0
        axe_check(page)
        shot(page, "login_code_360")
    finally:
        context.close()
