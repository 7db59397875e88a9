"""Notifications: written with the transition, emailed after commit, quiet hours respected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from fairlance.notifications.models import Notification
from tests.conftest import assert_problem
from tests.contracts.conftest import answers_for, buy, make_project

pytestmark = pytest.mark.django_db


def test_email_to_the_client_goes_out_after_commit(
    clock, api, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    project = make_project(freelancer, questions=False)
    cid = buy(api(client_user), project).json()["id"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        api(freelancer).post(f"contracts/{cid}/deliver", {"note": "done"})
    # Nothing is sent before the transaction commits
    assert mailoutbox == []
    assert Notification.objects.get(user=client_user, kind="contract.deliver").emailed_at is None
    for callback in callbacks:
        callback()
    note = Notification.objects.get(user=client_user, kind="contract.deliver")
    assert note.emailed_at is not None
    assert [m.to for m in mailoutbox if "Delivery to review" in m.subject] == [[client_user.email]]


def test_a_refused_transition_notifies_nobody(clock, api, client_user, freelancer) -> None:
    cid = buy(api(client_user), make_project(freelancer, questions=False)).json()["id"]
    before = Notification.objects.count()
    assert_problem(api(client_user).post(f"contracts/{cid}/open_dispute", {}), 422)
    assert Notification.objects.count() == before


def test_freelancer_email_waits_for_working_hours(api, client_user, freelancer, mailoutbox) -> None:
    # Given a request arriving Wednesday 20:00 UTC (the freelancer works 09-17 UTC)
    project = make_project(freelancer, mode="request")
    with time_machine.travel(datetime(2026, 3, 4, 20, 0, tzinfo=UTC), tick=False) as traveller:
        buy(api(client_user), project, answers=answers_for(project))
        note = Notification.objects.get(user=freelancer, kind="contract.request")
        # Then the freelancer's email waits until Thursday 09:00
        assert note.send_after == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        assert not [m for m in mailoutbox if freelancer.email in m.to]
        traveller.shift(timedelta(hours=13))
        call_command("worker", "--once", verbosity=0)
    assert [m.to for m in mailoutbox] == [[freelancer.email]]
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_quiet_hours_never_hold_an_email_past_the_deadline(freelancer, mailoutbox) -> None:
    from django.db import transaction

    from fairlance.notifications.services import notify

    # Given Wednesday 22:00 UTC, outside the freelancer's working hours (09-17 UTC)
    with (
        time_machine.travel(datetime(2026, 3, 4, 22, 0, tzinfo=UTC), tick=False),
        transaction.atomic(),
    ):
        # When the email is about a clock that ends at 23:00 tonight, it goes at once
        urgent = notify(
            user=freelancer,
            kind="t",
            title="Due soon",
            role="freelancer",
            deadline=datetime(2026, 3, 4, 23, 0, tzinfo=UTC),
        )
        # Otherwise it waits for 09:00 tomorrow
        calm = notify(
            user=freelancer,
            kind="t",
            title="Later",
            role="freelancer",
            deadline=datetime(2026, 3, 6, 9, 0, tzinfo=UTC),
        )
    assert urgent.send_after is None
    assert calm.send_after == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("mode", "questions"), [("instant", True), ("request", True)])
def test_a_purchase_email_waits_no_later_than_the_new_contracts_first_clock(
    clock, api, client_user, freelancer, monkeypatch, mode: str, questions: bool
) -> None:
    from fairlance.contracts.models import Timer
    from fairlance.contracts.unit_of_work import Writes

    # Given the deadlines the engine hands to the freelancer's email (quiet hours never
    # hold it past the contract's next clock) ...
    deadlines: dict[object, datetime | None] = {}
    notify = Writes.notify

    def spy(self: Writes, **kwargs: object) -> None:
        deadlines[kwargs["role"]] = kwargs.get("deadline")  # type: ignore[assignment]
        notify(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Writes, "notify", spy)
    project = make_project(freelancer, mode=mode, questions=questions)
    answers = answers_for(project) if mode == "request" else None
    cid = buy(api(client_user), project, answers=answers).json()["id"]

    # ... then for a new contract it is the earliest of the timers just armed (which the
    # engine knows without reading them back), reminders included
    first = Timer.objects.filter(contract_id=cid, status="pending").order_by("fire_at").first()
    assert first is not None
    assert deadlines["freelancer"] == first.fire_at
