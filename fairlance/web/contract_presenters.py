"""What the contract pages show: (contract, viewer) -> words, buttons, clocks and money.

The engine decides *which* transitions a viewer may fire (``available_transitions``); this
module only decides how each one looks (label, tone, the one field it asks for). Templates
then render these dataclasses without any rule of their own. Every function is pure over
its inputs, so tests can check the wording without rendering HTML.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, Sum

from fairlance.contracts.deadlines import Clock
from fairlance.contracts.models import Contract, ContractEvent
from fairlance.core.money import percent_of
from fairlance.core.policy import Policy
from fairlance.core.workdays import DAY_ABBR, MONTH_ABBR

# --- time, for the viewer ----------------------------------------------------------------


def zone_of(user: Any) -> str:
    calendar = getattr(user, "calendar", None)
    return str(calendar.time_zone) if calendar is not None else "UTC"


def local_time(at: datetime, tz_name: str) -> str:
    """``Thu 26 Nov 14:00`` in the viewer's zone (the zone name is shown once per page)."""
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(tz_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at.astimezone(zoneinfo.ZoneInfo("UTC"))
    return f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]} {local:%H:%M}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def relative(at: datetime, now: datetime) -> str:
    """``in 2 days 5 hours``, ``in 3 hours 10 minutes``, ``4 minutes ago``.

    Two units, the same words the room's live countdown uses, so the page does not say
    "in 12 days" in the header and "in 13 days 0 hours" a few lines below.
    """
    seconds = int((at - now).total_seconds())
    future = seconds >= 0
    seconds = abs(seconds)
    if seconds < 60:
        return "now"
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    if days:
        amount = _plural(days, "day") + (f" {_plural(hours, 'hour')}" if hours else "")
    elif hours:
        amount = _plural(hours, "hour") + (f" {_plural(minutes, 'minute')}" if minutes else "")
    else:
        amount = _plural(minutes, "minute")
    return f"in {amount}" if future else f"{amount} ago"


# --- clocks --------------------------------------------------------------------------------

CLOCK_LABELS = {
    "request_window": "Answer to the request due",
    "requirements_window": "Requirements due",
    "grace": "No-fault decline window ends",
    "delivery_due": "Delivery due",
    "late_grace": "Client may cancel the late contract from",
    "review_window": "Approved automatically",
}

# The clock a state is mainly waiting on: the one the header talks about.
MAIN_CLOCK = {
    "requested": "request_window",
    "awaiting_requirements": "requirements_window",
    "in_progress": "delivery_due",
    "delivered": "review_window",
}


@dataclass(frozen=True)
class ClockView:
    name: str
    label: str
    at_iso: str
    local: str
    relative: str
    explanation: str
    passed: bool


def clock_views(clocks: list[Clock], *, tz_name: str, now: datetime) -> list[ClockView]:
    return [
        ClockView(
            name=c.name,
            label=CLOCK_LABELS.get(c.name, c.name.replace("_", " ").capitalize()),
            at_iso=c.at.isoformat(),
            local=local_time(c.at, tz_name),
            relative=relative(c.at, now),
            explanation=c.explanation,
            passed=c.at <= now,
        )
        for c in clocks
    ]


# --- the header: the state in words ---------------------------------------------------------


def viewer_role(contract: Contract, user: Any) -> str:
    """``client``, ``freelancer`` or ``operator`` (read-only); parties win over staff."""
    if user.pk == contract.client_id:
        return "client"
    if user.pk == contract.freelancer_id:
        return "freelancer"
    return "operator"


def headline(contract: Contract, *, role: str, clocks: list[ClockView]) -> str:
    """One sentence: what the contract is waiting for, and by when."""
    main = next((c for c in clocks if c.name == MAIN_CLOCK.get(contract.state)), None)
    due = f" — due {main.local}, {main.relative}" if main else ""
    by = f" by {main.local} ({main.relative})" if main else ""
    client = contract.client.public_name
    freelancer = contract.freelancer.public_name
    state = contract.state
    if state == "requested":
        if role == "freelancer":
            return f"{client} asks to buy — accept or decline{by}"
        return f"Waiting for {freelancer} to accept your request{due}"
    if state == "awaiting_requirements":
        if role == "client":
            return f"Send your requirements so work can start{due}"
        return f"Waiting for the client's requirements{due}"
    if state == "in_progress":
        if contract.late:
            late = f" (it was due {main.local})" if main else ""
            if role == "freelancer":
                return f"Your delivery is late{late} — deliver as soon as you can"
            return f"The delivery is late{late}"
        if role == "freelancer":
            return f"Waiting for your delivery{due}"
        return f"{freelancer} is working on it{by.replace(' by ', ' — delivery due ', 1)}"
    if state == "delivered":
        auto = f"; approved automatically {main.local} ({main.relative})" if main else ""
        if role == "client":
            return f"Delivered — approve it or ask for a revision{auto}"
        return f"Delivered — waiting for the client's review{auto}"
    if state == "disputed":
        opener = contract.dispute_opened_by
        who = (
            "you opened it"
            if opener == role
            else f"{client if opener == 'client' else freelancer} opened it"
            if opener in ("client", "freelancer")
            else "it is open"
        )
        return f"In dispute — {who}; an operator will decide and the clocks are paused"
    if state == "completed":
        return "Completed — the payment was released to the freelancer"
    if state == "cancelled":
        return "Cancelled — " + _cancel_words(contract, role=role)
    return state.replace("_", " ").capitalize()


def _cancel_words(contract: Contract, *, role: str) -> str:
    """Why it ended and where the money went, from the viewer's side."""
    fl = "you" if role == "freelancer" else contract.freelancer.public_name
    cl = "you" if role == "client" else contract.client.public_name
    why = {
        "decline": f"{fl} declined the request",
        "withdraw": f"{cl} withdrew the request",
        "expire_request": "the request expired unanswered",
        "expire_hold": "the card hold expired before the request was accepted",
        "cancel_before_start": f"{cl} cancelled before work started",
        "expire_requirements": "the requirements never arrived",
        "decline_in_grace": f"{fl} declined without fault",
        "cancel_late": f"{cl} cancelled the late contract",
        "refund": f"{fl} refunded in full",
        "resolve_dispute": "an operator resolved the dispute",
    }.get(contract.ending or "", "")
    original = int(contract.snapshot.get("price_minor", contract.price_minor))
    who = "you were" if role == "client" else "the client was"
    if not contract.refunded_minor:
        # A request that ended before it was accepted only ever held the card.
        held_only = contract.authorization_ref and not contract.charge_ref
        money = "the card hold was released, nothing was charged" if held_only else ""
    elif contract.refunded_minor >= original:
        money = f"{who} refunded in full"
    else:
        money = f"{who} refunded part of the price"
    return "; ".join(w for w in (why, money) if w) or "nothing more happens here"


# --- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionButton:
    name: str
    label: str
    tone: str  # "primary" | "secondary" | "danger"
    # The one input the transition reads: "" (none), "note", "reason" or "amount".
    field: str = ""
    field_label: str = ""
    field_required: bool = False
    help: str = ""
    # True for actions shown up front; the rest go under "More options".
    main: bool = True


ACTION_LOOK: dict[str, ActionButton] = {
    "accept": ActionButton("accept", "Accept and start", "primary"),
    "decline": ActionButton(
        "decline",
        "Decline",
        "danger",
        "note",
        "Message to the client",
        help="The hold on the client's card is released. Declining never counts against you.",
    ),
    "withdraw": ActionButton(
        "withdraw",
        "Withdraw request",
        "secondary",
        help="The hold on your card is released; nothing is charged.",
    ),
    "cancel_before_start": ActionButton(
        "cancel_before_start",
        "Cancel the order",
        "secondary",
        help="Before work starts you get a full refund.",
        main=False,
    ),
    "decline_in_grace": ActionButton(
        "decline_in_grace",
        "Decline without fault",
        "danger",
        "note",
        "Message to the client",
        help="Inside the grace window: the client gets a full refund, no one is at fault.",
        main=False,
    ),
    "approve": ActionButton(
        "approve", "Approve delivery", "primary", help="Releases the payment to the freelancer."
    ),
    "request_revision": ActionButton(
        "request_revision",
        "Ask for a revision",
        "secondary",
        "note",
        "What should change?",
        field_required=True,
    ),
    "cancel_late": ActionButton(
        "cancel_late",
        "Cancel the late contract",
        "danger",
        help="You get a full refund; the late delivery counts against the freelancer.",
    ),
    "refund": ActionButton(
        "refund",
        "Refund in full and cancel",
        "danger",
        "note",
        "Message to the client",
        help="The client gets everything back; no one is at fault.",
        main=False,
    ),
    "partial_refund": ActionButton(
        "partial_refund",
        "Give part of the price back",
        "secondary",
        "amount",
        "Amount to refund",
        field_required=True,
        help="Lowers the price; the contract carries on.",
        main=False,
    ),
    "open_dispute": ActionButton(
        "open_dispute",
        "Open a dispute",
        "danger",
        "reason",
        "What went wrong?",
        field_required=True,
        help="The clocks pause and an operator decides.",
        main=False,
    ),
    "withdraw_dispute": ActionButton("withdraw_dispute", "Withdraw the dispute", "secondary"),
}

# What the flash message says after a button worked: the outcome, not the button's name.
DONE_MESSAGES: dict[str, str] = {
    "accept": "Accepted. The client's payment is in escrow and the delivery clock has started.",
    "decline": "Declined. The hold on the client's card is released; this never counts against "
    "you.",
    "withdraw": "Request withdrawn. The hold on your card is released; nothing was charged.",
    "cancel_before_start": "Order cancelled. You are refunded in full.",
    "decline_in_grace": "Declined without fault. The client is refunded in full.",
    "approve": "Delivery approved. The payment was released to the freelancer.",
    "request_revision": "Revision requested. The freelancer can see what should change.",
    "cancel_late": "Contract cancelled. You are refunded in full.",
    "refund": "Refunded in full. The contract is cancelled.",
    "partial_refund": "Partial refund sent. The contract carries on at the lower price.",
    "open_dispute": "Dispute opened. The clocks are paused until an operator decides.",
    "withdraw_dispute": "Dispute withdrawn. The clocks run again.",
}


def done_message(name: str) -> str:
    look = ACTION_LOOK.get(name)
    return DONE_MESSAGES.get(name) or (f"Done: {look.label.lower()}." if look else "Done.")


# Transitions with a page or form of their own, not a plain button.
OWN_FORM = {"deliver", "submit_requirements"}


def action_buttons(names: list[str], *, role: str) -> list[ActionButton]:
    """Buttons for the transitions the engine says the viewer may fire, in table order.

    Operators read contracts here but act from their own pages, so they get none.
    """
    if role == "operator":
        return []
    return [ACTION_LOOK[n] for n in names if n in ACTION_LOOK]


# --- money -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyRow:
    label: str
    minor: int
    strong: bool = False


def released_to_freelancer(contract: Contract) -> int:
    """What the ledger released to the freelancer for this contract, net of fees.

    Read from the ledger rather than recomputed, so a dispute split shows what was paid.
    """
    from fairlance.ledger.accounts import freelancer_pending
    from fairlance.ledger.models import Posting

    total = Posting.objects.filter(
        entry__contract_id=contract.pk,
        entry__reference__startswith=f"contract:{contract.pk}:release",
        account__name=freelancer_pending(contract.freelancer_id),
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def money_rows(contract: Contract, *, released_minor: int | None = None) -> list[MoneyRow]:
    """Both sides of the price. ``released_minor`` (from the ledger) once the contract ended.

    Partial refunds lower ``price_minor``, full refunds do not (the terms stay what they
    were), so what the client paid comes from the snapshot taken at purchase.
    """
    original = int(contract.snapshot.get("price_minor", contract.price_minor))
    total = original + contract.client_fee_minor
    # A request not accepted (yet): its money is only held on the card, never charged.
    held_only = bool(contract.authorization_ref) and not contract.charge_ref
    if held_only and contract.state == "requested":
        rows = [MoneyRow("Held on the card, not charged", total, strong=True)]
    else:
        rows = [MoneyRow("Client paid", 0 if held_only else total, strong=True)]
    if contract.client_fee_minor and not (held_only and contract.state != "requested"):
        rows.append(MoneyRow("of which marketplace fee", contract.client_fee_minor))
    if contract.refunded_minor:
        rows.append(MoneyRow("Refunded to the client", contract.refunded_minor))
    rows.append(MoneyRow("Price of the work", contract.price_minor))
    # Nothing released on a cancelled contract means no fee was taken either.
    if not (contract.state == "cancelled" and not released_minor):
        rows.append(MoneyRow("Freelancer service fee", contract.fee_minor))
    if released_minor is None:
        rows.append(
            MoneyRow(
                "Freelancer receives on completion",
                contract.price_minor - contract.fee_minor,
                strong=True,
            )
        )
    else:
        rows.append(MoneyRow("Freelancer received", released_minor, strong=True))
    return rows


@dataclass(frozen=True)
class Quote:
    price_minor: int
    client_fee_minor: int
    client_pays_minor: int
    freelancer_fee_minor: int
    freelancer_receives_minor: int
    delivery_days: int


def checkout_quote(*, tier: Any, addons: list[Any], policy: Policy) -> Quote:
    """The same arithmetic ``contract_purchase`` uses, shown before the client pays."""
    price = int(tier.price_minor) + sum(int(a.price_minor) for a in addons)
    client_fee = percent_of(price, policy.client_fee_bp)
    fee = percent_of(price, policy.freelancer_fee_bp)
    return Quote(
        price_minor=price,
        client_fee_minor=client_fee,
        client_pays_minor=price + client_fee,
        freelancer_fee_minor=fee,
        freelancer_receives_minor=price - fee,
        delivery_days=int(tier.delivery_days) + sum(int(a.extra_delivery_days) for a in addons),
    )


# --- dispute decision ------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeSplit:
    """Where the escrow goes for one percentage: the arithmetic of ``actions.split_escrow``."""

    percent: int
    freelancer_gross_minor: int
    freelancer_fee_minor: int
    freelancer_receives_minor: int
    platform_minor: int
    client_back_minor: int


def dispute_split(
    *, contract: Contract, percent: int, held_minor: int, policy: Policy
) -> DisputeSplit:
    """What ``resolve_dispute`` with ``percent`` would pay each side, before the operator decides.

    Mirrors ``split_escrow``: the share is of the price, the freelancer's fee follows the
    share, the client's marketplace fee is kept only when the freelancer gets something.
    """
    gross = percent_of(contract.price_minor, percent * 100) if percent > 0 else 0
    fee = percent_of(gross, policy.freelancer_fee_bp)
    kept_client_fee = contract.client_fee_minor if percent > 0 else 0
    return DisputeSplit(
        percent=percent,
        freelancer_gross_minor=gross,
        freelancer_fee_minor=fee,
        freelancer_receives_minor=max(gross - fee, 0),
        platform_minor=fee + kept_client_fee,
        client_back_minor=max(held_minor - gross - kept_client_fee, 0),
    )


# --- timeline --------------------------------------------------------------------------------

EVENT_WORDS = {
    "purchase": "Bought the project; payment held in escrow",
    "request": "Asked to buy; payment held on the card, not charged",
    "accept": "Accepted the request; payment captured into escrow; work started",
    "decline": "Declined the request; card hold released",
    "withdraw": "Withdrew the request; card hold released",
    "expire_request": "The request expired unanswered; card hold released",
    "expire_hold": "The card hold expired before the request was accepted; nothing charged",
    "submit_requirements": "Sent the requirements; work started",
    "cancel_before_start": "Cancelled before work started; full refund",
    "expire_requirements": "No requirements arrived in time; full refund",
    "decline_in_grace": "Declined inside the grace window; full refund",
    "mark_late": "The delivery due time passed",
    "deliver": "Delivered",
    "approve": "Approved the delivery; payment released",
    "request_revision": "Asked for a revision",
    "auto_approve": "Approved automatically after the review window; payment released",
    "cancel_late": "Cancelled the late contract; full refund",
    "refund": "Refunded in full; cancelled",
    "partial_refund": "Refunded part of the price",
    "open_dispute": "Opened a dispute",
    "withdraw_dispute": "Withdrew the dispute",
    "resolve_dispute": "An operator resolved the dispute",
}


@dataclass(frozen=True)
class TimelineItem:
    who: str
    what: str
    when: str
    at_iso: str
    state: str
    detail: str = ""
    amount_minor: int | None = None


def timeline(
    events: list[ContractEvent], *, contract: Contract, tz_name: str
) -> list[TimelineItem]:
    names = {
        contract.client_id: f"{contract.client.public_name} (client)",
        contract.freelancer_id: f"{contract.freelancer.public_name} (freelancer)",
    }
    items = []
    for e in events:
        if e.actor_role == "system":
            who = "fairlance"
        elif e.actor_id in names:
            who = names[e.actor_id]
        else:
            who = "An operator"
        data = e.data or {}
        detail = str(data.get("note") or data.get("reason") or "")
        amount = data.get("amount_minor")
        what = EVENT_WORDS.get(e.name, e.name.replace("_", " ").capitalize())
        percent = data.get("freelancer_percent")
        if e.name == "resolve_dispute" and isinstance(percent, int):
            what = f"{what}: {percent}% of the price to the freelancer, the rest to the client"
        items.append(
            TimelineItem(
                who=who,
                what=what,
                when=local_time(e.created_at, tz_name),
                at_iso=e.created_at.isoformat(),
                state=e.to_state.replace("_", " "),
                detail=detail,
                amount_minor=amount if isinstance(amount, int) else None,
            )
        )
    return items


# --- the client card (request mode) ------------------------------------------------------------


@dataclass(frozen=True)
class ClientCard:
    name: str
    member_since: str
    country: str
    total_spent_minor: int
    contracts: int
    completion_rate: str
    cancellation_rate: str
    ratings: str = "No ratings yet"


def _rate(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def client_card(*, client: Any) -> ClientCard:
    """What a freelancer sees about a client before accepting, computed from contracts."""
    mine = Contract.objects.filter(client=client)
    ended = mine.filter(outcome__isnull=False)
    completed = ended.filter(outcome="completed").count()
    cancelled = ended.filter(outcome="cancelled").count()
    spent = ended.filter(outcome="completed").aggregate(
        total=Sum("price_minor") + Sum("client_fee_minor")
    )["total"]
    return ClientCard(
        name=client.public_name,
        member_since=f"{client.date_joined:%B %Y}",
        country=client.country or "—",
        total_spent_minor=int(spent or 0),
        contracts=mine.count(),
        completion_rate=_rate(completed, completed + cancelled),
        cancellation_rate=_rate(cancelled, completed + cancelled),
    )


# --- dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    contract: Contract
    why: str
    due: str = ""


@dataclass
class Dashboard:
    selling: list[DashboardRow] = field(default_factory=list)
    buying: list[DashboardRow] = field(default_factory=list)

    @property
    def action_count(self) -> int:
        return len(self.selling) + len(self.buying)


ACTION_STATES_FREELANCER = {
    "requested": "A request to answer",
    "in_progress": "A delivery to make",
}
ACTION_STATES_CLIENT = {
    "awaiting_requirements": "Requirements to send",
    "delivered": "A delivery to review",
}


def dashboard(*, user: Any, now: datetime) -> Dashboard:
    """The viewer's contracts that wait for them: as freelancer and as client."""
    tz_name = zone_of(user)
    waiting = (
        Contract.objects.filter(
            Q(freelancer=user, state__in=list(ACTION_STATES_FREELANCER))
            | Q(client=user, state__in=list(ACTION_STATES_CLIENT))
        )
        .select_related("client", "freelancer")
        .prefetch_related("timers")
        .order_by("id")
    )
    board = Dashboard()
    for c in waiting:
        due_at = _main_due(c)
        due = f"due {local_time(due_at, tz_name)}, {relative(due_at, now)}" if due_at else ""
        if c.freelancer_id == user.pk and c.state in ACTION_STATES_FREELANCER:
            why = ACTION_STATES_FREELANCER[c.state]
            if c.late:
                why = "Late — deliver as soon as you can"
            board.selling.append(DashboardRow(c, why, due))
        elif c.client_id == user.pk:
            board.buying.append(DashboardRow(c, ACTION_STATES_CLIENT[c.state], due))
    return board


def recent_contracts(*, user: Any, limit: int = 20) -> list[Contract]:
    return list(
        Contract.objects.filter(Q(client=user) | Q(freelancer=user))
        .select_related("client", "freelancer")
        .order_by("-id")[:limit]
    )


def _main_due(contract: Contract) -> datetime | None:
    if contract.state == "in_progress":
        return contract.delivery_due_at
    clock = MAIN_CLOCK.get(contract.state)
    pending = [t for t in contract.timers.all() if t.status == "pending" and t.clock == clock]
    return min((t.fire_at for t in pending), default=None)
