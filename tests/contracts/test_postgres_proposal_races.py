"""A proposal answered at the instant it expires, with real threads on PostgreSQL.

Paired, like ``test_postgres_races.py``, with a naive variant (no lock) that decides twice.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from fairlance.contracts import proposals
from fairlance.contracts.engine import fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Proposal, Timer
from fairlance.contracts.services import contract_purchase
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from tests.concurrency import run_in_threads
from tests.conftest import is_postgres, make_user
from tests.contracts.conftest import GOOD_CARD, make_project

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


def proposed_cancellation() -> Proposal:
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False)
    contract = contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        card_number=GOOD_CARD,
    ).contract
    return proposals.proposal_propose(
        contract_id=contract.pk,
        user=freelancer,
        fields={"kind": "cancel", "percent_to_freelancer": 30, "note": "Let us stop."},
    )


@pytest.mark.parametrize("attempt", range(3))
def test_accept_racing_expiry_has_exactly_one_winner(attempt: int) -> None:
    proposal = proposed_cancellation()
    contract = Contract.objects.select_related("client").get(pk=proposal.contract_id)
    later = proposal.expires_at + timedelta(seconds=1)

    def accept() -> Any:
        return proposals.proposal_answer(proposal=proposal, user=contract.client, answer="accept")

    results = run_in_threads(2, lambda i: accept() if i == 0 else fire_due_timers(now=later))
    fire_due_timers(now=later)  # a timer passed over while the click held the lock

    # Exactly one of them closed the proposal, and the contract agrees with it
    closing = ContractEvent.objects.filter(
        contract=contract, name__in=("accept_proposal", "expire_proposal")
    )
    assert closing.count() == 1
    final = Proposal.objects.get(pk=proposal.pk)
    after = Contract.objects.get(pk=contract.pk)
    timer = Timer.objects.get(contract=contract, transition="expire_proposal")
    if final.status == "accepted":
        assert closing.get().name == "accept_proposal"
        assert (after.state, after.ending) == ("cancelled", "cancel_by_agreement")
        assert timer.status == "skipped"
        assert balance(escrow(contract.pk)) == 0
    else:
        assert final.status == "expired"
        assert closing.get().name == "expire_proposal"
        assert getattr(results[0], "code", None) == "proposal_not_open"
        assert (after.state, after.clocks_paused_at) == ("in_progress", None)
        assert timer.status == "fired"
    assert ledger_check() == []


def test_naive_answer_without_the_lock_decides_twice() -> None:
    proposal = proposed_cancellation()
    read_done = threading.Barrier(2)

    def naive(i: int) -> bool:
        with transaction.atomic():
            row = Proposal.objects.get(pk=proposal.pk)  # no lock on the contract or proposal
            ok = row.status == "open"
            read_done.wait()
            if ok:
                status = "accepted" if i == 0 else "expired"
                Proposal.objects.filter(pk=proposal.pk).update(status=status)
            return ok

    assert run_in_threads(2, naive) == [True, True]
