"""Issue 10, item 1: the grace window is never cut, delivery counts working days by default
and is never due before the grace window ends (through the HTTP API, the clock moved by
time_machine and timers fired by the worker)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from fairlance.accounts.models import User
from fairlance.accounts.services import calendar_update
from fairlance.contracts.deadlines import purchase_delivery_days, work_deadlines
from fairlance.contracts.models import Contract
from fairlance.core.policy import DEFAULT_POLICY
from fairlance.core.workdays import WorkdaySpec
from tests.conftest import assert_problem
from tests.contracts.conftest import buy, make_project

pytestmark = pytest.mark.django_db

# Lisbon is on UTC in winter: local times and UTC instants read the same.
CHRISTMAS_EVE_18H = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)


def lisbon(user: User) -> None:
    calendar_update(
        user=user,
        time_zone="Europe/Lisbon",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country="PT",
        holiday_subdivision=None,
    )


def christmas_project(api: Any, freelancer: User) -> int:
    """An instant project with a 3-day tier and no questions, created through the API with
    the defaults (so its delivery days are working days)."""
    seller = api(freelancer)
    created = seller.post(
        "projects",
        {
            "title": "A hand-drawn logo for a bakery",
            "category": "design",
            "tiers": [{"name": "Basic", "price_minor": 10_000, "delivery_days": 3}],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["delivery_in_working_days"] is True
    project_id: int = created.json()["id"]
    assert seller.post(f"projects/{project_id}/publish").status_code == 200
    return project_id


def purchase(api: Any, client_user: User, project_id: int) -> dict[str, Any]:
    tier = api(client_user).get(f"projects/{project_id}").json()["tiers"][0]["id"]
    bought = api(client_user).post(
        f"projects/{project_id}/purchase", {"tier_id": tier, "card_number": "4242424242424242"}
    )
    assert bought.status_code == 201, bought.content
    body: dict[str, Any] = bought.json()
    return body


def clocks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in body["deadlines"]}


def worker_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        call_command("worker", "--once", verbosity=0)


def test_the_christmas_purchase_keeps_a_full_working_day_to_decline(
    api, client_user, freelancer
) -> None:
    # Given a Lisbon freelancer who observes Portuguese holidays, with a 3-day instant tier
    lisbon(freelancer)
    project_id = christmas_project(api, freelancer)

    # When two clients' orders are bought on Thu 24 Dec 18:00 Lisbon time
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        first = purchase(api, client_user, project_id)
        second = purchase(api, client_user, project_id)

    # Then the grace window is 1 working day: Christmas Day and the weekend are skipped
    grace = clocks(first)["grace"]
    assert grace["at"] == "2026-12-28T18:00:00+00:00"
    assert grace["explanation"] == (
        "The freelancer may decline without fault until 1 working day after work starts "
        "(Thu 24 Dec 18:00 Europe/Lisbon); Christmas Day and the weekend skipped"
    )
    # And the delivery counts 3 working days: Mon 28, Tue 29, Wed 30 December
    due = clocks(first)["delivery_due"]
    assert due["at"] == first["delivery_due_at"] == "2026-12-30T18:00:00+00:00"
    assert due["explanation"] == (
        "Delivery due 3 working days after work starts (Thu 24 Dec 18:00 Europe/Lisbon); "
        "Christmas Day and the weekend skipped"
    )

    # When the freelancer looks at Mon 28 Dec 17:59, a minute before the window closes
    seller = api(freelancer)
    with time_machine.travel(datetime(2026, 12, 28, 17, 59, tzinfo=UTC), tick=False):
        call_command("worker", "--once", verbosity=0)
        names = seller.get(f"contracts/{first['id']}").json()["available_transitions"]
        assert "decline_in_grace" in names
        # Then declining without fault still works
        declined = seller.post(f"contracts/{first['id']}/decline_in_grace", {"note": "Sorry"})
    assert declined.status_code == 200, declined.content
    assert (declined.json()["state"], declined.json()["fault"]) == ("cancelled", "none")

    # When the worker has run after the window closed (Mon 28 Dec 18:01)
    worker_at(datetime(2026, 12, 28, 18, 1, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 12, 28, 18, 1, tzinfo=UTC), tick=False):
        names = seller.get(f"contracts/{second['id']}").json()["available_transitions"]
        late_decline = seller.post(f"contracts/{second['id']}/decline_in_grace", {"note": "x"})
    # Then declining without fault is over
    assert "decline_in_grace" not in names
    assert_problem(late_decline, 409, "transition_not_available")

    # And the contract is flagged late only once Wed 30 Dec 18:00 has passed
    worker_at(datetime(2026, 12, 30, 17, 59, tzinfo=UTC))
    assert Contract.objects.get(pk=second["id"]).late is False
    worker_at(datetime(2026, 12, 30, 18, 1, tzinfo=UTC))
    assert Contract.objects.get(pk=second["id"]).late is True


def test_requirements_sent_on_christmas_eve_start_the_same_clocks(
    api, client_user, freelancer
) -> None:
    # Given the Lisbon freelancer's instant project with a question, bought before Christmas
    lisbon(freelancer)
    project = make_project(freelancer, delivery_days=3, working_days=True)
    with time_machine.travel(datetime(2026, 12, 21, 12, 0, tzinfo=UTC), tick=False):
        cid = buy(api(client_user), project).json()["id"]
    # When the client answers on Thu 24 Dec 18:00
    question = str(project.questions.get().pk)
    with time_machine.travel(CHRISTMAS_EVE_18H, tick=False):
        started = api(client_user).post(
            f"contracts/{cid}/submit_requirements", {"answers": {question: "Acme"}}
        )
    # Then work starts then: grace to Mon 28 Dec 18:00, delivery Wed 30 Dec 18:00
    assert started.status_code == 200, started.content
    assert clocks(started.json())["grace"]["at"] == "2026-12-28T18:00:00+00:00"
    assert clocks(started.json())["delivery_due"]["at"] == "2026-12-30T18:00:00+00:00"


def test_a_calendar_day_delivery_is_never_due_before_the_grace_window_ends(
    api, client_user, freelancer
) -> None:
    # Given a project counting 1 calendar day, bought (work starting) on Friday 10:00 UTC
    project = make_project(freelancer, questions=False, delivery_days=1, working_days=False)
    with time_machine.travel(datetime(2026, 3, 6, 10, 0, tzinfo=UTC), tick=False):
        body = buy(api(client_user), project).json()
    deadlines = clocks(body)
    # Then the grace window is still a full working day (Monday), never cut
    assert deadlines["grace"]["at"] == "2026-03-09T10:00:00+00:00"
    # And the delivery (Saturday by the count) moves to the grace window's end, saying so
    assert deadlines["delivery_due"]["at"] == "2026-03-09T10:00:00+00:00"
    assert deadlines["delivery_due"]["explanation"] == (
        "Delivery due 1 calendar day after work starts (Fri 6 Mar 10:00 UTC); that is before "
        "the freelancer's 1 working day to decline without fault are over, so it moves to the "
        "end of that window (Mon 9 Mar 10:00 UTC)"
    )
    # And on Saturday nothing is late, and the freelancer may still decline without fault
    worker_at(datetime(2026, 3, 7, 10, 0, 1, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 3, 7, 10, 0, 1, tzinfo=UTC), tick=False):
        names = api(freelancer).get(f"contracts/{body['id']}").json()["available_transitions"]
    assert "decline_in_grace" in names
    assert Contract.objects.get(pk=body["id"]).late is False
    # And once Monday 10:00 has passed, the contract is late
    worker_at(datetime(2026, 3, 9, 10, 0, 1, tzinfo=UTC))
    assert Contract.objects.get(pk=body["id"]).late is True


def test_a_request_has_no_grace_window_so_its_delivery_is_not_moved(
    api, client_user, freelancer
) -> None:
    # Given a request-mode project counting 1 calendar day, accepted on Friday 10:00 UTC
    project = make_project(freelancer, mode="request", delivery_days=1, working_days=False)
    question = str(project.questions.get().pk)
    with time_machine.travel(datetime(2026, 3, 6, 9, 0, tzinfo=UTC), tick=False):
        cid = buy(api(client_user), project, answers={question: "Acme"}).json()["id"]
    with time_machine.travel(datetime(2026, 3, 6, 10, 0, tzinfo=UTC), tick=False):
        accepted = api(freelancer).post(f"contracts/{cid}/accept").json()
    # Then the delivery is due a calendar day later, Saturday: the freelancer already chose
    assert list(clocks(accepted)) == ["delivery_due"]
    assert accepted["delivery_due_at"] == "2026-03-07T10:00:00+00:00"


# --- the rule itself -------------------------------------------------------------------------


def test_delivery_days_add_signed_add_on_days_with_a_floor_of_one() -> None:
    assert purchase_delivery_days(tier_days=6, addon_days=(-2,)) == 4
    assert purchase_delivery_days(tier_days=6, addon_days=(-2, 3)) == 7
    assert purchase_delivery_days(tier_days=2, addon_days=(-5,)) == 1
    assert purchase_delivery_days(tier_days=3, addon_days=()) == 3


def test_a_longer_grace_policy_moves_a_short_working_day_delivery() -> None:
    # Given a policy with a 2-working-day grace window and a 1-working-day delivery
    policy = replace(DEFAULT_POLICY, grace_window_working_days=2)
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wednesday
    found = work_deadlines(
        spec=WorkdaySpec(),
        start=start,
        delivery_days=1,
        working_days=True,
        purchase_mode="instant",
        policy=policy,
    )
    # Then the delivery waits for the grace window (Friday), and says why
    assert found.grace is not None
    assert found.grace.at == found.delivery.at == start + timedelta(days=2)
    assert "2 working days to decline without fault" in found.delivery.explanation
