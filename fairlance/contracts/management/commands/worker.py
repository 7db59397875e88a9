"""``fairlance worker [--once]``: fire due contract timers and run background jobs."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from fairlance.contracts.engine import TIMER_BATCH, fire_due_timers
from fairlance.contracts.models import Timer, TimerStatus
from fairlance.contracts.services import purchase_attempts_purge, purchase_charges_reconcile
from fairlance.core.idempotency import idempotency_purge
from fairlance.files.services import uploads_purge_stale
from fairlance.ledger.services import clearance_release_due
from fairlance.notifications.services import notifications_send_due
from fairlance.payments.services import intents_execute_due
from fairlance.reviews.services import scores_refresh_due

# How long the loop sleeps when there was nothing to do.
IDLE_SECONDS = 2.0
# --once stops after this many passes even if timers keep becoming due (they cannot
# normally: each pass fires what is due *now*, and new timers are due in the future).
MAX_PASSES = 10_000
# A pass fires batch after batch of due timers for up to this long before the other jobs
# get their turn. Timers change contracts and move money, so a backlog of them goes first
# (the emails they queue wait a little: the in-app notifications exist already); the jobs
# still run at least this often.
TIMER_SECONDS = 10.0
# What a purchase that died took (a capacity slot, a charge or a hold) is given back once
# it is older than the Idempotency-Key lease (30 s by default): looking every 15 s gives it
# back within a minute of the crash, a pass of timers (TIMER_SECONDS) included, and spares
# the look on the passes in between. Those looks find payments nothing kept among the
# last RECENT_LOOKBACK's only; every SWEEP_SECONDS the look goes back two days, as far as
# the worker ever looks, so the frequent look stays small.
RECONCILE_SECONDS = 15.0
RECENT_LOOKBACK = timedelta(minutes=10)
SWEEP_SECONDS = 300.0
_last_reconcile: float | None = None
_last_sweep: float | None = None


def _background_jobs(now: Any) -> int:
    """Other apps' periodic jobs; each runs in its own transactions."""
    global _last_reconcile, _last_sweep
    done = clearance_release_due(now=now)
    # Refunds and hold releases still pending after their on-commit call (a processor
    # outage, a crash): retried with backoff.
    done += intents_execute_due(now=now)
    done += notifications_send_due(now=now)
    # Scores whose commit hook never ran (a crash), and scores a contract aged out of.
    done += scores_refresh_due(now=now)
    idempotency_purge(now=now)
    purchase_attempts_purge(now=now)
    # Files uploaded for something that never happened (a form left half done).
    done += uploads_purge_stale(now=now)
    if _last_reconcile is None or time.monotonic() - _last_reconcile >= RECONCILE_SECONDS:
        _last_reconcile = time.monotonic()
        if _last_sweep is None or _last_reconcile - _last_sweep >= SWEEP_SECONDS:
            _last_sweep = _last_reconcile
            purchase_charges_reconcile(now=now)
        else:
            purchase_charges_reconcile(now=now, lookback=RECENT_LOOKBACK)
    return done


def _any_due(now: Any) -> bool:
    return Timer.objects.filter(status=TimerStatus.PENDING, fire_at__lte=now).exists()


# Batches per ``fire_due_timers`` call: one call walks the queue once, front to back.
BATCHES_PER_CALL = 20


def _fire_timers(now: datetime, batch: int) -> int:
    """Fire the timers due at ``now``, ``batch`` per transaction, for ``TIMER_SECONDS``."""
    started = time.monotonic()
    fired = 0
    while True:
        fired += fire_due_timers(now=now, limit=batch * BATCHES_PER_CALL, batch_size=batch)
        if time.monotonic() - started > TIMER_SECONDS or not _any_due(now):
            return fired


class Command(BaseCommand):
    help = "Fire due contract timers and background jobs (--once: until nothing is due, then exit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run until nothing is due, then exit."
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=TIMER_BATCH,
            help=f"Timers fired per transaction [{TIMER_BATCH}].",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        once: bool = options["once"]
        batch: int = max(1, options["batch"])
        total = 0
        passes = 0
        while True:
            now = timezone.now()
            fired = _fire_timers(now, batch)
            jobs = _background_jobs(now)
            total += fired
            passes += 1
            if once:
                if (not _any_due(now) and jobs == 0) or passes >= MAX_PASSES:
                    break
                continue
            if fired == 0 and jobs == 0:
                time.sleep(IDLE_SECONDS)
        if options["verbosity"] > 0:
            self.stdout.write(f"fired {total} timers")
