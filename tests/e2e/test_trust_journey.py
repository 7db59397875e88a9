"""Issue 13's trust journey in a real browser.

Contracts complete (bought and approved through the API, as in the contract tests); client
and freelancer leave feedback in the room; the freelancer's profile shows the client's words
only once both wrote; the freelancer removes one and sees when the next removal frees up,
and a second removal in the same month is refused with that date. The profile, the room's
panel and the score page are checked with axe and kept as screenshots at 1280 and 360 px.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from fairlance.accounts.services import calendar_update
from fairlance.reviews import services
from fairlance.reviews.models import Feedback, FeedbackRemoval
from fairlance.web.trust_presenters import long_date
from tests.conftest import PASSWORD, ApiClient, make_user
from tests.contracts.endings import Parties, reach
from tests.e2e.conftest import axe_check, log_in, shot

pytestmark = pytest.mark.e2e

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
CARLA_SAYS = "Fran listened, sketched three ideas and delivered early."
CARLA_PRIVATE = "Private to fairlance: the first sketch was rough."
FRAN_SAYS = "Carla knew what she wanted and paid promptly."


def phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def look(page: Any, name: str) -> None:
    """axe finds nothing serious, nothing scrolls sideways, and a screenshot is kept."""
    axe_check(page)
    width = page.viewport_size["width"]
    assert page.evaluate(FITS), f"{name} scrolls sideways at {width} px"
    shot(page, f"trust_{name}_{width}")


def test_feedback_profile_and_removal(live_server: Any, page: Any, browser: Any) -> None:
    url = live_server.url
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    fran.bio = "I draw logos and lettering by hand, then vectorise them for print and screen."
    fran.save(update_fields=["bio"])
    calendar_update(
        user=fran,
        time_zone="Europe/Lisbon",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9, 0),
        work_end=time(17, 0),
        holiday_country=None,
        holiday_subdivision=None,
    )
    carla = make_user("carla@example.com", country="US")
    dora = make_user("dora@example.com", country="DE")
    olga = make_user("olga@example.com", is_operator=True, is_staff=True)
    # Given two completed contracts with Carla, one with Dora, and a grace-window decline
    with_carla = Parties(ApiClient, carla, fran, olga, None)
    first = reach("approve", with_carla)
    second = reach("approve", with_carla)
    reach("approve", Parties(ApiClient, dora, fran, olga, None))
    reach("decline_in_grace", with_carla)

    # --- Carla leaves feedback in the room ----------------------------------------------
    log_in(page, url, "carla@example.com", PASSWORD)
    page.goto(f"{url}/contracts/{first}/")
    panel = page.locator("#feedback")
    panel.wait_for()
    look(page, "room_form")
    page.check("#rating-5")
    page.get_by_label("Public feedback").fill(CARLA_SAYS)
    page.check("#private-rating-4")
    page.get_by_label("Private feedback to fairlance").fill(CARLA_PRIVATE)
    page.get_by_role("button", name="Leave feedback").click()
    page.wait_for_url(f"**/contracts/{first}/#feedback")
    sealed = page.locator("#feedback-sealed")
    sealed.wait_for()
    assert "sealed until Fran writes theirs or the window closes on" in sealed.inner_text()
    look(page, "room_sealed")

    # Then nobody else reads it yet: not the profile, not Fran's room
    page.goto(f"{url}/freelancers/{fran.pk}/")
    assert CARLA_SAYS not in page.content()
    page.context.clear_cookies()
    log_in(page, url, "fran@example.com", PASSWORD)
    page.goto(f"{url}/contracts/{first}/")
    assert "Carla has left feedback" in page.locator("#feedback-waiting").inner_text()
    assert CARLA_SAYS not in page.content()

    # --- Fran writes hers: both are published ------------------------------------------
    page.check("#rating-5")
    page.get_by_label("Public feedback").fill(FRAN_SAYS)
    page.check("#private-rating-5")
    page.get_by_role("button", name="Leave feedback").click()
    page.wait_for_url(f"**/contracts/{first}/#feedback")
    theirs = page.locator("#feedback-theirs")
    theirs.wait_for()
    assert CARLA_SAYS in theirs.inner_text()
    assert "1 removal left this month" in page.locator("#removal-quota").inner_text()
    assert CARLA_PRIVATE not in page.content()
    look(page, "room_published")

    # Then the profile shows it, in the work history
    page.goto(f"{url}/freelancers/{fran.pk}/")
    assert CARLA_SAYS in page.locator(f"#history-{first}").inner_text()
    assert CARLA_PRIVATE not in page.content()
    look(page, "profile")

    # --- the second contract's feedback, through the same service the room calls ------------
    for user, rating in ((carla, 2), (fran, 5)):
        services.feedback_leave(
            user=user,
            contract_id=second,
            rating=rating,
            public_text="Slow to start." if user == carla else "Fine.",
            private_rating=3,
        )
    page.goto(f"{url}/me/score/")
    assert page.locator("#counted").is_visible()
    assert "Declined in the grace window: not counted" in page.locator("#excluded").inner_text()
    assert page.locator("svg.score-chart circle").count() >= 1
    look(page, "score")

    # --- Fran removes Carla's feedback on the first contract --------------------------------
    quota = services.removal_quota(user_id=fran.pk)
    frees = long_date(quota.resets_at, quota.time_zone)
    page.goto(f"{url}/contracts/{first}/")
    page.get_by_role("button", name="Remove from my profile").click()
    page.wait_for_url(f"**/contracts/{first}/#feedback")
    message = page.locator(".messages")
    message.wait_for()
    assert f"the next removal frees up on {frees}" in message.inner_text()
    assert "You removed Carla's feedback" in page.locator("#feedback-theirs").inner_text()
    page.goto(f"{url}/freelancers/{fran.pk}/")
    assert CARLA_SAYS not in page.content()
    assert Feedback.objects.get(contract_id=first, author_role="client").removed_at is not None

    # And on the second contract the room says when the next one frees up; trying anyway is
    # refused with that date and nothing changes
    page.goto(f"{url}/contracts/{second}/")
    assert f"next removal frees up on {frees}" in page.locator("#removal-quota").inner_text()
    page.get_by_role("button", name="Remove from my profile").click()
    error = page.locator("#feedback-error")
    error.wait_for()
    assert f"the next one frees up on {frees}" in error.inner_text()
    assert FeedbackRemoval.objects.count() == 1

    # --- the same pages on a phone ---------------------------------------------------------------
    small = phone(browser)
    try:
        log_in(small, url, "fran@example.com", PASSWORD)
        for name, path in (
            ("profile", f"/freelancers/{fran.pk}/"),
            ("room_published", f"/contracts/{first}/"),
            ("room_quota_used", f"/contracts/{second}/"),
            ("score", "/me/score/"),
        ):
            small.goto(f"{url}{path}")
            look(small, name)
    finally:
        small.context.close()
