"""The ``timers`` benchmark: provide due timers on running contracts, drain them with workers.

Issue 4's target is "the worker fires 100,000 due timers through the real engine in <= 60 s
with two workers". Each armed timer is a real one: ``mark_late`` on an in-progress contract
that is not late yet, armed for the contract's current state entry and due at the
contract's delivery due instant, which has passed (exactly what ``_arm_timers`` writes
when work starts; the clock has simply run out). Two ``fairlance worker --once`` processes
then fire them through ``fire_due_timers`` (row locks, ``SKIP LOCKED`` on PostgreSQL, the
transition, its event and notifications, their emails) and exit when nothing is due.

Where the timers come from (``provide_due_timers``): first the seeded running contracts
whose delivery is already overdue; the rest are **dedicated running contracts** made for
the run by ``create_overdue_contracts``, written like the seed writes its running ones
(contract, milestone, purchase event, escrow account holding the price, the capture
entry from ``world``) and taking real capacity slots: each project is filled to two below
its capacity at most, and its ``active_contracts`` counter says so. The ledger triggers
stay on for these rows (unlike the seed's bulk load), so PostgreSQL checks every entry
balances when each batch commits.

This changes the database for good: every contract whose timer fired is flagged late, and
the dedicated contracts stay (running, late, money in escrow), so a later run arms other
contracts and makes new ones while the projects have room (a 100k-project seed has room
for well over a million; ``provide_due_timers`` says how many it armed and made).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.bench.seed import SEED_EMAIL_DOMAIN, BulkWriter, write_purchase
from fairlance.catalog.models import Project, Tier
from fairlance.contracts import process
from fairlance.contracts.models import Contract, ContractEvent, Milestone, Timer, TimerStatus
from fairlance.contracts.unit_of_work import update_rows
from fairlance.core.policy import policy_in_force
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount, Posting

TRANSITION = "mark_late"
CLOCK = "delivery_due"
# Marks the timers a run armed (``timer_outcomes`` counts them); the engine keeps its own
# explanation in the contract's clock notes.
EXPLANATION = "armed by fairlance bench (timers scenario)"
_BATCH = 5_000
# Room left in every project for the HTTP purchase scenario, as the seed leaves it.
_SPARE_SLOTS = 2


def arm_due_timers(*, count: int, now: datetime | None = None) -> int:
    """Arm up to ``count`` due ``mark_late`` timers on overdue in-progress contracts.

    A contract qualifies when it is in progress, not late, its delivery due instant has
    passed and it has no pending timer (so each armed timer is the only one its contract
    has). The timer is due at that instant, as the engine arms it. Returns how many.
    """
    now = now or timezone.now()
    assert process.BY_NAME[TRANSITION].timer is not None
    contracts = (
        Contract.objects.filter(state=process.IN_PROGRESS, late=False, delivery_due_at__lt=now)
        .exclude(timers__status=TimerStatus.PENDING)
        .order_by("id")
        .values_list("id", "state_entry_seq", "delivery_due_at")[:count]
    )
    armed = 0
    batch: list[Timer] = []
    with transaction.atomic():
        for contract_id, entry_seq, due in contracts.iterator(chunk_size=_BATCH):
            assert due is not None  # filtered on
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


def create_overdue_contracts(*, count: int, now: datetime | None = None, seed: int = 4) -> int:
    """Make up to ``count`` running contracts whose delivery is overdue (module docstring).

    Bought by seeded clients from published projects with free capacity, at the project's
    first tier, started ``delivery days + 1-3 days`` ago. Returns how many were made (fewer
    when the projects run out of room).
    """
    now = now or timezone.now()
    rng = random.Random(seed)
    clients = list(
        User.objects.filter(
            email__startswith="client", email__endswith=f"@{SEED_EMAIL_DOMAIN}"
        ).values_list("id", flat=True)
    )
    if not clients or count <= 0:
        return 0
    projects = list(
        Project.objects.filter(
            status="published",
            freelancer__is_suspended=False,
            active_contracts__lt=F("capacity") - _SPARE_SLOTS,
        )
        .order_by("id")
        .values("id", "freelancer_id", "title", "category__slug", "capacity", "active_contracts")
    )
    tiers = {
        t["project_id"]: t
        for t in Tier.objects.filter(project_id__in=[p["id"] for p in projects], position=0)
        .values("id", "project_id", "name", "price_minor", "delivery_days", "revisions")
        .iterator(chunk_size=_BATCH)
    }
    slots: list[Any] = []
    for project in projects:
        if project["id"] in tiers:
            room = project["capacity"] - _SPARE_SLOTS - project["active_contracts"]
            slots.extend([project] * room)
    rng.shuffle(slots)
    slots = slots[:count]
    policy = policy_in_force()
    world = LedgerAccount.objects.get_or_create(
        name=names.WORLD, defaults={"kind": LedgerAccount.Kind.WORLD}
    )[0]
    taken: dict[int, int] = defaultdict(int)
    w = BulkWriter(_BATCH)
    try:
        for start in range(0, len(slots), _BATCH):
            paid = 0
            with transaction.atomic():
                for project in slots[start : start + _BATCH]:
                    tier = tiers[project["id"]]
                    paid += _write_overdue_contract(
                        w, rng, project, tier, clients, policy, world.pk, now
                    )
                    taken[project["id"]] += 1
                for model in (
                    Contract,
                    Milestone,
                    ContractEvent,
                    LedgerAccount,
                    JournalEntry,
                    Posting,
                ):
                    w.flush(model)
                w.drain()  # before the next statement and the commit
                LedgerAccount.objects.filter(pk=world.pk).update(balance=F("balance") - paid)
        with transaction.atomic():
            update_rows(
                Project,
                [
                    Project(pk=pid, active_contracts=project_active + taken[pid])
                    for pid, project_active in (
                        (p["id"], p["active_contracts"]) for p in projects if p["id"] in taken
                    )
                ],
                ("active_contracts",),
            )
            w.finish()
    finally:
        w.close()
    return len(slots)


def _write_overdue_contract(
    w: BulkWriter,
    rng: random.Random,
    project: Any,
    tier: Any,
    clients: list[int],
    policy: Any,
    world_id: int,
    now: datetime,
) -> int:
    """One running contract with its escrow, bought long enough ago to be overdue."""
    days = tier["delivery_days"]
    _cid, _escrow_id, total = write_purchase(
        w,
        client_id=rng.choice(clients),
        freelancer_id=project["freelancer_id"],
        project_id=project["id"],
        title=project["title"],
        category=project["category__slug"],
        tier=(tier["id"], tier["name"], tier["price_minor"], days, tier["revisions"]),
        policy=policy,
        started=now - timedelta(days=days + 1 + rng.random() * 2),
        world_id=world_id,
        charge_ref_prefix="bench_ch",
    )
    return total


def provide_due_timers(*, count: int, now: datetime | None = None) -> dict[str, int]:
    """Arm ``count`` due timers: on overdue seeded contracts first, then on new ones."""
    now = now or timezone.now()
    armed = arm_due_timers(count=count, now=now)
    made = 0
    if armed < count:
        made = create_overdue_contracts(count=count - armed, now=now)
        armed += arm_due_timers(count=count - armed, now=now)
    return {"armed": armed, "contracts_made": made}


def _worker_argv() -> list[str]:
    # The same entry point as the installed ``fairlance`` script, with this interpreter.
    return [sys.executable, "-c", "from fairlance.cli import main; main()", "worker", "--once"]


def drain_with_workers(
    *, workers: int = 2, timeout: float = 3_600, since: datetime | None = None
) -> dict[str, Any]:
    """Run ``workers`` ``fairlance worker --once`` processes until all exit; time them.

    With ``since``, also time when the last timer armed since then stopped being pending
    (``timers_seconds``, polled every 0.2 s): the workers fire the due timers first and
    send the emails those queued after, so the two numbers differ.
    """
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    # The workers open their own connections; ours must not hold SQLite's write lock.
    connection.close()
    cpu_before = _children_cpu()
    started = time.monotonic()
    procs = [
        # A fixed argv of this interpreter and our own entry point; no shell, no user input.
        subprocess.Popen(  # noqa: S603
            _worker_argv(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(workers)
    ]
    timers_seconds: float | None = None
    pending = Timer.objects.filter(
        explanation=EXPLANATION, created_at__gte=since, status=TimerStatus.PENDING
    )
    while since is not None and timers_seconds is None:
        if not pending.exists():
            timers_seconds = round(time.monotonic() - started, 1)
        elif all(proc.poll() is not None for proc in procs):
            break
        else:
            time.sleep(0.2)
        connection.close()  # no read snapshot or lock held between polls
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
        "timers_seconds": timers_seconds,
        # CPU the worker processes used (user + system), to tell a slow run from a busy
        # machine: on 2 shared cores the wall time also counts other processes' turns.
        "workers_cpu_seconds": round(_children_cpu() - cpu_before, 1),
        "exit_codes": codes,
        "errors": errors,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timer_outcomes(*, since: datetime) -> dict[str, int]:
    """How the timers this benchmark armed since ``since`` ended, by status."""
    rows = (
        Timer.objects.filter(explanation=EXPLANATION, created_at__gte=since)
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


def timers_benchmark(*, count: int, workers: int = 2) -> dict[str, Any]:
    """Provide ``count`` due timers, drain them with ``workers`` workers; the numbers.

    ``timers_seconds`` (all armed timers fired) is what the target measures;
    ``seconds`` is until the workers exited, i.e. also the emails sent.
    """
    since = timezone.now()
    prepared = time.monotonic()
    provided = provide_due_timers(count=count, now=since)
    prepare_seconds = round(time.monotonic() - prepared, 1)
    run = drain_with_workers(workers=workers, since=since)
    outcomes = timer_outcomes(since=since)
    fired = outcomes.get(TimerStatus.FIRED, 0)
    seconds = run["timers_seconds"] or run["seconds"]
    return {
        "requested": count,
        **provided,
        "prepare_seconds": prepare_seconds,
        "workers": workers,
        **run,
        "outcomes": outcomes,
        "fired_per_second": round(fired / seconds, 1) if seconds else None,
        "target_met": provided["armed"] >= 100_000 and seconds <= 60 and fired == provided["armed"],
    }
