"""The timer worker: fires due timers once, skips stale ones, gives up on broken ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from fairlance.contracts.engine import MAX_TIMER_ATTEMPTS, fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.provider import RefundResult, SandboxProvider
from tests.contracts.conftest import PRICE, buy, make_project

pytestmark = pytest.mark.django_db


def test_a_due_timer_fires_exactly_once(clock, api, client_user, freelancer) -> None:
    cid = buy(api(client_user), make_project(freelancer)).json()["id"]
    clock.shift(timedelta(days=3))
    # The expiry and its reminder a day earlier were both due
    assert fire_due_timers() == 2
    assert fire_due_timers() == 0
    assert ContractEvent.objects.filter(contract_id=cid, name="expire_requirements").count() == 1
    assert set(Timer.objects.filter(contract_id=cid).values_list("status", flat=True)) == {"fired"}


def test_a_timer_not_yet_due_does_not_fire(clock, api, client_user, freelancer) -> None:
    cid = buy(api(client_user), make_project(freelancer)).json()["id"]
    clock.shift(timedelta(days=3) - timedelta(seconds=1))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "awaiting_requirements"
    assert Timer.objects.get(contract_id=cid, transition="expire_requirements").status == "pending"


def test_leaving_a_state_skips_its_timers(clock, api, client_user, freelancer) -> None:
    c = api(client_user)
    cid = buy(c, make_project(freelancer)).json()["id"]
    c.post(f"contracts/{cid}/cancel_before_start")
    assert set(Timer.objects.filter(contract_id=cid).values_list("status", flat=True)) == {
        "skipped"
    }
    clock.shift(timedelta(days=30))
    assert fire_due_timers() == 0


def test_a_failing_timer_is_retried_a_few_times_then_marked_failed(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given the card processor refuses every refund
    def broken(self, *, charge_ref, amount_minor, reference):
        return RefundResult(False, None, "processor_down", "The processor is down.")

    cid = buy(api(client_user), make_project(freelancer)).json()["id"]
    monkeypatch.setattr(SandboxProvider, "refund", broken)
    # When the requirements window expires and the worker keeps running for an hour
    clock.shift(timedelta(days=3))
    for _ in range(12):
        call_command("worker", "--once", verbosity=0)
        clock.shift(timedelta(minutes=5))
    # Then the timer failed after a bounded number of attempts, and nothing half-happened
    timer = Timer.objects.get(contract_id=cid, transition="expire_requirements")
    assert (timer.status, timer.attempts) == ("failed", MAX_TIMER_ATTEMPTS)
    assert "processor" in timer.last_error.lower()
    assert Contract.objects.get(pk=cid).state == "awaiting_requirements"
    assert balance(escrow(cid)) == PRICE
    assert ledger_check() == []


def test_reminders_go_to_the_right_person_once_and_not_after_the_state_is_left(
    clock, api, client_user, freelancer
) -> None:
    from fairlance.notifications.models import Notification

    # Given an instant purchase waiting for requirements (window: 3 calendar days)
    c = api(client_user)
    cid = buy(c, make_project(freelancer)).json()["id"]
    # When 2 days pass, the client is reminded (once, however often the worker runs)
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    call_command("worker", "--once", verbosity=0)
    kind = "contract.reminder.expire_requirements"
    assert Notification.objects.filter(user=client_user, kind=kind).count() == 1
    assert not Notification.objects.filter(user=freelancer, kind=kind).exists()
    # Then a second purchase whose requirements arrive in time is never reminded
    cid2 = buy(c, make_project(freelancer)).json()["id"]
    project = Contract.objects.get(pk=cid2).project
    c.post(
        f"contracts/{cid2}/submit_requirements",
        {"answers": {str(q.pk): "Acme" for q in project.questions.all()}},
    )
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    assert Notification.objects.filter(user=client_user, kind=kind).count() == 1
    assert (
        Timer.objects.get(contract_id=cid2, transition="remind:expire_requirements").status
        == "skipped"
    )
    assert Contract.objects.get(pk=cid).ending == "expire_requirements"
