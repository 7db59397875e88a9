"""Random purchases, transitions, refunds and clock jumps; the money invariants after each step.

Requests hold the card (authorize), ``accept`` captures, every other exit voids, and a card
whose hold lapses ends the request at ``accept`` (``expire_hold``); a request made before
requests held the card (charged up front) is accepted on its escrow and refunded otherwise.
Refunds and voids reach the processor through intents, executed by a rule of their own;
when none is pending, what the processor took from the card for each contract equals what
the ledger says the client paid in and got back.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fairlance.catalog.models import Project
from fairlance.contracts import milestones, process, proposals
from fairlance.contracts.actions import partial_refund_bounds
from fairlance.contracts.engine import Actor, available_transitions, fire_due_timers
from fairlance.contracts.models import Contract, Proposal
from fairlance.contracts.services import contract_purchase, contract_transition
from fairlance.core.errors import FairlanceError
from fairlance.core.policy import policy_for_version
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import LedgerAccount
from fairlance.ledger.selectors import balance, contract_money, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from fairlance.payments.provider import CARD_EXPIRED_HOLD
from fairlance.payments.services import intents_execute_due
from fairlance.quotes import services as quotes
from tests.conftest import make_user
from tests.contracts.conftest import (
    GOOD_CARD,
    START,
    answers_for,
    make_project,
    request_charged_up_front,
)

PERSON_TRANSITIONS = sorted(
    t.name for t in process.TRANSITIONS if t.by_person and process.INITIAL not in t.from_states
)


# Why an offered ``propose`` may still be refused: the kind drawn does not fit the state
# (only a cancellation before work starts), one of that kind is open, or its fields do not
# fit the contract (a reduction of a price already at its floor).
PROPOSE_REFUSALS = (
    "transition_not_available",
    "proposal_already_open",
    "invalid_input",
    # a client proposing what they would pay for without the card hold that only
    # ``proposals.proposal_propose_held`` takes (an added milestone, a raised price)
    "payment_required",
    # a raised price for a milestone number the contract has not got waiting to start
    "milestone_started",
    "no_such_milestone",
)


class ContractMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Each example runs inside a savepoint that teardown rolls back, so examples
        # never see each other's rows.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._clock = time_machine.travel(START, tick=False)
        self._traveller = self._clock.start()
        self.freelancer = make_user("fran@example.com")
        self.client = make_user("carla@example.com")
        self.operator = make_user("olga@example.com", is_operator=True)
        self.projects = [
            make_project(self.freelancer, questions=True, capacity=50),
            make_project(self.freelancer, questions=False, capacity=50),
            make_project(self.freelancer, mode="request", capacity=50, revisions=2),
        ]
        self.contract_ids: list[int] = []

    def teardown(self) -> None:
        # Whatever happened, the operators' check agrees (it raises on any problem). The
        # example is rolled back even then: the next one would otherwise meet its rows, and
        # Hypothesis would report that instead of the problem.
        try:
            call_command("ledger", "check", stdout=io.StringIO())
        finally:
            self._clock.stop()
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    @initialize()
    def one_of_each(self) -> None:
        # Start every run with a contract of each kind so short runs still exercise the engine:
        # two instant purchases, a request on a good card and one on a card whose hold lapses.
        for which in range(3):
            self.buy(which=which, with_answers=False)
        self.buy(which=2, with_answers=True, lapsing_hold=True)
        self.buy_a_request_charged_up_front()

    @rule(which=st.integers(0, 2), with_answers=st.booleans(), lapsing_hold=st.booleans())
    def buy(self, which: int, with_answers: bool, lapsing_hold: bool = False) -> None:
        project = self.projects[which]
        request = project.purchase_mode == "request"
        answers = answers_for(project) if with_answers or request else None
        contract = contract_purchase(
            client=self.client,
            project_id=project.pk,
            tier_id=project.tiers.first().pk,
            answers=answers,
            # A request on this card authorizes, but its capture at accept fails.
            card_number=CARD_EXPIRED_HOLD if request and lapsing_hold else GOOD_CARD,
        ).contract
        self.contract_ids.append(contract.pk)

    @rule()
    def buy_a_request_charged_up_front(self) -> None:
        """A request as it was made before requests held the card (upgraded databases)."""
        project = self.projects[2]
        self.contract_ids.append(
            request_charged_up_front(
                lambda: (
                    contract_purchase(
                        client=self.client,
                        project_id=project.pk,
                        tier_id=project.tiers.first().pk,
                        answers=answers_for(project),
                        card_number=GOOD_CARD,
                    ).contract.pk
                )
            )
        )

    @rule(first_part=st.integers(1, 99), days=st.integers(1, 4))
    def buy_an_offer(self, first_part: int, days: int) -> None:
        """A custom offer in two milestones, asked for and accepted: funded milestone by
        milestone, then released one at a time by the transitions the other rules fire."""
        price = 10_000
        asked = quotes.quote_request_create(
            client=self.client, project_id=self.projects[1].pk, need="Fifty pages, please."
        )
        offer = quotes.offer_send(
            freelancer=self.freelancer,
            request_id=asked.pk,
            scope="Fifty pages in two parts.",
            price_minor=price,
            delivery_days=days,
            revisions=1,
            expires_at=timezone.now() + timedelta(days=7),
            milestones=[
                quotes.MilestoneIn("Part one", price * first_part // 100, days),
                quotes.MilestoneIn("Part two", price - price * first_part // 100, days),
            ],
        )
        bought = quotes.offer_accept(client=self.client, offer_id=offer.pk, card_number=GOOD_CARD)
        self.contract_ids.append(bought.contract.pk)
        event("bought an offer")

    @rule(
        index=st.integers(0, 30),
        name=st.sampled_from(PERSON_TRANSITIONS),
        who=st.sampled_from(["client", "freelancer", "operator"]),
        amount=st.integers(-5, 12_000),
        percent=st.integers(0, 100),
    )
    def fire(self, index: int, name: str, who: str, amount: int, percent: int) -> None:
        if not self.contract_ids:
            return
        cid = self.contract_ids[index % len(self.contract_ids)]
        user = {"client": self.client, "freelancer": self.freelancer, "operator": self.operator}[
            who
        ]
        contract = Contract.objects.get(pk=cid)
        payload: dict[str, Any] = {
            "note": "n",
            "reason": "r",
            "amount_minor": amount,
            "freelancer_percent": percent,
            "answers": contract.answers or answers_for(self.projects[0]),
        }
        if name == "submit_requirements" and contract.project_id:
            payload["answers"] = answers_for(Project.objects.get(pk=contract.project_id))
        try:
            contract_transition(
                contract_id=cid, name=name, actor=Actor("person", user), payload=payload
            )
            event(f"applied {name}")
        except FairlanceError as exc:
            # Refused cleanly: the invariants below prove nothing was half-written. (A
            # lapsed hold refuses accept but ends the request: that is the point.)
            event(f"refused {name}: {exc.code}")

    @rule(
        index=st.integers(0, 30),
        choice=st.integers(0, 50),
        amount=st.integers(1, 9_000),
        percent=st.integers(0, 100),
    )
    def fire_available(self, index: int, choice: int, amount: int, percent: int) -> None:
        """Fire one of the transitions the engine offers someone right now."""
        if not self.contract_ids:
            return
        cid = self.contract_ids[index % len(self.contract_ids)]
        contract = Contract.objects.get(pk=cid)
        offered = [
            (name, user)
            for user in (self.client, self.freelancer, self.operator)
            for name in available_transitions(contract, user)
        ]
        if not offered:
            return
        name, user = offered[choice % len(offered)]
        payload: dict[str, Any] = {
            "note": "n",
            "reason": "r",
            # within what a partial refund may take now (the current milestone's amount)
            "amount_minor": min(amount, partial_refund_bounds(contract)[1]),
            "freelancer_percent": percent,
            # ``propose``: one of the kinds, with its fields
            "kind": sorted(proposals.KINDS)[choice % len(proposals.KINDS)],
            "days": 1 + amount % 5,
            "revisions": 1 + amount % 3,
            "percent_to_freelancer": percent,
            "title": "t",
            "delivery_days": 1 + amount % 4,
            "milestone": 2,
        }
        if name == "submit_requirements" and contract.project_id:
            payload["answers"] = answers_for(Project.objects.get(pk=contract.project_id))
        if name in ("partial_refund", "propose") and partial_refund_bounds(contract)[1] < 1:
            return
        try:
            contract_transition(
                contract_id=cid, name=name, actor=Actor("person", user), payload=payload
            )
        except FairlanceError as exc:
            if name == "propose":
                # Offered in the state; a kind may not fit it, or be open already.
                assert exc.code in PROPOSE_REFUSALS, exc
                event(f"refused propose: {exc.code}")
                return
            # Offered, yet refused: only an accept whose card hold lapsed may be.
            assert (name, exc.code) == ("accept", "hold_expired"), exc
            assert Contract.objects.get(pk=cid).ending == "expire_hold"
            event("accept found the hold expired")
            return
        event(f"applied {name}")

    @rule(index=st.integers(0, 30), answer=st.sampled_from(proposals.ANSWERS))
    def answer_a_proposal(self, index: int, answer: str) -> None:
        """The side a proposal waits on accepts or declines it, or its proposer withdraws."""
        open_ones = list(
            Proposal.objects.filter(contract_id__in=self.contract_ids, status="open").order_by("pk")
        )
        if not open_ones:
            return
        proposal = open_ones[index % len(open_ones)]
        answerer = (
            proposal.proposed_by
            if answer == "withdraw"
            else proposals.other_side(proposal.proposed_by)
        )
        user = self.client if answerer == "client" else self.freelancer
        try:
            # The client pays an added milestone or a raised price with the card on accepting.
            proposals.proposal_answer(
                proposal=proposal, user=user, answer=answer, card_number=GOOD_CARD
            )
            event(f"{answer} proposal {proposal.kind}")
        except FairlanceError as exc:
            # A change the contract's state no longer takes (a dispute opened since, or a
            # reduction larger than what the price became) is refused whole.
            # A raise of a milestone whose work started since is refused before any charge.
            assert exc.code in (
                "transition_not_available",
                "proposal_out_of_date",
                "milestone_started",
            ), exc
            event(f"refused {answer} proposal: {exc.code}")

    @rule(index=st.integers(0, 30), answer=st.sampled_from(["accept", "decline", "withdraw"]))
    def answer_a_request(self, index: int, answer: str) -> None:
        """The freelancer accepts or declines a waiting request, or its client withdraws."""
        waiting = list(
            Contract.objects.filter(pk__in=self.contract_ids, state=process.REQUESTED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not waiting:
            return
        cid = waiting[index % len(waiting)]
        user = self.client if answer == "withdraw" else self.freelancer
        try:
            contract_transition(contract_id=cid, name=answer, actor=Actor("person", user))
        except FairlanceError as exc:
            # Only the capture of a lapsed hold refuses, and it ends the request.
            assert (answer, exc.code) == ("accept", "hold_expired"), exc
            assert Contract.objects.get(pk=cid).ending == "expire_hold"
            event("accept found the hold expired")
            return
        event(f"answered a request: {answer}")

    @rule(hours=st.integers(1, 24 * 9))
    def jump(self, hours: int) -> None:
        self._traveller.shift(timedelta(hours=hours))
        if fire_due_timers(limit=1000):
            event("a timer fired")

    @rule()
    def processor_catches_up(self) -> None:
        """The worker carries out every pending refund and void (their on-commit calls never
        run here: each example lives in a transaction that is rolled back)."""
        if intents_execute_due(now=timezone.now() + timedelta(days=1)):
            event("intents executed")

    @invariant()
    def ledger_is_clean(self) -> None:
        assert ledger_check() == []

    @invariant()
    def proposals_are_open_only_on_running_contracts_and_counted(self) -> None:
        for c in Contract.objects.all():
            open_ones = Proposal.objects.filter(contract=c, status="open").count()
            assert c.open_proposals == open_ones, c.pk
            if c.state in process.FINAL_STATES:
                assert open_ones == 0 and c.clocks_paused_at is None, c.pk

    @invariant()
    def escrow_holds_exactly_the_money_of_open_contracts(self) -> None:
        open_total = 0
        for c in Contract.objects.all():
            held = balance(escrow(c.pk))
            on_hold = contract_money(contract_id=c.pk).on_hold
            if c.state in process.FINAL_STATES:
                assert held == 0 and on_hold == 0
                assert c.outcome and c.ending and c.fault, c
            elif c.state == process.REQUESTED and c.charged_up_front:
                # Charged before requests held the card: all of it in escrow, no hold
                assert held == c.escrow_total_minor and on_hold == 0 and c.charge_ref
                assert c.outcome is None
                open_total += held
            elif c.state == process.REQUESTED:
                # Held on the card, not taken: nothing in escrow yet
                assert held == 0 and on_hold == c.escrow_total_minor
                assert c.outcome is None and not c.charge_ref
            else:
                # All of it, but for the milestones already released (paid out for good)
                rest = milestones.unreleased(
                    c, milestones.milestones_of(c), policy_for_version(c.policy_version)
                )
                assert held == rest.gross + rest.client_fee
                assert on_hold == 0
                assert c.outcome is None
                open_total += held
        escrow_sum = sum(
            a.balance for a in LedgerAccount.objects.filter(name__startswith="escrow:contract:")
        )
        assert escrow_sum == open_total

    @invariant()
    def the_card_agrees_with_the_ledger(self) -> None:
        """Once no intent is pending, each contract's card was charged what the ledger says
        the client paid in, less what it says went back; no intent ever gives up."""
        assert not ProviderIntent.objects.filter(status="failed").exists()
        pending = set(
            ProviderIntent.objects.filter(status="pending").values_list("contract_id", flat=True)
        )
        ok = PaymentAttempt.objects.filter(ok=True)
        for c in Contract.objects.exclude(pk__in=pending):
            money = contract_money(contract_id=c.pk)
            # The purchase's charge and those of accepted increases (proposals) together.
            charges = {c.charge_ref} | set(
                Proposal.objects.filter(contract_id=c.pk).values_list("charge_ref", flat=True)
            )
            charges.discard("")
            taken = sum(
                ok.filter(kind__in=("charge", "capture"), provider_ref__in=charges).values_list(
                    "amount_minor", flat=True
                )
            )
            given_back = sum(
                ok.filter(kind="refund", charge_ref__in=charges).values_list(
                    "amount_minor", flat=True
                )
            )
            assert taken - given_back == money.paid_in - money.refunded, c
            if c.authorization_ref and c.state in process.FINAL_STATES and not c.charge_ref:
                # A request that ended unaccepted: its hold was released at the processor
                assert ok.filter(kind="void", charge_ref=c.authorization_ref).exists(), c

    @invariant()
    def capacity_counts_open_contracts(self) -> None:
        for p in Project.objects.all():
            open_count = (
                Contract.objects.filter(project=p).exclude(state__in=process.FINAL_STATES).count()
            )
            assert p.active_contracts == open_count

    @invariant()
    def freelancer_earned_price_minus_fee_of_paid_contracts(self) -> None:
        if not self.contract_ids:
            return
        from fairlance.ledger.accounts import freelancer_available

        earned = balance(freelancer_pending(self.freelancer.pk)) + balance(
            freelancer_available(self.freelancer.pk)
        )
        paid = sum(
            c.price_minor - c.fee_minor
            for c in Contract.objects.filter(state="completed").exclude(ending="resolve_dispute")
        )
        assert earned >= paid


@pytest.mark.django_db
def test_contracts_keep_the_money_invariants() -> None:
    run_state_machine_as_test(
        ContractMachine,
        settings=settings(
            # A quarter of the profile's examples: each runs up to 40 steps.
            max_examples=max(10, settings().max_examples // 4),
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
