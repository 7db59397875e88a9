"""What the contract pages show: (contract, viewer) -> words, buttons, clocks and money.

The engine decides *which* transitions a viewer may fire (``available_transitions``); how
each one looks (label, tone, its fields, the words after it and in the timeline) is
declared on the transition itself (``process.Look``, ``payload.PayloadField``) and only
dressed here. Templates
then render these dataclasses without any rule of their own. Every function is pure over
its inputs, so tests can check the wording without rendering HTML.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db.models import Q

from fairlance.contracts import process
from fairlance.contracts.deadlines import Clock, purchase_delivery_days
from fairlance.contracts.disputes import answerer_role
from fairlance.contracts.models import Contract, ContractEvent
from fairlance.contracts.payload import PayloadField
from fairlance.contracts.process import Transition
from fairlance.contracts.selectors import ClientCard
from fairlance.core.money import format_minor, percent_of
from fairlance.core.policy import Policy
from fairlance.core.workdays import DAY_ABBR, MONTH_ABBR
from fairlance.ledger.selectors import ContractMoney
from fairlance.web.forms import to_major
from fairlance.web.trust_presenters import card_ratings

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
    "dispute_answer": "Answer to the dispute due",
    "feedback_window": "Feedback window closes",
}

# The clock a state is mainly waiting on: the one the header talks about.
MAIN_CLOCK = {
    "requested": "request_window",
    "awaiting_requirements": "requirements_window",
    "in_progress": "delivery_due",
    "delivered": "review_window",
    "disputed": "dispute_answer",
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
    paused: bool = False


def clock_views(clocks: list[Clock], *, tz_name: str, now: datetime) -> list[ClockView]:
    return [
        ClockView(
            name=c.name,
            label=CLOCK_LABELS.get(c.name, c.name.replace("_", " ").capitalize()),
            at_iso=c.at.isoformat(),
            local=local_time(c.at, tz_name),
            relative="paused while a cancellation is proposed" if c.paused else relative(c.at, now),
            explanation=c.explanation,
            passed=not c.paused and c.at <= now,
            paused=c.paused,
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


def headline(
    contract: Contract,
    *,
    role: str,
    clocks: list[ClockView],
    money: ContractMoney | None = None,
) -> str:
    """One sentence: what the contract is waiting for, and by when; or how it ended.

    ``money`` (the ledger's ``contract_money``) is needed for an ended contract.
    """
    main = next((c for c in clocks if c.name == MAIN_CLOCK.get(contract.state)), None)
    due = f" — due {main.local}, {main.relative}" if main else ""
    by = f" by {main.local} ({main.relative})" if main else ""
    client = contract.client.public_name
    freelancer = contract.freelancer.public_name
    state = contract.state
    if contract.clocks_paused_at is not None and state != "disputed":
        # Only an open cancellation pauses the clocks; its card below says who asks what.
        return (
            "Ending the contract by agreement is proposed — the clocks are paused until it "
            "is answered"
        )
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
        if main is not None and role == answerer_role(contract):
            return f"In dispute — {who}; answer it by {main.local} ({main.relative})"
        if main is not None:
            return f"In dispute — {who}; waiting for the other side's answer{by}"
        return f"In dispute — {who}; an operator will decide and the clocks are paused"
    if state in ("completed", "cancelled"):
        return ending_headline(contract, role=role, money=money or ContractMoney())
    return state.replace("_", " ").capitalize()


# --- endings: who, why, where the money went -----------------------------------------------


def ending_headline(contract: Contract, *, role: str, money: ContractMoney) -> str:
    """How an ended contract ended, in one sentence: why, where the money went, whose fault.

    Read from what the engine recorded (``outcome``, ``ending``, ``fault``) and from the
    ledger (``money``), never from the contract's terms: a dispute split says what the
    split paid, a request whose card was only held says nothing was charged.
    """
    decided = contract.ending == "resolve_dispute"
    outcome = "Completed" if contract.outcome == "completed" else "Cancelled"
    head = f"{outcome} by an operator's decision" if decided else outcome
    parts = (
        _ending_why(contract, role=role),
        money_words(money, role=role),
        fault_words(contract.fault or "none", role=role, decided=decided, outcome=outcome),
    )
    return f"{head} — " + "; ".join(p for p in parts if p)


def _ending_why(contract: Contract, *, role: str) -> str:
    """Why the contract ended, from its ending transition's ``Look.ending``."""
    t = process.BY_NAME.get(contract.ending or "")
    if t is None or t.look is None or not t.look.ending:
        return ""
    fl = "you" if role == "freelancer" else contract.freelancer.public_name
    cl = "you" if role == "client" else contract.client.public_name
    return t.look.ending.format(fl=fl, cl=cl)


def money_words(money: ContractMoney, *, role: str = "") -> str:
    """Where the money went, from the ledger's numbers, as the viewer says it.

    ``role`` is the viewer's ("client", "freelancer"); anything else reads in the third
    person (operators, the timeline). What the freelancer got is net of the service fee;
    the money panel shows the fee itself.
    """
    if money.paid_in == 0:
        # A request's card was only held (released now), or nothing was ever paid.
        return "nothing was charged"
    client = "you" if role == "client" else "the client"
    freelancer = "you" if role == "freelancer" else "the freelancer"
    parts: list[str] = []
    if money.to_freelancer:
        parts.append(f"{format_minor(money.to_freelancer)} to {freelancer}")
    if money.refunded and money.refunded >= money.paid_in:
        was = "you were" if role == "client" else "the client was"
        parts.append(f"{was} refunded in full ({format_minor(money.refunded)})")
    elif money.refunded:
        parts.append(f"{format_minor(money.refunded)} back to {client}")
    if money.held:
        parts.append(f"{format_minor(money.held)} still held in escrow")
    return ", ".join(parts)


def fault_words(fault: str, *, role: str, decided: bool, outcome: str = "") -> str:
    """Whose fault an ending was; said for every decision and every cancellation."""
    if fault in ("freelancer", "client"):
        you = role == fault
        if decided:
            return f"{'you were' if you else f'the {fault} was'} found at fault"
        return f"it counts against {'you' if you else f'the {fault}'}"
    # A plain completion is no one's fault and needs no saying; a cancellation does.
    if decided:
        return "no one was at fault"
    return "" if outcome == "Completed" else "no one is at fault"


# --- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    """One input of an action's form, from the transition's ``PayloadField``.

    ``name`` is the form's input name (``PayloadField.form_name``); an amount carries the
    bounds the domain enforces, in major units ("119.99"). ``value`` and ``error`` are
    set when the room is shown again after that action failed.
    """

    name: str
    kind: str
    label: str
    required: bool = False
    amount_min: str = ""
    amount_max: str = ""
    choices: tuple[str, ...] = ()
    value: str = ""
    error: str = ""
    # The id of the error list: the action's error (``act-<action>-error``) is the first
    # field's with an error; any further one is named after its field.
    error_id: str = ""


@dataclass(frozen=True)
class ActionButton:
    """A transition the viewer may fire, as the room shows it (from its ``Look``)."""

    name: str
    label: str
    tone: str  # "primary" | "secondary" | "danger"
    fields: tuple[FieldView, ...] = ()
    help: str = ""
    # True for actions shown up front; the rest go under "More options".
    main: bool = True
    # Actions that give money back or end the work ask first: the button opens a step
    # with the consequence and a "Yes, ..." button (a <details>, so it needs no script).
    confirm: str = ""


def _field_view(f: PayloadField, contract: Contract) -> FieldView:
    view = FieldView(f.form_name, f.kind, f.label, f.required, choices=f.choices)
    if f.kind == "amount" and f.bounds is not None:
        low, high = f.bounds(contract)
        view = replace(view, amount_min=str(to_major(low)), amount_max=str(to_major(high)))
    return view


def room_button(
    t: Transition, *, role: str, contract: Contract, money: ContractMoney
) -> ActionButton:
    """The room's button for ``t`` (which has a ``look``): label, style, its form fields."""
    look = t.look
    assert look is not None
    confirm = look.confirm
    if look.confirm_refund and money.held > 0:
        confirm = look.confirm_refund.format(amount=format_minor(money.held))
    return ActionButton(
        name=t.name,
        label=look.label_for(role),
        tone=look.tone,
        # A button posts a plain form: files need a form of their own (deliver, the
        # dispute answer) or the API's upload ids.
        fields=tuple(_field_view(f, contract) for f in t.payload if f.kind != "files"),
        help=look.help,
        main=look.main,
        confirm=confirm,
    )


def with_typed(
    buttons: list[ActionButton], *, name: str, typed: dict[str, str], errors: dict[str, str]
) -> list[ActionButton]:
    """The buttons again, the one of the action that failed showing what was typed and,
    under each field, what is wrong with it (the whole message under the first field when
    the domain named none of them)."""
    out = []
    for b in buttons:
        if b.name == name and b.fields:
            unplaced = errors.get("", "")
            fields = []
            first = True
            for i, f in enumerate(b.fields):
                error = errors.get(f.name, "") or (unplaced if i == 0 else "")
                error_id = ""
                if error:
                    error_id = f"act-{b.name}-error" if first else f"act-{b.name}-{f.name}-error"
                    first = False
                fields.append(
                    replace(f, value=typed.get(f.name, ""), error=error, error_id=error_id)
                )
            b = replace(b, fields=tuple(fields))
        out.append(b)
    return out


def done_message(name: str, **payload: Any) -> str:
    """What the flash message says after an action worked: the outcome, not the button.

    ``Look.done`` may name payload fields (``{freelancer_percent}``); ``payload`` fills them.
    """
    t = process.BY_NAME.get(name)
    look = t.look if t is not None else None
    if look is None:
        return "Done."
    if look.done:
        return look.done.format(**payload) if payload else look.done
    return f"Done: {look.label.lower()}."


def action_buttons(
    names: list[str], *, role: str, contract: Contract, money: ContractMoney
) -> list[ActionButton]:
    """Buttons for the transitions the engine says the viewer may fire, in table order.

    Operators read contracts here but act from their own pages, so they get none; nor do
    transitions with a form of their own (``Look.own_form``). A confirmation says the
    amount that would go back (what escrow holds, from the ledger); an amount input
    carries the bounds the domain will enforce.
    """
    if role == "operator":
        return []
    buttons = []
    for name in names:
        t = process.BY_NAME.get(name)
        if t is None or t.look is None or t.look.own_form or not t.look.label:
            continue
        buttons.append(room_button(t, role=role, contract=contract, money=money))
    return buttons


# --- money -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyRow:
    label: str
    minor: int
    strong: bool = False
    # Names the row in the page (``id="money-<key>"``) so tests and people can find it.
    key: str = ""


@dataclass(frozen=True)
class MoneyPanel:
    """The room's money: the terms while the contract runs, and what the ledger did."""

    terms: list[MoneyRow]
    ledger: list[MoneyRow]


def money_panel(contract: Contract, *, money: ContractMoney) -> MoneyPanel:
    """Both sides of the price while it runs; always the ledger's five numbers.

    The terms (``price_minor`` after partial refunds, the fee on it) say what completion
    would pay; they are left out once the contract ended, when only what happened counts.
    The ledger rows are ``contract_money`` as it is, so the panel cannot disagree with it.
    """
    terms: list[MoneyRow] = []
    if contract.outcome is None:
        terms.append(MoneyRow("Price of the work", contract.price_minor, key="price"))
        if contract.client_fee_minor:
            terms.append(MoneyRow("Marketplace fee", contract.client_fee_minor, key="client-fee"))
        terms.append(MoneyRow("Freelancer service fee", contract.fee_minor, key="fee"))
        terms.append(
            MoneyRow(
                "Freelancer receives on completion",
                contract.price_minor - contract.fee_minor,
                strong=True,
                key="receives",
            )
        )
    # A request's money is only held on the client's card until it is accepted: shown
    # apart from the ledger's posted rows, which it is not part of.
    ledger = [MoneyRow("Held on the card, not charged", money.on_hold, strong=True, key="on-hold")]
    if not money.on_hold:
        ledger = []
    ledger += [
        MoneyRow("Paid in by the client", money.paid_in, strong=True, key="paid-in"),
        MoneyRow("Refunded to the client", money.refunded, key="refunded"),
        MoneyRow("Released to the freelancer", money.to_freelancer, strong=True, key="released"),
        MoneyRow("Fees kept", money.to_platform, key="fees"),
        MoneyRow("Held in escrow", money.held, key="held"),
    ]
    return MoneyPanel(terms=terms, ledger=ledger)


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
        delivery_days=purchase_delivery_days(
            tier_days=int(tier.delivery_days),
            addon_days=(int(a.extra_delivery_days) for a in addons),
        ),
    )


# --- timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    who: str
    what: str
    when: str
    at_iso: str
    state: str
    detail: str = ""
    amount_minor: int | None = None


def _ending_money(events: list[ContractEvent], money: ContractMoney) -> ContractMoney:
    """What the ending itself moved: the ledger's totals less the earlier partial refunds.

    Partial refunds are the only money that moves between purchase and ending, and each
    is in its event's data; everything else released or refunded moved at the ending.
    """
    earlier = sum(
        int(e.data["amount_minor"])
        for e in events
        if e.name == "partial_refund" and isinstance((e.data or {}).get("amount_minor"), int)
    )
    return ContractMoney(
        paid_in=money.paid_in,
        refunded=max(money.refunded - earlier, 0),
        to_freelancer=money.to_freelancer,
        to_platform=money.to_platform,
        held=money.held,
    )


def timeline(
    events: list[ContractEvent],
    *,
    contract: Contract,
    tz_name: str,
    money: ContractMoney | None = None,
) -> list[TimelineItem]:
    """The event log in words (each transition's ``Look.event``); the money part of an
    ending is added from the ledger. ``money`` (``contract_money``) says what it moved."""
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
        t = process.BY_NAME.get(e.name)
        what = (
            t.look.event
            if t is not None and t.look is not None and t.look.event
            else e.name.replace("_", " ").capitalize()
        )
        percent = data.get("freelancer_percent")
        if e.name == "resolve_dispute" and isinstance(percent, int):
            what = f"{what}: {percent}% of the price to the freelancer, the rest to the client"
        if e.name == contract.ending and e.seq == contract.last_event_seq:
            decided = e.name == "resolve_dispute"
            fault = str(data.get("fault") or contract.fault or "none")
            said = [
                money_words(_ending_money(events, money or ContractMoney())),
                fault_words(
                    fault,
                    role="",
                    decided=decided,
                    outcome="Completed" if contract.outcome == "completed" else "Cancelled",
                ),
            ]
            what = "; ".join([what, *(w for w in said if w)])
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


# --- the client card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientCardView:
    """``contracts.selectors.ClientCard`` in words, for the room and the dashboard."""

    name: str
    member_since: str
    country: str
    payment_verified: str
    total_spent: str
    contracts: str
    completion_rate: str
    cancellation_rate: str
    ratings: str
    # True while the freelancer is deciding (a request, the grace window): shown first.
    prominent: bool = False
    # "Rates freelancers 4.6 ★ on average (5)", "" without ratings given.
    ratings_given: str = ""
    # "Rated 4.8 ★ by freelancers (3)", "" without ratings received.
    ratings_received: str = ""
    # Up to three recent public feedback quotes from freelancers (``trust_presenters``).
    recent_feedback: tuple[Any, ...] = ()

    @property
    def summary(self) -> str:
        """One line for lists: contracts, rates and spend."""
        if self.completion_rate == "—":
            endings = "no completions or cancellations yet"
        else:
            endings = (
                f"{self.completion_rate} completed, "
                f"{self.cancellation_rate} cancelled by the client"
            )
        return f"{self.contracts} · {endings} · {self.total_spent} spent"


def _rate(percent: int | None) -> str:
    return "—" if percent is None else f"{percent}%"


def client_card_view(card: ClientCard, *, prominent: bool = False) -> ClientCardView:
    given, received, quotes = card_ratings(card)
    return ClientCardView(
        name=card.name,
        member_since=f"{card.member_since:%B %Y}",
        country=card.country_name or "—",
        payment_verified="Yes" if card.payment_verified else "Not yet",
        total_spent=format_minor(card.total_spent_minor),
        contracts=_plural(card.contracts, "contract"),
        completion_rate=_rate(card.completion_rate_percent),
        cancellation_rate=_rate(card.cancellation_rate_percent),
        ratings="" if given or received else "No ratings yet",
        prominent=prominent,
        ratings_given=given,
        ratings_received=received,
        recent_feedback=quotes,
    )


# --- dashboard ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    contract: Contract
    why: str
    due: str = ""
    due_at: datetime | None = None
    # The client card's one-line summary, on a request waiting for the freelancer.
    client: str = ""


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


def _soonest_first(row: DashboardRow) -> tuple[bool, float, int]:
    # Rows without a due time go last; ties keep the order of purchase.
    at = row.due_at.timestamp() if row.due_at is not None else 0.0
    return (row.due_at is None, at, int(row.contract.pk))


def dashboard(*, user: Any, now: datetime) -> Dashboard:
    """The viewer's contracts that wait for them, as freelancer and as client, soonest due
    first. A request waiting for the freelancer carries the client card's summary."""
    from fairlance.contracts.selectors import client_cards

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
    requests = [c for c in waiting if c.freelancer_id == user.pk and c.state == "requested"]
    cards = client_cards(client_ids={c.client_id for c in requests}) if requests else {}
    for c in waiting:
        due_at = _main_due(c)
        due = f"due {local_time(due_at, tz_name)}, {relative(due_at, now)}" if due_at else ""
        if c.freelancer_id == user.pk and c.state in ACTION_STATES_FREELANCER:
            why = ACTION_STATES_FREELANCER[c.state]
            if c.late:
                why = "Late — deliver as soon as you can"
            card = cards.get(c.client_id) if c.state == "requested" else None
            summary = client_card_view(card).summary if card is not None else ""
            board.selling.append(DashboardRow(c, why, due, due_at, summary))
        elif c.client_id == user.pk:
            board.buying.append(DashboardRow(c, ACTION_STATES_CLIENT[c.state], due, due_at))
    board.selling.sort(key=_soonest_first)
    board.buying.sort(key=_soonest_first)
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
