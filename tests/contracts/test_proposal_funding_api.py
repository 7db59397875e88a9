"""Change orders that raise what the client pays: an added milestone is charged to the
client's card before it takes effect (issue 12 item 3, decision 0019).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.contracts import proposals
from fairlance.contracts.models import Contract, ContractEvent, Milestone, Proposal
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from fairlance.payments.provider import (
    CARD_DECLINED,
    CARD_EXPIRED_HOLD,
    CARD_INSUFFICIENT_FUNDS,
    SandboxProvider,
)
from tests.conftest import assert_problem
from tests.contracts.conftest import PRICE, START
from tests.contracts.test_proposals_api import running, snapshot

GOOD_CARD = "4242 4242 4242 4242"
ADDED = 5_000
BODY = {
    "kind": "add_milestone",
    "title": "Ten more pages",
    "amount_minor": ADDED,
    "delivery_days": 4,
    "note": "The extra chapters you asked for.",
}


RAISED = 7_000
KINDS = ["add_milestone", "change_price"]
# What accepting each kind charges the client (no client fee in the default policy).
PAYS = {"add_milestone": ADDED, "change_price": RAISED - ADDED}


def offer(api: Any, freelancer: Any, cid: int, kind: str = "add_milestone") -> dict[str, Any]:
    """The freelancer's proposal of ``kind``; for ``change_price`` (of milestone 2, not
    started), a second milestone is added and paid for first."""
    body: dict[str, Any] = BODY
    if kind == "change_price":
        contract = Contract.objects.get(pk=cid)
        added = offer(api, freelancer, cid)
        assert accept(api, contract.client, added["id"], key="setup").status_code == 200
        body = {"kind": "change_price", "milestone": 2, "amount_minor": RAISED}
    r = api(freelancer).post(f"contracts/{cid}/proposals", body)
    assert r.status_code == 201, r.content
    return dict(r.json())


def accept(api: Any, user: Any, pid: int, card: str | None = GOOD_CARD, key: str = "k1") -> Any:
    body = {} if card is None else {"card_number": card}
    return api(user).post(f"proposals/{pid}/accept", body, **{"Idempotency-Key": key})


def charges(pid: int) -> list[PaymentAttempt]:
    return list(
        PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.CHARGE, reference=proposals.charge_reference(pid)
        )
    )


def funded(cid: int) -> dict[str, Any]:
    """What a charge could change: money, milestones, price, the proposal's status."""
    contract = Contract.objects.get(pk=cid)
    return {
        "escrow": balance(escrow(cid)),
        "price": contract.price_minor,
        "milestones": list(
            Milestone.objects.filter(contract_id=cid).values_list("position", "state")
        ),
        "entries": JournalEntry.objects.filter(contract_id=cid).count(),
        "proposals": list(Proposal.objects.filter(contract_id=cid).values_list("id", "status")),
    }


def test_the_client_pays_the_added_milestone_on_accepting(
    clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid)
    # The card shows what accepting costs the client
    assert made["client_pays_minor"] == ADDED
    assert made["fields"] == {
        "title": "Ten more pages",
        "amount_minor": ADDED,
        "delivery_days": 4,
        "note": "The extra chapters you asked for.",
    }
    # When the client accepts with their card
    r = accept(api, client_user, made["id"])
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    # Then the card was charged once, and escrow grew by exactly that in one entry
    (charge,) = charges(made["id"])
    assert (charge.ok, charge.amount_minor) == (True, ADDED)
    assert balance(escrow(cid)) == PRICE + ADDED
    entry = JournalEntry.objects.get(reference=f"contract:{cid}:capture:2")
    assert entry.contract_id == cid
    # And the milestone comes last, funded, the contract's price raised
    contract = Contract.objects.get(pk=cid)
    assert (contract.price_minor, contract.fee_minor, contract.state) == (
        PRICE + ADDED,
        (PRICE + ADDED) // 10,
        "in_progress",
    )
    second = Milestone.objects.get(contract_id=cid, position=1)
    assert (second.title, second.amount_minor, second.delivery_days, second.state) == (
        "Ten more pages",
        ADDED,
        4,
        "funded",
    )
    assert ledger_check() == []
    # And both milestones are delivered, approved and released in order: escrow ends at zero
    for _ in range(2):
        assert api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Done"}).status_code == 200
        assert api(client_user).post(f"contracts/{cid}/approve").status_code == 200
    contract.refresh_from_db()
    assert contract.state == "completed"
    assert balance(escrow(cid)) == 0
    assert balance(freelancer_pending(freelancer.pk)) == (PRICE + ADDED) * 9 // 10
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount_minor", 0), ("delivery_days", 0), ("delivery_days", 366), ("title", "")],
)
def test_a_bad_milestone_is_refused(field, value, clock, api, freelancer, client_user) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    r = api(freelancer).post(f"contracts/{cid}/proposals", {**BODY, field: value})
    assert r.status_code in (400, 422), r.content
    assert snapshot(cid) == before


@pytest.mark.parametrize(
    ("card", "status", "code"),
    [
        (CARD_DECLINED, 402, "card_declined"),
        (CARD_INSUFFICIENT_FUNDS, 402, "insufficient_funds"),
        ("4242 4242 4242 4241", 422, None),
        (None, 422, None),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_card_changes_nothing(
    kind, card, status, code, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    escrowed = balance(escrow(cid))
    before = snapshot(cid)
    assert_problem(accept(api, client_user, made["id"], card), status, code)
    # The proposal is still open, the contract as it was, nothing charged
    assert snapshot(cid) == before
    assert not [c for c in charges(made["id"]) if c.ok]
    # And the client may accept it with another card
    assert accept(api, client_user, made["id"], key="k2").status_code == 200
    assert balance(escrow(cid)) == escrowed + PAYS[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_a_replayed_accept_charges_once(kind, clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    escrowed = balance(escrow(cid))
    first = accept(api, client_user, made["id"])
    again = accept(api, client_user, made["id"])
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    # The same key with another card is a different request
    assert_problem(accept(api, client_user, made["id"], "5555 5555 5555 4444"), 422)
    # A new key finds the proposal answered, before any charge
    assert_problem(accept(api, client_user, made["id"], key="k3"), 409, "proposal_not_open")
    assert len([c for c in charges(made["id"]) if c.ok]) == 1
    assert balance(escrow(cid)) == escrowed + PAYS[kind]
    assert ledger_check() == []


def test_a_double_click_keeps_its_one_charge(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    """Two accepts with different keys both reach the processor (the second answered with
    the first's charge); the one refused must not refund what the accepted one booked."""
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid)
    real = SandboxProvider.charge
    seconds: list[Any] = []

    def charge_then_accept_again(self: Any, **kwargs: Any) -> Any:
        result = real(self, **kwargs)
        if not seconds:
            seconds.append(None)  # the second click's own charge does not click again
            seconds[0] = accept(api, client_user, made["id"], key="k2")
        return result

    monkeypatch.setattr(SandboxProvider, "charge", charge_then_accept_again)
    first = accept(api, client_user, made["id"])
    assert_problem(first, 409, "proposal_not_open")
    assert seconds[0].status_code == 200
    assert not ProviderIntent.objects.filter(kind="refund").exists()
    assert balance(escrow(cid)) == PRICE + ADDED
    assert ledger_check() == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["decline", "withdraw"])
def test_declined_or_withdrawn_charges_nothing(
    how, kind, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    before = funded(cid)
    who = client_user if how == "decline" else freelancer
    r = api(who).post(f"proposals/{made['id']}/{how}")
    assert r.status_code == 200, r.content
    after = funded(cid)
    status = {"decline": "declined", "withdraw": "withdrawn"}[how]
    assert after == {**before, "proposals": [*before["proposals"][:-1], (made["id"], status)]}
    assert charges(made["id"]) == []
    assert_problem(accept(api, client_user, made["id"]), 409, "proposal_not_open")
    assert charges(made["id"]) == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_unanswered_increase_expires_uncharged(
    kind, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    before = funded(cid)
    clock.move_to(START + timedelta(days=5, seconds=1))
    call_command("worker", "--once", verbosity=0)
    assert Proposal.objects.get(pk=made["id"]).status == "expired"
    assert funded(cid) == {
        **before,
        "proposals": [*before["proposals"][:-1], (made["id"], "expired")],
    }
    assert_problem(accept(api, client_user, made["id"]), 409, "proposal_not_open")
    assert charges(made["id"]) == []


# (who acts, status, code) accepting the freelancer's added milestone, with a good card
WRONG_PARTY = [
    ("freelancer", 403, "not_your_proposal"),
    ("operator", 403, "not_your_transition"),
    ("stranger", 404, None),
    ("anonymous", 401, None),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("who", "status", "code"), WRONG_PARTY)
def test_only_the_client_accepts_and_pays(
    who, status, code, kind, clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    users = {"freelancer": freelancer, "operator": operator, "stranger": stranger}
    before = snapshot(cid)
    caller = api(users[who]) if who != "anonymous" else api()
    r = caller.post(
        f"proposals/{made['id']}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "k"}
    )
    assert_problem(r, status, code)
    assert snapshot(cid) == before
    assert charges(made["id"]) == []


def test_a_cancellation_accepted_meanwhile_refunds_the_charge(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    """The client's card is charged, then the contract ends by a cancellation accepted a
    moment earlier: the accept is refused and the charge goes back to the card."""
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid)
    r = api(client_user).post(
        f"contracts/{cid}/proposals",
        {"kind": "cancel", "percent_to_freelancer": 0, "note": "Let us stop."},
    )
    cancel_id = r.json()["id"]
    real = SandboxProvider.charge

    def charge_then_cancel(self: Any, **kwargs: Any) -> Any:
        result = real(self, **kwargs)
        ok = api(freelancer).post(f"proposals/{cancel_id}/accept", {}, **{"Idempotency-Key": "c"})
        assert ok.status_code == 200, ok.content
        return result

    monkeypatch.setattr(SandboxProvider, "charge", charge_then_cancel)
    assert_problem(accept(api, client_user, made["id"]), 409, "transition_not_available")
    contract = Contract.objects.get(pk=cid)
    assert contract.state == "cancelled"
    assert balance(escrow(cid)) == 0
    (charge,) = [c for c in charges(made["id"]) if c.ok]
    refund = ProviderIntent.objects.get(reference=f"proposal:{made['id']}:charge:undo")
    assert (refund.kind, refund.payment_ref, refund.amount_minor) == (
        "refund",
        charge.provider_ref,
        ADDED,
    )
    # The processor is called once the refusal committed (the worker retries it)
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    refund.refresh_from_db()
    assert refund.status == "done"
    assert PaymentAttempt.objects.filter(kind="refund", charge_ref=charge.provider_ref, ok=True)
    assert not Milestone.objects.filter(contract_id=cid, position=1).exists()
    assert ledger_check() == []


def test_the_client_pays_a_raised_price_on_accepting(clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, "change_price")
    assert made["client_pays_minor"] == RAISED - ADDED
    assert made["fields"] == {"milestone": 2, "amount_minor": RAISED, "note": ""}
    r = accept(api, client_user, made["id"])
    assert r.status_code == 200, r.content
    # The difference was charged and booked in one entry; the milestone costs the new price
    (charge,) = charges(made["id"])
    assert (charge.ok, charge.amount_minor) == (True, RAISED - ADDED)
    assert balance(escrow(cid)) == PRICE + RAISED
    assert JournalEntry.objects.filter(reference__startswith=f"contract:{cid}:capture:2:raise:")
    assert Milestone.objects.get(contract_id=cid, position=1).amount_minor == RAISED
    assert Contract.objects.get(pk=cid).price_minor == PRICE + RAISED
    # The answered proposal still says what it charged
    listed = api(client_user).get(f"contracts/{cid}/proposals").json()["results"]
    assert [p["client_pays_minor"] for p in listed if p["id"] == made["id"]] == [RAISED - ADDED]
    # And the two milestones release all of it
    for _ in range(2):
        assert api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Done"}).status_code == 200
        assert api(client_user).post(f"contracts/{cid}/approve").status_code == 200
    assert balance(escrow(cid)) == 0
    assert balance(freelancer_pending(freelancer.pk)) == (PRICE + RAISED) * 9 // 10
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        # being worked on
        ({"milestone": 1, "amount_minor": 20_000}, 409, "milestone_started", None),
        # no such milestone (yet)
        ({"milestone": 3, "amount_minor": 20_000}, 409, "no_such_milestone", None),
        # not a raise
        ({"milestone": 2, "amount_minor": ADDED}, 422, "invalid_input", "amount_minor"),
    ],
)
def test_only_a_milestone_not_started_gets_a_higher_price(
    body, status, code, field, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    added = offer(api, freelancer, cid)
    assert accept(api, client_user, added["id"]).status_code == 200
    before = snapshot(cid)
    r = api(freelancer).post(f"contracts/{cid}/proposals", {"kind": "change_price", **body})
    problem = assert_problem(r, status, code)
    if field:
        assert [e["field"] for e in problem["errors"]] == [field]
    assert snapshot(cid) == before


def test_a_raise_of_a_milestone_started_meanwhile_is_refused_uncharged(
    clock, api, client_user, freelancer
) -> None:
    """The client approves milestone 1 (so work on 2 starts) while a raise of milestone 2
    is open: accepting it is refused before the card is charged."""
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, "change_price")
    assert api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Done"}).status_code == 200
    assert api(client_user).post(f"contracts/{cid}/approve").status_code == 200
    before = snapshot(cid)
    assert_problem(accept(api, client_user, made["id"]), 409, "milestone_started")
    assert snapshot(cid) == before
    assert charges(made["id"]) == []


def test_a_later_refund_gives_back_to_each_charge(clock, api, client_user, freelancer) -> None:
    """The client paid the contract with two charges (the purchase, the added milestone):
    ending it with everything back refunds each charge what it took, and the processor
    accepts both (none is asked for more than it charged)."""
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid)
    assert accept(api, client_user, made["id"]).status_code == 200
    r = api(client_user).post(
        f"contracts/{cid}/proposals",
        {"kind": "cancel", "percent_to_freelancer": 0, "note": "Let us stop."},
    )
    ok = api(freelancer).post(f"proposals/{r.json()['id']}/accept", {}, **{"Idempotency-Key": "c"})
    assert ok.status_code == 200, ok.content
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    (charge,) = charges(made["id"])
    refunds = dict(
        ProviderIntent.objects.filter(contract_id=cid, kind="refund").values_list(
            "payment_ref", "amount_minor"
        )
    )
    assert refunds == {contract.charge_ref: PRICE, charge.provider_ref: ADDED}
    assert set(ProviderIntent.objects.filter(contract_id=cid).values_list("status", flat=True)) == {
        "done"
    }
    assert balance(escrow(cid)) == 0
    assert ledger_check() == []


@pytest.mark.parametrize("kind", KINDS)
def test_with_fees_the_client_pays_their_fee_and_escrow_settles_to_zero(
    kind, clock, api, client_user, freelancer
) -> None:
    from fairlance.core.models import PolicyVersion
    from fairlance.core.policy import DEFAULT_POLICY
    from fairlance.ledger.accounts import PLATFORM_FEES

    # Given contracts made under fees on both sides: 5% from the client, 15% from the freelancer
    values = {**DEFAULT_POLICY.values(), "client_fee_bp": 500, "freelancer_fee_bp": 1500}
    PolicyVersion.objects.create(version=2, values=values, note="fees")
    cid = running(api, client_user, freelancer)
    made = offer(api, freelancer, cid, kind)
    escrowed = balance(escrow(cid))
    # The client pays the price (or the difference) and 5% on it
    pays = {"add_milestone": 5_250, "change_price": 2_100}[kind]
    assert made["client_pays_minor"] == pays
    assert accept(api, client_user, made["id"]).status_code == 200
    assert balance(escrow(cid)) == escrowed + pays
    # And both milestones release everything: the freelancer gets 85% of the price, the
    # platform both fees, and nothing stays in escrow
    for _ in range(2):
        assert api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Done"}).status_code == 200
        assert api(client_user).post(f"contracts/{cid}/approve").status_code == 200
    total = PRICE + (ADDED if kind == "add_milestone" else RAISED)
    contract = Contract.objects.get(pk=cid)
    assert contract.price_minor == total
    assert balance(escrow(cid)) == 0
    assert balance(freelancer_pending(freelancer.pk)) == total - total * 15 // 100
    assert balance(PLATFORM_FEES) == total * 15 // 100 + total * 5 // 100
    assert ledger_check() == []


# --- an increase the client proposes: held on their card until the freelancer answers ------


def ready(api: Any, client_user: Any, freelancer: Any, kind: str) -> int:
    """A running contract; for ``change_price``, with the freelancer's added milestone 2
    accepted and paid for first (a milestone not started whose price can rise)."""
    cid = running(api, client_user, freelancer)
    if kind == "change_price":
        added = offer(api, freelancer, cid)
        assert accept(api, client_user, added["id"], key="setup").status_code == 200
    return cid


def client_offer(api: Any, client_user: Any, cid: int, kind: str, card: str = GOOD_CARD) -> Any:
    """The client's proposal of ``kind`` with ``card``."""
    body: dict[str, Any] = BODY
    if kind == "change_price":
        body = {"kind": "change_price", "milestone": 2, "amount_minor": RAISED}
    return api(client_user).post(f"contracts/{cid}/proposals", {**body, "card_number": card})


def held(api: Any, client_user: Any, cid: int, kind: str) -> Proposal:
    r = client_offer(api, client_user, cid, kind)
    assert r.status_code == 201, r.content
    assert r.json()["client_pays_minor"] == PAYS[kind]
    return Proposal.objects.get(pk=r.json()["id"])


def attempts(kind: str, on: str) -> list[tuple[bool, int]]:
    return list(
        PaymentAttempt.objects.filter(kind=kind, charge_ref=on).values_list("ok", "amount_minor")
    )


def run_intents(clock: Any) -> None:
    """The worker carries out intents due (recorded ones wait for their commit or retry)."""
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)


@pytest.mark.parametrize("kind", KINDS)
def test_the_client_proposes_an_increase_held_until_the_freelancer_accepts(
    kind, clock, api, client_user, freelancer
) -> None:
    cid = ready(api, client_user, freelancer, kind)
    before = funded(cid)
    proposal = held(api, client_user, cid, kind)
    # The card is held for what the client would pay, under the proposal's own token
    (hold,) = PaymentAttempt.objects.filter(
        kind="authorize", reference=proposals.hold_reference(proposal.hold_token)
    )
    assert (hold.ok, hold.amount_minor, hold.provider_ref) == (True, PAYS[kind], proposal.hold_ref)
    assert (proposal.proposed_by, proposal.held_minor) == ("client", PAYS[kind])
    # And no money moved: escrow, milestones and the ledger are as they were
    assert funded(cid) == {**before, "proposals": [*before["proposals"], (proposal.pk, "open")]}
    # When the freelancer accepts
    r = accept(api, freelancer, proposal.pk, card=None)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    # Then the hold is captured once, and escrow grows by exactly that in one entry
    assert attempts("capture", proposal.hold_ref) == [(True, PAYS[kind])]
    assert balance(escrow(cid)) == before["escrow"] + PAYS[kind]
    assert JournalEntry.objects.filter(contract_id=cid).count() == before["entries"] + 1
    second = Milestone.objects.get(contract_id=cid, position=1)
    assert (second.state, second.amount_minor) == (
        "funded",
        ADDED if kind == "add_milestone" else RAISED,
    )
    if kind == "add_milestone":
        assert JournalEntry.objects.filter(reference=f"contract:{cid}:capture:2").exists()
    proposal.refresh_from_db()
    assert (proposal.charged_minor, proposal.charge_ref) == (
        PAYS[kind],
        PaymentAttempt.objects.get(kind="capture", charge_ref=proposal.hold_ref).provider_ref,
    )
    assert attempts("void", proposal.hold_ref) == []
    assert ledger_check() == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["decline", "withdraw", "expire", "cancel"])
def test_a_client_increase_closed_unaccepted_voids_the_hold(
    how, kind, clock, api, client_user, freelancer
) -> None:
    cid = ready(api, client_user, freelancer, kind)
    proposal = held(api, client_user, cid, kind)
    before = funded(cid)
    if how == "expire":
        clock.move_to(START + timedelta(days=5, seconds=1))
        call_command("worker", "--once", verbosity=0)
        status = "expired"
    elif how == "cancel":
        # The contract ends by agreement while the increase is open
        r = api(freelancer).post(
            f"contracts/{cid}/proposals",
            {"kind": "cancel", "percent_to_freelancer": 0, "note": "Let us stop."},
        )
        ok = api(client_user).post(
            f"proposals/{r.json()['id']}/accept", {}, **{"Idempotency-Key": "c"}
        )
        assert ok.status_code == 200, ok.content
        status = "withdrawn"
    else:
        who = freelancer if how == "decline" else client_user
        r = api(who).post(f"proposals/{proposal.pk}/{how}")
        assert r.status_code == 200, r.content
        status = {"decline": "declined", "withdraw": "withdrawn"}[how]
    proposal.refresh_from_db()
    assert proposal.status == status
    void = ProviderIntent.objects.get(payment_ref=proposal.hold_ref)
    assert (void.kind, void.amount_minor) == ("void", PAYS[kind])
    # The processor releases it once the decision committed (the worker retries it)
    run_intents(clock)
    void.refresh_from_db()
    assert void.status == "done"
    assert attempts("void", proposal.hold_ref) == [(True, PAYS[kind])]
    assert attempts("capture", proposal.hold_ref) == []
    if how != "cancel":
        # Nothing of the increase reached the ledger or the milestones
        assert funded(cid) == {
            **before,
            "proposals": [*before["proposals"][:-1], (proposal.pk, status)],
        }
    # An ended contract takes no transition at all; a running one, no answer to a closed one
    refusal = "transition_not_available" if how == "cancel" else "proposal_not_open"
    assert_problem(accept(api, freelancer, proposal.pk, card=None), 409, refusal)
    assert attempts("capture", proposal.hold_ref) == []
    assert ledger_check() == []


@pytest.mark.parametrize("card", [CARD_DECLINED, CARD_INSUFFICIENT_FUNDS])
def test_a_refused_card_stores_no_client_increase(
    card, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    r = client_offer(api, client_user, cid, "add_milestone", card=card)
    assert_problem(r, 402)
    assert snapshot(cid) == before
    assert not PaymentAttempt.objects.filter(kind="authorize", ok=True).exists()
    assert not ProviderIntent.objects.exists()


def test_a_client_increase_needs_a_valid_card(clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    r = api(client_user).post(f"contracts/{cid}/proposals", BODY)
    assert_problem(r, 422, "invalid_input")
    assert snapshot(cid) == before
    assert not PaymentAttempt.objects.filter(kind="authorize").exists()


def test_a_client_increase_refused_after_the_hold_voids_it(
    clock, api, client_user, freelancer
) -> None:
    """One of the kind is open already: the second is refused after its card was held,
    and that hold is released at once."""
    cid = running(api, client_user, freelancer)
    first = held(api, client_user, cid, "add_milestone")
    before = snapshot(cid)
    r = client_offer(api, client_user, cid, "add_milestone")
    assert_problem(r, 409, "proposal_already_open")
    assert snapshot(cid) == before
    (hold,) = PaymentAttempt.objects.filter(kind="authorize", ok=True).exclude(
        provider_ref=first.hold_ref
    )
    assert attempts("void", hold.provider_ref or "") == [(True, ADDED)]
    assert attempts("void", first.hold_ref) == []


def test_a_lapsed_hold_declines_the_client_increase(clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    r = client_offer(api, client_user, cid, "add_milestone", card=CARD_EXPIRED_HOLD)
    assert r.status_code == 201, r.content
    proposal = Proposal.objects.get(pk=r.json()["id"])
    before = funded(cid)
    r = accept(api, freelancer, proposal.pk, card=None)
    assert_problem(r, 402, "authorization_expired")
    # The contract is unchanged; the proposal is closed as declined, which tells both sides
    assert funded(cid) == {
        **before,
        "proposals": [*before["proposals"][:-1], (proposal.pk, "declined")],
    }
    assert ContractEvent.objects.filter(contract_id=cid, name="decline_proposal").exists()
    run_intents(clock)
    assert attempts("void", proposal.hold_ref) == [(True, ADDED)]
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("client", 403, "not_your_proposal"),
        ("operator", 403, "not_your_transition"),
        ("stranger", 404, None),
        ("anonymous", 401, None),
    ],
)
def test_only_the_freelancer_accepts_a_client_increase(
    who, status, code, clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    proposal = held(api, client_user, cid, "add_milestone")
    users = {"client": client_user, "operator": operator, "stranger": stranger}
    before = snapshot(cid)
    caller = api(users[who]) if who != "anonymous" else api()
    r = caller.post(f"proposals/{proposal.pk}/accept", {}, **{"Idempotency-Key": "k"})
    assert_problem(r, status, code)
    assert snapshot(cid) == before
    assert attempts("capture", proposal.hold_ref) == []


@pytest.mark.parametrize(
    ("who", "status"), [("operator", 403), ("stranger", 404), ("anonymous", 401)]
)
def test_only_a_party_proposes_a_held_increase(
    who, status, clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    users = {"operator": operator, "stranger": stranger}
    caller = api(users[who]) if who != "anonymous" else api()
    r = caller.post(f"contracts/{cid}/proposals", {**BODY, "card_number": GOOD_CARD})
    assert_problem(r, status)
    assert snapshot(cid) == before
    assert not PaymentAttempt.objects.filter(kind="authorize").exists()
