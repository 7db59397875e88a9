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

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from fairlance.contracts import process
from fairlance.contracts.models import Contract, ContractEvent, Timer, TimerStatus
from fairlance.contracts.process import Context, Role, Transition
from fairlance.core.errors import Conflict, NotFound, PermissionDenied
from fairlance.core.policy import Policy, policy_for_version

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
    contract: Contract, user: Any, *, now: datetime | None = None
) -> list[str]:
    """Names of the transitions ``user`` could fire on ``contract`` right now."""
    now = now or timezone.now()
    roles = roles_of(contract, user)
    policy = policy_for_version(contract.policy_version)
    names: list[str] = []
    for t in process.transitions_from(contract.state):
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
) -> Contract:
    """``apply_transition`` for a contract the caller has locked inside its transaction.

    ``policy``, when the caller already holds it, must be the contract's policy version
    (versions never change once stored); it saves looking it up again.
    """
    t = process.BY_NAME.get(name)
    if t is None:
        raise NotFound(f"There is no transition {name!r}.", code="unknown_transition")
    now = now or timezone.now()
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
    from_state = contract.state
    to_state = t.target(contract, ctx)
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
    contract.save()
    ContractEvent.objects.create(
        contract=contract,
        seq=ctx.seq,
        name=name,
        actor_role=actor.role,
        actor=actor.user if actor.user is not None and actor.user.is_authenticated else None,
        from_state=from_state,
        to_state=to_state,
        data=_event_data(payload),
        created_at=now,
    )
    if entered:
        Timer.objects.filter(contract=contract, status=TimerStatus.PENDING).update(
            status=TimerStatus.SKIPPED, last_error="state left"
        )
        _arm_timers(contract, now, ctx.policy)
    if t.notify:
        _notify(contract, t, actor)
    return contract


def _event_data(payload: dict[str, Any]) -> dict[str, Any]:
    # Events keep what people said and decided; card numbers never reach the log.
    keep = ("note", "reason", "amount_minor", "freelancer_percent", "fault", "answers")
    data = {k: payload[k] for k in keep if k in payload}
    if payload.get("files"):
        data["files"] = [str(getattr(f, "name", "")) for f in payload["files"]]
    return data


def _anchor(contract: Contract, state: str, which: str, now: datetime) -> datetime:
    """When ``state`` was first/last *entered*, plus the time spent in disputes since.

    Coming back from a dispute is a resumption, not an entry: a withdrawn dispute neither
    restarts nor eats into a clock.
    """
    events = list(contract.events.order_by("seq").values("name", "to_state", "created_at"))
    entries = [
        e["created_at"]
        for e in events
        if e["to_state"] == state and e["name"] != "withdraw_dispute"
    ]
    if not entries:
        return now
    start = entries[0] if which == "first_entered" else entries[-1]
    frozen = timedelta(0)
    opened: datetime | None = None
    for e in events:
        if e["created_at"] < start:
            continue
        if e["name"] == "open_dispute":
            opened = e["created_at"]
        elif e["name"] == "withdraw_dispute" and opened is not None:
            frozen += e["created_at"] - opened
            opened = None
    return start + frozen


def _arm_timers(contract: Contract, now: datetime, policy: Policy) -> None:
    # ``policy`` is the contract's version (the transition's context already loaded it).
    for t in process.timed_transitions_from(contract.state):
        assert t.timer is not None
        anchor = _anchor(contract, contract.state, t.timer.anchor, now)
        due = t.timer.due(contract, policy, anchor)
        Timer.objects.create(
            contract=contract,
            transition=t.name,
            clock=t.timer.clock,
            fire_at=due.at,
            explanation=due.explanation[:300],
            armed_at_event_seq=contract.state_entry_seq,
            created_at=now,
        )
        reminder = t.timer.reminder
        if reminder is not None and due.at - reminder.before > now:
            # A reminder is a timer that notifies instead of transitioning; it is skipped
            # like any other when the state is left before it fires.
            Timer.objects.create(
                contract=contract,
                transition=REMINDER_PREFIX + t.name,
                clock=f"{t.timer.clock}_reminder",
                fire_at=due.at - reminder.before,
                explanation=due.explanation[:300],
                armed_at_event_seq=contract.state_entry_seq,
                created_at=now,
            )


def _notify(contract: Contract, t: Transition, actor: Actor) -> None:
    from fairlance.notifications.services import notify

    words = t.name.replace("_", " ")
    title = f"{contract.title}: {words}"
    # The freelancer's email may wait for their working hours, but never past the next
    # clock of the contract.
    next_clock = (
        Timer.objects.filter(contract=contract, status=TimerStatus.PENDING)
        .order_by("fire_at")
        .values_list("fire_at", flat=True)
        .first()
    )
    for user_id, user in (
        (contract.client_id, contract.client),
        (contract.freelancer_id, contract.freelancer),
    ):
        if actor.user is not None and user_id == actor.user.pk:
            continue
        notify(
            user=user,
            kind=f"contract.{t.name}",
            title=title,
            body=f"Contract {contract.pk} is now {contract.state.replace('_', ' ')}.",
            data={"contract_id": contract.pk},
            quiet_hours=user_id == contract.freelancer_id,
            deadline=next_clock,
        )


# --- timers -----------------------------------------------------------------------------------


def _fire_one(timer_id: int, contract_id: int, now: datetime) -> str:
    """Fire one due timer in its own transaction; returns what happened.

    Lock order is contract, then timer: the same order person transitions use (they lock
    the contract, then update its timers), so the two never deadlock. On PostgreSQL a
    contract locked by someone else is skipped for now (``SKIP LOCKED``) and retried on the
    next pass; that is how several workers share the queue without waiting on each other.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=contract_id)
            .first()
        )
        if contract is None:
            return "busy"
        timer = (
            Timer.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=timer_id, status=TimerStatus.PENDING)
            .first()
        )
        if timer is None:
            return "gone"
        if timer.transition.startswith(REMINDER_PREFIX):
            return _remind(contract, timer, now)
        t = process.BY_NAME.get(timer.transition)
        stale = (
            t is None
            or contract.state not in t.from_states
            or contract.state_entry_seq != timer.armed_at_event_seq
        )
        if stale:
            _finish(timer, TimerStatus.SKIPPED, now, "state moved on")
            return "skipped"
        try:
            with transaction.atomic():
                ctx = _context(t, contract, SYSTEM, {}, now)  # type: ignore[arg-type]
                if not _guards_hold(t, contract, ctx):  # type: ignore[arg-type]
                    _finish(timer, TimerStatus.SKIPPED, now, "guard does not hold")
                    return "skipped"
                apply_locked(
                    contract,
                    name=timer.transition,
                    actor=SYSTEM,
                    payload={},
                    now=now,
                    policy=ctx.policy,
                )
        except Exception as exc:
            logger.exception("timer %s failed", timer.pk)
            timer.attempts += 1
            timer.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if timer.attempts >= MAX_TIMER_ATTEMPTS:
                timer.status = TimerStatus.FAILED
            else:
                timer.fire_at = now + TIMER_RETRY_DELAY * timer.attempts
            timer.save(update_fields=["attempts", "last_error", "status", "fire_at"])
            return "failed"
        _finish(timer, TimerStatus.FIRED, now, "")
        return "fired"


def _remind(contract: Contract, timer: Timer, now: datetime) -> str:
    """Send the reminder of a timer still armed for the current state entry (lock held)."""
    from fairlance.notifications.services import notify

    t = process.BY_NAME.get(timer.transition.removeprefix(REMINDER_PREFIX))
    reminder = t.timer.reminder if t is not None and t.timer is not None else None
    if (
        reminder is None
        or t is None
        or contract.state not in t.from_states
        or contract.state_entry_seq != timer.armed_at_event_seq
    ):
        _finish(timer, TimerStatus.SKIPPED, now, "state moved on")
        return "skipped"
    user = contract.client if reminder.to == "client" else contract.freelancer
    notify(
        user=user,
        kind=f"contract.reminder.{t.name}",
        title=f"{contract.title}: {reminder.text}",
        body=timer.explanation,
        data={"contract_id": contract.pk},
    )
    _finish(timer, TimerStatus.FIRED, now, "")
    return "fired"


def _finish(timer: Timer, status: str, now: datetime, note: str) -> None:
    timer.status = status
    timer.fired_at = now
    timer.last_error = note
    timer.attempts += 1
    timer.save(update_fields=["status", "fired_at", "last_error", "attempts"])


def fire_due_timers(*, now: datetime | None = None, limit: int = 100) -> int:
    """Fire up to ``limit`` due timers; returns how many fired (skipped ones not counted).

    Each timer runs in its own short transaction so one failure never blocks the rest
    and a killed worker loses at most the timer it was on (its transaction rolls back and
    the row stays pending). Re-checked at fire time: a timer armed by an earlier entry
    into a state, or whose state has moved on, is marked skipped.
    """
    now = now or timezone.now()
    fired = 0
    seen: set[int] = set()
    while len(seen) < limit:
        batch = list(
            Timer.objects.filter(status=TimerStatus.PENDING, fire_at__lte=now)
            .exclude(pk__in=seen)
            .order_by("fire_at", "id")
            .values_list("pk", "contract_id")[: min(50, limit - len(seen))]
        )
        if not batch:
            break
        for timer_id, contract_id in batch:
            seen.add(timer_id)
            if _fire_one(timer_id, contract_id, now) == "fired":
                fired += 1
    return fired
