"""Request to buy holds the card, it does not take (issue 10, item 2).

A request authorizes the card (a hold) and records a pending ledger entry; ``accept``
captures it into escrow; decline, withdraw and the request window's expiry void it; a hold
the processor will not capture any more ends the request without fault. Everything here
goes through the HTTP API, with the clock moved by time_machine and timers fired by the
worker.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.contracts.models import Contract, ContractEvent
from fairlance.ledger.accounts import escrow
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, contract_money, ledger_check
from fairlance.notifications.models import Notification
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from fairlance.payments.provider import (
    CARD_EXPIRED_HOLD,
    LoggedProvider,
    ProviderResult,
    SandboxProvider,
)
from tests.conftest import assert_problem
from tests.contracts.conftest import (
    PRICE,
    answers_for,
    buy,
    make_project,
    request_charged_up_front,
)

pytestmark = pytest.mark.django_db

PRICE_WORDS = "$100"  # PRICE as people read it


def request(api: Any, client_user: Any, freelancer: Any, **kw: Any) -> tuple[Any, Any, int]:
    """A request to buy through the API: (client's API, freelancer's API, contract id)."""
    project = make_project(freelancer, mode="request")
    c = api(client_user)
    resp = buy(c, project, answers=answers_for(project), **kw)
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == "requested"
    return c, api(freelancer), resp.json()["id"]


def attempts() -> list[tuple[str, bool]]:
    return list(PaymentAttempt.objects.order_by("id").values_list("kind", "ok"))


def entry(reference: str) -> JournalEntry:
    return JournalEntry.objects.get(reference=reference)


def assert_hold_released(cid: int, *, by: str) -> None:
    """The request ended by ``by``: the hold is voided in the ledger and at the processor,
    the card was never charged, and no money is anywhere."""
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", by, "none")
    void = JournalEntry.objects.get(resolves__reference=f"contract:{cid}:hold")
    assert void.phase == "void"
    intent = ProviderIntent.objects.get(contract_id=cid)
    assert (intent.kind, intent.status, intent.reference) == ("void", "done", void.reference)
    assert (intent.payment_ref, intent.amount_minor) == (contract.authorization_ref, PRICE)
    assert attempts() == [("authorize", True), ("void", True)]
    assert not contract.charge_ref
    assert balance(escrow(cid)) == 0
    money = contract_money(contract_id=cid)
    assert (money.paid_in, money.refunded, money.on_hold) == (0, 0, 0)
    assert ledger_check() == []


def test_a_request_authorizes_the_card_and_takes_nothing(clock, api, client_user, freelancer):
    # When a client asks to buy
    _, _, cid = request(api, client_user, freelancer)
    # Then the card is authorized, not charged
    contract = Contract.objects.get(pk=cid)
    assert attempts() == [("authorize", True)]
    assert contract.authorization_ref.startswith("sb_au_") and contract.charge_ref == ""
    # and the ledger records a pending hold into the contract's escrow, which stays empty
    hold = entry(f"contract:{cid}:hold")
    assert hold.phase == "pending" and not JournalEntry.objects.filter(resolves=hold).exists()
    assert balance(escrow(cid)) == 0
    money = contract_money(contract_id=cid)
    assert (money.on_hold, money.paid_in, money.held) == (PRICE, 0, 0)
    assert ledger_check() == []


def test_accept_captures_the_hold_into_escrow(clock, api, client_user, freelancer) -> None:
    _, f, cid = request(api, client_user, freelancer)
    # When the freelancer accepts
    resp = f.post(f"contracts/{cid}/accept")
    # Then the hold is captured at the processor and posted into escrow
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "in_progress"
    capture = PaymentAttempt.objects.get(kind="capture")
    contract = Contract.objects.get(pk=cid)
    assert capture.ok and capture.charge_ref == contract.authorization_ref
    assert contract.charge_ref == capture.provider_ref  # refunds name the capture
    posted = entry(f"contract:{cid}:capture")
    assert (posted.phase, posted.resolves.reference) == ("posted", f"contract:{cid}:hold")
    assert balance(escrow(cid)) == PRICE
    money = contract_money(contract_id=cid)
    assert (money.on_hold, money.paid_in, money.held) == (0, PRICE, PRICE)
    assert attempts() == [("authorize", True), ("capture", True)]
    assert ledger_check() == []


def test_a_refund_after_accept_goes_back_to_the_captured_card(
    clock, api, client_user, freelancer, django_capture_on_commit_callbacks
) -> None:
    _, f, cid = request(api, client_user, freelancer)
    f.post(f"contracts/{cid}/accept")
    with django_capture_on_commit_callbacks(execute=True):
        assert f.post(f"contracts/{cid}/refund").status_code == 200
    refund = PaymentAttempt.objects.get(kind="refund")
    assert (refund.ok, refund.amount_minor) == (True, PRICE)
    assert refund.charge_ref == Contract.objects.get(pk=cid).charge_ref
    assert ledger_check() == []


@pytest.mark.parametrize(("who", "name"), [("freelancer", "decline"), ("client", "withdraw")])
def test_decline_and_withdraw_void_the_hold(
    clock, api, client_user, freelancer, who, name, django_capture_on_commit_callbacks
) -> None:
    c, f, cid = request(api, client_user, freelancer)
    # When the request is declined or withdrawn
    with django_capture_on_commit_callbacks(execute=True):
        resp = (f if who == "freelancer" else c).post(f"contracts/{cid}/{name}")
    # Then the hold is released; the card was never charged
    assert resp.status_code == 200, resp.content
    assert resp.json()["money"]["refunded"]["minor"] == 0
    assert_hold_released(cid, by=name)


def test_the_request_window_expires_through_the_worker_and_voids_the_hold(
    clock, api, client_user, freelancer
) -> None:
    # Given a request made on Wednesday 10:00 (2 working days to answer)
    _, _, cid = request(api, client_user, freelancer)
    # When the worker runs as the window closes
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    # Then the request is cancelled and its hold voided in the ledger; the processor's void
    # is an intent still waiting for its on-commit call (which a test transaction never
    # makes), so the worker makes it once the intent is due
    assert Contract.objects.get(pk=cid).state == "cancelled"
    assert ProviderIntent.objects.get(contract_id=cid).status == "pending"
    assert attempts() == [("authorize", True)]
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    assert_hold_released(cid, by="expire_request")


def test_accept_of_an_expired_hold_ends_the_request_without_fault(
    clock, api, client_user, freelancer, django_capture_on_commit_callbacks
) -> None:
    # Given a request paid with the card whose hold lapses
    _, f, cid = request(api, client_user, freelancer, card=CARD_EXPIRED_HOLD)
    # When the freelancer accepts
    with django_capture_on_commit_callbacks(execute=True):
        resp = f.post(f"contracts/{cid}/accept")
    # Then the call is refused with a stable code, and the request has ended: no fault,
    # the hold released, nothing charged
    body = assert_problem(resp, 409, "hold_expired")
    assert "card hold expired before you accepted" in body["detail"]
    assert (body["state"], body["provider_code"]) == ("cancelled", "authorization_expired")
    capture = PaymentAttempt.objects.get(kind="capture")
    assert (capture.ok, capture.error_code) == (False, "authorization_expired")
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", "expire_hold", "none")
    event = ContractEvent.objects.get(contract_id=cid, name="expire_hold")
    assert (event.actor_role, event.from_state) == ("system", "requested")
    assert ProviderIntent.objects.get(contract_id=cid).status == "done"
    assert balance(escrow(cid)) == 0 and contract_money(contract_id=cid).on_hold == 0
    assert ledger_check() == []
    # And both sides are told, in words
    notes = {n.user_id: n.body for n in Notification.objects.filter(kind="contract.expire_hold")}
    assert "card expired before you accepted" in notes[freelancer.pk]
    assert "No one is at fault" in notes[freelancer.pk]
    assert "Nothing was charged" in notes[client_user.pk]
    # And accepting again is the usual 409 without another capture
    assert_problem(f.post(f"contracts/{cid}/accept"), 409, "transition_not_available")
    assert PaymentAttempt.objects.filter(kind="capture").count() == 1


def test_a_hold_older_than_the_processor_keeps_it_cannot_be_captured(
    clock, api, client_user, freelancer, settings
) -> None:
    # Given holds that last a day, and a request made on Wednesday 10:00
    settings.FAIRLANCE_SANDBOX_HOLD_DAYS = 1
    _, f, cid = request(api, client_user, freelancer)
    # When the freelancer accepts on Thursday 11:00, inside the request window
    clock.shift(timedelta(days=1, hours=1))
    # Then the hold has lapsed: the request ends without fault
    assert_problem(f.post(f"contracts/{cid}/accept"), 409, "hold_expired")
    assert Contract.objects.get(pk=cid).ending == "expire_hold"
    assert ledger_check() == []


def test_a_processor_outage_at_accept_changes_nothing(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a request, and a processor that is down
    _, f, cid = request(api, client_user, freelancer)

    def down(self, **kwargs):
        return ProviderResult(False, None, "processor_unavailable", "The processor is down.")

    monkeypatch.setattr(SandboxProvider, "capture", down)
    # When the freelancer accepts, the answer is a 502 problem
    body = assert_problem(f.post(f"contracts/{cid}/accept"), 502, "payment_provider_error")
    assert body["provider_code"] == "processor_unavailable"
    # Then nothing changed: still requested, the hold open, nothing in escrow
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.last_event_seq, contract.charge_ref) == ("requested", 1, "")
    assert contract_money(contract_id=cid).on_hold == PRICE
    assert not ProviderIntent.objects.exists()
    assert ledger_check() == []
    # And once the processor is back, the same call goes through
    monkeypatch.undo()
    assert f.post(f"contracts/{cid}/accept").status_code == 200
    assert balance(escrow(cid)) == PRICE


def test_withdraw_committing_between_capture_and_accept_ends_refunded(
    clock, api, client_user, freelancer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # Given a request, and a client who withdraws while the processor is capturing the
    # freelancer's accept (after the capture, before accept locks the contract)
    c, f, cid = request(api, client_user, freelancer)
    capture = SandboxProvider.capture

    def capture_while_the_client_withdraws(self, **kwargs):
        result = capture(self, **kwargs)
        assert c.post(f"contracts/{cid}/withdraw").status_code == 200
        return result

    monkeypatch.setattr(SandboxProvider, "capture", capture_while_the_client_withdraws)
    # When the freelancer's accept reaches the contract
    with django_capture_on_commit_callbacks(execute=True):
        resp = f.post(f"contracts/{cid}/accept")
    # Then it is the usual 409, the withdrawal stands, and the money the capture took is
    # refunded to the card through a durable intent
    assert_problem(resp, 409, "transition_not_available")
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", "withdraw", "none")
    captured = PaymentAttempt.objects.get(kind="capture", ok=True)
    undo = ProviderIntent.objects.get(reference=f"contract:{cid}:capture:undo")
    assert (undo.kind, undo.status, undo.payment_ref) == ("refund", "done", captured.provider_ref)
    refund = PaymentAttempt.objects.get(kind="refund", ok=True)
    assert (refund.charge_ref, refund.amount_minor) == (captured.provider_ref, PRICE)
    # The withdrawal's void found the hold captured: done, its capture refunded instead
    void = ProviderIntent.objects.get(kind="void")
    assert (void.status, void.error_code) == ("done", "already_captured")
    # In the ledger the hold was voided, never posted: no money moved at all
    assert entry(f"contract:{cid}:void:2").resolves.reference == f"contract:{cid}:hold"
    assert not JournalEntry.objects.filter(reference=f"contract:{cid}:capture").exists()
    assert balance(escrow(cid)) == 0
    assert ledger_check() == []
    # And the worker later finds nothing left to give back
    from django.utils import timezone

    from fairlance.contracts.services import purchase_charges_reconcile
    from fairlance.core.idempotency import idempotency_lease

    later = timezone.now() + idempotency_lease() + timedelta(minutes=1)
    assert purchase_charges_reconcile(now=later) == 0
    assert PaymentAttempt.objects.filter(kind="refund").count() == 1


def test_a_double_click_on_accept_keeps_the_capture_the_contract_posted(
    clock, api, client_user, freelancer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # Given a request, and a freelancer who clicks Accept twice: the second click lands
    # while the first is between its capture and its transition. Both passed the check;
    # the second click's capture has the contract's reference, so the processor replays
    # the first's capture; the second click then commits the accept first.
    _, f, cid = request(api, client_user, freelancer)
    capture = LoggedProvider.capture
    second: list[Any] = []

    def capture_then_the_second_click_lands(self, **kwargs):
        result = capture(self, **kwargs)
        if not second:
            second.append(None)
            second[0] = f.post(f"contracts/{cid}/accept")
        return result

    monkeypatch.setattr(LoggedProvider, "capture", capture_then_the_second_click_lands)
    # When the first click's transition reaches the contract
    with django_capture_on_commit_callbacks(execute=True):
        first = f.post(f"contracts/{cid}/accept")
    # Then the second click accepted, and the first is the usual 409
    assert second[0].status_code == 200, second[0].content
    assert_problem(first, 409, "transition_not_available")
    # And the capture the contract posted into escrow stays taken: no refund was decided
    # or made, and the card agrees with the ledger
    (captured,) = PaymentAttempt.objects.filter(kind="capture", ok=True)
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.charge_ref) == ("in_progress", captured.provider_ref)
    assert not ProviderIntent.objects.exists()
    assert not PaymentAttempt.objects.filter(kind="refund").exists()
    assert balance(escrow(cid)) == PRICE
    money = contract_money(contract_id=cid)
    assert (money.paid_in, money.refunded, money.held) == (PRICE, 0, PRICE)
    assert ledger_check() == []
    # And the worker later finds nothing to give back either
    from django.utils import timezone

    from fairlance.contracts.services import purchase_charges_reconcile
    from fairlance.core.idempotency import idempotency_lease

    later = timezone.now() + idempotency_lease() + timedelta(minutes=1)
    assert purchase_charges_reconcile(now=later) == 0


def test_the_api_shows_the_card_hold_in_the_contracts_money(
    clock, api, client_user, freelancer, operator, stranger
) -> None:
    # Given a request: the card is held, nothing is charged
    c, f, cid = request(api, client_user, freelancer)
    # Then everyone who may read the contract sees the hold in its money, apart from what
    # the ledger took (nothing yet)
    for reader in (c, f, api(operator)):
        money = reader.get(f"contracts/{cid}").json()["money"]
        assert money["on_hold"] == {"minor": PRICE, "display": PRICE_WORDS}
        assert money["paid_in"]["minor"] == money["held"]["minor"] == 0
        assert money["client_pays"]["minor"] == PRICE
    assert_problem(api(stranger).get(f"contracts/{cid}"), 404, "not_found")
    assert_problem(api().get(f"contracts/{cid}"), 401)
    # When the freelancer accepts, the hold becomes money in escrow
    money = f.post(f"contracts/{cid}/accept").json()["money"]
    assert money["on_hold"]["minor"] == 0
    assert money["paid_in"]["minor"] == money["held"]["minor"] == PRICE
    # And the OpenAPI document describes the member
    schemas = api().get("openapi.json").json()["components"]["schemas"]
    on_hold = schemas["ContractMoneyOut"]["properties"]["on_hold"]
    assert "held on the client's card and not charged" in on_hold["description"]
    assert "see on_hold" in schemas["ContractMoneyOut"]["properties"]["client_pays"]["description"]


def test_who_may_accept_a_request(clock, api, client_user, freelancer, stranger, operator) -> None:
    # Given a request
    c, f, cid = request(api, client_user, freelancer)
    # Then only its freelancer may accept: the client and an operator are refused, a
    # stranger and an anonymous caller learn nothing, and none of them reaches the processor
    assert_problem(c.post(f"contracts/{cid}/accept"), 403, "not_your_transition")
    assert_problem(api(operator).post(f"contracts/{cid}/accept"), 403, "not_your_transition")
    assert_problem(api(stranger).post(f"contracts/{cid}/accept"), 404, "not_found")
    assert_problem(api().post(f"contracts/{cid}/accept"), 401)
    assert attempts() == [("authorize", True)]
    assert f.post(f"contracts/{cid}/accept").status_code == 200


def test_a_retried_accept_with_its_key_captures_once(clock, api, client_user, freelancer) -> None:
    _, f, cid = request(api, client_user, freelancer)
    first = f.post(f"contracts/{cid}/accept", **{"Idempotency-Key": "accept-1"})
    again = f.post(f"contracts/{cid}/accept", **{"Idempotency-Key": "accept-1"})
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentAttempt.objects.filter(kind="capture").count() == 1


# --- requests opened before requests held the card -------------------------------------------


def legacy_request(api: Any, client_user: Any, freelancer: Any) -> int:
    """A request made through the API as before requests held the card (see
    ``request_charged_up_front``); returns its id."""
    cid = request_charged_up_front(lambda: request(api, client_user, freelancer)[2])
    # The shape: requested, the whole price in escrow from that charge, no card hold
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.authorization_ref) == ("requested", "")
    assert contract.charge_ref == PaymentAttempt.objects.get(kind="charge", ok=True).provider_ref
    assert not JournalEntry.objects.filter(contract_id=cid, phase="pending").exists()
    assert entry(f"contract:{cid}:capture").phase == "posted"
    money = contract_money(contract_id=cid)
    assert (money.paid_in, money.held, money.on_hold) == (PRICE, PRICE, 0)
    return cid


def assert_legacy_refunded(cid: int, *, by: str, intent_status: str = "done") -> None:
    """The legacy request ended by ``by``: no fault, its escrow refunded in full to the
    charge, as such requests always were."""
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", by, "none")
    intent = ProviderIntent.objects.get(contract_id=cid)
    assert (intent.kind, intent.status, intent.amount_minor) == ("refund", intent_status, PRICE)
    assert intent.payment_ref == contract.charge_ref
    assert JournalEntry.objects.filter(reference=intent.reference, phase="posted").exists()
    assert balance(escrow(cid)) == 0
    money = contract_money(contract_id=cid)
    assert (money.paid_in, money.refunded, money.held) == (PRICE, PRICE, 0)
    assert not PaymentAttempt.objects.filter(kind__in=("capture", "void")).exists()
    assert ledger_check() == []


def test_a_request_charged_before_holds_is_accepted_without_a_capture(
    clock, api, client_user, freelancer
) -> None:
    # Given a request made before requests held the card: the ledger check accepts it
    cid = legacy_request(api, client_user, freelancer)
    charge_ref = Contract.objects.get(pk=cid).charge_ref
    assert ledger_check() == []
    # When the freelancer accepts
    resp = api(freelancer).post(f"contracts/{cid}/accept")
    # Then work starts on the money already in escrow: the processor is not asked for
    # anything, and refunds still name the original charge
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "in_progress"
    assert resp.json()["money"]["paid_in"]["minor"] == PRICE
    contract = Contract.objects.get(pk=cid)
    assert contract.charge_ref == charge_ref and contract.delivery_due_at is not None
    assert attempts() == [("charge", True)]
    assert balance(escrow(cid)) == PRICE
    assert ledger_check() == []


@pytest.mark.parametrize(("who", "name"), [("freelancer", "decline"), ("client", "withdraw")])
def test_a_request_charged_before_holds_is_refunded_when_declined_or_withdrawn(
    clock, api, client_user, freelancer, who, name, django_capture_on_commit_callbacks
) -> None:
    cid = legacy_request(api, client_user, freelancer)
    # When the request is declined or withdrawn
    with django_capture_on_commit_callbacks(execute=True):
        resp = api(freelancer if who == "freelancer" else client_user).post(
            f"contracts/{cid}/{name}"
        )
    # Then its escrow goes back to the card it was charged to, in full
    assert resp.status_code == 200, resp.content
    assert resp.json()["money"]["refunded"]["minor"] == PRICE
    assert_legacy_refunded(cid, by=name)
    refund = PaymentAttempt.objects.get(kind="refund", ok=True)
    assert (refund.charge_ref, refund.amount_minor) == (
        Contract.objects.get(pk=cid).charge_ref,
        PRICE,
    )
    # And a declined client is told their payment was refunded, not that a hold was released
    if name == "decline":
        note = Notification.objects.get(kind="contract.decline", user_id=client_user.pk)
        assert f"The {PRICE_WORDS} you paid is refunded to your card" in note.body
        assert "nothing was charged" not in note.body


def test_a_request_charged_before_holds_expires_through_the_worker_and_is_refunded(
    clock, api, client_user, freelancer
) -> None:
    # Given a request made before requests held the card, on Wednesday 10:00
    cid = legacy_request(api, client_user, freelancer)
    # When the worker runs as the request window closes
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    # Then the request is cancelled and its escrow refunded in the ledger; the card's refund
    # waits for its intent to be due (no on-commit call in a test transaction)
    assert_legacy_refunded(cid, by="expire_request", intent_status="pending")
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    assert_legacy_refunded(cid, by="expire_request")
    assert PaymentAttempt.objects.filter(kind="refund", ok=True).count() == 1
    note = Notification.objects.get(kind="contract.expire_request", user_id=client_user.pk)
    assert f"The {PRICE_WORDS} you paid is refunded to your card" in note.body


def test_the_ledger_check_still_flags_a_request_charged_up_front_that_lost_its_shape(
    clock, api, client_user, freelancer
) -> None:
    from fairlance.ledger.accounts import WORLD
    from fairlance.ledger.services import Move, ledger_hold, ledger_post

    cid = legacy_request(api, client_user, freelancer)
    # When, behind the lifecycle's back, part of its escrow leaves, a card hold appears and
    # the contract forgets its charge
    ledger_post(
        reference="stray-refund",
        memo="",
        postings=[Move(escrow(cid), WORLD, 2_500)],
        contract_id=cid,
    )
    ledger_hold(
        reference="stray-hold", memo="", postings=[Move(WORLD, escrow(cid), PRICE)], contract_id=cid
    )
    Contract.objects.filter(pk=cid).update(charge_ref="")
    # Then the check reports each
    where = f"contract {cid} is requested, charged up front,"
    assert ledger_check() == [
        f"{where} with 1 open card holds (expected 0)",
        f"{where} but its escrow holds {PRICE - 2_500} (expected {PRICE})",
        f"{where} but names no charge",
    ]
