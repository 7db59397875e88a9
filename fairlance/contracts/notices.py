"""Turn the notices declared in ``process.py`` into the words one person receives.

A ``Notice`` (or a timer's ``Reminder``) holds ``str.format`` templates; ``render`` fills
them with the fields below, in the recipient's time zone, and ends the body with the
absolute link to the contract room (``FAIRLANCE_SITE_URL``) and the site's name. A
template naming an unknown field fails loudly (``KeyError``), and a test renders every
notice of the table, so a typo never reaches anyone.

Fields (all text):

- ``project``, ``package``, ``addons``: what was bought (from the contract's snapshot);
  ``receipt``: those with the amounts, one per line.
- ``client``, ``freelancer``: the two sides' public names; ``actor``: who fired the
  transition; ``state``: the contract's state now, in words.
- ``price`` (what the work costs now), ``paid`` (what the client paid or has held: price
  plus marketplace fee), ``earnings`` (price less the freelancer's service fee),
  ``refund`` (what this transition sent back to the client), ``money_back`` (how a
  request's ending gave the client's money back, as a sentence without its full stop: the
  card hold released, or, for a request charged before requests held the card, the
  payment refunded), ``percent`` and ``share``
  (a dispute decision's share of the price for the freelancer, and what it pays them
  after the service fee), ``revisions_left``.
- ``message``: what the acting person wrote (a decline note, a revision request, a
  dispute reason, a delivery note), quoted; "(no message)" when they wrote nothing.
- ``deadline`` ("Mon 9 Mar 14:00"), ``deadline_full`` ("Mon 9 Mar 2026 at 14:00, Asia/Tokyo
  time") and ``deadline_why`` (its explanation as a sentence, or nothing): the clock the
  notice names.
- ``delivery_due``, ``grace``: the contract's stored delivery due and grace window end.
- ``site``: the configured site name.
- ``milestone`` (``Milestone 1, "Pages 1-25"``), ``milestone_amount`` (its amount) and
  ``milestone_earnings`` (that less the service fee): the milestone released last, for
  the notices of an approval that leaves more milestones to do; ``next_milestone``: the
  one being worked on now, named the same way. Read from the milestones only when a
  template names them, so other notices cost no query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from fairlance.contracts import deadlines
from fairlance.contracts import milestones as ms
from fairlance.core.money import format_minor, percent_of
from fairlance.core.site import site_name, site_url
from fairlance.core.workdays import DAY_ABBR, MONTH_ABBR, Deadline

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract
    from fairlance.core.policy import Policy

NOT_SET = "(not set)"


@dataclass(frozen=True)
class Facts:
    """What a transition (or reminder) knows that its notices may say.

    ``clocks``: the deadlines the transition just armed, by clock name (a reminder's: the
    one it reminds of). ``refunded``: minor units this transition sent back to the client.
    """

    contract: Contract
    actor: str
    payload: Mapping[str, Any]
    clocks: Mapping[str, Deadline]
    refunded: int = 0
    policy: Policy | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def room_url(contract_id: int) -> str:
    return site_url(reverse("web:contract_room", args=[contract_id]))


def render(subject: str, body: str, *, facts: Facts, deadline: str | None, zone: str) -> Rendered:
    """Fill the templates for a recipient in ``zone``; ``deadline`` names the clock."""
    fields = _fields(facts, deadline, zone)
    text = body.format_map(fields)
    footer = f"Open the contract: {room_url(facts.contract.pk)}\n\n{fields['site']}"
    # Subjects are one line of at most the notification title's 200 characters.
    title = " ".join(subject.format_map(fields).split())[:200]
    return Rendered(title, f"{text}\n\n{footer}\n")


def resolve_deadline(facts: Facts, clock: str | None) -> Deadline | None:
    """The instant and explanation of ``clock`` for this contract, if it has one."""
    if clock is None:
        return None
    contract = facts.contract
    notes = contract.clock_notes or {}
    if clock == "delivery_due" and contract.delivery_due_at is not None:
        return Deadline(contract.delivery_due_at, str(notes.get("delivery_due", "")))
    if clock == "grace" and contract.grace_ends_at is not None:
        return Deadline(contract.grace_ends_at, str(notes.get("grace", "")))
    if clock == "late_grace" and contract.delivery_due_at is not None and facts.policy:
        return deadlines.late_grace_deadline(contract, facts.policy)
    if clock == "feedback_window" and contract.ended_at is not None and facts.policy:
        return deadlines.feedback_deadline(contract, facts.policy, contract.ended_at)
    return facts.clocks.get(clock)


MILESTONE_FIELDS = ("milestone", "milestone_amount", "milestone_earnings", "next_milestone")


class _Fields(dict[str, str]):
    """The fields, with the milestone ones read on first use (``MILESTONE_FIELDS``)."""

    def __init__(self, facts: Facts, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.facts = facts

    def __missing__(self, key: str) -> str:
        if key not in MILESTONE_FIELDS:
            raise KeyError(key)
        self.update(_milestone_fields(self.facts))
        return self[key]


def _milestone_fields(facts: Facts) -> dict[str, str]:
    rows = ms.milestones_of(facts.contract)
    released = [i for i, m in enumerate(rows) if m.released_at is not None]
    current = ms.current_index(rows)
    fields = dict.fromkeys(MILESTONE_FIELDS, NOT_SET)
    if current is not None:
        fields["next_milestone"] = _milestone_name(current, rows[current].title)
    if released:
        last = max(released, key=lambda i: (rows[i].released_at, i))
        fields["milestone"] = _milestone_name(last, rows[last].title)
        fields["milestone_amount"] = format_minor(rows[last].amount_minor)
        if facts.policy is not None:
            part = ms.share(facts.contract, rows, last, facts.policy)
            fields["milestone_earnings"] = format_minor(part.gross - part.fee)
    return fields


def _milestone_name(index: int, title: str) -> str:
    return f'Milestone {index + 1}, "{title}"'


def _fields(facts: Facts, clock: str | None, zone_name: str) -> dict[str, str]:
    contract = facts.contract
    snapshot = contract.snapshot or {}
    zone = ZoneInfo(zone_name)
    due = resolve_deadline(facts, clock)
    tier = snapshot.get("tier") or {}
    fields = {
        "project": contract.title,
        "package": str(tier.get("name", "")),
        "addons": _addons(snapshot),
        "client": contract.client.public_name,
        "freelancer": contract.freelancer.public_name,
        "actor": facts.actor,
        "state": contract.state.replace("_", " "),
        "price": format_minor(contract.price_minor),
        "paid": format_minor(contract.escrow_total_minor),
        "earnings": format_minor(contract.price_minor - contract.fee_minor),
        "refund": format_minor(facts.refunded),
        "money_back": (
            f"The {format_minor(facts.refunded)} you paid is refunded to your card"
            if facts.refunded
            else f"The hold of {format_minor(contract.escrow_total_minor)} on your card is "
            "released; nothing was charged"
        ),
        "percent": str(facts.payload.get("freelancer_percent", "")),
        "share": _share(facts),
        "revisions_left": str(contract.revisions_left),
        "message": _quoted(facts.payload.get("note") or facts.payload.get("reason")),
        "deadline": _short(due.at, zone) if due else NOT_SET,
        "deadline_full": _full(due.at, zone, zone_name) if due else NOT_SET,
        "deadline_why": f"{due.explanation.rstrip('.')}." if due and due.explanation else "",
        "delivery_due": _full(contract.delivery_due_at, zone, zone_name)
        if contract.delivery_due_at
        else NOT_SET,
        "grace": _full(contract.grace_ends_at, zone, zone_name)
        if contract.grace_ends_at
        else NOT_SET,
        "site": site_name(),
        # What a proposal asks, in words (``proposals.describe``; set by its actions).
        "proposal": str(facts.payload.get("_proposal", "")),
    }
    fields["receipt"] = _receipt(contract, fields)
    return _Fields(facts, fields)


def _share(facts: Facts) -> str:
    """What a dispute decision pays the freelancer: their share less the service fee (as
    ``actions.split_escrow`` computes it)."""
    percent = facts.payload.get("freelancer_percent")
    if not isinstance(percent, int) or facts.policy is None:
        return NOT_SET
    gross = percent_of(facts.contract.price_minor, percent * 100)
    return format_minor(gross - percent_of(gross, facts.policy.freelancer_fee_bp))


def _short(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]} {local:%H:%M}"


def _full(at: datetime, zone: ZoneInfo, zone_name: str) -> str:
    local = at.astimezone(zone)
    day = f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]} {local.year}"
    return f"{day} at {local:%H:%M} ({zone_name.replace('_', ' ')} time)"


def _quoted(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        return "(no message)"
    return "\n".join(f"> {line}" for line in text.strip().splitlines())


def _addons(snapshot: Mapping[str, Any]) -> str:
    addons = snapshot.get("addons") or []
    if not addons:
        return "none"
    return ", ".join(
        f"{a.get('title', '')} (+{format_minor(int(a.get('price_minor', 0)))})" for a in addons
    )


def _receipt(contract: Contract, fields: Mapping[str, str]) -> str:
    tier = (contract.snapshot or {}).get("tier") or {}
    lines = [
        f"Project: {fields['project']}",
        f"Freelancer: {fields['freelancer']}",
        f"Package: {fields['package']} ({format_minor(int(tier.get('price_minor', 0)))})",
        f"Add-ons: {fields['addons']}",
    ]
    if contract.client_fee_minor:
        lines.append(f"Marketplace fee: {format_minor(contract.client_fee_minor)}")
    lines += [f"Total: {fields['paid']}", f"Contract number: {contract.pk}"]
    return "\n".join(lines)
