"""The ``timers`` benchmark: arm due timers on running contracts, drain them with workers.

Issue 4's target is "the worker fires 100,000 due timers through the real engine in <= 60 s
with two workers". Each armed timer is a real one: ``mark_late`` on an in-progress contract
that is not late yet, armed for the contract's current state entry (what ``_arm_timers``
writes when work starts), only already due. Two ``fairlance worker --once`` processes then
fire them through ``fire_due_timers`` (row locks, ``SKIP LOCKED`` on PostgreSQL, the
transition, its event and notification) and exit when nothing is due.

This changes the database: every contract whose timer fired is flagged late, so a later
run arms other contracts (the seed's ~45,000 running contracts at 100k projects bound how
many timers one database can give; ``arm_due_timers`` says how many it armed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from fairlance.contracts import process
from fairlance.contracts.models import Contract, Timer, TimerStatus

TRANSITION = "mark_late"
CLOCK = "delivery_due"
EXPLANATION = "armed by fairlance bench (timers scenario)"
_BATCH = 5_000


def arm_due_timers(*, count: int, now: datetime | None = None) -> int:
    """Arm up to ``count`` due ``mark_late`` timers on in-progress, not-late contracts.

    Contracts that already have a pending timer are left alone so each armed timer is the
    only one its contract has. Returns how many were armed.
    """
    now = now or timezone.now()
    assert process.BY_NAME[TRANSITION].timer is not None
    contracts = (
        Contract.objects.filter(state=process.IN_PROGRESS, late=False)
        .exclude(timers__status=TimerStatus.PENDING)
        .order_by("id")
        .values_list("id", "state_entry_seq")[:count]
    )
    armed = 0
    due = now - timedelta(minutes=1)
    batch: list[Timer] = []
    with transaction.atomic():
        for contract_id, entry_seq in contracts.iterator(chunk_size=_BATCH):
            batch.append(
                Timer(
                    contract_id=contract_id,
                    transition=TRANSITION,
                    clock=CLOCK,
                    fire_at=due,
                    explanation=EXPLANATION,
                    armed_at_event_seq=entry_seq,
                    created_at=now,
                )
            )
            if len(batch) == _BATCH:
                Timer.objects.bulk_create(batch)
                armed += len(batch)
                batch = []
        if batch:
            Timer.objects.bulk_create(batch)
            armed += len(batch)
    return armed


def _worker_argv() -> list[str]:
    # The same entry point as the installed ``fairlance`` script, with this interpreter.
    return [sys.executable, "-c", "from fairlance.cli import main; main()", "worker", "--once"]


def drain_with_workers(*, workers: int = 2, timeout: float = 3_600) -> dict[str, Any]:
    """Run ``workers`` ``fairlance worker --once`` processes until all exit; time them."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    # The workers open their own connections; ours must not hold SQLite's write lock.
    connection.close()
    started = time.monotonic()
    procs = [
        # A fixed argv of this interpreter and our own entry point; no shell, no user input.
        subprocess.Popen(  # noqa: S603
            _worker_argv(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(workers)
    ]
    codes: list[int] = []
    errors: list[str] = []
    for proc in procs:
        try:
            _out, err = proc.communicate(timeout=max(1.0, timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        codes.append(proc.returncode)
        if proc.returncode != 0:
            errors.append(err.decode(errors="replace")[-2_000:])
    return {
        "seconds": round(time.monotonic() - started, 1),
        "exit_codes": codes,
        "errors": errors,
    }


def timer_outcomes(*, since: datetime) -> dict[str, int]:
    """How the timers this benchmark armed since ``since`` ended, by status."""
    rows = (
        Timer.objects.filter(explanation=EXPLANATION, created_at__gte=since)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def timers_benchmark(*, count: int, workers: int = 2) -> dict[str, Any]:
    """Arm ``count`` due timers, drain them with ``workers`` workers; the numbers."""
    since = timezone.now()
    armed = arm_due_timers(count=count, now=since)
    run = drain_with_workers(workers=workers)
    outcomes = timer_outcomes(since=since)
    seconds = run["seconds"]
    return {
        "requested": count,
        "armed": armed,
        "workers": workers,
        **run,
        "outcomes": outcomes,
        "fired_per_second": round(outcomes.get(TimerStatus.FIRED, 0) / seconds, 1)
        if seconds
        else None,
        "target_met": armed >= 100_000
        and seconds <= 60
        and outcomes.get(TimerStatus.FIRED, 0) == armed,
    }
