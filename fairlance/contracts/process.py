"""The contract lifecycle as data (SPEC section 2).

Every way a contract can change state is one ``Transition`` in ``TRANSITIONS``: its name, who
may fire it, the states it leaves from, the state it goes to, guards that must hold, the
ordered actions it performs and, for transitions fired by the clock, a ``TimerSpec``. The
states are not declared anywhere else: they are whatever the table mentions. The engine
(``engine.py``) is the only code that reads this table to change a contract, and
``docs/lifecycle.md`` is generated from it (``fairlance lifecycle_doc``).

Naming follows Sharetribe's transaction processes: transitions are verbs, timer transitions
are fired by the ``system`` actor, states are participles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from fairlance.contracts import actions, deadlines

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract
    from fairlance.core.policy import Policy
    from fairlance.core.workdays import Deadline

# "person" is what a caller passes when the engine should work out the role from the
# contract (the client, the freelancer or an operator); the context always has a real role.
Role = Literal["client", "freelancer", "operator", "system", "person"]
PERSON_ROLES: tuple[Role, ...] = ("client", "freelancer", "operator")

# A contract being bought is in this pseudo-state until its first transition moves it into
# the lifecycle (it is stored only then, inside the purchase transaction).
INITIAL = "new"
# ``to_state`` markers: stay in the same state, or go back to the state before the dispute.
SAME = "(same)"
PREVIOUS = "(previous)"

AWAITING_REQUIREMENTS = "awaiting_requirements"
REQUESTED = "requested"
IN_PROGRESS = "in_progress"
DELIVERED = "delivered"
DISPUTED = "disputed"
COMPLETED = "completed"
CANCELLED = "cancelled"
FINAL_STATES = frozenset({COMPLETED, CANCELLED})


@dataclass(frozen=True)
class Context:
    """What guards and actions see besides the (locked) contract."""

    transition: Transition
    role: Role
    user: Any  # accounts.User | None for the system actor
    payload: dict[str, Any]
    now: datetime
    policy: Policy
    # The sequence number the event of this transition gets (unique per contract): money
    # references derive from it so a repeated action can never post twice.
    seq: int


Guard = Callable[["Contract", Context], bool]
Action = Callable[["Contract", Context], None]
DueFunction = Callable[["Contract", "Policy", datetime], "Deadline"]


@dataclass(frozen=True)
class TimerSpec:
    """When the system fires a transition by itself.

    ``anchor`` says which entry into the from-state starts the clock: ``first_entered`` for
    hard deadlines that do not restart, ``last_entered`` for clocks that restart on every
    entry (the review window after each delivery). Time spent in a dispute never counts:
    the engine shifts the anchor by it. ``due`` turns (contract, policy, anchor instant) into
    the instant with its explanation; ``clock`` names the deadline shown to people.
    """

    anchor: Literal["first_entered", "last_entered"]
    due: DueFunction
    clock: str
    reminder: Reminder | None = None


@dataclass(frozen=True)
class Reminder:
    """A notification to ``to`` some time ``before`` the timer fires (SPEC section 7)."""

    before: timedelta
    to: Role
    text: str


@dataclass(frozen=True)
class Transition:
    name: str
    actors: tuple[Role, ...]
    from_states: tuple[str, ...]
    # Possible target states; ``route`` picks one when there are several.
    to_states: tuple[str, ...]
    guards: tuple[Guard, ...] = ()
    actions: tuple[Action, ...] = ()
    timer: TimerSpec | None = None
    route: Callable[[Contract, Context], str] | None = None
    summary: str = ""
    money: bool = False  # moves money: the API accepts an Idempotency-Key
    notify: bool = True
    # Takes the client's money from the card hold: the processor captures it before the
    # transition, outside its transaction (``contracts.services.contract_transition``).
    capture: bool = False
    # What the notification tells each side, where "Contract N is now <state>" says too
    # little (keyed by role).
    notice: Mapping[Role, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def by_person(self) -> bool:
        return any(a in PERSON_ROLES for a in self.actors)

    def target(self, contract: Contract, ctx: Context) -> str:
        if self.route is not None:
            return self.route(contract, ctx)
        (only,) = self.to_states
        if only == SAME:
            return contract.state
        if only == PREVIOUS:
            return contract.previous_state
        return only


# --- guards -----------------------------------------------------------------------------
# Guards are pure reads of the locked contract; each docstring is shown in docs/lifecycle.md.


def in_grace_window(contract: Contract, ctx: Context) -> bool:
    """instant purchase, grace window still open"""
    return (
        contract.purchase_mode == "instant"
        and contract.grace_ends_at is not None
        and ctx.now < contract.grace_ends_at
    )


def revisions_left(contract: Contract, ctx: Context) -> bool:
    """revisions left"""
    return contract.revisions_left > 0


def not_late(contract: Contract, ctx: Context) -> bool:
    """not already late"""
    return not contract.late


def late_grace_passed(contract: Contract, ctx: Context) -> bool:
    """late, and the late grace has passed"""
    if not contract.late or contract.delivery_due_at is None:
        return False
    return ctx.now >= deadlines.late_grace_deadline(contract, ctx.policy).at


def opened_the_dispute(contract: Contract, ctx: Context) -> bool:
    """only who opened the dispute"""
    return ctx.role == contract.dispute_opened_by


def not_a_party(contract: Contract, ctx: Context) -> bool:
    """the operator is neither the client nor the freelancer"""
    user_id = getattr(ctx.user, "pk", None)
    return user_id not in (contract.client_id, contract.freelancer_id)


def route_after_purchase(contract: Contract, ctx: Context) -> str:
    return IN_PROGRESS if actions.requirements_complete(contract) else AWAITING_REQUIREMENTS


def route_dispute_decision(contract: Contract, ctx: Context) -> str:
    return COMPLETED if actions.dispute_percent(ctx.payload) > 0 else CANCELLED


# --- the table --------------------------------------------------------------------------

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "purchase",
        ("client",),
        (INITIAL,),
        (AWAITING_REQUIREMENTS, IN_PROGRESS),
        actions=(actions.capture_payment, actions.start_work_if_ready),
        route=route_after_purchase,
        summary="instant buy; payment captured into escrow",
        money=True,
    ),
    Transition(
        "request",
        ("client",),
        (INITIAL,),
        (REQUESTED,),
        actions=(actions.hold_payment,),
        summary="request to buy, requirements answered up front; payment authorized "
        "(held, not captured)",
        money=True,
    ),
    Transition(
        "accept",
        ("freelancer",),
        (REQUESTED,),
        (IN_PROGRESS,),
        actions=(actions.capture_hold, actions.start_delivery_clock),
        summary="authorization captured into escrow; delivery clock starts",
        money=True,
        capture=True,
    ),
    Transition(
        "decline",
        ("freelancer",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        summary="authorization voided, no fault",
        money=True,
    ),
    Transition(
        "withdraw",
        ("client",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        summary="authorization voided, no fault",
        money=True,
    ),
    Transition(
        "expire_request",
        ("system",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        timer=TimerSpec(
            "first_entered",
            deadlines.request_deadline,
            "request_window",
            Reminder(timedelta(hours=8), "freelancer", "A purchase request expires soon"),
        ),
        summary="request window passed: authorization voided, no fault",
        money=True,
    ),
    Transition(
        "expire_hold",
        ("system",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        summary="the processor refused to capture the card hold (it lapsed or was released) "
        "when the freelancer accepted: authorization voided, no fault",
        money=True,
        notice={
            "client": "Your card hold expired before the freelancer accepted; the request "
            "ended, nothing was charged and no one is at fault.",
            "freelancer": "The client's card hold expired before you accepted; the request "
            "ended and no one is at fault.",
        },
    ),
    Transition(
        "submit_requirements",
        ("client",),
        (AWAITING_REQUIREMENTS,),
        (IN_PROGRESS,),
        actions=(actions.store_answers, actions.start_delivery_clock, actions.start_grace_window),
        summary="delivery clock and grace window start",
    ),
    Transition(
        "cancel_before_start",
        ("client",),
        (AWAITING_REQUIREMENTS,),
        (CANCELLED,),
        actions=(actions.refund_full, actions.end_no_fault),
        summary="full refund, no fault",
        money=True,
    ),
    Transition(
        "expire_requirements",
        ("system",),
        (AWAITING_REQUIREMENTS,),
        (CANCELLED,),
        actions=(actions.refund_full, actions.end_no_fault),
        timer=TimerSpec(
            "first_entered",
            deadlines.requirements_deadline,
            "requirements_window",
            Reminder(
                timedelta(days=1), "client", "Send your requirements: the order is cancelled soon"
            ),
        ),
        summary="requirements window passed: full refund, no fault",
        money=True,
    ),
    Transition(
        "decline_in_grace",
        ("freelancer",),
        (IN_PROGRESS,),
        (CANCELLED,),
        guards=(in_grace_window,),
        actions=(actions.refund_full, actions.end_no_fault_no_feedback),
        summary="full refund, no fault, no feedback",
        money=True,
    ),
    Transition(
        "mark_late",
        ("system",),
        (IN_PROGRESS,),
        (SAME,),
        guards=(not_late,),
        actions=(actions.set_late,),
        timer=TimerSpec("first_entered", deadlines.delivery_timer_due, "delivery_due"),
        summary="delivery due passed: the contract is flagged late and stays in progress",
    ),
    Transition(
        "deliver",
        ("freelancer",),
        (IN_PROGRESS,),
        (DELIVERED,),
        actions=(actions.record_delivery,),
        summary="review clock (re)starts",
    ),
    Transition(
        "approve",
        ("client",),
        (DELIVERED,),
        (COMPLETED,),
        actions=(actions.release_escrow, actions.end_completed),
        summary="escrow released",
        money=True,
    ),
    Transition(
        "request_revision",
        ("client",),
        (DELIVERED,),
        (IN_PROGRESS,),
        guards=(revisions_left,),
        actions=(actions.use_revision,),
        summary="revision counter drops",
    ),
    Transition(
        "auto_approve",
        ("system",),
        (DELIVERED,),
        (COMPLETED,),
        actions=(actions.release_escrow, actions.end_completed),
        timer=TimerSpec(
            "last_entered",
            deadlines.review_deadline,
            "review_window",
            Reminder(timedelta(days=1), "client", "The delivery is approved automatically soon"),
        ),
        summary="review window after the latest delivery passed: escrow released",
        money=True,
    ),
    Transition(
        "cancel_late",
        ("client",),
        (IN_PROGRESS,),
        (CANCELLED,),
        guards=(late_grace_passed,),
        actions=(actions.refund_full, actions.end_freelancer_fault),
        summary="full refund, freelancer fault",
        money=True,
    ),
    Transition(
        "refund",
        ("freelancer",),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (CANCELLED,),
        actions=(actions.refund_full, actions.end_no_fault),
        summary="full refund by the freelancer, no fault",
        money=True,
    ),
    Transition(
        "partial_refund",
        ("freelancer",),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (SAME,),
        actions=(actions.refund_partial,),
        summary="part of the price back to the client; lowers the price, needs no consent",
        money=True,
    ),
    Transition(
        "open_dispute",
        ("client", "freelancer"),
        (IN_PROGRESS, DELIVERED),
        (DISPUTED,),
        actions=(actions.open_dispute,),
        summary="clocks freeze",
    ),
    Transition(
        "withdraw_dispute",
        ("client", "freelancer"),
        (DISPUTED,),
        (PREVIOUS,),
        guards=(opened_the_dispute,),
        actions=(actions.resume_clocks,),
        summary="back to the previous state; clocks resume",
    ),
    Transition(
        "resolve_dispute",
        ("operator",),
        (DISPUTED,),
        (COMPLETED, CANCELLED),
        guards=(not_a_party,),
        actions=(actions.split_escrow,),
        route=route_dispute_decision,
        summary="operator splits the escrow: completed when the freelancer gets a share, else cancelled",
        money=True,
    ),
)

BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}
if len(BY_NAME) != len(TRANSITIONS):  # pragma: no cover - a typo in the table
    raise RuntimeError("transition names must be unique")

# States to which PREVIOUS may lead: the from-states of the transition that enters DISPUTED.
_PREVIOUS_OPTIONS: tuple[str, ...] = BY_NAME["open_dispute"].from_states


def target_states(t: Transition) -> tuple[str, ...]:
    """The concrete states a transition may lead to (markers resolved)."""
    out: list[str] = []
    for s in t.to_states:
        if s == SAME:
            out.extend(t.from_states)
        elif s == PREVIOUS:
            out.extend(_PREVIOUS_OPTIONS)
        else:
            out.append(s)
    return tuple(dict.fromkeys(out))


def _states() -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for t in TRANSITIONS:
        for s in t.from_states:
            if s != INITIAL:
                seen[s] = None
        for s in target_states(t):
            seen[s] = None
    return tuple(seen)


STATES: tuple[str, ...] = _states()


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if state in t.from_states]


def timed_transitions_from(state: str) -> list[Transition]:
    return [t for t in transitions_from(state) if t.timer is not None]
