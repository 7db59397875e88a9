"""A purchase whose process dies mid-way (issue 11, item 19).

The crash is simulated where it hurts most: right after the processor took the money,
before the purchase's transaction. Nothing after that point runs — neither the purchase's
own undo nor the freeing of its Idempotency-Key — as when the process is SIGKILLed
(test_purchase_kill.py does that to a real process). What is left is what a kill leaves:
the key's claim in progress, the attempt in flight with its capacity slot, and a charge
(or a hold) at the processor with no contract.

Before the fix, a retry got 409 "in progress" until the key was purged (a day later) and
the money came back after ten minutes or more. Now a retry within the lease is told to
wait (and when), one after it runs the same attempt, which the processor replays, and the
worker gives back what a purchase nobody retries took within a minute of the crash.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from fairlance.contracts import services
from fairlance.contracts.management.commands import worker
from fairlance.contracts.models import Contract, PurchaseAttempt
from fairlance.contracts.services import purchase_charges_reconcile
from fairlance.core import idempotency
from fairlance.core.idempotency import idempotency_lease
from fairlance.core.models import IdempotencyRecord
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, contract_money, ledger_check
from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import LoggedProvider
from tests.conftest import assert_problem
from tests.contracts.conftest import PRICE, answers_for, buy, make_project

pytestmark = pytest.mark.django_db

TAKE = {"instant": "charge", "request": "authorize"}
# How what was taken goes back: a charge is refunded, a hold voided.
GIVE_BACK = {"charge": "refund", "authorize": "void"}
MODES = ["instant", "request"]


class Killed(BaseException):
    """The process dies here: nothing after this point runs."""


def crash_after_the_payment(monkeypatch: Any) -> None:
    """The next purchase dies right after the processor took its money.

    The processor call completes (and is logged, as it would be); then the process is
    gone. So nothing that would run after a kill runs: the purchase's undo and the
    release of its key's claim are switched off along with it.
    """
    for name in ("charge", "authorize"):
        real = getattr(LoggedProvider, name)

        def pay_then_die(self: Any, *, _real: Any = real, **kwargs: Any) -> Any:
            _real(self, **kwargs)
            raise Killed()

        monkeypatch.setattr(LoggedProvider, name, pay_then_die)
    monkeypatch.setattr(services, "_attempt_give_back", lambda **kwargs: False)
    monkeypatch.setattr(idempotency, "_release", lambda record: None)


def purchase_that_died(
    monkeypatch: Any, api: Any, client_user: Any, project: Any, key: str = "k-1"
) -> PaymentAttempt:
    """A keyed purchase of ``project`` killed after its payment; returns the payment."""
    with monkeypatch.context() as patched:
        crash_after_the_payment(patched)
        with pytest.raises(Killed):
            buy(api(client_user), project, answers=_answers(project), **{"Idempotency-Key": key})
    (payment,) = PaymentAttempt.objects.filter(ok=True)
    # What the kill left: the claim in progress, the attempt and its slot, the payment
    assert IdempotencyRecord.objects.get().state == "in_progress"
    assert PurchaseAttempt.objects.get().state == "in_flight"
    assert _slots_taken(project) == 1
    assert not Contract.objects.exists()
    return payment


def _answers(project: Any) -> Any:
    return answers_for(project) if project.purchase_mode == "request" else None


def _slots_taken(project: Any) -> int:
    project.refresh_from_db()
    return int(project.active_contracts)


def _given_back(payment: PaymentAttempt) -> list[PaymentAttempt]:
    return list(
        PaymentAttempt.objects.filter(
            kind=GIVE_BACK[payment.kind],
            ok=True,
            charge_ref=payment.provider_ref,
        )
    )


@pytest.mark.parametrize("mode", MODES)
def test_a_retry_inside_the_lease_is_told_to_wait_and_when(
    clock, api, client_user, freelancer, monkeypatch, mode
) -> None:
    # Given a purchase killed after its payment
    project = make_project(freelancer, mode=mode)
    purchase_that_died(monkeypatch, api, client_user, project)
    # When the client retries 10 seconds later, with the same key
    clock.shift(timedelta(seconds=10))
    retry = buy(api(client_user), project, answers=_answers(project), **{"Idempotency-Key": "k-1"})
    # Then it is told the first is in progress, and when a retry can run it
    assert_problem(retry, 409, "idempotency_in_progress")
    assert retry["Retry-After"] == str(int(idempotency_lease().total_seconds()) - 10)
    # And nothing more happened at the processor
    assert PaymentAttempt.objects.count() == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_retry_after_the_lease_runs_the_same_attempt_and_pays_once(
    clock, api, client_user, freelancer, monkeypatch, mode
) -> None:
    # Given a purchase killed after its payment
    project = make_project(freelancer, mode=mode)
    payment = purchase_that_died(monkeypatch, api, client_user, project)
    # When the client retries with the same key once the lease has run out
    clock.shift(idempotency_lease() + timedelta(seconds=1))
    retry = buy(api(client_user), project, answers=_answers(project), **{"Idempotency-Key": "k-1"})
    # Then the purchase goes through, on the payment the dead run made: the same attempt
    # sent the same reference, and the processor replayed it instead of paying twice
    assert retry.status_code == 201, retry.content
    contract = Contract.objects.get(pk=retry.json()["id"])
    assert payment.provider_ref in (contract.charge_ref, contract.authorization_ref)
    assert PaymentAttempt.objects.filter(kind=TAKE[mode], ok=True).count() == 1
    assert not PaymentAttempt.objects.filter(kind__in=("refund", "void")).exists()
    # with the slot the dead run took (not a second one), and its money where it belongs
    assert _slots_taken(project) == 1
    money = contract_money(contract_id=contract.pk)
    if mode == "instant":
        assert (money.paid_in, balance(escrow(contract.pk))) == (PRICE, PRICE)
    else:
        assert (money.paid_in, money.on_hold) == (0, PRICE)
    assert PurchaseAttempt.objects.get().state == "kept"
    # And the key now replays that answer; the worker finds nothing to give back
    again = buy(api(client_user), project, answers=_answers(project), **{"Idempotency-Key": "k-1"})
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == contract.pk
    assert purchase_charges_reconcile(now=timezone.now() + timedelta(minutes=5)) == 0
    assert ledger_check() == []


def test_the_worker_gives_back_what_a_dead_purchase_took_within_a_minute(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # The worker looks often enough: a dead purchase is older than the lease within the
    # lease, and looked at within one reconcile interval after that, a timer pass included
    assert idempotency_lease() + timedelta(
        seconds=worker.RECONCILE_SECONDS + worker.TIMER_SECONDS
    ) <= timedelta(minutes=1)

    # Given a purchase killed after its charge, that nobody retries
    project = make_project(freelancer)
    crashed = timezone.now()
    payment = purchase_that_died(monkeypatch, api, client_user, project)
    # When the worker looks before the lease has run out, it leaves it: the purchase
    # could still be alive
    assert purchase_charges_reconcile(now=crashed + idempotency_lease() - timedelta(seconds=1)) == 0
    assert _given_back(payment) == [] and _slots_taken(project) == 1
    # When the worker runs 45 seconds after the crash
    clock.move_to(crashed + timedelta(seconds=45))
    monkeypatch.setattr(worker, "_last_reconcile", None)
    call_command("worker", "--once", verbosity=0)
    # Then the charge is refunded in full, with the reference the purchase's own undo
    # would have used, and the capacity slot is free again
    (refund,) = _given_back(payment)
    assert (refund.amount_minor, refund.reference) == (PRICE, f"{payment.reference}:undo")
    assert _slots_taken(project) == 0
    assert PurchaseAttempt.objects.get().state == "given_back"
    # and the key's dead claim is gone, so a retry is a new attempt: it pays afresh rather
    # than be handed the charge just refunded
    assert not IdempotencyRecord.objects.exists()
    retry = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    assert retry.status_code == 201, retry.content
    contract = Contract.objects.get()
    assert contract.charge_ref not in ("", payment.provider_ref)
    assert PaymentAttempt.objects.filter(kind="charge", ok=True).count() == 2
    assert _slots_taken(project) == 1
    # And looking again gives nothing back twice
    clock.shift(timedelta(minutes=5))
    assert purchase_charges_reconcile(now=timezone.now()) == 0
    assert len(_given_back(payment)) == 1
    assert ledger_check() == []


def test_a_request_that_died_has_its_hold_released(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    project = make_project(freelancer, mode="request")
    hold = purchase_that_died(monkeypatch, api, client_user, project)
    later = timezone.now() + idempotency_lease() + timedelta(seconds=1)
    assert purchase_charges_reconcile(now=later) == 1
    (void,) = _given_back(hold)
    assert void.reference == f"{hold.reference}:undo"
    assert not PaymentAttempt.objects.filter(kind__in=("charge", "capture", "refund")).exists()
    assert _slots_taken(project) == 0


def test_a_dead_purchase_a_retry_took_over_is_left_to_that_retry(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a purchase killed after its charge, and a retry after the lease that is itself
    # still running (it took the claim over, and is paying) when the worker looks
    project = make_project(freelancer)
    payment = purchase_that_died(monkeypatch, api, client_user, project)
    clock.shift(idempotency_lease() + timedelta(seconds=1))
    seen: list[int] = []
    real = LoggedProvider.charge

    def charge_while_the_worker_looks(self: Any, **kwargs: Any) -> Any:
        seen.append(purchase_charges_reconcile(now=timezone.now() + timedelta(seconds=5)))
        return real(self, **kwargs)

    monkeypatch.setattr(LoggedProvider, "charge", charge_while_the_worker_looks)
    retry = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    # Then the worker gave nothing back (the retry holds the lease: it decides), and the
    # retry kept the one charge
    assert seen == [0]
    assert retry.status_code == 201, retry.content
    assert Contract.objects.get().charge_ref == payment.provider_ref
    assert _given_back(payment) == [] and _slots_taken(project) == 1
    assert ledger_check() == []


# --- a run that outlives its lease --------------------------------------------------------------


def test_a_slow_run_overtaken_by_its_retry_answers_with_the_retrys_contract(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a purchase whose processor call is so slow that the client retries after the
    # lease, and the retry (the same attempt) finishes first
    project = make_project(freelancer)
    retries: list[Any] = []
    calls: list[str] = []
    real = LoggedProvider.charge

    def slow_charge(self: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["reference"])
        result = real(self, **kwargs)
        if len(calls) == 1:  # the first run's call; the retry's is answered at once
            clock.shift(idempotency_lease() + timedelta(seconds=1))
            retries.append(buy(api(client_user), project, **{"Idempotency-Key": "k-1"}))
        return result

    monkeypatch.setattr(LoggedProvider, "charge", slow_charge)
    slow = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    # Then both sent the same reference: the retry ran the same attempt
    (retry,) = retries
    assert len(calls) == 2 and calls[0] == calls[1]
    # and both answer with the one contract, paid by the one charge, in the one slot
    assert retry.status_code == slow.status_code == 201, (retry.content, slow.content)
    contract = Contract.objects.get()
    assert retry.json()["id"] == slow.json()["id"] == contract.pk
    assert PaymentAttempt.objects.filter(kind="charge", ok=True).count() == 1
    assert not PaymentAttempt.objects.filter(kind="refund").exists()
    assert _slots_taken(project) == 1
    # And the key keeps the answer of the run that owned it last
    record = IdempotencyRecord.objects.get()
    assert record.state == "completed" and str(contract.pk) in record.body
    assert ledger_check() == []


def test_a_slow_run_the_worker_gave_up_buys_nothing_and_its_money_goes_back(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a purchase whose processor answers after the lease, when the worker has given
    # the attempt up already (it saw the charge: the processor logged it)
    project = make_project(freelancer)
    given_up: list[int] = []
    real = LoggedProvider.charge

    def slow_charge(self: Any, **kwargs: Any) -> Any:
        result = real(self, **kwargs)
        clock.shift(idempotency_lease() + timedelta(seconds=1))
        given_up.append(purchase_charges_reconcile(now=timezone.now()))
        return result

    monkeypatch.setattr(LoggedProvider, "charge", slow_charge)
    slow = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    # Then the slow run keeps nothing: no contract, the charge refunded once, the slot free
    assert given_up == [1]
    assert_problem(slow, 503, "purchase_abandoned")
    assert not Contract.objects.exists()
    (charge,) = PaymentAttempt.objects.filter(kind="charge", ok=True)
    assert len(_given_back(charge)) == 1
    assert _slots_taken(project) == 0
    # And the key is free: a retry is a new attempt, with a charge of its own
    monkeypatch.undo()
    retry = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    assert retry.status_code == 201, retry.content
    assert Contract.objects.get().charge_ref != charge.provider_ref
    assert ledger_check() == []


def test_a_payment_made_after_its_attempt_was_given_up_is_given_back_too(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a purchase whose processor is so slow that the worker gives the attempt up
    # before the charge is made (so the worker knows of no payment), and whose process
    # then dies right after the charge
    project = make_project(freelancer)
    real = LoggedProvider.charge
    give_back = services._attempt_give_back
    dead: list[bool] = []

    def slow_charge_then_die(self: Any, **kwargs: Any) -> Any:
        clock.shift(idempotency_lease() + timedelta(seconds=1))
        assert purchase_charges_reconcile(now=timezone.now()) == 1  # the slot, no payment
        real(self, **kwargs)
        dead.append(True)
        raise Killed()

    with monkeypatch.context() as patched:
        patched.setattr(LoggedProvider, "charge", slow_charge_then_die)
        # The worker gives back as ever; the dead purchase gives back nothing
        patched.setattr(
            services, "_attempt_give_back", lambda **kwargs: not dead and give_back(**kwargs)
        )
        patched.setattr(idempotency, "_release", lambda record: None)
        with pytest.raises(Killed):
            buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    (charge,) = PaymentAttempt.objects.filter(kind="charge", ok=True)
    assert PurchaseAttempt.objects.get().state == "given_back" and _given_back(charge) == []
    assert _slots_taken(project) == 0
    # When the worker looks once the charge is older than the lease
    clock.shift(idempotency_lease() + timedelta(seconds=1))
    # Then it is refunded, once, with the attempt's undo reference
    assert purchase_charges_reconcile(now=timezone.now()) == 1
    (refund,) = _given_back(charge)
    assert refund.reference == f"{charge.reference}:undo"
    assert purchase_charges_reconcile(now=timezone.now() + timedelta(minutes=5)) == 0
    assert _slots_taken(project) == 0 and not Contract.objects.exists()
    assert ledger_check() == []


@pytest.mark.parametrize("mode", MODES)
def test_a_retry_completes_a_dead_purchase_that_held_the_last_slot(
    clock, api, client_user, freelancer, monkeypatch, mode
) -> None:
    # Given a purchase of the last slot killed after its payment: the project is full,
    # with the dead attempt's own slot
    project = make_project(freelancer, mode=mode, capacity=1)
    payment = purchase_that_died(monkeypatch, api, client_user, project)
    # When the client retries after the lease
    clock.shift(idempotency_lease() + timedelta(seconds=1))
    retry = buy(api(client_user), project, answers=_answers(project), **{"Idempotency-Key": "k-1"})
    # Then the retry completes the purchase in that slot, with that payment: the slot it
    # finds taken is its own
    assert retry.status_code == 201, retry.content
    contract = Contract.objects.get()
    assert payment.provider_ref in (contract.charge_ref, contract.authorization_ref)
    assert _slots_taken(project) == 1
    # while another buyer still finds the project full
    from tests.conftest import make_user

    other = buy(api(make_user("oscar@example.com")), project, answers=_answers(project))
    assert_problem(other, 409, "capacity_full")
    assert ledger_check() == []


def test_a_retry_refused_for_good_gives_back_what_the_dead_purchase_took(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    from fairlance.catalog.services import project_pause

    # Given a purchase killed after its charge, and a project paused since
    project = make_project(freelancer)
    payment = purchase_that_died(monkeypatch, api, client_user, project)
    project_pause(project=project, actor=freelancer)
    # When the client retries after the lease
    clock.shift(idempotency_lease() + timedelta(seconds=1))
    retry = buy(api(client_user), project, **{"Idempotency-Key": "k-1"})
    # Then it is refused, and the charge and the slot go back at once
    assert_problem(retry, 409, "not_published")
    assert len(_given_back(payment)) == 1
    assert _slots_taken(project) == 0
    assert PurchaseAttempt.objects.get().state == "given_back"
    assert purchase_charges_reconcile(now=timezone.now() + timedelta(minutes=5)) == 0
    assert ledger_check() == []
