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

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from fairlance.contracts import actions, deadlines, disputes, milestones, proposals
from fairlance.contracts.models import Fault
from fairlance.contracts.payload import PayloadField
from fairlance.files.kinds import RULES, Purpose
from fairlance.reviews import services as reviews

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
    # Filled by actions, read by the engine after them: the subjects (a proposal) this
    # transition opened, whose timers it arms (``Transition.arms``), and whether it pauses
    # or resumes the contract's state clocks without leaving the state.
    effects: Effects = field(default_factory=lambda: Effects())


@dataclass
class Effects:
    subjects: list[tuple[str, Any]] = field(default_factory=list)
    clocks: Literal["", "pause", "resume", "rearm"] = ""


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

    anchor: Literal["first_entered", "last_entered", "armed"]
    # A ``DueFunction``; a subject timer's takes the subject as a fourth argument.
    due: Callable[..., Deadline]
    clock: str
    reminder: Reminder | None = None
    # A *subject* timer (anchor ``armed``): armed by the transition that opens a subject of
    # this type (``Transition.arms``), not by entering a state, for the subject the action
    # named (``Context.subjects``); ``due`` then gets the subject as a fourth argument. It
    # outlives state changes and is stale once the subject is closed (``SUBJECT_OPEN``).
    subject: str = ""
    # Armed only for a contract this holds for on entering the state (the feedback window
    # opens only after an ending that counts).
    when: Callable[[Contract], bool] | None = None


@dataclass(frozen=True)
class Reminder:
    """A notification to ``to`` some time ``before`` the timer fires (SPEC section 7).

    ``subject`` and ``body`` are templates like a ``Notice``'s; ``{deadline}`` is the
    instant the timer fires. A reminder always asks for an action: one held back by quiet
    hours is dropped if the contract has left the state by the time it is due.
    """

    before: timedelta
    to: Literal["client", "freelancer"]
    subject: str
    body: str


@dataclass(frozen=True)
class Notice:
    """What one side of the contract is told when a transition happens (email and in-app).

    ``subject`` and ``body`` are ``str.format`` templates over the named fields listed in
    ``contracts/notices.py`` ({project}, {client}, {freelancer}, {paid}, {message},
    {deadline}...). The engine renders them in the recipient's time zone and ends every
    body with the link to the contract. ``to`` is the recipient's role; nobody is told
    about their own action, except by a ``receipt`` (the client's, for a purchase). ``state``: only when the transition leads there (a purchase
    starts in one of two states). ``deadline`` names the clock ``{deadline}`` stands for:
    a timer clock the transition arms ("request_window") or a stored deadline
    ("delivery_due", "grace", "late_grace"). ``needs_action``: the notice asks the
    recipient to act in the state just entered, so an email held back by quiet hours is
    dropped if the contract has left that state by the time it is due; ending notices
    (money moved, a request declined) leave it off and are always sent.
    """

    to: Literal["client", "freelancer"]
    subject: str
    body: str
    deadline: str | None = None
    needs_action: bool = False
    state: str | None = None
    receipt: bool = False
    # Only to the side that made the proposal the transition is about (an expiry is
    # fired by the system, so "not the actor" does not pick the recipient).
    proposer: bool = False


@dataclass(frozen=True)
class Look:
    """How a transition shows in the contract room (``web/contract_presenters.py``).

    ``label`` is the button's (``by_role`` overrides it for one role), ``tone`` its style
    ("primary", "secondary", "danger"); ``main`` buttons show up front, the others under
    "More options". Transitions that give money back or end the work ask first:
    ``confirm`` labels the "Yes, ..." button, ``confirm_refund`` replaces it when escrow
    holds money (``{amount}`` is what goes back). ``done`` is the message after it worked,
    ``event`` its words in the timeline, ``ending`` why the contract ended when it ended
    the contract (``{fl}``/``{cl}``: the freelancer/client, "you" for the viewer).
    ``own_form``: it has a form of its own in the room (delivery, requirements, an
    operator's decision), not a button.
    """

    label: str = ""
    tone: Literal["primary", "secondary", "danger"] = "secondary"
    help: str = ""
    main: bool = True
    confirm: str = ""
    confirm_refund: str = ""
    done: str = ""
    event: str = ""
    ending: str = ""
    own_form: bool = False
    by_role: tuple[tuple[Role, str], ...] = ()

    def label_for(self, role: str) -> str:
        return next((label for r, label in self.by_role if r == role), self.label)


# Optional words to the client when the freelancer gives up the work.
MESSAGE_TO_CLIENT = PayloadField("note", "paragraph", label="Message to the client")
FAULTS: tuple[str, ...] = tuple(str(v) for v in Fault.values)
# Evidence with a dispute: ids of the sender's ``dispute`` uploads (POST /uploads).
DISPUTE_FILES = PayloadField(
    "files",
    "files",
    label="Evidence",
    max_items=RULES[Purpose.DISPUTE].max_files,
    help="ids of `dispute` uploads",
    out_of_range="At most {high} files.",
)
# Which proposal a proposal's answer (or its expiry timer) is about; ``proposals`` looks
# it up under the contract's lock and refuses one that is not the contract's or not open.
PROPOSAL_ID = PayloadField("proposal_id", "number", as_sent=True)
# A proposal's kind: what ``propose`` is sent, what an answer's event says was answered
# (``proposals`` writes it once it found the proposal).
PROPOSAL_KIND = PayloadField("kind", "choice", choices=tuple(proposals.KINDS), as_sent=True)


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
    # Takes the client's money from the card hold: the processor captures it before the
    # transition, outside its transaction (``contracts.services.contract_transition``).
    capture: bool = False
    # Who is told what when the transition happens (the engine renders them).
    notices: tuple[Notice, ...] = ()
    # Subject timer transitions this one arms for the subjects its actions open.
    arms: tuple[str, ...] = ()
    # The process version that introduced it; contracts of older versions never run it.
    since: int = 1
    # Fired on one subject of the contract (a proposal, named in the payload) through that
    # subject's own endpoints, so it is not listed among the contract's actions.
    subject: str = ""
    # What a person sends with it (``contracts/payload.py``): the API input, the room's
    # form, the validation and the event data all come from this.
    payload: tuple[PayloadField, ...] = ()
    # How it shows in the room and the timeline; None: it never shows.
    look: Look | None = None
    # For a transition that can end the contract: whether that ending counts for trust
    # (both sides may leave feedback; it enters the success score and the client card's
    # numbers; SPEC section 6). "yes", "no", or "paid_or_fault": when money was paid to the
    # freelancer or someone was found at fault. ``not_counted`` says why, in words for the
    # freelancer's score page, when it does not.
    counts: Literal["", "yes", "no", "paid_or_fault"] = ""
    not_counted: str = ""

    def ending_counts(self, *, paid: bool, fault: str) -> bool:
        """Whether this ending counts, given whether money was paid and the fault."""
        if not self.counts:
            raise RuntimeError(f"{self.name} ends contracts but does not declare `counts`")
        return self.counts == "yes" or (
            self.counts == "paid_or_fault" and (paid or fault != Fault.NONE)
        )

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


def route_after_release(contract: Contract, ctx: Context) -> str:
    """Approving releases the current milestone only: work goes on while another funded
    milestone follows, and the last one's release completes the contract."""
    return IN_PROGRESS if milestones.more_after_current(contract) else COMPLETED


def route_dispute_decision(contract: Contract, ctx: Context) -> str:
    return COMPLETED if int(ctx.payload["freelancer_percent"]) > 0 else CANCELLED


# --- the table --------------------------------------------------------------------------

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "purchase",
        ("client",),
        (INITIAL,),
        (AWAITING_REQUIREMENTS, IN_PROGRESS),
        actions=(actions.capture_payment, actions.start_work_if_ready),
        route=route_after_purchase,
        look=Look(event="Bought the project; payment held in escrow"),
        summary="instant buy; payment captured into escrow",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "New order: {project} from {client}, waiting for requirements",
                '{client} bought the {package} package of "{project}" for {price} '
                "({earnings} for you after the service fee). The money is held in escrow.\n\n"
                "Nothing to do yet: {client} sends the requirements by {deadline_full}. "
                "Your delivery clock starts when they arrive.",
                deadline="requirements_window",
                needs_action=True,
                state=AWAITING_REQUIREMENTS,
            ),
            Notice(
                "freelancer",
                "New order: {project} from {client}, deliver by {deadline}",
                '{client} bought the {package} package of "{project}" for {price} '
                "({earnings} for you after the service fee). The money is held in escrow.\n\n"
                "Work starts now: deliver by {deadline_full}. {deadline_why} If you cannot "
                "take it, you may decline without fault until {grace}.",
                deadline="delivery_due",
                needs_action=True,
                state=IN_PROGRESS,
            ),
            Notice(
                "client",
                "Receipt: {project}, {paid} paid",
                "Thank you for your order.\n\n{receipt}\n\nThe money is held in escrow and "
                "reaches {freelancer} only when you approve the delivery.\n\n"
                "Next: send your requirements by {deadline_full}. If they do not arrive by "
                "then, the order is cancelled and you get everything back.",
                deadline="requirements_window",
                state=AWAITING_REQUIREMENTS,
                receipt=True,
            ),
            Notice(
                "client",
                "Receipt: {project}, {paid} paid",
                "Thank you for your order.\n\n{receipt}\n\nThe money is held in escrow and "
                "reaches {freelancer} only when you approve the delivery.\n\n"
                "Next: {freelancer} has started; the delivery is due {deadline_full}.",
                deadline="delivery_due",
                state=IN_PROGRESS,
                receipt=True,
            ),
        ),
    ),
    Transition(
        "request",
        ("client",),
        (INITIAL,),
        (REQUESTED,),
        actions=(actions.hold_payment,),
        look=Look(event="Asked to buy; payment held on the card, not charged"),
        summary="request to buy, requirements answered up front; payment authorized "
        "(held, not captured)",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "New request: {project} for {client}, answer by {deadline}",
                '{client} asks you to do the {package} package of "{project}" for '
                "{price} ({earnings} for you after the service fee). Their requirements and "
                "their history as a client are on the contract page.\n\n"
                "Accept or decline by {deadline_full}. Declining never counts against you; "
                "if you do not answer, the request expires and the client keeps their money.",
                deadline="request_window",
                needs_action=True,
            ),
            Notice(
                "client",
                "Receipt: {project}, {paid} held for your request",
                "Your request is on its way to {freelancer}.\n\n{receipt}\n\n"
                "The amount is held on your card, not charged, until {freelancer} answers: "
                "accepting charges it; if they decline, or do not answer by {deadline_full}, "
                "the hold is released and nothing is charged.",
                deadline="request_window",
                receipt=True,
            ),
        ),
    ),
    Transition(
        "accept_offer",
        ("client",),
        (INITIAL,),
        (IN_PROGRESS,),
        actions=(actions.capture_payment, actions.start_delivery_clock),
        look=Look(event="Accepted the offer; payment captured into escrow; work started"),
        summary="client accepts a custom offer and pays: payment captured into escrow; the "
        "freelancer already chose, so work starts at once (no grace window, the quote "
        "request is the requirements)",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Offer accepted: {project} from {client}, deliver by {deadline}",
                '{client} accepted your offer "{project}" and paid {price} ({earnings} for '
                "you after the service fee). The money is held in escrow.\n\n"
                "Work starts now: deliver by {deadline_full}. {deadline_why}",
                deadline="delivery_due",
                needs_action=True,
            ),
            Notice(
                "client",
                "Receipt: {project}, {paid} paid",
                "Thank you for your order.\n\n{receipt}\n\nThe money is held in escrow and "
                "reaches {freelancer} only when you approve the delivery.\n\n"
                "{freelancer} has started; the delivery is due {deadline_full}.",
                deadline="delivery_due",
                receipt=True,
            ),
        ),
    ),
    Transition(
        "accept",
        ("freelancer",),
        (REQUESTED,),
        (IN_PROGRESS,),
        actions=(actions.capture_hold, actions.start_delivery_clock),
        look=Look(
            "Accept and start",
            "primary",
            done="Accepted. The client's payment is in escrow and the delivery clock has started.",
            event="Accepted the request; payment captured into escrow; work started",
        ),
        summary="authorization captured into escrow; delivery clock starts",
        money=True,
        capture=True,
        notices=(
            Notice(
                "client",
                "Request accepted: {project}, delivery due {deadline}",
                '{freelancer} accepted your request for "{project}" and started work. '
                "The {paid} held on your card has been charged and is kept in escrow until you "
                "approve the delivery."
                "\n\nThe delivery is due {deadline_full}. {deadline_why}",
                deadline="delivery_due",
            ),
        ),
    ),
    Transition(
        "decline",
        ("freelancer",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        payload=(MESSAGE_TO_CLIENT,),
        look=Look(
            "Decline",
            "danger",
            help="The hold on the client's card is released. Declining never counts against you.",
            confirm="Yes, decline",
            confirm_refund="Yes, decline and refund {amount}",
            done="Declined. The client keeps their money; this never counts against you.",
            # Where the money went is added from the ledger (``money_words``): a request
            # holds the card (nothing charged), one made before holds existed is refunded.
            event="Declined the request",
            ending="{fl} declined the request",
        ),
        summary="authorization voided, no fault",
        money=True,
        notices=(
            Notice(
                "client",
                "Request declined: {project}",
                '{freelancer} declined your request for "{project}". '
                "Their message:\n\n{message}\n\n{money_back}, and nothing counts against "
                "you. You can look for another freelancer.",
            ),
        ),
        counts="no",
        not_counted="request declined",
    ),
    Transition(
        "withdraw",
        ("client",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        look=Look(
            "Withdraw request",
            "secondary",
            help="The hold on your card is released; nothing is charged.",
            confirm="Yes, withdraw the request",
            confirm_refund="Yes, withdraw and get {amount} back",
            done="Request withdrawn. You keep your money; nothing counts against you.",
            event="Withdrew the request",
            ending="{cl} withdrew the request",
        ),
        summary="authorization voided, no fault",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Request withdrawn: {project}",
                '{client} withdrew their request for "{project}". Nothing to do; '
                "a withdrawn request counts against nobody.",
            ),
        ),
        counts="no",
        not_counted="request withdrawn by the client",
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
            Reminder(
                timedelta(hours=8),
                "freelancer",
                "Answer soon: the request for {project} expires {deadline}",
                'The request from {client} for "{project}" expires {deadline_full}. Accept or '
                "decline before then; an unanswered request expires and the client keeps "
                "their money.",
            ),
        ),
        look=Look(event="The request expired unanswered", ending="the request expired unanswered"),
        summary="request window passed: authorization voided, no fault",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Request expired: {project}",
                'The request from {client} for "{project}" expired without an '
                "answer, and the client keeps their money. An expired request never counts "
                "against you.",
            ),
            Notice(
                "client",
                "Your request expired: {project}",
                '{freelancer} did not answer your request for "{project}" in time. '
                "{money_back}, and nothing counts against you.",
            ),
        ),
        counts="no",
        not_counted="request expired unanswered",
    ),
    Transition(
        "expire_hold",
        ("system",),
        (REQUESTED,),
        (CANCELLED,),
        actions=(actions.void_hold, actions.end_no_fault),
        look=Look(
            event="The card hold expired before the request was accepted; nothing charged",
            ending="the card hold expired before the request was accepted",
        ),
        summary="the processor refused to capture the card hold (it lapsed or was released) "
        "when the freelancer accepted: authorization voided, no fault",
        money=True,
        notices=(
            Notice(
                "client",
                "Request ended: {project}, your card hold expired",
                'The hold on your card for "{project}" expired before {freelancer} accepted, '
                "so the request ended. Nothing was charged and no one is at fault. You can "
                "send the request again with a card that can be held.",
            ),
            Notice(
                "freelancer",
                "Request ended: {project}, the client's card hold expired",
                "The hold on {client}'s card expired before you accepted, so the request "
                'for "{project}" ended and nothing was charged. No one is at fault; there is '
                "nothing to do.",
            ),
        ),
        counts="no",
        not_counted="the card hold lapsed before the request was accepted",
    ),
    Transition(
        "submit_requirements",
        ("client",),
        (AWAITING_REQUIREMENTS,),
        (IN_PROGRESS,),
        actions=(actions.store_answers, actions.start_delivery_clock, actions.start_grace_window),
        payload=(
            PayloadField(
                "answers",
                "answers",
                label="Requirements",
                help="keyed by question id, as for a purchase",
            ),
        ),
        look=Look(
            "Send requirements",
            own_form=True,
            done="Requirements sent. Work has started.",
            event="Sent the requirements; work started",
        ),
        summary="work starts: the full grace window and the delivery clock (never due before "
        "the grace window ends)",
        notices=(
            Notice(
                "freelancer",
                "Requirements arrived: {project}, deliver by {deadline}",
                '{client} sent the requirements for "{project}". Work starts now: '
                "deliver by {deadline_full}. {deadline_why}\n\n"
                "If you cannot take it, you may decline without fault until {grace}.",
                deadline="delivery_due",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "cancel_before_start",
        ("client",),
        (AWAITING_REQUIREMENTS,),
        (CANCELLED,),
        actions=(actions.refund_full, actions.end_no_fault),
        look=Look(
            "Cancel the order",
            "secondary",
            help="Before work starts you get a full refund.",
            main=False,
            confirm="Yes, cancel the order",
            confirm_refund="Yes, cancel and get {amount} back",
            done="Order cancelled. You are refunded in full.",
            event="Cancelled before work started",
            ending="{cl} cancelled before work started",
        ),
        summary="full refund, no fault",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Order cancelled: {project}",
                '{client} cancelled the order for "{project}" before sending the '
                "requirements and got a full refund. Nothing to do; it counts against nobody.",
            ),
        ),
        counts="no",
        not_counted="cancelled by the client before work started",
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
                timedelta(days=1),
                "client",
                "Send your requirements: {project}, due {deadline}",
                'Send the requirements for "{project}" by {deadline_full}, or the order is '
                "cancelled and you get everything back.",
            ),
        ),
        look=Look(event="No requirements arrived in time", ending="the requirements never arrived"),
        summary="requirements window passed: full refund, no fault",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Order cancelled: {project}, no requirements arrived",
                '{client} did not send the requirements for "{project}" in time, '
                "so the order was cancelled and refunded. It never counts against you.",
            ),
            Notice(
                "client",
                "Order cancelled: {project}, requirements not sent",
                'The requirements for "{project}" did not arrive in time, so the '
                "order was cancelled. {refund} goes back to your card; nothing counts against "
                "you.",
            ),
        ),
        counts="no",
        not_counted="requirements never arrived",
    ),
    Transition(
        "decline_in_grace",
        ("freelancer",),
        (IN_PROGRESS,),
        (CANCELLED,),
        guards=(in_grace_window,),
        actions=(actions.refund_full, actions.end_no_fault),
        payload=(MESSAGE_TO_CLIENT,),
        look=Look(
            "Decline without fault",
            "danger",
            help="Inside the grace window: the client gets a full refund, no one is at fault.",
            main=False,
            confirm="Yes, decline",
            confirm_refund="Yes, decline and refund {amount}",
            done="Declined without fault. The client is refunded in full.",
            event="Declined inside the grace window",
            ending="{fl} declined without fault",
        ),
        summary="full refund, no fault, no feedback",
        money=True,
        notices=(
            Notice(
                "client",
                "Order declined: {project}",
                '{freelancer} declined the order for "{project}" during the grace '
                "window. Their message:\n\n{message}\n\n{refund} goes back to your card; "
                "nothing counts against anyone.",
            ),
        ),
        counts="no",
        not_counted="declined in the grace window",
    ),
    Transition(
        "mark_late",
        ("system",),
        (IN_PROGRESS,),
        (SAME,),
        guards=(not_late,),
        actions=(actions.set_late,),
        timer=TimerSpec("first_entered", deadlines.delivery_timer_due, "delivery_due"),
        look=Look(event="The delivery due time passed"),
        summary="delivery due passed: the contract is flagged late and stays in progress",
        notices=(
            Notice(
                "client",
                "Delivery overdue: {project}",
                'The delivery of "{project}" was due {delivery_due} and has not '
                "arrived. You may keep waiting, or from {deadline_full} cancel for a full "
                "refund.",
                deadline="late_grace",
            ),
            Notice(
                "freelancer",
                "Your delivery is overdue: {project}",
                "The delivery for {client} was due {delivery_due}. Deliver as soon as you can: "
                "from {deadline_full} the client may cancel for a full refund, and that ending "
                "counts as a late delivery.",
                deadline="late_grace",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "deliver",
        ("freelancer",),
        (IN_PROGRESS,),
        (DELIVERED,),
        actions=(actions.record_delivery,),
        payload=(
            PayloadField("note", "paragraph", label="Note to the client"),
            PayloadField(
                "files",
                "files",
                label="Attachments",
                max_items=RULES[Purpose.DELIVERY].max_files,
                help="at least one of `note` and `files`",
                out_of_range="At most {high} files per delivery.",
            ),
        ),
        look=Look(
            "Deliver your work",
            own_form=True,
            done="Delivered. The client has been told.",
            event="Delivered",
        ),
        summary="review clock (re)starts",
        notices=(
            Notice(
                "client",
                "Delivery to review: {project}, approve by {deadline}",
                '{freelancer} delivered "{project}". Their note:\n\n{message}\n\n'
                "Review it, then approve the delivery or ask for a revision ({revisions_left} "
                "left). Without an answer it is approved automatically {deadline_full}.",
                deadline="review_window",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "approve",
        ("client",),
        (DELIVERED,),
        (IN_PROGRESS, COMPLETED),
        actions=(actions.release_escrow,),
        route=route_after_release,
        look=Look(
            "Approve delivery",
            "primary",
            help="Releases the payment to the freelancer.",
            done="Delivery approved. The payment was released to the freelancer.",
            event="Approved the delivery",
            ending="{cl} approved the delivery",
        ),
        summary="the current milestone's escrow released; the next milestone starts, or the "
        "last one's release completes the contract",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Delivery approved: {project}, {earnings} released",
                '{client} approved your delivery of "{project}". {earnings} (the price, '
                "{price}, less the service fee) is on its way to your balance and becomes "
                "available after the clearance period.",
                state=COMPLETED,
            ),
            Notice(
                "freelancer",
                "Milestone approved: {project}, {milestone_earnings} released",
                '{client} approved {milestone} of "{project}". {milestone_earnings} (its '
                "{milestone_amount} less the service fee) is on its way to your balance. "
                "{next_milestone} is due {deadline_full}.",
                deadline="delivery_due",
                state=IN_PROGRESS,
            ),
        ),
        counts="yes",
    ),
    Transition(
        "request_revision",
        ("client",),
        (DELIVERED,),
        (IN_PROGRESS,),
        guards=(revisions_left,),
        actions=(actions.use_revision,),
        payload=(
            PayloadField(
                "note",
                "paragraph",
                required=True,
                label="What should change?",
                required_message="Say what should change, in a few words.",
            ),
        ),
        look=Look(
            "Ask for a revision",
            "secondary",
            done="Revision requested. The freelancer can see what should change.",
            event="Asked for a revision",
        ),
        summary="revision counter drops",
        notices=(
            Notice(
                "freelancer",
                "Revision requested: {project}",
                '{client} asked for changes to "{project}":\n\n{message}\n\n'
                "Deliver again; the delivery is due {deadline_full}. Revisions left after "
                "this one: {revisions_left}.",
                deadline="delivery_due",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "auto_approve",
        ("system",),
        (DELIVERED,),
        (IN_PROGRESS, COMPLETED),
        actions=(actions.release_escrow,),
        route=route_after_release,
        timer=TimerSpec(
            "last_entered",
            deadlines.review_deadline,
            "review_window",
            Reminder(
                timedelta(days=1),
                "client",
                "Review the delivery: {project}, approved automatically {deadline}",
                'The delivery of "{project}" is approved automatically {deadline_full} and '
                "the payment released to {freelancer}. Approve it or ask for a revision "
                "before then.",
            ),
        ),
        look=Look(
            event="Approved automatically after the review window",
            ending="approved automatically when the review window ended",
        ),
        summary="review window after the latest delivery passed: the current milestone's "
        "escrow released, as by approve",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Delivery approved: {project}, {earnings} released",
                'The review window for "{project}" closed without an answer from '
                "{client}, so your delivery was approved. {earnings} is on its way to your "
                "balance and becomes available after the clearance period.",
                state=COMPLETED,
            ),
            Notice(
                "client",
                "Delivery approved automatically: {project}",
                'The review window for "{project}" closed without an answer, so the '
                "delivery was approved and the payment released to {freelancer}.",
                state=COMPLETED,
            ),
            Notice(
                "freelancer",
                "Milestone approved: {project}, {milestone_earnings} released",
                'The review window for {milestone} of "{project}" closed without an answer '
                "from {client}, so it was approved. {milestone_earnings} (its "
                "{milestone_amount} less the service fee) is on its way to your balance. "
                "{next_milestone} is due {deadline_full}.",
                deadline="delivery_due",
                state=IN_PROGRESS,
            ),
            Notice(
                "client",
                "Milestone approved automatically: {project}",
                'The review window for {milestone} of "{project}" closed without an answer, '
                "so it was approved and its {milestone_amount} released to {freelancer}. "
                "{next_milestone} is due {deadline_full}.",
                deadline="delivery_due",
                state=IN_PROGRESS,
            ),
        ),
        counts="yes",
    ),
    Transition(
        "cancel_late",
        ("client",),
        (IN_PROGRESS,),
        (CANCELLED,),
        guards=(late_grace_passed,),
        actions=(actions.refund_full, actions.end_freelancer_fault),
        look=Look(
            "Cancel the late contract",
            "danger",
            help="You get a full refund; the late delivery counts against the freelancer.",
            confirm="Yes, cancel the contract",
            confirm_refund="Yes, cancel and get {amount} back",
            done="Contract cancelled. You are refunded in full.",
            event="Cancelled the late contract",
            ending="{cl} cancelled the late contract",
        ),
        summary="full refund, freelancer fault",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Contract cancelled for late delivery: {project}",
                '{client} cancelled "{project}" because the delivery was late and '
                "got a full refund ({refund}). This ending counts as a late delivery.",
            ),
        ),
        counts="yes",
    ),
    Transition(
        "refund",
        ("freelancer",),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (CANCELLED,),
        actions=(actions.refund_full, actions.end_no_fault),
        payload=(MESSAGE_TO_CLIENT,),
        look=Look(
            "Refund in full and cancel",
            "danger",
            help="The client gets everything back and the contract ends; no one is at fault.",
            main=False,
            confirm="Yes, refund in full",
            confirm_refund="Yes, refund {amount}",
            done="Refunded in full. The contract is cancelled.",
            event="Refunded in full and cancelled",
            ending="{fl} refunded in full",
        ),
        summary="full refund by the freelancer, no fault",
        money=True,
        notices=(
            Notice(
                "client",
                "Full refund: {project}, {refund} back",
                '{freelancer} refunded "{project}" in full and cancelled the '
                "contract. Their message:\n\n{message}\n\n{refund} goes back to your "
                "card; nothing counts against anyone.",
            ),
        ),
        counts="paid_or_fault",
        not_counted="refunded in full by the freelancer",
    ),
    Transition(
        "partial_refund",
        ("freelancer",),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (SAME,),
        actions=(actions.refund_partial,),
        payload=(
            PayloadField(
                "amount_minor",
                "amount",
                required=True,
                label="Amount to refund",
                help="from 1 to the price less 1 (to give everything back, `refund`)",
                bounds=actions.partial_refund_bounds,
                out_of_range="Enter an amount between {low} and {high}; to give everything "
                "back, refund in full.",
                no_range="The price cannot go lower; to give everything back, refund in full.",
            ),
            PayloadField("note", "paragraph", label="Message to the client"),
        ),
        look=Look(
            "Give part of the price back",
            "secondary",
            help="Lowers the price and your earnings by this amount; the contract carries on.",
            main=False,
            confirm="Yes, refund this amount",
            done="Partial refund sent. The contract carries on at the lower price.",
            event="Refunded part of the price",
        ),
        summary="part of the price back to the client; lowers the price, needs no consent",
        money=True,
        notices=(
            Notice(
                "client",
                "Partial refund: {project}, {refund} back",
                '{freelancer} gave {refund} of the price of "{project}" back to your '
                "card; the contract carries on at {price}. Their message:\n\n{message}",
            ),
        ),
    ),
    Transition(
        "open_dispute",
        ("client", "freelancer"),
        (IN_PROGRESS, DELIVERED),
        (DISPUTED,),
        actions=(actions.open_dispute, disputes.attach_files, disputes.start_answer_clock),
        payload=(
            PayloadField(
                "reason",
                "paragraph",
                required=True,
                label="What went wrong?",
                required_message="Say why you open a dispute.",
            ),
            DISPUTE_FILES,
        ),
        look=Look(
            "Open a dispute",
            "danger",
            help="The clocks pause and an operator decides.",
            main=False,
            done="Dispute opened. The clocks are paused until an operator decides.",
            event="Opened a dispute",
        ),
        summary="clocks freeze; the other side's answer clock starts",
        notices=(
            Notice(
                "freelancer",
                "Dispute opened: {project}",
                '{client} opened a dispute about "{project}". Their reason:\n\n'
                "{message}\n\nThe clocks are paused until an operator decides. Answer the "
                "dispute with your side by {deadline_full}: the operator decides once you have "
                "answered or that time has passed.",
                deadline="dispute_answer",
                needs_action=True,
            ),
            Notice(
                "client",
                "Dispute opened: {project}",
                '{freelancer} opened a dispute about "{project}". Their reason:\n\n'
                "{message}\n\nThe clocks are paused until an operator decides. Answer the "
                "dispute with your side by {deadline_full}: the operator decides once you have "
                "answered or that time has passed.",
                deadline="dispute_answer",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "withdraw_dispute",
        ("client", "freelancer"),
        (DISPUTED,),
        (PREVIOUS,),
        guards=(opened_the_dispute,),
        actions=(actions.resume_clocks,),
        look=Look(
            "Withdraw the dispute",
            "secondary",
            done="Dispute withdrawn. The clocks run again.",
            event="Withdrew the dispute",
        ),
        summary="back to the previous state; clocks resume",
        notices=(
            Notice(
                "freelancer",
                "Dispute withdrawn: {project}",
                '{client} withdrew the dispute about "{project}". The contract is '
                "{state} again and its clocks run on.",
            ),
            Notice(
                "client",
                "Dispute withdrawn: {project}",
                '{freelancer} withdrew the dispute about "{project}". The contract '
                "is {state} again and its clocks run on.",
            ),
        ),
    ),
    Transition(
        "resolve_dispute",
        ("operator",),
        (DISPUTED,),
        (COMPLETED, CANCELLED),
        guards=(not_a_party, disputes.both_sides_heard),
        actions=(actions.split_escrow,),
        route=route_dispute_decision,
        payload=(
            PayloadField(
                "freelancer_percent",
                "percent",
                required=True,
                label="Share of the price to the freelancer (%)",
                required_message="Enter a whole number from 0 to 100.",
            ),
            PayloadField(
                "fault", "choice", label="At fault", choices=FAULTS, default=Fault.NONE.value
            ),
            PayloadField(
                "note",
                "paragraph",
                required=True,
                label="Decision, explained to both sides",
                required_message="Explain the decision to both sides.",
            ),
        ),
        look=Look(
            "Resolve dispute",
            "danger",
            own_form=True,
            done="Dispute resolved: {freelancer_percent}% of the price to the freelancer. "
            "Both sides see your note.",
            event="Resolved the dispute",
        ),
        summary="operator splits the escrow: completed when the freelancer gets a share, else cancelled",
        money=True,
        notices=(
            Notice(
                "freelancer",
                "Dispute decided: {project}",
                'An operator decided the dispute about "{project}": {percent}% of '
                "the price goes to you ({share} after the service fee) and {refund} back "
                "to the client. The operator's note:\n\n{message}",
            ),
            Notice(
                "client",
                "Dispute decided: {project}",
                'An operator decided the dispute about "{project}": {percent}% of '
                "the price goes to {freelancer} and {refund} back to your card. The "
                "operator's note:\n\n{message}",
            ),
        ),
        counts="paid_or_fault",
        not_counted="dispute settled with a full refund, no one at fault",
    ),
    Transition(
        "answer_dispute",
        ("client", "freelancer"),
        (DISPUTED,),
        (SAME,),
        guards=(disputes.is_the_answerer, disputes.answer_window_open),
        actions=(disputes.record_answer,),
        payload=(
            PayloadField(
                "note",
                "paragraph",
                required=True,
                label="Your side of the dispute",
                required_message="Write your side of the dispute.",
            ),
            DISPUTE_FILES,
        ),
        look=Look(
            "Answer the dispute",
            own_form=True,
            done="Answer sent. An operator decides next; both of you will read the decision here.",
            event="Answered the dispute",
        ),
        summary="the side that did not open the dispute answers (text and files), once",
        notices=(
            Notice(
                "freelancer",
                "Dispute answered: {project}",
                '{client} answered the dispute about "{project}":\n\n{message}\n\n'
                "Both sides are heard now; an operator decides next.",
            ),
            Notice(
                "client",
                "Dispute answered: {project}",
                '{freelancer} answered the dispute about "{project}":\n\n{message}\n\n'
                "Both sides are heard now; an operator decides next.",
            ),
        ),
    ),
    Transition(
        "expire_dispute_answer",
        ("system",),
        (DISPUTED,),
        (SAME,),
        guards=(disputes.answer_still_missing,),
        actions=(disputes.record_answer_missing,),
        # The latest entry: a dispute withdrawn and opened again has a new answer window.
        timer=TimerSpec("last_entered", disputes.answer_timer_due, disputes.ANSWER_CLOCK),
        look=Look(event="No answer to the dispute arrived in time"),
        summary="answer window passed unanswered: the answer is recorded missing and the "
        "operator may decide",
        notices=(
            Notice(
                "freelancer",
                "No answer in time: {project}",
                'The time to answer the dispute about "{project}" has passed without an '
                "answer. An operator decides from what the contract holds.",
            ),
            Notice(
                "client",
                "No answer in time: {project}",
                'The time to answer the dispute about "{project}" has passed without an '
                "answer. An operator decides from what the contract holds.",
            ),
        ),
    ),
    # --- proposals (process version 2): changes by consent, SPEC section 4 -------------
    # A proposal is a subject of the contract: these transitions keep the contract's state
    # (but for an accepted cancellation) and are fired on one proposal (``subject``); its
    # expiry is a subject timer. What each kind does is ``proposals.KINDS``.
    Transition(
        "propose",
        ("client", "freelancer"),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (SAME,),
        actions=(proposals.open_proposal,),
        arms=("expire_proposal",),
        # Checked by ``proposals.KINDS`` (each kind its own fields and words); the event
        # keeps them and the id of the proposal opened.
        payload=(
            PROPOSAL_KIND,
            PayloadField("days", "number", as_sent=True),
            PayloadField("revisions", "number", as_sent=True),
            PayloadField("amount_minor", "amount", as_sent=True),
            PayloadField("percent_to_freelancer", "percent", as_sent=True),
            PayloadField("title", "paragraph", as_sent=True),
            PayloadField("delivery_days", "number", as_sent=True),
            PayloadField("milestone", "number", as_sent=True),
            PayloadField("note", "paragraph", as_sent=True),
            PROPOSAL_ID,
        ),
        look=Look(
            "Propose a change",
            own_form=True,
            done="Your proposal is on its way; the other side has until its window closes.",
            event="Proposed a change",
        ),
        summary="a change order or a cancellation with a split, for the other side to answer; "
        "a cancellation pauses the clocks while open",
        since=2,
        notices=(
            Notice(
                "freelancer",
                "{client} proposes a change: {project}",
                '{client} proposes a change to "{project}": {proposal}.\n\n{message}\n\n'
                "Accept or decline by {deadline_full}; without an answer it is declined "
                "then.",
                deadline="proposal_window",
                needs_action=True,
            ),
            Notice(
                "client",
                "{freelancer} proposes a change: {project}",
                '{freelancer} proposes a change to "{project}": {proposal}.\n\n{message}\n\n'
                "Accept or decline by {deadline_full}; without an answer it is declined "
                "then.",
                deadline="proposal_window",
                needs_action=True,
            ),
        ),
    ),
    Transition(
        "accept_proposal",
        ("client", "freelancer"),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED),
        (SAME, CANCELLED),
        actions=(proposals.accept_proposal,),
        payload=(PROPOSAL_ID, PROPOSAL_KIND),
        look=Look(
            "Accept",
            own_form=True,
            done="Accepted: the change applies.",
            event="Accepted a proposal",
        ),
        route=proposals.route_after_accept,
        summary="the other side agrees: the change applies (an agreed cancellation ends the "
        "contract with its split, no fault)",
        money=True,
        since=2,
        subject="proposal",
        notices=(
            Notice(
                "freelancer",
                "Proposal accepted: {project}",
                '{client} accepted your proposal for "{project}": {proposal}.',
            ),
            Notice(
                "client",
                "Proposal accepted: {project}",
                '{freelancer} accepted your proposal for "{project}": {proposal}.',
            ),
        ),
        counts="paid_or_fault",
        not_counted="cancelled by agreement with a full refund",
    ),
    Transition(
        "decline_proposal",
        ("client", "freelancer"),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED, DISPUTED),
        (SAME,),
        actions=(proposals.decline_proposal,),
        payload=(PROPOSAL_ID, PROPOSAL_KIND),
        look=Look(
            "Decline",
            own_form=True,
            done="Declined: the contract carries on as agreed.",
            event="Declined a proposal",
        ),
        summary="the other side says no: nothing changes; paused clocks resume",
        since=2,
        subject="proposal",
        notices=(
            Notice(
                "freelancer",
                "Proposal declined: {project}",
                '{client} declined your proposal for "{project}": {proposal}. The contract '
                "carries on as agreed.",
            ),
            Notice(
                "client",
                "Proposal declined: {project}",
                '{freelancer} declined your proposal for "{project}": {proposal}. The '
                "contract carries on as agreed.",
            ),
        ),
    ),
    Transition(
        "withdraw_proposal",
        ("client", "freelancer"),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED, DISPUTED),
        (SAME,),
        actions=(proposals.withdraw_proposal,),
        payload=(PROPOSAL_ID, PROPOSAL_KIND),
        look=Look("Withdraw", own_form=True, done="Withdrawn.", event="Withdrew a proposal"),
        summary="the proposer takes it back: nothing changes; paused clocks resume",
        since=2,
        subject="proposal",
        notices=(
            Notice(
                "freelancer",
                "Proposal withdrawn: {project}",
                '{client} withdrew their proposal for "{project}": {proposal}. Nothing to do.',
            ),
            Notice(
                "client",
                "Proposal withdrawn: {project}",
                '{freelancer} withdrew their proposal for "{project}": {proposal}. Nothing to do.',
            ),
        ),
    ),
    Transition(
        "expire_proposal",
        ("system",),
        (AWAITING_REQUIREMENTS, IN_PROGRESS, DELIVERED, DISPUTED),
        (SAME,),
        actions=(proposals.expire_proposal,),
        payload=(PROPOSAL_ID, PROPOSAL_KIND),
        look=Look(event="A proposal expired unanswered"),
        timer=TimerSpec("armed", proposals.answer_deadline, "proposal_window", subject="proposal"),
        summary="proposal window passed unanswered: declined by expiry; paused clocks resume",
        since=2,
        subject="proposal",
        notices=(
            Notice(
                "freelancer",
                "Proposal expired: {project}",
                '{client} did not answer your proposal for "{project}" in time, so it was '
                "declined: {proposal}. The contract carries on as agreed.",
                proposer=True,
            ),
            Notice(
                "client",
                "Proposal expired: {project}",
                '{freelancer} did not answer your proposal for "{project}" in time, so it '
                "was declined: {proposal}. The contract carries on as agreed.",
                proposer=True,
            ),
        ),
    ),
)

# --- feedback (SPEC section 6) -------------------------------------------------------------
# After an ending that counts, each side may leave feedback once within the feedback window;
# both stay hidden until both have written (``record_feedback`` publishes them) or the window
# closes (``close_feedback``, a timer armed on entering the final state, publishes what was
# written). Neither changes the state. What people wrote never enters the event log: the
# log is read by both sides, and feedback is double-blind.
FEEDBACK = (
    Transition(
        "leave_feedback",
        ("client", "freelancer"),
        (COMPLETED, CANCELLED),
        (SAME,),
        guards=(reviews.feedback_open,),
        actions=(reviews.record_feedback,),
        payload=(
            PayloadField(
                "rating", "number", required=True, label="Rating (1 to 5)", as_sent=True, kept=False
            ),
            PayloadField(
                "public_text", "paragraph", label="Public feedback", as_sent=True, kept=False
            ),
            PayloadField(
                "private_rating",
                "number",
                required=True,
                label="Private rating to the platform (1 to 5)",
                as_sent=True,
                kept=False,
            ),
            PayloadField(
                "private_text",
                "paragraph",
                label="Private feedback to the platform",
                as_sent=True,
                kept=False,
            ),
        ),
        look=Look(
            "Leave feedback",
            own_form=True,
            done="Thank you: your feedback is saved.",
            event="Left feedback",
        ),
        summary="one per side; hidden until both wrote (then both are published) or the window closes",
        subject="feedback",
        notices=(
            Notice(
                "freelancer",
                "{client} left feedback: {project}",
                '{client} left feedback on "{project}". It stays hidden until you leave yours '
                "or the feedback window closes on {deadline}.",
                deadline="feedback_window",
            ),
            Notice(
                "client",
                "{freelancer} left feedback: {project}",
                '{freelancer} left feedback on "{project}". It stays hidden until you leave '
                "yours or the feedback window closes on {deadline}.",
                deadline="feedback_window",
            ),
        ),
    ),
    Transition(
        "close_feedback",
        ("system",),
        (COMPLETED, CANCELLED),
        (SAME,),
        guards=(reviews.window_counts,),
        actions=(reviews.publish_feedback,),
        timer=TimerSpec(
            "last_entered",
            deadlines.feedback_deadline,
            reviews.WINDOW_CLOCK,
            when=reviews.window_opens,
        ),
        look=Look(event="The feedback window closed; what was written is published"),
        summary="feedback window passed: what either side wrote is published",
        notices=(
            Notice(
                "freelancer",
                "Feedback window closed: {project}",
                'The feedback window for "{project}" closed. Whatever feedback was written '
                "has been published; nothing more can be added.",
            ),
            Notice(
                "client",
                "Feedback window closed: {project}",
                'The feedback window for "{project}" closed. Whatever feedback was written '
                "has been published; nothing more can be added.",
            ),
        ),
    ),
)

TRANSITIONS = TRANSITIONS + FEEDBACK

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


# --- versions ---------------------------------------------------------------------------
# A contract runs the table of the process version it was created under
# (``Contract.process_version``), so a change to the table never changes a running
# contract's rules: version 1 is the table before proposals; version 2 adds them. A new
# version only ever adds transitions (``Transition.since``); one that changed or removed a
# transition would keep the old one under another name for the older versions.


@dataclass(frozen=True)
class Process:
    version: int
    transitions: tuple[Transition, ...]

    @functools.cached_property
    def by_name(self) -> dict[str, Transition]:
        return {t.name: t for t in self.transitions}

    @functools.cached_property
    def _from(self) -> dict[str, list[Transition]]:
        out: dict[str, list[Transition]] = {}
        for t in self.transitions:
            for s in t.from_states:
                out.setdefault(s, []).append(t)
        return out

    def transitions_from(self, state: str) -> list[Transition]:
        return self._from.get(state, [])

    def timed_transitions_from(self, state: str) -> list[Transition]:
        """The state timers armed on entering ``state`` (subject timers are armed apart)."""
        return [
            t for t in self.transitions_from(state) if t.timer is not None and not t.timer.subject
        ]


# What new contracts get.
PROCESS_VERSION = 2
PROCESSES: dict[int, Process] = {
    v: Process(v, tuple(t for t in TRANSITIONS if t.since <= v))
    for v in range(1, PROCESS_VERSION + 1)
}


def process_for(version: int) -> Process:
    """The table of process ``version`` (``LookupError`` for one this code does not know)."""
    try:
        return PROCESSES[version]
    except KeyError:
        raise LookupError(f"unknown process version {version}") from None


def transitions_for(contract: Contract) -> Process:
    """The table ``contract`` runs under."""
    return process_for(contract.process_version)


def transitions_from(state: str) -> list[Transition]:
    """Transitions of the current version leaving ``state`` (docs, tests)."""
    return process_for(PROCESS_VERSION).transitions_from(state)


def timed_transitions_from(state: str) -> list[Transition]:
    return process_for(PROCESS_VERSION).timed_transitions_from(state)


# Is the subject of a subject timer still open (the worker's stale check)? Keyed by
# ``TimerSpec.subject``; each takes the subject's id and reads it (the contract is locked).
SUBJECT_OPEN: dict[str, Callable[[int], bool]] = {proposals.SUBJECT: proposals.is_open}


# An agreed cancellation is recorded as its own ending (``Contract.ending``), not under the
# name of the proposal answer that applied it.
_ENDINGS_BY_OTHER_NAME = {"cancel_by_agreement": "accept_proposal"}


def ending_transition(ending: str) -> Transition | None:
    """The transition that recorded ``ending`` (``Contract.ending``), for its declarations."""
    return BY_NAME.get(_ENDINGS_BY_OTHER_NAME.get(ending, ending))
