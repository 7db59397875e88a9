"""An accepted price increase racing an accepted cancellation, with real threads on
PostgreSQL (committed transactions), and a naive accept that books after charging without
the contract's lock and re-check, shown to leave money in a cancelled contract's escrow.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from fairlance.contracts import milestones, proposals
from fairlance.contracts.engine import Actor, transition_precheck
from fairlance.contracts.models import Contract, Proposal
from fairlance.contracts.services import contract_purchase
from fairlance.core.errors import FairlanceError
from fairlance.core.policy import policy_for_version
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from fairlance.payments.provider import SandboxProvider, get_provider
from fairlance.payments.services import intents_execute_due
from tests.concurrency import run_in_threads
from tests.conftest import is_postgres, make_user
from tests.contracts.conftest import GOOD_CARD, make_project

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]

ADDED = 5_000


def _contract_with_two_proposals(n: int = 0) -> tuple[Any, Any, int, int, int]:
    """A running contract with the freelancer's added milestone and the client's
    cancellation (everything back to the client) both open."""
    freelancer = make_user(f"fran{n}@example.com")
    client = make_user(f"carla{n}@example.com")
    project = make_project(freelancer, questions=False, delivery_days=5)
    cid = contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        answers=None,
        card_number=GOOD_CARD,
    ).contract.pk
    increase = proposals.proposal_propose(
        contract_id=cid,
        user=freelancer,
        fields={
            "kind": "add_milestone",
            "title": "More pages",
            "amount_minor": ADDED,
            "delivery_days": 3,
        },
    )
    cancel = proposals.proposal_propose(
        contract_id=cid,
        user=client,
        fields={"kind": "cancel", "percent_to_freelancer": 0, "note": "We stop here."},
    )
    return freelancer, client, cid, increase.pk, cancel.pk


def _answer(user: Any, pid: int, card: str = "") -> Proposal:
    return proposals.proposal_answer(
        proposal=Proposal.objects.get(pk=pid), user=user, answer="accept", card_number=card
    )


def _card_balance(cid: int) -> int:
    """What the client's card gave and did not get back for the contract, once every
    refund intent ran: charges taken minus refunds made."""
    intents_execute_due(now=_far_future())
    assert not ProviderIntent.objects.filter(status="pending").exists()
    ok = PaymentAttempt.objects.filter(ok=True)
    taken = sum(ok.filter(kind="charge").values_list("amount_minor", flat=True))
    given = sum(ok.filter(kind="refund").values_list("amount_minor", flat=True))
    return taken - given


def _far_future() -> Any:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=1)


def _assert_cancelled_and_settled(cid: int) -> None:
    contract = Contract.objects.get(pk=cid)
    assert contract.state == "cancelled"
    assert balance(escrow(cid)) == 0
    # Everything went back to the card: nothing stays taken, whoever won
    assert _card_balance(cid) == 0
    assert ledger_check() == []


def test_a_price_increase_racing_a_cancellation_leaves_the_money_consistent() -> None:
    # Given an added milestone and a cancellation, accepted at the same moment, six times
    for n in range(6):
        freelancer, client, cid, increase, cancel = _contract_with_two_proposals(n)

        def act(i: int, client: Any = client, freelancer: Any = freelancer) -> Any:
            if i == 0:
                return _answer(client, increase, GOOD_CARD)
            return _answer(freelancer, cancel)

        paid, cancelled = run_in_threads(2, act)
        # Then the cancellation always ends the contract; the increase either came first
        # (and its money went back with the rest) or was refused and its charge refunded
        assert isinstance(cancelled, Proposal) and cancelled.status == "accepted"
        if isinstance(paid, Proposal):
            assert paid.status == "accepted"
        else:
            # Refused: the contract had ended, or (read a moment later) its proposal was
            # closed by that ending; either way before or after its charge, never half-done
            assert getattr(paid, "code", None) in (
                "transition_not_available",
                "proposal_not_open",
            ), paid
        _assert_cancelled_and_settled(cid)
        PaymentAttempt.objects.all().delete()
        ProviderIntent.objects.all().delete()


def _after_the_charge_the_cancellation_commits(
    monkeypatch: Any, freelancer: Any, cancel: int
) -> None:
    """A processor that charges slowly: the cancellation is accepted meanwhile."""
    charge = SandboxProvider.charge
    done = threading.Event()

    def slow_charge(self: Any, **kwargs: Any) -> Any:
        result = charge(self, **kwargs)

        def cancel_meanwhile() -> None:
            try:
                _answer(freelancer, cancel)
                done.set()
            finally:
                connection.close()

        thread = threading.Thread(target=cancel_meanwhile)
        thread.start()
        assert done.wait(timeout=30)
        thread.join()
        return result

    monkeypatch.setattr(SandboxProvider, "charge", slow_charge)


def test_a_cancellation_committed_after_the_charge_refunds_it(monkeypatch: Any) -> None:
    freelancer, client, cid, increase, cancel = _contract_with_two_proposals()
    _after_the_charge_the_cancellation_commits(monkeypatch, freelancer, cancel)
    # When the client's accept is charged, and the cancellation commits before it books
    with pytest.raises(FairlanceError) as refused:
        _answer(client, increase, GOOD_CARD)
    # Then the accept is the usual 409, its charge went back and the escrow is empty
    assert refused.value.code == "transition_not_available"
    assert Proposal.objects.get(pk=increase).status == "withdrawn"
    assert ProviderIntent.objects.filter(reference=f"proposal:{increase}:charge:undo").exists()
    _assert_cancelled_and_settled(cid)


def _naive_accept(client: Any, pid: int) -> None:
    """The increase decided on what was read before the charge: no row lock, no re-check."""
    proposal = Proposal.objects.get(pk=pid)
    contract = Contract.objects.get(pk=proposal.contract_id)
    transition_precheck(
        contract,
        name="accept_proposal",
        actor=Actor("person", client),
        payload={proposals.PROPOSAL_ID: pid},
    )
    result = get_provider().charge(
        amount_minor=ADDED,
        card_number=GOOD_CARD,
        reference=proposals.charge_reference(pid),
        payer_id=client.pk,
    )
    assert result.ok
    with transaction.atomic():
        milestones.milestone_add(
            contract,
            title=proposal.title,
            amount_minor=ADDED,
            delivery_days=3,
            funded=True,
            policy=policy_for_version(contract.policy_version),
            now=proposal.created_at,
        )
        Contract.objects.filter(pk=contract.pk).update(price_minor=contract.price_minor)
        Proposal.objects.filter(pk=pid).update(status="accepted")


def test_naive_accept_without_the_lock_leaves_money_in_a_cancelled_contract(
    monkeypatch: Any,
) -> None:
    freelancer, client, cid, increase, cancel = _contract_with_two_proposals()
    _after_the_charge_the_cancellation_commits(monkeypatch, freelancer, cancel)
    _naive_accept(client, increase)
    # The guarded accept's invariants break: the contract ended, its escrow holds the
    # added milestone's money, and the client's card is out of it
    assert Contract.objects.get(pk=cid).state == "cancelled"
    assert balance(escrow(cid)) == ADDED
    assert _card_balance(cid) == ADDED
