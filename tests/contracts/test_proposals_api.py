"""Change orders and mutual cancellation through the API (SPEC section 4, issue 12).

Every kind is accepted, declined, withdrawn and left to expire; every wrong party and
wrong state is answered with a problem document and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.contracts.deadlines import freelancer_spec
from fairlance.contracts.models import Contract, ContractEvent, Proposal, Timer
from fairlance.core.workdays import working_days_after
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.notifications.models import Notification
from tests.conftest import assert_problem
from tests.contracts.conftest import FEE, PRICE, START, buy, make_project

BODIES: dict[str, dict[str, Any]] = {
    "extend_deadline": {"kind": "extend_deadline", "days": 3, "note": "The brand book is late."},
    "add_revisions": {"kind": "add_revisions", "revisions": 2},
    "reduce_scope": {"kind": "reduce_scope", "amount_minor": 2_000, "note": "One sketch only."},
    "cancel": {"kind": "cancel", "percent_to_freelancer": 30, "note": "We part as friends."},
}
KINDS = sorted(BODIES)
OTHER = {"client": "freelancer", "freelancer": "client"}


def running(api: Any, client_user: Any, freelancer: Any) -> int:
    """A contract in progress (no questions: work starts at purchase), 1 revision."""
    project = make_project(freelancer, questions=False, delivery_days=5)
    return int(buy(api(client_user), project).json()["id"])


def _people(client_user: Any, freelancer: Any) -> dict[str, Any]:
    return {"client": client_user, "freelancer": freelancer}


def propose(api: Any, user: Any, cid: int, kind: str) -> dict[str, Any]:
    r = api(user).post(f"contracts/{cid}/proposals", BODIES[kind])
    assert r.status_code == 201, r.content
    return dict(r.json())


def snapshot(cid: int) -> dict[str, Any]:
    """Every row a proposal could touch, to show that a refused call changed nothing."""
    contract = Contract.objects.filter(pk=cid).values().get()
    return {
        "contract": contract,
        "proposals": list(Proposal.objects.filter(contract_id=cid).values()),
        "events": ContractEvent.objects.filter(contract_id=cid).count(),
        "timers": list(Timer.objects.filter(contract_id=cid).values("id", "status")),
        "ledger": JournalEntry.objects.filter(contract_id=cid).count(),
    }


# --- accept: what each kind does -------------------------------------------------------------


def _extended(before: Contract, after: Contract) -> None:
    assert before.delivery_due_at is not None
    expected = working_days_after(freelancer_spec(after), before.delivery_due_at, 3)
    assert after.delivery_due_at == expected > before.delivery_due_at
    assert after.state == "in_progress"
    assert Timer.objects.get(contract=after, transition="mark_late", status="pending").fire_at == (
        expected
    )


def _more_revisions(before: Contract, after: Contract) -> None:
    assert after.revisions_left == before.revisions_left + 2


def _reduced(before: Contract, after: Contract) -> None:
    assert (after.price_minor, after.fee_minor) == (PRICE - 2_000, (PRICE - 2_000) // 10)
    assert after.refunded_minor == 2_000
    assert balance(escrow(after.pk)) == PRICE - 2_000
    assert after.state == "in_progress"


def _cancelled(before: Contract, after: Contract) -> None:
    assert (after.state, after.outcome, after.ending, after.fault) == (
        "cancelled",
        "cancelled",
        "cancel_by_agreement",
        "none",
    )
    assert after.counts_for_trust
    # 30% of the price to the freelancer, less the 10% fee; 70% back to the client
    assert balance(freelancer_pending(after.freelancer_id)) == 3_000 - 300
    assert after.refunded_minor == 7_000
    assert balance(escrow(after.pk)) == 0


ACCEPTED: dict[str, Callable[[Contract, Contract], None]] = {
    "extend_deadline": _extended,
    "add_revisions": _more_revisions,
    "reduce_scope": _reduced,
    "cancel": _cancelled,
}


@pytest.mark.parametrize("proposer", ["client", "freelancer"])
@pytest.mark.parametrize("kind", KINDS)
def test_the_other_side_accepts(kind, proposer, clock, api, client_user, freelancer) -> None:
    people = _people(client_user, freelancer)
    cid = running(api, client_user, freelancer)
    before = Contract.objects.get(pk=cid)
    # Given a proposal, of which the other side is told
    made = propose(api, people[proposer], cid, kind)
    assert (made["status"], made["proposed_by"], made["kind"]) == ("open", proposer, kind)
    told = Notification.objects.get(kind="contract.propose", contract_id=cid)
    assert told.user == people[OTHER[proposer]]
    # When the other side accepts it
    r = api(people[OTHER[proposer]]).post(f"proposals/{made['id']}/accept")
    # Then it is accepted, the change applied and the proposer told
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    ACCEPTED[kind](before, Contract.objects.get(pk=cid))
    told = Notification.objects.get(kind="contract.accept_proposal", contract_id=cid)
    assert told.user == people[proposer]
    assert ledger_check() == []


def test_a_full_refund_by_agreement_before_any_delivery_is_no_fault(
    clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    r = api(freelancer).post(
        f"contracts/{cid}/proposals",
        {"kind": "cancel", "percent_to_freelancer": 0, "note": "I cannot do it."},
    )
    api(client_user).post(f"proposals/{r.json()['id']}/accept")
    contract = Contract.objects.get(pk=cid)
    # Nothing was paid and no one was at fault: no feedback, nothing counts (SPEC 6).
    assert (contract.state, contract.fault, contract.counts_for_trust) == (
        "cancelled",
        "none",
        False,
    )
    assert contract.refunded_minor == PRICE
    assert balance(freelancer_pending(freelancer.pk)) == 0


# --- decline, withdraw, expire: nothing changes --------------------------------------------

UNCHANGED = ("state", "price_minor", "revisions_left", "delivery_due_at", "late", "refunded_minor")


def _terms(cid: int) -> tuple[Any, ...]:
    return Contract.objects.filter(pk=cid).values_list(*UNCHANGED).get()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["decline", "withdraw"])
def test_declined_or_withdrawn_changes_nothing(
    how, kind, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    terms = _terms(cid)
    made = propose(api, freelancer, cid, kind)
    who = client_user if how == "decline" else freelancer
    r = api(who).post(f"proposals/{made['id']}/{how}")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == {"decline": "declined", "withdraw": "withdrawn"}[how]
    assert _terms(cid) == terms
    assert Contract.objects.get(pk=cid).clocks_paused_at is None
    if how == "decline":
        told = Notification.objects.get(kind="contract.decline_proposal", contract_id=cid)
        assert told.user == freelancer


@pytest.mark.parametrize("kind", KINDS)
def test_silence_until_the_window_closes_is_a_decline(
    kind, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    # Given a proposal made on a Wednesday 10:00: the client answers within 3 of their
    # working days, so by Monday 10:00 (the weekend does not count)
    made = propose(api, freelancer, cid, kind)
    assert made["expires_at"]["at"] == (START + timedelta(days=5)).isoformat()
    assert "3 working days" in made["expires_at"]["explanation"]
    terms = _terms(cid)
    # When the worker runs just before and just after
    clock.move_to(START + timedelta(days=5) - timedelta(seconds=1))
    call_command("worker", "--once", verbosity=0)
    assert Proposal.objects.get(pk=made["id"]).status == "open"
    clock.move_to(START + timedelta(days=5, seconds=1))
    call_command("worker", "--once", verbosity=0)
    # Then it expired, the proposer was told, and the terms are what they were
    proposal = Proposal.objects.get(pk=made["id"])
    assert proposal.status == "expired"
    told = Notification.objects.get(kind="contract.expire_proposal", contract_id=cid)
    assert told.user == freelancer
    state, price, revisions, due, _late, refunded = _terms(cid)
    assert (state, price, revisions, refunded) == (terms[0], terms[1], terms[2], terms[5])
    if kind == "cancel":
        # The delivery due moved by exactly the time the cancellation paused the clocks
        assert due == terms[3] + timedelta(days=5, seconds=1)
    else:
        assert due == terms[3]


# --- wrong party, wrong state: a problem, and nothing changed -------------------------------

# (who acts, answer, status, code) on a proposal the freelancer made
WRONG_PARTY = [
    ("freelancer", "accept", 403, "not_your_proposal"),
    ("freelancer", "decline", 403, "not_your_proposal"),
    ("client", "withdraw", 403, "not_your_proposal"),
    ("operator", "accept", 403, "not_your_transition"),
    ("operator", "withdraw", 403, "not_your_transition"),
    ("stranger", "accept", 404, None),
    ("stranger", "decline", 404, None),
    ("anonymous", "accept", 401, None),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("who", "answer", "status", "code"), WRONG_PARTY)
def test_wrong_party_is_refused_and_changes_nothing(
    who, answer, status, code, kind, clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    made = propose(api, freelancer, cid, kind)
    users = {**_people(client_user, freelancer), "stranger": stranger, "operator": operator}
    before = snapshot(cid)
    caller = api(users[who]) if who != "anonymous" else api()
    assert_problem(caller.post(f"proposals/{made['id']}/{answer}"), status, code)
    assert snapshot(cid) == before


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [("stranger", 404, None), ("anonymous", 401, None), ("operator", 403, "not_your_transition")],
)
def test_only_parties_propose(
    who, status, code, clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    caller = api({"stranger": stranger, "operator": operator}[who]) if who != "anonymous" else api()
    assert_problem(caller.post(f"contracts/{cid}/proposals", BODIES["cancel"]), status, code)
    assert snapshot(cid) == before


def test_strangers_cannot_list_and_operators_can(
    clock, api, client_user, freelancer, stranger, operator
) -> None:
    cid = running(api, client_user, freelancer)
    made = propose(api, client_user, cid, "add_revisions")
    assert_problem(api(stranger).get(f"contracts/{cid}/proposals"), 404)
    assert_problem(api().get(f"contracts/{cid}/proposals"), 401)
    for user, actions in (
        (operator, []),
        (freelancer, ["accept", "decline"]),
        (client_user, ["withdraw"]),
    ):
        listed = api(user).get(f"contracts/{cid}/proposals").json()["results"]
        assert [(p["id"], p["actions"]) for p in listed] == [(made["id"], actions)]
        assert listed[0]["fields"] == {"revisions": 2, "note": ""}


@pytest.mark.parametrize("kind", KINDS)
def test_a_closed_proposal_cannot_be_answered(kind, clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    made = propose(api, freelancer, cid, kind)
    api(client_user).post(f"proposals/{made['id']}/decline")
    before = snapshot(cid)
    for who, answer in (
        (client_user, "accept"),
        (client_user, "decline"),
        (freelancer, "withdraw"),
    ):
        assert_problem(api(who).post(f"proposals/{made['id']}/{answer}"), 409, "proposal_not_open")
    assert snapshot(cid) == before


def test_a_final_contract_takes_no_proposal_and_closes_open_ones(
    clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = propose(api, client_user, cid, "add_revisions")
    assert api(freelancer).post(f"contracts/{cid}/refund", {}).status_code == 200
    # The open proposal could no longer be agreed: it was closed with the contract
    assert Proposal.objects.get(pk=made["id"]).status == "withdrawn"
    before = snapshot(cid)
    assert_problem(api(freelancer).post(f"proposals/{made['id']}/accept"), 409)
    r = api(client_user).post(f"contracts/{cid}/proposals", BODIES["cancel"])
    assert_problem(r, 409, "transition_not_available")
    assert snapshot(cid) == before


def test_no_change_order_in_a_dispute(clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    api(client_user).post(f"contracts/{cid}/open_dispute", {"reason": "Nothing arrived."})
    before = snapshot(cid)
    r = api(client_user).post(f"contracts/{cid}/proposals", BODIES["cancel"])
    assert_problem(r, 409, "transition_not_available")
    assert snapshot(cid) == before


def test_one_open_proposal_of_each_kind(clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    propose(api, freelancer, cid, "extend_deadline")
    before = snapshot(cid)
    r = api(client_user).post(f"contracts/{cid}/proposals", BODIES["extend_deadline"])
    assert_problem(r, 409, "proposal_already_open")
    assert snapshot(cid) == before
    # Another kind is fine
    propose(api, client_user, cid, "add_revisions")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "extend_deadline", "days": 0},
        {"kind": "extend_deadline"},
        {"kind": "add_revisions", "revisions": 11},
        {"kind": "reduce_scope", "amount_minor": PRICE, "note": "all"},
        {"kind": "reduce_scope", "amount_minor": 100},
        {"kind": "cancel", "percent_to_freelancer": 101, "note": "x"},
        {"kind": "cancel", "percent_to_freelancer": 50},
        {"kind": "change_everything"},
        {"kind": "add_revisions", "revisions": 1, "price": 5},
    ],
)
def test_bad_fields_are_422_and_change_nothing(body, clock, api, client_user, freelancer) -> None:
    cid = running(api, client_user, freelancer)
    before = snapshot(cid)
    assert_problem(api(client_user).post(f"contracts/{cid}/proposals", body), 422)
    assert snapshot(cid) == before


def test_a_contract_of_process_version_1_has_no_proposals(
    clock, api, client_user, freelancer
) -> None:
    old = running(api, client_user, freelancer)
    Contract.objects.filter(pk=old).update(process_version=1)
    before = snapshot(old)
    r = api(client_user).post(f"contracts/{old}/proposals", BODIES["add_revisions"])
    assert_problem(r, 409, "transition_not_available")
    assert snapshot(old) == before
    assert "propose" not in api(client_user).get(f"contracts/{old}").json()["available_transitions"]
    new = running(api, client_user, freelancer)
    assert "propose" in api(client_user).get(f"contracts/{new}").json()["available_transitions"]
    propose(api, client_user, new, "add_revisions")


# --- clocks a cancellation pauses --------------------------------------------------------------


@pytest.mark.parametrize("how", ["decline", "withdraw", "expire"])
def test_a_refused_cancellation_resumes_auto_approve_exactly(
    how, clock, api, client_user, freelancer
) -> None:
    # Given a delivery (approved automatically 7 days later unless the client answers)
    cid = running(api, client_user, freelancer)
    api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Done."})
    delivered_at = START
    # When the freelancer proposes a cancellation a day later, and it stays open 2 days...
    clock.move_to(START + timedelta(days=1))
    made = propose(api, freelancer, cid, "cancel")
    assert not Timer.objects.filter(contract_id=cid, transition="auto_approve", status="pending")
    paused = timedelta(days=2)
    if how == "expire":
        # (the client's window: 3 working days from Thursday 10:00 is Tuesday 10:00)
        paused = timedelta(days=5)
        clock.move_to(START + timedelta(days=1) + paused)
        call_command("worker", "--once", verbosity=0)
    else:
        clock.move_to(START + timedelta(days=1) + paused)
        who = client_user if how == "decline" else freelancer
        assert api(who).post(f"proposals/{made['id']}/{how}").status_code == 200
    assert Proposal.objects.get(pk=made["id"]).status != "open"
    # Then auto-approve fires exactly the paused time later than it would have
    due = delivered_at + timedelta(days=7) + paused
    timer = Timer.objects.get(contract_id=cid, transition="auto_approve", status="pending")
    assert timer.fire_at == due
    clock.move_to(due - timedelta(seconds=1))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "delivered"
    clock.move_to(due + timedelta(seconds=1))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "completed"
    assert balance(freelancer_pending(freelancer.pk)) == PRICE - FEE


def test_accepting_a_money_proposal_twice_with_one_key_moves_money_once(
    clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    made = propose(api, freelancer, cid, "reduce_scope")
    c = api(client_user)
    first = c.post(f"proposals/{made['id']}/accept", **{"Idempotency-Key": "k-1"})
    again = c.post(f"proposals/{made['id']}/accept", **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Contract.objects.get(pk=cid).refunded_minor == 2_000
    assert ledger_check() == []


@pytest.mark.parametrize("order", ["dispute_ends_first", "proposal_ends_first"])
def test_a_dispute_inside_a_paused_cancellation_counts_each_moment_once(
    order, clock, api, client_user, freelancer
) -> None:
    # Given work in progress, a cancellation proposed at day 0 and a dispute opened at day 1
    cid = running(api, client_user, freelancer)
    due = Contract.objects.get(pk=cid).delivery_due_at
    assert due is not None
    made = propose(api, freelancer, cid, "cancel")
    clock.move_to(START + timedelta(days=1))
    assert (
        api(client_user).post(f"contracts/{cid}/open_dispute", {"reason": "r"}).status_code == 200
    )
    # When both end by day 2, one after the other
    clock.move_to(START + timedelta(days=1, hours=12))
    steps = [
        lambda: api(client_user).post(f"contracts/{cid}/withdraw_dispute"),
        lambda: api(client_user).post(f"proposals/{made['id']}/decline"),
    ]
    first, second = steps if order == "dispute_ends_first" else steps[::-1]
    assert first().status_code == 200
    clock.move_to(START + timedelta(days=2))
    assert second().status_code == 200
    # Then the clocks stood still for exactly the two days something paused them
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.clocks_paused_at) == ("in_progress", None)
    assert contract.delivery_due_at == due + timedelta(days=2)
    late = Timer.objects.get(contract_id=cid, transition="mark_late", status="pending")
    assert late.fire_at == due + timedelta(days=2)


@pytest.mark.parametrize("name", ["accept_proposal", "decline_proposal", "withdraw_proposal"])
def test_a_proposal_is_answered_only_through_its_own_endpoints(
    name, clock, api, client_user, freelancer
) -> None:
    cid = running(api, client_user, freelancer)
    propose(api, freelancer, cid, "add_revisions")
    before = snapshot(cid)
    assert_problem(api(client_user).post(f"contracts/{cid}/{name}"), 404, "unknown_transition")
    assert snapshot(cid) == before
