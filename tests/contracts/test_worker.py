"""The timer worker: fires due timers once, skips stale ones, gives up on broken ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fairlance.contracts import actions
from fairlance.contracts.engine import MAX_TIMER_ATTEMPTS, fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
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
    # Given an ending that always breaks after its refund was written (the capacity slot
    # cannot be given back)
    def broken(contract, ctx, *args, **kwargs):
        raise RuntimeError("the capacity slot could not be given back")

    cid = buy(api(client_user), make_project(freelancer)).json()["id"]
    monkeypatch.setattr(actions, "_end", broken)
    # When the requirements window expires and the worker keeps running for an hour
    clock.shift(timedelta(days=3))
    for _ in range(12):
        call_command("worker", "--once", verbosity=0)
        clock.shift(timedelta(minutes=5))
    # Then the timer failed after a bounded number of attempts, and nothing half-happened:
    # no refund in the ledger, none owed to the card
    timer = Timer.objects.get(contract_id=cid, transition="expire_requirements")
    assert (timer.status, timer.attempts) == ("failed", MAX_TIMER_ATTEMPTS)
    assert "capacity slot" in timer.last_error
    assert Contract.objects.get(pk=cid).state == "awaiting_requirements"
    assert balance(escrow(cid)) == PRICE
    assert not ProviderIntent.objects.exists()
    assert not PaymentAttempt.objects.filter(kind="refund").exists()
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


def test_one_failing_timer_in_a_batch_rolls_back_alone(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    from fairlance.notifications.models import Notification

    # Given two orders waiting for requirements, and a refund whose intent cannot be
    # recorded for the first one only (after its ledger entry was written)
    c = api(client_user)
    broken_id = buy(c, make_project(freelancer)).json()["id"]
    fine_id = buy(c, make_project(freelancer)).json()["id"]
    record = actions.intent_record

    def record_unless_broken(**kwargs):
        if kwargs["contract_id"] == broken_id:
            raise RuntimeError("the intent could not be written")
        return record(**kwargs)

    monkeypatch.setattr(actions, "intent_record", record_unless_broken)
    # When both requirements windows expire and the worker fires them in one batch
    clock.shift(timedelta(days=3))
    fire_due_timers(batch_size=10)
    # Then the other order is cancelled and refunded, with its event and notifications
    fine = Contract.objects.get(pk=fine_id)
    assert (fine.state, fine.ending) == ("cancelled", "expire_requirements")
    assert balance(escrow(fine_id)) == 0
    assert Notification.objects.filter(kind="contract.expire_requirements").count() == 2
    assert ProviderIntent.objects.get().contract_id == fine_id
    # and nothing of the failed one was kept: not its refund posting (written before the
    # intent failed), not its event, not its notifications; its timer waits to retry
    broken = Contract.objects.get(pk=broken_id)
    assert broken.state == "awaiting_requirements"
    assert balance(escrow(broken_id)) == PRICE
    assert not ContractEvent.objects.filter(contract_id=broken_id, name="expire_requirements")
    assert not Notification.objects.filter(
        data__contract_id=broken_id, kind="contract.expire_requirements"
    ).exists()
    timer = Timer.objects.get(contract_id=broken_id, transition="expire_requirements")
    assert (timer.status, timer.attempts) == ("pending", 1)
    assert timer.fire_at > timezone.now()
    assert ledger_check() == []


def test_a_batch_of_timers_costs_the_same_statements_whatever_its_size(
    clock, api, client_user, freelancer
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Given running orders whose delivery is overdue (each with its mark_late timer)
    c = api(client_user)
    project = make_project(freelancer, questions=False, delivery_days=1)

    def statements_to_fire(n: int) -> int:
        for _ in range(n):
            buy(c, project)
        # Past every due: a 1-day delivery bought on a Friday waits for the grace window,
        # which ends on Monday.
        clock.shift(timedelta(days=4))
        with CaptureQueriesContext(connection) as queries:
            assert fire_due_timers(limit=1000) == n
        return len(queries.captured_queries)

    # When 2 and then 12 are fired, each set in one batch (after a first batch: a running
    # worker has read the policy versions it needs once, core.policy remembers them)
    statements_to_fire(1)
    few = statements_to_fire(2)
    many = statements_to_fire(12)
    # Then both batches took the same number of statements (a claim, the loads, the
    # parties' calendars for the notices' local times, one write per table, the commit),
    # not a number per timer
    assert few == many
    assert many <= 12
    assert Contract.objects.filter(late=True).count() == 15


def test_a_batch_that_cannot_be_written_is_retried_one_timer_at_a_time(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    from fairlance.contracts import unit_of_work

    # Given three running orders whose delivery is overdue, one of which cannot be written
    # (a database constraint, a bug: anything that fails the batch's writes at the end)
    c = api(client_user)
    project = make_project(freelancer, questions=False, delivery_days=1)
    ids = [buy(c, project).json()["id"] for _ in range(3)]
    poisoned = ids[1]
    insert_rows = unit_of_work.insert_rows

    def fail_for_poisoned(model, rows):
        if any(row.get("contract_id") == poisoned for row in rows):
            raise RuntimeError("cannot write this one")
        insert_rows(model, rows)

    monkeypatch.setattr(unit_of_work, "insert_rows", fail_for_poisoned)
    clock.shift(timedelta(days=2))
    # When the worker fires them in one batch
    assert fire_due_timers(batch_size=10) == 2
    # Then the batch was given up whole and its timers retried one per transaction: the
    # others fired, the poisoned one counts a failed attempt and waits to retry
    late = set(Contract.objects.filter(late=True).values_list("id", flat=True))
    assert late == {ids[0], ids[2]}
    timer = Timer.objects.get(contract_id=poisoned, transition="mark_late")
    assert (timer.status, timer.attempts) == ("pending", 1)
    assert "cannot write this one" in timer.last_error
    assert not ContractEvent.objects.filter(contract_id=poisoned, name="mark_late").exists()
