"""The timers benchmark provides real due timers; the worker's own function fires every one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from fairlance.bench.seed import seed_marketplace
from fairlance.bench.timers import (
    EXPLANATION,
    arm_due_timers,
    provide_due_timers,
    timer_outcomes,
)
from fairlance.catalog.models import Project
from fairlance.contracts.engine import fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.notifications.models import Notification
from fairlance.notifications.services import notifications_send_due
from tests.bench.test_seed_and_bench import TINY

pytestmark = pytest.mark.django_db


def test_provided_timers_are_real_and_fire_through_the_engine(mailoutbox) -> None:
    # Given a seeded marketplace whose running contracts are not overdue yet
    seed_marketplace(config=TINY, out=lambda line: None)
    seeded = set(Contract.objects.values_list("id", flat=True))
    now = timezone.now()
    assert arm_due_timers(count=10, now=now) == 0  # nothing is overdue: nothing to arm
    since = now - timedelta(seconds=1)

    # When the benchmark asks for 12 due timers
    provided = provide_due_timers(count=12, now=now)

    # Then it made 12 running contracts whose delivery is overdue, paid into escrow and
    # holding capacity, and armed their mark_late timer as the engine would, due at the
    # delivery due instant
    assert provided == {"armed": 12, "contracts_made": 12}
    made = Contract.objects.exclude(id__in=seeded)
    made_ids = set(made.values_list("id", flat=True))
    assert len(made_ids) == 12
    for contract in made:
        assert contract.state == "in_progress" and not contract.late
        assert contract.delivery_due_at is not None and contract.delivery_due_at < now
        assert balance(escrow(contract.pk)) == contract.escrow_total_minor > 0
        timer = Timer.objects.get(contract=contract)
        assert (timer.transition, timer.status) == ("mark_late", "pending")
        assert timer.fire_at == contract.delivery_due_at
        assert timer.armed_at_event_seq == contract.state_entry_seq
    running = Count("id", filter=Q(state="in_progress"))
    counts = dict(
        Contract.objects.values("project_id").annotate(n=running).values_list("project_id", "n")
    )
    for project in Project.objects.all():
        assert project.active_contracts == counts.get(project.pk, 0) <= project.capacity
    assert ledger_check() == []

    # When the worker's function drains them
    assert fire_due_timers(limit=100) == 12

    # Then each fired the real transition: the contract is late, with its event and the
    # notifications of both parties, whose emails the outbox sender mails
    assert timer_outcomes(since=since) == {"fired": 12}
    assert Contract.objects.filter(id__in=made_ids, late=True).count() == 12
    assert ContractEvent.objects.filter(contract__in=made_ids, name="mark_late").count() == 12
    notes = Notification.objects.filter(kind="contract.mark_late")
    assert notes.count() == 24
    assert notifications_send_due(now=timezone.now()) == 24
    assert len(mailoutbox) == 24
    assert not notes.filter(emailed_at__isnull=True).exists()

    # and asking again arms other contracts (late ones have nothing left to fire)
    assert provide_due_timers(count=3, now=timezone.now())["armed"] == 3
    again = set(
        Timer.objects.filter(explanation=EXPLANATION, status="pending").values_list(
            "contract_id", flat=True
        )
    )
    assert len(again) == 3
    assert again.isdisjoint(made_ids)
    assert ledger_check() == []
