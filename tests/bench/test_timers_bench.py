"""The timers benchmark arms real timers: the worker's own function fires every one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fairlance.bench.seed import seed_marketplace
from fairlance.bench.timers import EXPLANATION, arm_due_timers, timer_outcomes
from fairlance.contracts.engine import fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Timer
from tests.bench.test_seed_and_bench import TINY

pytestmark = pytest.mark.django_db


def test_armed_timers_fire_through_the_engine_and_are_not_armed_twice() -> None:
    # Given a seeded marketplace with running contracts
    seed_marketplace(config=TINY, out=lambda line: None)
    running = Contract.objects.filter(state="in_progress", late=False).count()
    assert running >= 3
    since = timezone.now() - timedelta(seconds=1)

    # When three due timers are armed and the worker's function drains them
    assert arm_due_timers(count=3) == 3
    armed = list(
        Timer.objects.filter(explanation=EXPLANATION).values_list("contract_id", flat=True)
    )
    fired = fire_due_timers(limit=100)

    # Then each fired the real transition: the contract is late, with its event
    assert fired == 3
    assert timer_outcomes(since=since) == {"fired": 3}
    assert Contract.objects.filter(pk__in=armed, late=True).count() == 3
    assert ContractEvent.objects.filter(contract_id__in=armed, name="mark_late").count() == 3
    # and arming again picks other contracts (late ones have nothing left to fire)
    assert arm_due_timers(count=running) == running - 3
    again = set(
        Timer.objects.filter(explanation=EXPLANATION, status="pending").values_list(
            "contract_id", flat=True
        )
    )
    assert again.isdisjoint(armed)
