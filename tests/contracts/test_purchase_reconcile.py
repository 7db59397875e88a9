"""What a purchase or an accept took and never finished is given back by the worker, once.

The crash of a purchase in flight (its attempt row, slot and payment) is in
test_purchase_crash.py; these are the payments no attempt row accounts for and the
captures of accepts, and what the worker leaves alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from fairlance.contracts import actions, services
from fairlance.contracts.models import Contract, PurchaseAttempt
from fairlance.contracts.services import purchase_charges_reconcile
from fairlance.core.idempotency import idempotency_lease
from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import get_provider
from tests.contracts.conftest import GOOD_CARD, PRICE, answers_for, buy, make_project

pytestmark = pytest.mark.django_db


def _charge_of_a_purchase_that_died(client_id: int, key: str = "k1") -> str:
    # A charge no attempt row accounts for (made before purchases had attempt rows, or by
    # an attempt the worker gave up before the processor answered, whose process then
    # died): neither the contract nor the refund is ever written.
    charge = get_provider().charge(
        amount_minor=PRICE, card_number=GOOD_CARD, reference=f"purchase:{client_id}:{key}",
        payer_id=client_id,
    )  # fmt: skip
    assert charge.ok and charge.provider_ref
    return charge.provider_ref


def _refunds(charge_ref: str) -> list[PaymentAttempt]:
    return list(PaymentAttempt.objects.filter(kind="refund", ok=True, charge_ref=charge_ref))


def test_an_orphan_charge_is_refunded_once_when_it_is_old_enough(clock, client_user) -> None:
    # Given a charge whose purchase died between the charge and the commit
    ref = _charge_of_a_purchase_that_died(client_user.pk)
    # When the worker looks before a purchase could have finished, then it waits
    assert purchase_charges_reconcile(now=timezone.now() + idempotency_lease() / 2) == 0
    assert _refunds(ref) == []
    # When it looks later, then the whole charge goes back to the card, with the reference
    # the purchase's own undo would have used
    later = timezone.now() + idempotency_lease() + timedelta(seconds=1)
    assert purchase_charges_reconcile(now=later) == 1
    (refund,) = _refunds(ref)
    assert refund.amount_minor == PRICE and refund.reference == f"purchase:{client_user.pk}:k1:undo"
    # And looking again refunds nothing more
    assert purchase_charges_reconcile(now=later + timedelta(minutes=5)) == 0
    assert len(_refunds(ref)) == 1


def _failing_after_the_payment(monkeypatch: Any) -> None:
    """The purchase's transaction fails after the card was charged (or held)."""

    def the_database_goes_away(contract: Contract) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "capture_book", the_database_goes_away)
    monkeypatch.setattr(actions, "hold_book", the_database_goes_away)


def test_charges_kept_by_a_contract_or_refunded_by_their_purchase_are_left_alone(
    clock, api, client_user, freelancer, monkeypatch: Any
) -> None:
    # Given a purchase that went through ...
    project = make_project(freelancer, questions=False)
    assert buy(api(client_user), project).status_code == 201
    kept = Contract.objects.get().charge_ref
    # ... and one whose transaction failed after the charge, which refunded it itself
    _failing_after_the_payment(monkeypatch)
    c = api(client_user)
    c.client.raise_request_exception = False
    assert buy(c, project).status_code == 500
    (undone,) = PaymentAttempt.objects.filter(kind="refund").values_list("charge_ref", flat=True)
    assert set(PurchaseAttempt.objects.values_list("state", flat=True)) == {"kept", "given_back"}
    # When the worker looks, then it refunds nothing
    later = timezone.now() + idempotency_lease() * 2
    assert purchase_charges_reconcile(now=later) == 0
    assert len(_refunds(kept)) == 0 and len(_refunds(undone)) == 1


def test_only_purchase_charges_of_the_lookback_window_count(clock, client_user) -> None:
    # A charge that is not a purchase's is not this job's to refund
    other = get_provider().charge(
        amount_minor=PRICE, card_number=GOOD_CARD, reference="topup:1", payer_id=client_user.pk
    )
    # Nor one older than the window (an operator's case; the worker does not guess)
    old = _charge_of_a_purchase_that_died(client_user.pk, "old")
    PaymentAttempt.objects.filter(provider_ref=old).update(
        created_at=timezone.now() - services.ORPHAN_CHARGE_LOOKBACK - timedelta(hours=1)
    )
    later = timezone.now() + idempotency_lease() * 2
    assert purchase_charges_reconcile(now=later) == 0
    assert _refunds(other.provider_ref or "") == [] and _refunds(old) == []


def test_the_worker_runs_the_reconciliation(clock, client_user, monkeypatch: Any) -> None:
    from fairlance.contracts.management.commands import worker

    ref = _charge_of_a_purchase_that_died(client_user.pk)
    clock.shift(idempotency_lease() + timedelta(minutes=1))
    monkeypatch.setattr(worker, "_last_reconcile", None)
    call_command("worker", "--once", verbosity=0)
    assert len(_refunds(ref)) == 1


# --- holds and captures ----------------------------------------------------------------------


def _voids(authorization_ref: str) -> list[PaymentAttempt]:
    return list(PaymentAttempt.objects.filter(kind="void", ok=True, charge_ref=authorization_ref))


def test_an_orphan_authorization_is_voided_once(clock, client_user) -> None:
    # Given a request's hold whose purchase died before the contract was committed
    hold = get_provider().authorize(
        amount_minor=PRICE, card_number=GOOD_CARD, reference=f"purchase:{client_user.pk}:k9",
        payer_id=client_user.pk,
    )  # fmt: skip
    assert hold.ok and hold.provider_ref
    # When the worker looks too early, it waits; later the hold is released, once, with
    # the reference the purchase's own undo would have used
    assert purchase_charges_reconcile(now=timezone.now() + idempotency_lease() / 2) == 0
    later = timezone.now() + idempotency_lease() + timedelta(seconds=1)
    assert purchase_charges_reconcile(now=later) == 1
    (void,) = _voids(hold.provider_ref)
    assert void.reference == f"purchase:{client_user.pk}:k9:undo"
    assert purchase_charges_reconcile(now=later + timedelta(minutes=5)) == 0
    assert len(_voids(hold.provider_ref)) == 1


def test_a_request_keeps_its_hold_and_a_failed_one_voids_its_own(
    clock, api, client_user, freelancer, monkeypatch: Any
) -> None:
    # Given a request that went through, and one whose transaction failed after its hold
    project = make_project(freelancer, mode="request")
    assert buy(api(client_user), project, answers=answers_for(project)).status_code == 201
    kept = Contract.objects.get().authorization_ref
    _failing_after_the_payment(monkeypatch)
    c = api(client_user)
    c.client.raise_request_exception = False
    assert buy(c, project, answers=answers_for(project)).status_code == 500
    # Then the failed one's hold was voided (not refunded: nothing was taken)
    (undone,) = PaymentAttempt.objects.filter(kind="void").values_list("charge_ref", flat=True)
    assert not PaymentAttempt.objects.filter(kind__in=("charge", "refund")).exists()
    # And the worker finds nothing more to do
    later = timezone.now() + idempotency_lease() * 2
    assert purchase_charges_reconcile(now=later) == 0
    assert _voids(kept) == [] and len(_voids(undone)) == 1


def test_a_capture_whose_accept_never_committed_is_refunded_once_the_request_is_over(
    clock, api, client_user, freelancer
) -> None:
    # Given a request, and an accept that captured the hold and then died before its
    # transaction committed
    project = make_project(freelancer, mode="request")
    c = api(client_user)
    cid = buy(c, project, answers=answers_for(project)).json()["id"]
    contract = Contract.objects.get(pk=cid)
    capture = get_provider().capture(
        authorization_ref=contract.authorization_ref,
        amount_minor=PRICE,
        reference=f"contract:{cid}:capture",
    )
    assert capture.ok and capture.provider_ref
    # When the worker looks while the contract is still requested, it leaves the capture:
    # the freelancer's retried accept replays it and keeps it
    later = timezone.now() + idempotency_lease() * 2
    assert purchase_charges_reconcile(now=later) == 0
    # When the request ends without it (the client withdraws), the capture is refunded
    assert c.post(f"contracts/{cid}/withdraw").status_code == 200
    assert purchase_charges_reconcile(now=later) == 1
    (refund,) = _refunds(capture.provider_ref)
    assert (refund.amount_minor, refund.reference) == (PRICE, f"contract:{cid}:capture:undo")
    assert purchase_charges_reconcile(now=later + timedelta(minutes=5)) == 0


def test_a_capture_kept_by_an_accepted_contract_is_left_alone(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer, mode="request")
    cid = buy(api(client_user), project, answers=answers_for(project)).json()["id"]
    assert api(freelancer).post(f"contracts/{cid}/accept").status_code == 200
    later = timezone.now() + idempotency_lease() * 2
    assert purchase_charges_reconcile(now=later) == 0
    assert not PaymentAttempt.objects.filter(kind="refund").exists()


def test_settled_attempts_are_purged_after_two_days_and_flying_ones_never(
    clock, api, client_user, freelancer, monkeypatch: Any
) -> None:
    from fairlance.contracts.services import purchase_attempts_purge

    # Given a purchase that went through, and an attempt still in flight (its process
    # died before anything else; the worker's job, not the purge's)
    project = make_project(freelancer, questions=False)
    assert buy(api(client_user), project).status_code == 201
    services._attempt_open(reference="purchase:1:2:dead", project_id=project.pk, attempt="")
    # Then both stay for two days (a retry of the attempt may look for its row) ...
    assert purchase_attempts_purge(now=timezone.now() + timedelta(days=1)) == 0
    # ... after which the settled one goes
    assert purchase_attempts_purge(now=timezone.now() + timedelta(days=2, seconds=1)) == 1
    assert list(PurchaseAttempt.objects.values_list("state", flat=True)) == ["in_flight"]


def test_the_frequent_look_sees_recent_payments_and_the_sweep_all_two_days(
    clock, client_user
) -> None:
    from fairlance.contracts.management.commands.worker import RECENT_LOOKBACK

    # Given a charge nothing kept, made twenty minutes before the worker looks
    ref = _charge_of_a_purchase_that_died(client_user.pk)
    later = timezone.now() + timedelta(minutes=20)
    # Then the worker's frequent look, over recent payments only, leaves it ...
    assert purchase_charges_reconcile(now=later, lookback=RECENT_LOOKBACK) == 0
    assert _refunds(ref) == []
    # ... and its sweep over the last two days refunds it
    assert purchase_charges_reconcile(now=later) == 1
    assert len(_refunds(ref)) == 1
