"""Random purchases, transitions, refunds and clock jumps; the money invariants after each step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction
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
from fairlance.contracts import process
from fairlance.contracts.engine import (
    Actor,
    apply_transition,
    available_transitions,
    fire_due_timers,
)
from fairlance.contracts.models import Contract
from fairlance.contracts.services import contract_purchase
from fairlance.core.errors import FairlanceError
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import LedgerAccount
from fairlance.ledger.selectors import balance, ledger_check
from tests.conftest import make_user
from tests.contracts.conftest import GOOD_CARD, START, answers_for, make_project

PERSON_TRANSITIONS = sorted(
    t.name for t in process.TRANSITIONS if t.by_person and process.INITIAL not in t.from_states
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
        self._clock.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize()
    def one_of_each(self) -> None:
        # Start every run with a contract of each kind so short runs still exercise the engine.
        for which in range(3):
            self.buy(which=which, with_answers=False)

    @rule(which=st.integers(0, 2), with_answers=st.booleans())
    def buy(self, which: int, with_answers: bool) -> None:
        project = self.projects[which]
        answers = (
            answers_for(project) if with_answers or project.purchase_mode == "request" else None
        )
        contract = contract_purchase(
            client=self.client,
            project_id=project.pk,
            tier_id=project.tiers.first().pk,
            answers=answers,
            card_number=GOOD_CARD,
        ).contract
        self.contract_ids.append(contract.pk)

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
            apply_transition(
                contract_id=cid, name=name, actor=Actor("person", user), payload=payload
            )
            event(f"applied {name}")
        except FairlanceError:
            pass  # refused cleanly: the invariants below prove nothing was half-written

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
            "amount_minor": min(amount, contract.price_minor - 1),
            "freelancer_percent": percent,
        }
        if name == "submit_requirements" and contract.project_id:
            payload["answers"] = answers_for(Project.objects.get(pk=contract.project_id))
        if name == "partial_refund" and contract.price_minor < 2:
            return
        apply_transition(contract_id=cid, name=name, actor=Actor("person", user), payload=payload)
        event(f"applied {name}")

    @rule(hours=st.integers(1, 24 * 9))
    def jump(self, hours: int) -> None:
        self._traveller.shift(timedelta(hours=hours))
        if fire_due_timers(limit=1000):
            event("a timer fired")

    @invariant()
    def ledger_is_clean(self) -> None:
        assert ledger_check() == []

    @invariant()
    def escrow_holds_exactly_the_money_of_open_contracts(self) -> None:
        open_total = 0
        for c in Contract.objects.all():
            held = balance(escrow(c.pk))
            if c.state in process.FINAL_STATES:
                assert held == 0
                assert c.outcome and c.ending and c.fault, c
            else:
                assert held == c.price_minor + c.client_fee_minor
                assert c.outcome is None
                open_total += held
        escrow_sum = sum(
            a.balance for a in LedgerAccount.objects.filter(name__startswith="escrow:contract:")
        )
        assert escrow_sum == open_total

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
            max_examples=10,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
