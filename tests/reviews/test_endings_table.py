"""One contract per ending of the lifecycle table, and what each means for trust (SPEC 6).

Each row drives a fresh contract to one ending through the HTTP API, the frozen clock and
the worker, for a freelancer whose score is already shown (two clients' approved
contracts, score 100), and asserts: whether the ending counts for trust, whether the
contract appears in the public work history (money paid only), whether feedback is
accepted, and what happens to the stored score. The table must name every ending
transition the lifecycle table has: a new ending fails here until someone decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fairlance.contracts import process
from fairlance.contracts.models import Contract
from tests.conftest import assert_problem
from tests.contracts.conftest import clock  # noqa: F401 - the frozen clock fixture
from tests.contracts.endings import Parties, ok, reach
from tests.reviews.trust_setup import (
    dispute_refunded_in_full,
    expired_hold,
    feedback,
    mutual_cancel,
    stored,
    with_a_score,
)

pytestmark = pytest.mark.django_db

UNCHANGED = "unchanged"  # the stored score, its clients and counted contracts stay the same
COUNTED = "counted"  # the contract is counted; a perfect one keeps the score at 100
LOWER = "lower"  # the freelancer's fault: the score drops


@dataclass(frozen=True)
class Row:
    transition: str  # the ending transition of the lifecycle table it exercises
    reach: Callable[[Parties], int]
    counts: bool
    in_work_history: bool
    score: str


def _by(ending: str) -> Callable[[Parties], int]:
    return lambda p: reach(ending, p)


TABLE: dict[str, Row] = {
    "approve": Row("approve", _by("approve"), True, True, COUNTED),
    "approve after a partial refund": Row(
        "approve", _by("partial_refund_then_approve"), True, True, COUNTED
    ),
    "auto_approve": Row("auto_approve", _by("auto_approve"), True, True, COUNTED),
    "decline": Row("decline", _by("decline"), False, False, UNCHANGED),
    "withdraw": Row("withdraw", _by("withdraw"), False, False, UNCHANGED),
    "expire_request": Row("expire_request", _by("expire_request"), False, False, UNCHANGED),
    "expire_hold": Row("expire_hold", expired_hold, False, False, UNCHANGED),
    "cancel_before_start": Row(
        "cancel_before_start", _by("cancel_before_start"), False, False, UNCHANGED
    ),
    "expire_requirements": Row(
        "expire_requirements", _by("expire_requirements"), False, False, UNCHANGED
    ),
    "decline_in_grace": Row("decline_in_grace", _by("decline_in_grace"), False, False, UNCHANGED),
    "refund (by the freelancer)": Row("refund", _by("refund"), False, False, UNCHANGED),
    "cancel_late": Row("cancel_late", _by("cancel_late"), True, False, LOWER),
    "resolve_dispute 30%, no fault": Row(
        "resolve_dispute", _by("resolve_dispute_30"), True, True, COUNTED
    ),
    "resolve_dispute 30%, freelancer at fault": Row(
        "resolve_dispute", _by("resolve_dispute_30_freelancer_fault"), True, True, LOWER
    ),
    "resolve_dispute 0%, freelancer at fault": Row(
        "resolve_dispute", _by("resolve_dispute_0"), True, False, LOWER
    ),
    "resolve_dispute 100%, client at fault": Row(
        "resolve_dispute", _by("resolve_dispute_client_fault"), True, True, COUNTED
    ),
    "resolve_dispute 0%, no fault": Row(
        "resolve_dispute", dispute_refunded_in_full, False, False, UNCHANGED
    ),
    "mutual cancel, 30% to the freelancer": Row(
        "accept_proposal", lambda p: mutual_cancel(p, 30), True, True, COUNTED
    ),
    "mutual cancel, full refund": Row(
        "accept_proposal", lambda p: mutual_cancel(p, 0), False, False, UNCHANGED
    ),
}


def ending_transitions() -> set[str]:
    """Every transition of the lifecycle table that takes a contract into a final state."""
    return {
        t.name
        for t in process.TRANSITIONS
        if set(process.target_states(t)) & process.FINAL_STATES
        and not set(t.from_states) <= process.FINAL_STATES
    }


def test_the_table_has_a_row_for_every_ending_of_the_lifecycle() -> None:
    endings = ending_transitions()
    assert endings, "no ending transitions found"
    # A new ending in process.py fails here until it has a row (and a decision) above.
    assert endings == {row.transition for row in TABLE.values()}


def test_the_rows_agree_with_the_declarations_of_the_lifecycle_table() -> None:
    # An ending declared "yes" always counts, "no" never does; "paid_or_fault" depends.
    for name, row in TABLE.items():
        declared = process.BY_NAME[row.transition].counts
        assert declared in ("yes", "no", "paid_or_fault"), name
        if declared != "paid_or_fault":
            assert row.counts == (declared == "yes"), name
    # SPEC 6: work history is money paid only, which always counts.
    assert all(row.counts for row in TABLE.values() if row.in_work_history)


@pytest.fixture
def parties(api, client_user, freelancer, operator, clock) -> Parties:  # noqa: F811
    return Parties(api, client_user, freelancer, operator, clock)


@pytest.mark.parametrize("name", list(TABLE))
def test_one_contract_per_ending(parties: Parties, name: str) -> None:
    row = TABLE[name]
    p = parties
    # Given a freelancer whose score is shown (two clients, two perfect contracts)
    before = with_a_score(p)

    # When a new contract ends this way
    cid = row.reach(p)
    contract = Contract.objects.get(pk=cid)
    ending = process.ending_transition(contract.ending)
    assert ending is not None and ending.name == row.transition, contract.ending

    # Then it counts for trust exactly as the table says
    assert contract.counts_for_trust is row.counts
    after = stored(p.freelancer)
    listed = {c["contract_id"] for c in after.breakdown["counted"]}
    excluded = {e["contract_id"]: e["reason"] for e in after.breakdown["excluded"]}
    if row.score == UNCHANGED:
        assert (after.score, after.clients, after.counted) == (
            before.score,
            before.clients,
            before.counted,
        )
        assert cid not in listed
        assert excluded[cid].endswith(": not counted")
    else:
        assert cid in listed and cid not in excluded
        assert after.counted == before.counted + 1
        assert before.score is not None and after.score is not None
        if row.score == LOWER:
            assert after.score < before.score
        else:
            assert after.score == before.score == 100

    # And it is in the public work history only when money was paid
    history = ok(p.api().get(f"freelancers/{p.freelancer.pk}/work-history"))
    in_history = cid in {r["contract_id"] for r in history["results"]}
    assert in_history is row.in_work_history
    assert in_history is (contract.paid_out_minor > 0)

    # And feedback is accepted from both sides exactly when it counts
    for side in (p.client, p.freelancer):
        response = feedback(p, side, cid, 4)
        if row.counts:
            assert response.status_code == 201, response.content
        else:
            assert_problem(response, 409, "feedback_not_allowed")
    if not row.counts:
        assert not contract.feedback.exists()
