"""Milestones: pieces of a contract funded, worked on, delivered and released in order.

A contract has one or more milestones (SPEC section 4); a catalog purchase has exactly one,
the tier. The contract's state and its delivery clock (``delivery_due_at``, ``late``) are
always those of its **current** milestone: the first, by position, that is funded, in
progress or delivered. Approving a delivery releases only the current milestone; when a
funded milestone follows, the contract goes back to ``in_progress`` on it and its delivery
clock starts from the approval (``process.route_after_release``, ``actions.release_escrow``).

Money stays per contract: one escrow account, one funding entry per milestone
(``funding_reference``) and one release entry per approval. The service fee and the
client's marketplace fee are shared out over the milestones cumulatively (``share``), so
the shares of all milestones add up to the contract's fees exactly and the last release
leaves the escrow at zero.

Everything here runs inside the contract's transaction with its row locked (the engine's
actions, or the purchase that creates it); nothing changes a contract's state but the
engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fairlance.contracts import deadlines
from fairlance.contracts.models import Milestone, MilestoneState
from fairlance.core.errors import Conflict, InvalidInput, field_error
from fairlance.core.money import percent_of
from fairlance.core.sql import insert_new
from fairlance.core.text import TextError, TextRule, clean_text
from fairlance.core.workdays import explained_calendar_days_after, explained_working_days_after
from fairlance.ledger.accounts import WORLD, escrow
from fairlance.ledger.services import Move, ledger_post

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract
    from fairlance.core.policy import Policy

#: The milestones whose money is in escrow and not settled: the current one is the first.
OPEN = (MilestoneState.FUNDED, MilestoneState.IN_PROGRESS, MilestoneState.DELIVERED)
TITLE = TextRule(min_length=1, max_length=200)
MAX_DELIVERY_DAYS = 365


@dataclass(frozen=True)
class MilestoneIn:
    """One milestone as agreed: what it is, what it costs, how long it takes."""

    title: str
    amount_minor: int
    delivery_days: int


@dataclass(frozen=True)
class Share:
    """What one milestone holds of the contract's money, in minor units."""

    gross: int  # its part of the price
    fee: int  # its part of the freelancer service fee
    client_fee: int  # its part of the client's marketplace fee

    @property
    def funded(self) -> int:
        """What funding it takes from the client (world -> escrow)."""
        return self.gross + self.client_fee


def funding_reference(contract_id: int, position: int) -> str:
    """The ledger reference of the funding of the milestone at ``position`` (0-based).

    The first keeps the reference a contract's capture always had
    (``actions.capture_reference``), so a catalog purchase books exactly what it did
    before milestones existed; later ones are numbered from 2, as people count them.
    """
    base = f"contract:{int(contract_id)}:capture"
    return base if position == 0 else f"{base}:{position + 1}"


# --- reading -------------------------------------------------------------------------------


def milestones_of(contract: Contract) -> list[Milestone]:
    """The contract's milestones in order. A page that prefetched them (``milestones``)
    reads them once for every reader; domain code reads a locked contract, never
    prefetched, so it always sees the rows as they are."""
    prefetched = getattr(contract, "_prefetched_objects_cache", {}).get("milestones")
    if prefetched is not None:
        return sorted(prefetched, key=lambda m: m.position)
    return list(Milestone.objects.filter(contract_id=contract.pk).order_by("position"))


def current_index(milestones: Sequence[Milestone]) -> int | None:
    """The index of the milestone being worked on or reviewed, None when all are settled."""
    for i, milestone in enumerate(milestones):
        if milestone.state in OPEN:
            return i
    return None


def next_funded(milestones: Sequence[Milestone], after: int) -> Milestone | None:
    """The funded milestone that follows the one at index ``after``, if any."""
    for milestone in milestones[after + 1 :]:
        if milestone.state == MilestoneState.FUNDED:
            return milestone
    return None


def more_after_current(contract: Contract) -> bool:
    """Another funded milestone waits after the current one (the locked contract's)."""
    milestones = milestones_of(contract)
    index = current_index(milestones)
    return index is not None and next_funded(milestones, index) is not None


def _funded(milestones: Sequence[Milestone]) -> list[Milestone]:
    """The milestones the client paid for: what the contract's price is the sum of."""
    return [m for m in milestones if m.state != MilestoneState.UNFUNDED]


def _through(contract: Contract, funded: Sequence[Milestone], k: int, policy: Policy) -> Share:
    """The money of the first ``k`` funded milestones together.

    The fees are taken on the running total of amounts and capped by the contract's fee,
    with all ``k`` the contract's own: monotonic in ``k``, so every milestone's share is
    never negative, and the shares add up to the contract's fees exactly. Amounts of
    released milestones never change, so a released share never changes either.
    """
    if k >= len(funded):
        return Share(contract.price_minor, contract.fee_minor, contract.client_fee_minor)
    gross = sum(m.amount_minor for m in funded[:k])
    return Share(
        gross,
        min(contract.fee_minor, percent_of(gross, policy.freelancer_fee_bp)),
        min(contract.client_fee_minor, percent_of(gross, policy.client_fee_bp)),
    )


def share(contract: Contract, milestones: Sequence[Milestone], index: int, policy: Policy) -> Share:
    """The money the milestone at ``index`` of ``milestones`` holds."""
    funded = _funded(milestones)
    k = funded.index(milestones[index])
    low, high = _through(contract, funded, k, policy), _through(contract, funded, k + 1, policy)
    return Share(high.gross - low.gross, high.fee - low.fee, high.client_fee - low.client_fee)


def unreleased(contract: Contract, milestones: Sequence[Milestone], policy: Policy) -> Share:
    """The money of the milestones not settled yet: what refunds and splits act on."""
    funded = _funded(milestones)
    settled = sum(1 for m in funded if m.state not in OPEN)
    low = _through(contract, funded, settled, policy)
    return Share(
        contract.price_minor - low.gross,
        contract.fee_minor - low.fee,
        contract.client_fee_minor - low.client_fee,
    )


# --- creating --------------------------------------------------------------------------------


def _clean(items: Sequence[MilestoneIn]) -> list[MilestoneIn]:
    if not items:
        raise InvalidInput(errors=[field_error("milestones", "Add at least one milestone.")])
    errors = []
    clean: list[MilestoneIn] = []
    for i, item in enumerate(items):
        title = item.title
        try:
            title = clean_text(item.title, rule=TITLE)
        except TextError as exc:
            errors.append(field_error(f"milestones.{i}.title", exc.message, exc.code))
        if isinstance(item.amount_minor, bool) or item.amount_minor < 1:
            errors.append(
                field_error(f"milestones.{i}.amount_minor", "At least 0.01.", "out_of_range")
            )
        if not 1 <= item.delivery_days <= MAX_DELIVERY_DAYS:
            errors.append(
                field_error(
                    f"milestones.{i}.delivery_days",
                    f"From 1 to {MAX_DELIVERY_DAYS} days.",
                    "out_of_range",
                )
            )
        clean.append(MilestoneIn(title, item.amount_minor, item.delivery_days))
    if errors:
        raise InvalidInput("Some milestones are invalid.", errors=errors)
    return clean


def milestones_create(
    contract: Contract, items: Sequence[MilestoneIn], *, now: datetime
) -> list[Milestone]:
    """Create a new contract's milestones, all funded, in the order given.

    Preconditions: inside the transaction that creates ``contract``, after its first
    transition stored it; the client's money for the whole price is (being) booked into
    escrow (``funding_book``). The amounts must add up to the contract's price, and the
    first milestone's delivery days must be the contract's: its delivery clock is the
    contract's own (grace window and all), already started if work has. A catalog
    purchase passes one item, the tier; a custom offer passes several.
    """
    clean = _clean(items)
    if sum(m.amount_minor for m in clean) != contract.price_minor:
        raise InvalidInput(
            "The milestones must add up to the price.",
            errors=[field_error("milestones", "The amounts must add up to the price.", "sum")],
        )
    if clean[0].delivery_days != contract.delivery_days:
        raise ValueError("the first milestone's delivery days are the contract's")
    rows = [
        Milestone(
            contract=contract,
            position=i,
            title=item.title,
            amount_minor=item.amount_minor,
            delivery_days=item.delivery_days,
            state=MilestoneState.FUNDED,
            created_at=now,
        )
        for i, item in enumerate(clean)
    ]
    first = rows[0]
    if contract.state == "in_progress":
        first.state = MilestoneState.IN_PROGRESS
        first.due_at = contract.delivery_due_at
        first.due_explanation = str(contract.clock_notes.get("delivery_due", ""))[:300]
    if len(rows) == 1:
        # The purchase path: one INSERT built once per process (``insert_new``).
        insert_new(first)
    else:
        Milestone.objects.bulk_create(rows)
    return rows


def funding_book(contract: Contract, milestones: Sequence[Milestone], policy: Policy) -> None:
    """Book the client's payment into escrow: one entry per funded milestone.

    Precondition: inside the transaction that creates the contract (or funds a new
    milestone), the money taken from the client. Each reference is unique per contract
    and milestone, so a milestone is funded at most once.
    """
    for i, milestone in enumerate(milestones):
        if milestone.state == MilestoneState.UNFUNDED:
            continue
        amount = share(contract, milestones, i, policy).funded
        if amount <= 0:
            continue
        _fund(contract, milestone, amount)


def _fund(contract: Contract, milestone: Milestone, amount: int) -> None:
    label = "" if milestone.position == 0 else f", milestone {milestone.position + 1}"
    ledger_post(
        reference=funding_reference(contract.pk, milestone.position),
        memo=f"Payment for contract {contract.pk}{label} held in escrow",
        postings=[Move(WORLD, escrow(contract.pk), amount)],
        contract_id=contract.pk,
    )


# --- moving along -----------------------------------------------------------------------------


def milestone_deadline(
    contract: Contract, milestone: Milestone, start: datetime
) -> tuple[datetime, str]:
    """When ``milestone``, started at ``start``, is due, and why (the contract's day kind)."""
    spec = deadlines.freelancer_spec(contract)
    label = "the previous milestone's approval"
    if contract.snapshot.get("delivery_in_working_days"):
        d = explained_working_days_after(spec, start, milestone.delivery_days, anchor_label=label)
    else:
        d = explained_calendar_days_after(
            start, milestone.delivery_days, viewer_tz=spec.time_zone, anchor_label=label
        )
    return d.at, f"Delivery due {d.explanation}"


def milestone_start(contract: Contract, milestone: Milestone, now: datetime) -> None:
    """Work on ``milestone`` starts now: its delivery clock becomes the contract's.

    The contract is no longer late (lateness is the current milestone's) and its
    ``mark_late`` timer, armed when the engine re-enters ``in_progress``, reads the new due.
    Revisions stay the contract's: they are not given again per milestone.
    """
    milestone.due_at, milestone.due_explanation = milestone_deadline(contract, milestone, now)
    milestone.due_explanation = milestone.due_explanation[:300]
    milestone.state = MilestoneState.IN_PROGRESS
    milestone.save(update_fields=["due_at", "due_explanation", "state"])
    contract.delivery_due_at = milestone.due_at
    contract.late = False
    contract.clock_notes = {**contract.clock_notes, "delivery_due": milestone.due_explanation}


def milestone_current(contract: Contract) -> Milestone | None:
    """The milestone being worked on or reviewed (see the module docstring)."""
    milestones = milestones_of(contract)
    index = current_index(milestones)
    return None if index is None else milestones[index]


def milestone_clock_sync(contract: Contract) -> None:
    """The current milestone takes the contract's delivery clock (work started, or a
    dispute's pause added to it). A contract not stored yet has no milestone rows: the
    purchase creates them from the contract afterwards (``milestones_create``)."""
    if contract.pk is None:
        return
    milestone = milestone_current(contract)
    if milestone is None or milestone.state == MilestoneState.DELIVERED:
        return
    milestone.state = MilestoneState.IN_PROGRESS
    milestone.due_at = contract.delivery_due_at
    milestone.due_explanation = str(contract.clock_notes.get("delivery_due", ""))[:300]
    milestone.save(update_fields=["state", "due_at", "due_explanation"])


def milestone_mark(contract: Contract, state: MilestoneState) -> None:
    """The current milestone is now ``state`` (delivered, or back in progress)."""
    milestone = milestone_current(contract)
    if milestone is not None:
        milestone.state = state
        milestone.save(update_fields=["state"])


def milestone_lower(contract: Contract, amount: int) -> None:
    """A partial refund of ``amount`` comes off the current milestone's price (the
    caller checked it leaves something: ``actions.partial_refund_bounds``)."""
    milestone = milestone_current(contract)
    if milestone is not None:
        milestone.amount_minor -= amount
        milestone.save(update_fields=["amount_minor"])


def milestones_close(contract: Contract, state: MilestoneState) -> None:
    """Every milestone not settled yet ends as ``state`` (the contract is ending)."""
    Milestone.objects.filter(contract_id=contract.pk, state__in=OPEN).update(state=state)


# --- change orders (called by the proposals once they are accepted) ----------------------------


def milestone_add(
    contract: Contract,
    *,
    title: str,
    amount_minor: int,
    delivery_days: int,
    funded: bool,
    policy: Policy,
    now: datetime,
) -> Milestone:
    """Append a milestone to a running contract (an accepted change order).

    Precondition: the caller holds the contract's row lock and saves the contract
    afterwards (the engine does, when this runs as a transition's action). ``funded``:
    the client's card was charged for it a moment ago, and its money is booked into
    escrow now, raising the price and the fees; an unfunded one waits for that and is
    never worked on. Refused on a contract that has ended.
    """
    if contract.state in ("completed", "cancelled"):
        raise Conflict("A contract that has ended takes no new milestone.", code="contract_ended")
    (item,) = _clean([MilestoneIn(title, amount_minor, delivery_days)])
    last = Milestone.objects.filter(contract_id=contract.pk).order_by("-position").first()
    milestone = Milestone(
        contract=contract,
        position=0 if last is None else last.position + 1,
        title=item.title,
        amount_minor=item.amount_minor,
        delivery_days=item.delivery_days,
        state=MilestoneState.FUNDED if funded else MilestoneState.UNFUNDED,
        created_at=now,
    )
    milestone.save()
    if funded:
        client_fee = percent_of(item.amount_minor, policy.client_fee_bp)
        contract.price_minor += item.amount_minor
        contract.fee_minor = percent_of(contract.price_minor, policy.freelancer_fee_bp)
        contract.client_fee_minor += client_fee
        _fund(contract, milestone, item.amount_minor + client_fee)
    return milestone


def milestone_change_price(milestone: Milestone, amount_minor: int) -> Milestone:
    """Set the price of a milestone nobody has paid for yet (an accepted change order).

    A funded milestone's money is in escrow and is changed only by refunds; the caller
    holds the contract's row lock.
    """
    if milestone.state != MilestoneState.UNFUNDED:
        raise Conflict(
            "Only a milestone not funded yet can change its price.",
            code="milestone_funded",
        )
    (item,) = _clean([MilestoneIn(milestone.title, amount_minor, milestone.delivery_days)])
    milestone.amount_minor = item.amount_minor
    milestone.save(update_fields=["amount_minor"])
    return milestone


def milestone_raise(
    contract: Contract, milestone: Milestone, amount_minor: int, *, policy: Policy, seq: int
) -> int:
    """Raise the price of a funded milestone not started yet to ``amount_minor`` (an
    accepted ``change_price``); returns what the client paid for it (the difference and
    the client's fee on it), booked world -> escrow in one entry.

    Precondition: the caller holds the contract's row lock, charged the client that much a
    moment ago, and saves the contract afterwards. Only milestones after the current one
    are still ``funded``: the shares of the milestones before it (released or being worked
    on) never change, since the fees are shared out cumulatively in order (``share``).
    """
    if milestone.state != MilestoneState.FUNDED:
        raise Conflict(
            "Work on this milestone has started: its price no longer changes.",
            code="milestone_started",
        )
    raise_by = amount_minor - milestone.amount_minor
    if raise_by <= 0:
        raise Conflict(
            "The milestone's price changed since this was proposed; propose it again.",
            code="proposal_out_of_date",
        )
    client_fee = percent_of(raise_by, policy.client_fee_bp)
    milestone.amount_minor = amount_minor
    milestone.save(update_fields=["amount_minor"])
    contract.price_minor += raise_by
    contract.fee_minor = percent_of(contract.price_minor, policy.freelancer_fee_bp)
    contract.client_fee_minor += client_fee
    ledger_post(
        reference=f"{funding_reference(contract.pk, milestone.position)}:raise:{int(seq)}",
        memo=f"Price of contract {contract.pk}, milestone {milestone.position + 1}, raised "
        "by agreement; the difference held in escrow",
        postings=[Move(WORLD, escrow(contract.pk), raise_by + client_fee)],
        contract_id=contract.pk,
    )
    return raise_by + client_fee
