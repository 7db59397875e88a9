"""The only code that changes a contract's state: ``apply_transition`` and the timer worker.

A transition runs in one database transaction: lock the contract row, check that the
transition leaves from the current state, that the actor may fire it and that its guards
hold; run its actions in order; set the new state; append the ``ContractEvent``; skip the
timers of the state that was left and arm those of the state entered; write notifications
(whose emails go out after commit). If any step fails, nothing of it is written.

Races between people and timers (a client approving while ``auto_approve`` fires) are
settled by the row lock: whoever comes second finds the contract in another state and gets
``Conflict(code="transition_not_available")`` (timers are then marked skipped). On SQLite
``select_for_update`` does nothing, but the database runs IMMEDIATE transactions, so two
writers never interleave either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from fairlance.contracts import notices, process
from fairlance.contracts.models import Contract, Timer, TimerStatus
from fairlance.contracts.payload import clean_payload, event_data
from fairlance.contracts.process import Context, Notice, Role, Transition
from fairlance.contracts.unit_of_work import (
    IMMEDIATE,
    TimerBatch,
    Writes,
    savepoint_on_first_write,
)
from fairlance.core.errors import Conflict, NotFound, PermissionDenied
from fairlance.core.policy import Policy, policy_for_version
from fairlance.core.site import site_name
from fairlance.core.workdays import Deadline

logger = logging.getLogger(__name__)

# A timer whose transition keeps crashing is given up after this many attempts (and left
# for an operator to look at) instead of being retried for ever.
MAX_TIMER_ATTEMPTS = 3
TIMER_RETRY_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class Actor:
    role: Role
    user: Any = None  # accounts.User; None for the system


SYSTEM = Actor("system", None)
# Timer rows whose ``transition`` starts with this send a reminder instead.
REMINDER_PREFIX = "remind:"


def roles_of(contract: Contract, user: Any) -> list[Role]:
    """The person roles ``user`` holds on ``contract`` (a user never buys from themself)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    roles: list[Role] = []
    if user.pk == contract.client_id:
        roles.append("client")
    if user.pk == contract.freelancer_id:
        roles.append("freelancer")
    if getattr(user, "is_operator", False):
        roles.append("operator")
    return roles


def _guards_hold(t: Transition, contract: Contract, ctx: Context) -> bool:
    return all(guard(contract, ctx) for guard in t.guards)


def _context(
    t: Transition,
    contract: Contract,
    actor: Actor,
    payload: dict[str, Any],
    now: datetime,
    policy: Policy | None = None,
) -> Context:
    return Context(
        transition=t,
        role=actor.role,
        user=actor.user,
        payload=payload,
        now=now,
        policy=policy or policy_for_version(contract.policy_version),
        seq=contract.last_event_seq + 1,
    )


def available_transitions(
    contract: Contract, user: Any, *, now: datetime | None = None, policy: Policy | None = None
) -> list[str]:
    """Names of the transitions ``user`` could fire on ``contract`` right now.

    ``policy``, when the caller already holds it, saves looking up the contract's version
    (used only if it is that version).
    """
    now = now or timezone.now()
    roles = roles_of(contract, user)
    if policy is None or policy.version != contract.policy_version:
        policy = policy_for_version(contract.policy_version)
    names: list[str] = []
    for t in process.transitions_for(contract).transitions_from(contract.state):
        if t.subject:
            continue  # offered per subject (a proposal's own actions), not per contract
        for role in roles:
            if role not in t.actors:
                continue
            ctx = _context(t, contract, Actor(role, user), {}, now, policy)
            if _guards_hold(t, contract, ctx):
                names.append(t.name)
                break
    return names


def _pick_actor(t: Transition, contract: Contract, actor: Actor) -> Actor:
    """Check that ``actor`` may fire ``t``. A person's role is derived from the contract."""
    if actor.role == "system":
        if "system" not in t.actors:
            raise PermissionDenied("Only people fire this transition.")
        return actor
    roles = roles_of(contract, actor.user)
    if actor.role in roles and actor.role in t.actors:
        return actor
    if actor.role == "person":
        for role in roles:
            if role in t.actors:
                return Actor(role, actor.user)
    raise PermissionDenied(
        f"Only the {' or '.join(r for r in t.actors)} may {t.name.replace('_', ' ')}.",
        code="not_your_transition",
    )


def apply_transition(
    *,
    contract_id: int,
    name: str,
    actor: Actor | None = None,
    actor_role: Role | None = None,
    actor_user: Any = None,
    payload: dict[str, Any] | None = None,
) -> Contract:
    """Fire transition ``name`` on the contract, all or nothing (see module docstring).

    ``actor`` is (role, user); ``actor_role``/``actor_user`` are the same thing spelled
    out. For people the role is checked against the contract (a client cannot pretend to
    be the freelancer). Raises ``NotFound`` (no such contract or transition),
    ``PermissionDenied`` (wrong person), ``Conflict(code="transition_not_available")``
    (wrong state or a guard fails) and ``InvalidInput`` (bad payload).
    """
    if actor is None:
        if actor_role is None:
            raise ValueError("apply_transition needs an actor")
        actor = Actor(actor_role, actor_user)
    with transaction.atomic():
        contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
        if contract is None:
            raise NotFound()
        return apply_locked(contract, name=name, actor=actor, payload=payload or {})


def apply_locked(
    contract: Contract,
    *,
    name: str,
    actor: Actor,
    payload: dict[str, Any],
    now: datetime | None = None,
    policy: Policy | None = None,
    writes: Writes | None = None,
) -> Contract:
    """``apply_transition`` for a contract the caller has locked inside its transaction.

    ``policy``, when the caller already holds it, must be the contract's policy version
    (versions never change once stored); it saves looking it up again. ``writes`` is how
    the rows reach the database (``unit_of_work``): statement by statement unless the
    timer worker passes its batch. A contract not stored yet (a purchase's first
    transition, from ``INITIAL``) is inserted by the engine's save.
    """
    writes = writes or IMMEDIATE
    now = now or timezone.now()
    t, actor, ctx = _checked(contract, name, actor, payload, now, policy)
    from_state = contract.state
    to_state = t.target(contract, ctx)
    refunded_before = contract.refunded_minor  # what the notices say this one refunded
    for action in t.actions:
        action(contract, ctx)

    contract.state = to_state
    contract.last_event_seq = ctx.seq
    entered = to_state != from_state
    if entered:
        contract.state_entry_seq = ctx.seq
    if from_state == process.DISPUTED and to_state != process.DISPUTED:
        # previous_state is only meaningful while a dispute is open.
        contract.previous_state = ""
    contract.updated_at = now
    writes.save_contract(contract)
    writes.add_event(
        contract=contract,
        seq=ctx.seq,
        name=name,
        actor_role=actor.role,
        actor=actor.user if actor.user is not None and actor.user.is_authenticated else None,
        from_state=from_state,
        to_state=to_state,
        data=_event_data(t, ctx),
        created_at=now,
    )
    # A contract being created (a purchase) has no timers to skip, no earlier events to
    # anchor its clocks on, and no pending timers but the ones armed here: three reads
    # saved on the busiest transition.
    created = from_state == process.INITIAL
    armed: dict[str, Deadline] = {}
    if entered or ctx.effects.clocks:
        # Entering a state starts its clocks; staying in it, a transition may pause them
        # (a proposed cancellation), resume them or re-arm them at a moved deadline.
        if not created:
            writes.skip_pending_timers(contract)
        if ctx.effects.clocks != "pause":
            armed = _arm_timers(contract, now, ctx.policy, writes, created=created)
    if t.arms:
        armed.update(_arm_subject_timers(contract, t, ctx, writes))
    if t.notices:
        # The freelancer's email may wait for their working hours, but never past the
        # next clock of the contract.
        next_clock = (
            min((d.at for d in armed.values()), default=None)
            if created
            else writes.next_clock(contract)
        )
        facts = notices.Facts(
            contract=contract,
            actor=actor.user.public_name if actor.user is not None else site_name(),
            payload=ctx.payload,
            clocks=armed,
            refunded=contract.refunded_minor - refunded_before,
            policy=ctx.policy,
        )
        _notify(contract, t, actor, writes, next_clock, facts)
    return contract


def _checked(
    contract: Contract,
    name: str,
    actor: Actor,
    payload: dict[str, Any],
    now: datetime,
    policy: Policy | None,
) -> tuple[Transition, Actor, Context]:
    """Who, state, guards, input: the checks of ``apply_locked`` before anything is written.

    The context carries the payload as ``payload.clean_payload`` made it (the one check
    of what people send, for the API and the web alike).
    """
    t = process.transitions_for(contract).by_name.get(name)
    if t is None:
        if name not in process.BY_NAME:
            raise NotFound(f"There is no transition {name!r}.", code="unknown_transition")
        # A transition added after the contract's process version: its table never has it.
        raise Conflict(
            f"This contract runs an earlier version of the process, without "
            f"{name.replace('_', ' ')}.",
            code="transition_not_available",
            state=contract.state,
        )
    # Who first: a transition this person can never fire is 403 in every state.
    actor = _pick_actor(t, contract, actor)
    if contract.state not in t.from_states:
        raise Conflict(
            f"A contract that is {contract.state.replace('_', ' ')} cannot {name.replace('_', ' ')}.",
            code="transition_not_available",
            state=contract.state,
        )
    if policy is not None and policy.version != contract.policy_version:
        policy = None
    ctx = _context(t, contract, actor, payload, now, policy)
    if not _guards_hold(t, contract, ctx):
        raise Conflict(
            f"{name.replace('_', ' ').capitalize()} is not possible now: "
            + "; ".join(f"needs {g.__doc__ or g.__name__}" for g in t.guards),
            code="transition_not_available",
            state=contract.state,
        )
    # Input last, as before the declarations: a wrong person or state is told so first.
    ctx = dataclasses.replace(ctx, payload=clean_payload(t, payload, contract=contract))
    return t, actor, ctx


def transition_precheck(
    contract: Contract, *, name: str, actor: Actor, payload: dict[str, Any] | None = None
) -> None:
    """Raise what ``apply_transition`` would raise before its actions, without the lock.

    For a caller that must do something outside the transaction first (a processor call)
    and should not do it for a transition that is refused anyway. The state may change
    before the transition locks the contract: ``apply_transition`` checks again.
    """
    _checked(contract, name, actor, payload or {}, timezone.now(), None)


def _event_data(t: Transition, ctx: Context) -> dict[str, Any]:
    """The transition's declared, kept fields (``payload.event_data``), and whether it
    paused or resumed the clocks (read back by ``_anchor``: clocks do not run between a
    pause and its resume)."""
    data = event_data(t, ctx.payload)
    if ctx.effects.clocks in ("pause", "resume"):
        data["clocks"] = ctx.effects.clocks
    return data


def _anchor(
    contract: Contract, state: str, which: str, now: datetime, writes: Writes, *, created: bool
) -> datetime:
    """When ``state`` was first/last *entered*, plus the time spent in disputes since.

    Coming back from a dispute is a resumption, not an entry: a withdrawn dispute neither
    restarts nor eats into a clock. A contract just ``created`` entered its state now.
    """
    if created:
        return now
    events = writes.events_of(contract)
    entries = [
        e["created_at"]
        for e in events
        if e["to_state"] == state and e["from_state"] != state and e["name"] != "withdraw_dispute"
    ]
    if not entries:
        return now
    start = entries[0] if which == "first_entered" else entries[-1]
    # Clocks stand still in a dispute and while a proposal pauses them; the two may
    # overlap, so count the time *any* pause was on once.
    frozen = timedelta(0)
    pauses = 0
    since: datetime | None = None
    for e in events:
        data = e.get("data") or {}
        opens = e["name"] == "open_dispute" or data.get("clocks") == "pause"
        closes = e["name"] == "withdraw_dispute" or data.get("clocks") == "resume"
        if opens:
            if pauses == 0:
                since = e["created_at"]
            pauses += 1
        elif closes and pauses > 0:
            pauses -= 1
            if pauses == 0 and since is not None:
                frozen += max(e["created_at"] - max(since, start), timedelta(0))
    return start + frozen


def _arm_timers(
    contract: Contract, now: datetime, policy: Policy, writes: Writes, *, created: bool = False
) -> dict[str, Deadline]:
    """Arm the timers of the state just entered; returns their deadlines by clock name
    (reminders too, as ``<clock>_reminder``).

    ``policy`` is the contract's version (the transition's context already loaded it).
    """
    armed: dict[str, Deadline] = {}
    if contract.clocks_paused_at is not None:
        return armed  # they start when the proposal that paused them is answered
    for t in process.transitions_for(contract).timed_transitions_from(contract.state):
        assert t.timer is not None
        if t.timer.when is not None and not t.timer.when(contract):
            continue
        anchor = _anchor(contract, contract.state, t.timer.anchor, now, writes, created=created)
        due = t.timer.due(contract, policy, anchor)
        writes.add_timer(
            contract=contract,
            transition=t.name,
            clock=t.timer.clock,
            fire_at=due.at,
            explanation=due.explanation[:300],
            armed_at_event_seq=contract.state_entry_seq,
            created_at=now,
        )
        armed[t.timer.clock] = due
        reminder = t.timer.reminder
        if reminder is not None and due.at - reminder.before > now:
            # A reminder is a timer that notifies instead of transitioning; it is skipped
            # like any other when the state is left before it fires.
            writes.add_timer(
                contract=contract,
                transition=REMINDER_PREFIX + t.name,
                clock=f"{t.timer.clock}_reminder",
                fire_at=due.at - reminder.before,
                explanation=due.explanation[:300],
                armed_at_event_seq=contract.state_entry_seq,
                created_at=now,
            )
            armed[f"{t.timer.clock}_reminder"] = Deadline(due.at - reminder.before, "")
    return armed


def _arm_subject_timers(
    contract: Contract, t: Transition, ctx: Context, writes: Writes
) -> dict[str, Deadline]:
    """Arm the subject timers ``t`` declares (``Transition.arms``) for each subject of
    their type its actions opened (``ctx.effects.subjects``); returns their deadlines by
    clock name. Keyed by (contract, subject, this event's seq)."""
    armed: dict[str, Deadline] = {}
    table = process.transitions_for(contract)
    for name in t.arms:
        spec = table.by_name[name].timer
        assert spec is not None and spec.subject, f"{name} is not a subject timer"
        for subject_type, subject in ctx.effects.subjects:
            if subject_type != spec.subject:
                continue
            due = spec.due(contract, ctx.policy, ctx.now, subject)
            writes.add_timer(
                contract=contract,
                transition=name,
                clock=spec.clock,
                fire_at=due.at,
                explanation=due.explanation[:300],
                armed_at_event_seq=ctx.seq,
                subject_type=subject_type,
                subject_id=subject.pk,
                created_at=ctx.now,
            )
            armed[spec.clock] = due
    return armed


def timer_payload(timer: Timer) -> dict[str, Any]:
    """What the timer's transition is fired with: a subject timer names its subject
    (``proposal_id``), as a person answering that subject would."""
    if timer.subject_type:
        return {f"{timer.subject_type}_id": timer.subject_id}
    return {}


def _stale(contract: Contract, timer: Timer, t: Transition | None, reminder: bool) -> bool:
    """Whether a claimed timer has nothing left to do (it is then marked skipped).

    A state timer is stale once the contract has left the state entry that armed it; a
    subject timer once its subject is closed (``process.SUBJECT_OPEN``), whatever states
    the contract went through meanwhile.
    """
    if t is None or t.timer is None or contract.state not in t.from_states:
        return True
    if timer.subject_type:
        is_open = process.SUBJECT_OPEN.get(timer.subject_type)
        return is_open is None or timer.subject_id is None or not is_open(timer.subject_id)
    return contract.state_entry_seq != timer.armed_at_event_seq or (
        reminder and t.timer.reminder is None
    )


def _notify(
    contract: Contract,
    t: Transition,
    actor: Actor,
    writes: Writes,
    next_clock: datetime | None,
    facts: notices.Facts,
) -> None:
    """Write the transition's notices (``Transition.notices``), each in its recipient's words.

    Nobody is told about their own action, except by a receipt. A notice that asks for an action records the
    state entry it was written in, so an email still held back when the contract moves on
    is dropped instead of sent late.
    """
    for notice in t.notices:
        if notice.state is not None and notice.state != contract.state:
            continue
        user_id, user = _party(contract, notice.to)
        if notice.proposer and notice.to != facts.payload.get("_proposed_by"):
            continue
        if actor.user is not None and user_id == actor.user.pk and not notice.receipt:
            continue
        _write_notice(
            contract,
            writes,
            user,
            notice,
            kind=f"contract.{t.name}",
            facts=facts,
            clock=notice.deadline,
            needs_action=notice.needs_action,
            deadline=next_clock,
        )


def _party(contract: Contract, role: str) -> tuple[int, Any]:
    if role == "client":
        return contract.client_id, contract.client
    return contract.freelancer_id, contract.freelancer


def _write_notice(
    contract: Contract,
    writes: Writes,
    user: Any,
    notice: Notice | process.Reminder,
    *,
    kind: str,
    facts: notices.Facts,
    clock: str | None,
    needs_action: bool,
    deadline: datetime | None,
) -> None:
    """Render ``notice`` for ``user`` and write it; ``deadline`` bounds quiet hours."""
    words = notices.render(
        notice.subject, notice.body, facts=facts, deadline=clock, zone=writes.time_zone(user)
    )
    writes.notify(
        user=user,
        role=notice.to,
        kind=kind,
        title=words.subject,
        body=words.body,
        data={"contract_id": contract.pk},
        deadline=deadline,
        contract_id=contract.pk,
        about_entry=contract.state_entry_seq if needs_action else None,
    )


# --- timers -----------------------------------------------------------------------------------

# Due timers fired per transaction. One transaction per timer cost a commit (a WAL flush) and
# ~18 statements each, ~107 timers/s with two workers; a batch shares the claim, the loads,
# the writes and the commit (see docs/performance.md, "Timers"). A killed worker loses at
# most the batch in flight: its transaction rolls back and the timers stay pending.
TIMER_BATCH = 500


class _BatchFailed(Exception):
    """A whole batch could not be written; its timers are retried one per transaction."""

    def __init__(self, timer_ids: list[int]) -> None:
        super().__init__(f"batch of {len(timer_ids)} timers failed")
        self.timer_ids = timer_ids


def fire_due_timers(
    *, now: datetime | None = None, limit: int = 100, batch_size: int = TIMER_BATCH
) -> int:
    """Fire up to ``limit`` due timers; returns how many fired (skipped ones not counted).

    Timers are taken in batches of ``batch_size``, one transaction each (``_fire_batch``),
    every timer in its own savepoint, so one failing timer rolls back alone and is retried
    later, then given up after ``MAX_TIMER_ATTEMPTS``. Re-checked at fire time: a timer armed
    by an earlier entry into a state, or whose state has moved on, is marked skipped. If a
    batch fails as a whole (its writes at the end cannot be flushed), nothing of it is kept
    and its timers are retried one per transaction, so a poisoned timer fails alone.
    """
    now = now or timezone.now()
    fired = 0
    taken = 0
    singly = 0  # timers still to take one per transaction after a failed batch
    # Where the next claim starts in the queue (see ``_claim``): every due timer before it
    # has been dealt with by this call, or is locked by someone else and fires on a later
    # call. A failed timer is due again only later, so it is never passed over for good.
    after: datetime | None = None
    while taken < limit:
        size = min(1 if singly else batch_size, limit - taken)
        try:
            done, n, more, after = _fire_batch(now, size, after)
        except _BatchFailed as failed:
            logger.exception("a batch of %s timers failed", len(failed.timer_ids))
            if len(failed.timer_ids) > 1:
                singly = len(failed.timer_ids)
                continue
            _record_failure(failed.timer_ids[0], failed.__cause__, now)
            done, n, more = 1, 0, True
        taken += done
        fired += n
        singly = max(0, singly - done)
        if not more:
            break
    return fired


# The parties are loaded with the claim for their notifications, which need only their id,
# email address and display name (the notices name both sides); the rest of a user row
# (and a timer's bookkeeping) is not read by the worker. Building the full rows was a third of a batch's time.
@functools.cache
def _claim_deferred() -> tuple[str, ...]:
    # A function, not a constant: the user model is known once the apps are loaded.
    return (
        "created_at",
        "fired_at",
        "last_error",
        *(
            f"contract__{party}__{f.name}"
            for party in ("client", "freelancer")
            for f in get_user_model()._meta.concrete_fields
            if f.name not in ("id", "email", "display_name")
        ),
    )


def _claim(now: datetime, size: int, after: datetime | None) -> list[Timer]:
    """Lock and load up to ``size`` due timers with their contracts, in one statement.

    Lock order is contract, then timer (``FOR UPDATE OF contract, timer``: PostgreSQL locks
    each row's relations in that order), the order person transitions use (they lock the
    contract, then update its timers), so the two never deadlock. ``SKIP LOCKED`` passes
    over rows another worker or a person holds: two workers take disjoint batches without
    waiting on each other, and a contract busy with a person is retried on a later pass.
    On SQLite ``select_for_update`` does nothing; it has one writer at a time anyway.

    ``after`` starts the walk at that ``fire_at`` instead of the head of the queue. The
    index keeps an entry for every timer fired until vacuum removes it, and PostgreSQL can
    only skip such entries cheaply once no transaction anywhere on the server is older
    than the firing (one long transaction in another database is enough to prevent it):
    from the head, each batch re-read every timer fired before it, 100,000 timers took
    minutes, slower with every batch.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    return list(
        Timer.objects.select_for_update(skip_locked=skip_locked, of=("contract", "self"))
        .select_related("contract", "contract__client", "contract__freelancer")
        .defer(*_claim_deferred())
        # The contract's earliest pending subject timer (see ``TimerBatch.next_clock``),
        # read with the claim rather than by a statement per transition.
        .annotate(
            subject_clock=Subquery(
                Timer.objects.filter(
                    contract_id=OuterRef("contract_id"), status=TimerStatus.PENDING
                )
                .exclude(subject_type="")
                .order_by("fire_at")
                .values("fire_at")[:1]
            )
        )
        .filter(status=TimerStatus.PENDING, fire_at__lte=now)
        .filter(**({"fire_at__gte": after} if after is not None else {}))
        # Oldest first, in the order of the (status, fire_at) index: adding ``id`` as a
        # tie-break would make PostgreSQL sort every due timer before the LIMIT, which is
        # slower the longer the backlog (100,000 due timers: the whole set per batch).
        .order_by("fire_at")[:size]
    )


def _calendars(users: list[Any]) -> dict[int, Any]:
    """Working calendars (``WorkdaySpec``) of ``users`` by user id, in two queries.

    Each calendar is also attached to every object of its user (a user who is a party to
    several contracts of the batch comes as several objects), so the notices' time zones
    and the client's clocks read ``user.calendar`` without a query.
    """
    from django.db.models import prefetch_related_objects

    from fairlance.accounts.models import WorkingCalendar

    objects: dict[int, list[Any]] = {}
    for user in users:
        objects.setdefault(user.pk, []).append(user)
    prefetch_related_objects([same[0] for same in objects.values()], "time_off")
    specs = {}
    found: dict[int, Any] = {
        c.user_id: c for c in WorkingCalendar.objects.filter(user_id__in=list(objects))
    }
    for user_id, same in objects.items():
        calendar = found.get(user_id)
        if calendar is not None:
            calendar.user = same[0]  # as_spec() reads its (prefetched) time off
            specs[user_id] = calendar.as_spec()
        for user in same:
            user.remember_calendar(calendar)
    return specs


def _fire_batch(
    now: datetime, size: int, after: datetime | None = None
) -> tuple[int, int, bool, datetime | None]:
    """Claim up to ``size`` due timers and fire them in one transaction.

    Returns (timers dealt with, timers fired, whether more may be due: the claim was full,
    or a contract's later timers were left for the next batch; where the next claim may
    start). Only the first timer of each contract is dealt with: a contract goes through
    at most one transition per batch, so what the batch staged for it is exactly that
    transition's (see ``unit_of_work``); its other due timers stay pending for the next
    batch, which sees the state this one leaves.
    """
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                # The commit of a batch does not wait for its WAL flush. A crash of the
                # database server (not of a worker) can lose the last few batches committed
                # in the ~0.6 s before it (3 x wal_writer_delay): their timers are then still
                # pending and fire again, once, on restart. Nothing else is at risk: the
                # setting is local to this transaction, and each batch is all or nothing.
                # The claim must walk the (status, fire_at) index in order and stop at the
                # batch size. With the statistics of a quiet queue (a few due timers) the
                # planner instead collects every due timer and sorts them: 130 ms per
                # batch at 5,000 due, seconds at 100,000. No sort is the index's order.
                cursor.execute("SET LOCAL synchronous_commit = off; SET LOCAL enable_sort = off")
        claimed = _claim(now, size, after)
        if not claimed:
            return 0, 0, False, after
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_sort = on")
        first: list[Timer] = []
        left: list[Timer] = []
        contracts: set[int] = set()
        for timer in claimed:
            if timer.contract_id not in contracts:
                contracts.add(timer.contract_id)
                first.append(timer)
            else:
                left.append(timer)
        # Claimed in fire_at order: everything before the last one claimed (or the first
        # one left for later) is done. Ties are kept: the next claim starts *at* it.
        resume = left[0].fire_at if left else claimed[-1].fire_at
        policies: dict[int, Policy] = {}
        for version in {t.contract.policy_version for t in first}:
            # A missing version is looked up again in each timer's savepoint, where it
            # fails that timer alone (as it always did), not the batch.
            with contextlib.suppress(LookupError):
                policies[version] = policy_for_version(version)
        batch = TimerBatch(
            now=now,
            wall_now=timezone.now(),
            calendars=lambda: _calendars(
                [t.contract.freelancer for t in first] + [t.contract.client for t in first]
            ),
        )
        # Every timer transition and reminder notifies someone in their own time zone.
        batch.load_calendars()
        fired = 0
        for timer in first:
            batch.track(timer.contract, timer.fire_at, getattr(timer, "subject_clock", None))
            policy = policies.get(timer.contract.policy_version)
            if _fire_in_batch(batch, timer, policy) == "fired":
                fired += 1
        try:
            batch.flush()
        except Exception as exc:
            raise _BatchFailed([t.pk for t in first]) from exc
        return len(first), fired, len(claimed) == size or bool(left), resume


def _fire_in_batch(batch: TimerBatch, timer: Timer, policy: Policy | None) -> str:
    """Fire one claimed timer through the engine, writing through ``batch``.

    The transition runs in a savepoint: if it raises, its direct writes roll back, what it
    staged in the batch is dropped, and the timer is retried later (or marked failed).
    """
    contract = timer.contract
    now = batch.now
    reminder = timer.transition.startswith(REMINDER_PREFIX)
    try:
        table = process.transitions_for(contract)
    except LookupError:
        table = None
    name = timer.transition.removeprefix(REMINDER_PREFIX)
    t = table.by_name.get(name) if table is not None else None
    if _stale(contract, timer, t, reminder):
        batch.finish(
            timer.pk,
            TimerStatus.SKIPPED,
            "subject closed" if timer.subject_type else "state moved on",
        )
        return "skipped"
    assert t is not None
    mark = batch.mark()
    try:
        with savepoint_on_first_write():
            if reminder:
                _remind(contract, timer, t, batch)
            else:
                payload = timer_payload(timer)
                ctx = _context(t, contract, SYSTEM, payload, now, policy)
                if not _guards_hold(t, contract, ctx):
                    batch.finish(timer.pk, TimerStatus.SKIPPED, "guard does not hold")
                    return "skipped"
                apply_locked(
                    contract,
                    name=timer.transition,
                    actor=SYSTEM,
                    payload=payload,
                    now=now,
                    policy=policy,
                    writes=batch,
                )
    except Exception as exc:
        batch.rollback_to(mark)
        logger.exception("timer %s failed", timer.pk)
        _record_failure(timer.pk, exc, now, timer=timer)
        return "failed"
    batch.finish(timer.pk, TimerStatus.FIRED)
    return "fired"


def _remind(contract: Contract, timer: Timer, t: Transition, writes: Writes) -> None:
    """Send the reminder of a timer still armed for the current state entry (lock held).

    The deadline it is about is when the reminded transition fires: ``before`` after the
    reminder's own instant.
    """
    assert t.timer is not None and t.timer.reminder is not None
    reminder = t.timer.reminder
    due = Deadline(timer.fire_at + reminder.before, timer.explanation)
    _user_id, user = _party(contract, reminder.to)
    _write_notice(
        contract,
        writes,
        user,
        reminder,
        kind=f"contract.reminder.{t.name}",
        facts=notices.Facts(
            contract=contract, actor=site_name(), payload={}, clocks={t.timer.clock: due}
        ),
        clock=t.timer.clock,
        needs_action=True,
        deadline=due.at,
    )


def _record_failure(
    timer_id: int, exc: BaseException | None, now: datetime, *, timer: Timer | None = None
) -> None:
    """Count a failed attempt: retry later, or give up after ``MAX_TIMER_ATTEMPTS``.

    Inside a batch the caller holds the timer (locked, its savepoint rolled back); after a
    failed batch it is locked again here, in a transaction of its own.
    """
    with transaction.atomic():
        if timer is None:
            timer = (
                Timer.objects.select_for_update()
                .filter(pk=timer_id, status=TimerStatus.PENDING)
                .first()
            )
            if timer is None:
                return
        timer.attempts += 1
        timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if timer.attempts >= MAX_TIMER_ATTEMPTS:
            timer.status = TimerStatus.FAILED
        else:
            timer.fire_at = now + TIMER_RETRY_DELAY * timer.attempts
        timer.save(update_fields=["attempts", "last_error", "status", "fire_at"])
