"""Changes by consent (SPEC section 4): change orders and mutual cancellation as proposals.

A proposal is opened, accepted, declined, withdrawn and expired only by transitions of the
contract's process (``propose``, ``accept_proposal``, ``decline_proposal``,
``withdraw_proposal``, ``expire_proposal`` in ``process.py``, since process version 2), so
it runs under the contract's row lock and leaves an event like every other change. The
functions here are those transitions' actions and the proposal's clock; the web and the API
both fire the transitions through ``services.contract_transition``.

What each kind asks and does lives in ``KINDS``: its fields and their validation, what
accepting it does to the contract, whether it pauses the contract's clocks while open (a
cancellation: nobody should lose a deadline while both sides talk about ending) and
whether it moves money (accepting it then takes an ``Idempotency-Key``). Adding a kind
is one entry.

A kind that raises what the client pays (``add_milestone``, ``change_price``) is charged to the client's
card before it takes effect (``proposal_accept_funded``, decision 0019): outside the
contract's transaction, with a reference derived from the proposal, then the accept books
it into escrow; an accept refused after the charge gives it back. Either side proposes
one: the freelancer's is charged when the client accepts it with their card; the client's
holds their card for it when proposed (``proposal_propose_held``), the freelancer's accept
captures the hold (``proposal_accept_held``), and every other ending voids it (``_close``).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fairlance.contracts import actions, deadlines, milestones
from fairlance.contracts.models import (
    Contract,
    Milestone,
    MilestoneState,
    Proposal,
    ProposalStatus,
)
from fairlance.contracts.payload import clean_paragraph
from fairlance.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from fairlance.core.money import format_minor, percent_of
from fairlance.core.policy import Policy, policy_for_version
from fairlance.core.text import TextError, clean_text
from fairlance.core.workdays import Deadline, explained_working_days_after

if TYPE_CHECKING:
    from fairlance.contracts.process import Context

SUBJECT = "proposal"
# The payload key naming the proposal a transition answers (``engine.timer_payload`` too).
PROPOSAL_ID = "proposal_id"
PARTIES = ("client", "freelancer")
# Upper bounds a person may ask for at once; beyond them, a new contract fits better.
MAX_DAYS = 90
MAX_REVISIONS = 10
# The largest milestone a change order adds (minor units): a bigger piece is a new contract.
MAX_MILESTONE_MINOR = 1_000_000_00
# The payload key of the processor's charge an accepted increase books (never in the log).
CHARGE_REF = "_charge_ref"
# ... and what it charged, which the accept checks the change still costs.
CHARGED_MINOR = "_charged_minor"
# The payload keys of a client's hold that a ``propose`` records (never in the log).
HOLD_TOKEN = "_hold_token"
HOLD_REF = "_hold_ref"
HELD_MINOR = "_held_minor"

Fields = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    # The states in which it may be proposed (accepting needs the contract still there).
    states: tuple[str, ...]
    # payload -> the proposal's fields (``days``, ``revisions``, ``amount_minor``,
    # ``percent_to_freelancer``, ``note``), or ``InvalidInput``.
    clean: Callable[[Contract, dict[str, Any]], Fields]
    # What accepting it does to the locked contract.
    apply: Callable[[Contract, Proposal, Context], None]
    # The proposal's fields this kind uses (shown to people, in the API).
    fields: tuple[str, ...] = ("note",)
    pauses_clocks: bool = False
    moves_money: bool = False
    # Accepting it raises what the client pays: the client's card is charged first
    # (``proposal_accept_funded``), and only the freelancer may propose it.
    charges_client: bool = False


def _whole(payload: dict[str, Any], name: str, low: int, high: int, message: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(errors=[field_error(name, message, "out_of_range")])
    return value


def _note(payload: dict[str, Any], *, required: str | None = None) -> str:
    return clean_paragraph(
        payload.get("note"), "note", required=bool(required), message=required or ""
    )


def _clean_extend(contract: Contract, payload: dict[str, Any]) -> Fields:
    days = _whole(payload, "days", 1, MAX_DAYS, f"A whole number of days, 1 to {MAX_DAYS}.")
    return {"days": days, "note": _note(payload)}


def _clean_revisions(contract: Contract, payload: dict[str, Any]) -> Fields:
    n = _whole(
        payload,
        "revisions",
        1,
        MAX_REVISIONS,
        f"A whole number of revisions, 1 to {MAX_REVISIONS}.",
    )
    return {"revisions": n, "note": _note(payload)}


def _clean_reduce(contract: Contract, payload: dict[str, Any]) -> Fields:
    low, high = actions.partial_refund_bounds(contract)
    amount = _whole(
        payload,
        "amount_minor",
        low,
        high,
        f"Enter an amount between {format_minor(low)} and {format_minor(high)}; to end the "
        "contract, propose a cancellation.",
    )
    return {"amount_minor": amount, "note": _note(payload, required="Say what is left out.")}


def _clean_cancel(contract: Contract, payload: dict[str, Any]) -> Fields:
    percent = _whole(payload, "percent_to_freelancer", 0, 100, "A whole number from 0 to 100.")
    return {
        "percent_to_freelancer": percent,
        "note": _note(payload, required="Say why you propose to end the contract."),
    }


def _clean_add_milestone(contract: Contract, payload: dict[str, Any]) -> Fields:
    errors = []
    title = ""
    try:
        title = clean_text(str(payload.get("title") or ""), rule=milestones.TITLE)
    except TextError as exc:
        errors.append(field_error("title", exc.message, exc.code))
    fields: Fields = {"title": title}
    for name, high, message in (
        ("amount_minor", MAX_MILESTONE_MINOR, "A price from 0.01 to 1,000,000.00."),
        (
            "delivery_days",
            milestones.MAX_DELIVERY_DAYS,
            f"A whole number of days, 1 to {milestones.MAX_DELIVERY_DAYS}.",
        ),
    ):
        try:
            fields[name] = _whole(payload, name, 1, high, message)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors=errors)
    return {**fields, "note": _note(payload)}


def _apply_add_milestone(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    """The new milestone comes last, funded by the charge taken a moment ago."""
    assert proposal.amount_minor is not None and proposal.delivery_days is not None
    if not ctx.payload.get(CHARGE_REF):
        # Only ``proposal_accept_funded`` accepts it, with the client's charge.
        raise Conflict("Accepting this takes the client's payment.", code="payment_required")
    if proposal.amount_minor + percent_of(
        proposal.amount_minor, ctx.policy.client_fee_bp
    ) != ctx.payload.get(CHARGED_MINOR):
        raise Conflict(
            "What the client was charged is not what the milestone costs; accept it again.",
            code="proposal_out_of_date",
        )
    milestones.milestone_add(
        contract,
        title=proposal.title,
        amount_minor=proposal.amount_minor,
        delivery_days=proposal.delivery_days,
        funded=True,
        policy=ctx.policy,
        now=ctx.now,
    )


def _future_milestone(contract: Contract, number: Any, *, lock: bool = False) -> Milestone:
    """The milestone numbered ``number`` (as people count) that is funded and not started,
    or ``InvalidInput`` naming the field."""
    rows = Milestone.objects.filter(contract_id=contract.pk)
    found = None
    if isinstance(number, int) and not isinstance(number, bool) and number >= 1:
        found = (rows.select_for_update() if lock else rows).filter(position=number - 1).first()
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InvalidInput(
            errors=[
                field_error(
                    "milestone",
                    "The number of a milestone that has not started yet.",
                    "invalid_choice",
                )
            ]
        )
    # A well-formed number the contract has no waiting milestone for is a conflict with the
    # contract as it is now (milestones are added and started over time), not bad input.
    if found is None:
        raise Conflict(f"This contract has no milestone {number}.", code="no_such_milestone")
    if found.state != MilestoneState.FUNDED:
        raise Conflict(
            f"Milestone {number} has started: only the price of a paid milestone that has "
            "not started can change.",
            code="milestone_started",
        )
    return found


def _clean_change_price(contract: Contract, payload: dict[str, Any]) -> Fields:
    milestone = _future_milestone(contract, payload.get("milestone"))
    amount = _whole(
        payload,
        "amount_minor",
        milestone.amount_minor + 1,
        MAX_MILESTONE_MINOR,
        f"More than the milestone's {format_minor(milestone.amount_minor)}; to pay less, "
        "reduce the scope once work on it has started.",
    )
    return {"milestone": milestone.position + 1, "amount_minor": amount, "note": _note(payload)}


def _apply_change_price(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    """The milestone's price rises by what the client was charged a moment ago."""
    assert proposal.amount_minor is not None
    if not ctx.payload.get(CHARGE_REF):
        raise Conflict("Accepting this takes the client's payment.", code="payment_required")
    milestone = _started_check(contract, proposal, lock=True)
    if _raise_of(proposal, milestone, ctx.policy) != ctx.payload.get(CHARGED_MINOR):
        raise Conflict(
            "The milestone's price changed since this was proposed; propose it again.",
            code="proposal_out_of_date",
        )
    milestones.milestone_raise(
        contract, milestone, proposal.amount_minor, policy=ctx.policy, seq=ctx.seq
    )


def _started_check(contract: Contract, proposal: Proposal, *, lock: bool = False) -> Milestone:
    """The milestone a ``change_price`` raises, or ``Conflict`` once work on it started
    (the one before it was approved since): its price is settled."""
    try:
        return _future_milestone(contract, proposal.milestone, lock=lock)
    except InvalidInput:
        raise Conflict(
            "Work on this milestone has started: its price no longer changes.",
            code="milestone_started",
        ) from None


def _raise_of(proposal: Proposal, milestone: Milestone, policy: Policy) -> int:
    difference = max((proposal.amount_minor or 0) - milestone.amount_minor, 0)
    return difference + percent_of(difference, policy.client_fee_bp)


def _apply_extend(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    """The delivery due moves by ``days`` of the freelancer's working days; a contract
    flagged late is no longer late if the new due is still ahead."""
    assert proposal.days is not None and contract.delivery_due_at is not None
    due = explained_working_days_after(
        deadlines.freelancer_spec(contract),
        contract.delivery_due_at,
        proposal.days,
        anchor_label="the earlier due",
    )
    contract.delivery_due_at = due.at
    contract.clock_notes = {
        **contract.clock_notes,
        "delivery_due": f"Delivery due {due.explanation}, extended by agreement",
    }
    if contract.late and contract.delivery_due_at > ctx.now:
        contract.late = False
    # The late flag's timer fires at the stored due: arm it again for the new one.
    ctx.effects.clocks = "rearm"


def _apply_revisions(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    assert proposal.revisions is not None
    contract.revisions_left += proposal.revisions


def _apply_reduce(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    assert proposal.amount_minor is not None
    low, high = actions.partial_refund_bounds(contract)
    if not low <= proposal.amount_minor <= high:
        # The price went down since (a partial refund): the agreed amount no longer fits.
        raise Conflict(
            "The price changed since this was proposed; propose the reduction again.",
            code="proposal_out_of_date",
        )
    actions.price_lower(
        contract,
        ctx,
        proposal.amount_minor,
        memo=f"Scope reduced by agreement on contract {contract.pk}",
    )


def _apply_cancel(contract: Contract, proposal: Proposal, ctx: Context) -> None:
    assert proposal.percent_to_freelancer is not None
    actions.escrow_split(
        contract,
        ctx,
        proposal.percent_to_freelancer,
        memo=f"Cancellation by agreement of contract {contract.pk}",
    )
    actions.end_by_agreement(contract, ctx, ending="cancel_by_agreement")
    contract.clocks_paused_at = None


WORKING = ("in_progress", "delivered")
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "extend_deadline",
            "Extend the deadline",
            WORKING,
            _clean_extend,
            _apply_extend,
            fields=("days", "note"),
        ),
        Kind(
            "add_revisions",
            "Add revisions",
            WORKING,
            _clean_revisions,
            _apply_revisions,
            fields=("revisions", "note"),
        ),
        Kind(
            "reduce_scope",
            "Reduce the scope (partial refund)",
            WORKING,
            _clean_reduce,
            _apply_reduce,
            fields=("amount_minor", "note"),
            moves_money=True,
        ),
        Kind(
            "cancel",
            "End the contract by agreement",
            ("awaiting_requirements", *WORKING),
            _clean_cancel,
            _apply_cancel,
            fields=("percent_to_freelancer", "note"),
            pauses_clocks=True,
            moves_money=True,
        ),
        Kind(
            "add_milestone",
            "Add a milestone (the client pays for it on accepting)",
            WORKING,
            _clean_add_milestone,
            _apply_add_milestone,
            fields=("title", "amount_minor", "delivery_days", "note"),
            moves_money=True,
            charges_client=True,
        ),
        Kind(
            "change_price",
            "Raise the price of a milestone not started yet (the client pays the difference)",
            WORKING,
            _clean_change_price,
            _apply_change_price,
            fields=("milestone", "amount_minor", "note"),
            moves_money=True,
            charges_client=True,
        ),
    )
}


def other_side(role: str) -> str:
    return "freelancer" if role == "client" else "client"


def answer_deadline(
    contract: Contract, policy: Policy, anchor: datetime, proposal: Proposal
) -> Deadline:
    """When an unanswered proposal expires: the policy's days of the *answerer's* working
    calendar after it was made (the subject timer of ``expire_proposal``)."""
    answerer = other_side(proposal.proposed_by)
    user = contract.client if answerer == "client" else contract.freelancer
    d = explained_working_days_after(
        deadlines.calendar_spec(user),
        anchor,
        policy.proposal_answer_working_days,
        anchor_label="the proposal",
    )
    return Deadline(d.at, f"The {answerer} answers within {d.explanation}")


# --- the transitions' actions ------------------------------------------------------------


def open_proposal(contract: Contract, ctx: Context) -> None:
    """``propose``: record the proposal; its expiry timer is armed by the engine."""
    kind = KINDS.get(str(ctx.payload.get("kind", "")))
    if kind is None:
        raise InvalidInput(
            errors=[field_error("kind", "One of " + ", ".join(KINDS) + ".", "invalid_choice")]
        )
    if contract.state not in kind.states:
        raise Conflict(
            f"{kind.label} cannot be proposed while the contract is "
            f"{contract.state.replace('_', ' ')}.",
            code="transition_not_available",
            state=contract.state,
        )
    if kind.charges_client and ctx.role == "client" and not ctx.payload.get(HOLD_REF):
        # Only ``proposal_propose_held`` proposes it for the client, with their card held.
        raise Conflict("Proposing this holds the client's payment.", code="payment_required")
    fields = kind.clean(contract, ctx.payload)
    if Proposal.objects.filter(contract=contract, kind=kind.name, status="open").exists():
        # The partial unique index says the same; this answers before anything is written.
        raise Conflict(
            "A proposal of this kind is already open: answer or withdraw it first.",
            code="proposal_already_open",
        )
    proposal = Proposal(
        contract=contract,
        kind=kind.name,
        proposed_by=ctx.role,
        proposed_by_user=ctx.user,
        created_at=ctx.now,
        created_event_seq=ctx.seq,
        **fields,
    )
    if kind.charges_client and ctx.role == "client":
        if client_pays(proposal, contract) != ctx.payload.get(HELD_MINOR):
            raise Conflict(
                "The milestone's price changed while your card was held; propose it again.",
                code="proposal_out_of_date",
            )
        proposal.hold_token = str(ctx.payload.get(HOLD_TOKEN) or "")
        proposal.hold_ref = str(ctx.payload.get(HOLD_REF) or "")
        proposal.held_minor = ctx.payload.get(HELD_MINOR)
    due = answer_deadline(contract, ctx.policy, ctx.now, proposal)
    proposal.expires_at = due.at
    proposal.expiry_note = due.explanation[:300]
    proposal.save()
    contract.open_proposals += 1
    ctx.payload[PROPOSAL_ID] = proposal.pk  # the event records which proposal it opened
    _tell(proposal, ctx)
    ctx.effects.subjects.append((SUBJECT, proposal))
    if kind.pauses_clocks and contract.clocks_paused_at is None:
        contract.clocks_paused_at = ctx.now
        ctx.effects.clocks = "pause"


def describe(proposal: Proposal) -> str:
    """What the proposal asks, in a few words ("extend the deadline by 3 working days")."""
    if proposal.kind == "extend_deadline":
        return f"extend the deadline by {proposal.days} working day(s)"
    if proposal.kind == "add_revisions":
        return f"add {proposal.revisions} revision(s)"
    if proposal.kind == "reduce_scope":
        return (
            f"reduce the scope and give {format_minor(proposal.amount_minor or 0)} of the "
            "price back to the client"
        )
    if proposal.kind == "add_milestone":
        return (
            f"add the milestone \u201c{proposal.title}\u201d for "
            f"{format_minor(proposal.amount_minor or 0)}, due {proposal.delivery_days} day(s) "
            "after the one before it"
        )
    if proposal.kind == "change_price":
        return (
            f"raise the price of milestone {proposal.milestone} to "
            f"{format_minor(proposal.amount_minor or 0)}, the client paying the difference"
        )
    if proposal.kind == "cancel":
        return (
            f"end the contract, {proposal.percent_to_freelancer}% of the price to the "
            "freelancer and the rest back to the client"
        )
    return proposal.kind.replace("_", " ")


def _tell(proposal: Proposal, ctx: Context) -> None:
    # For the notices (underscored keys never reach the event log).
    ctx.payload["_proposal"] = describe(proposal)
    ctx.payload["_proposed_by"] = proposal.proposed_by


def _locked_open(contract: Contract, ctx: Context) -> Proposal:
    """The open proposal of ``contract`` the payload names, locked (the contract is)."""
    raw = ctx.payload.get(PROPOSAL_ID)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise NotFound("There is no such proposal.", code="proposal_not_found")
    proposal = Proposal.objects.select_for_update().filter(pk=raw, contract=contract).first()
    if proposal is None:
        raise NotFound("There is no such proposal.", code="proposal_not_found")
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(
            f"This proposal is {proposal.status} already.",
            code="proposal_not_open",
            proposal_status=proposal.status,
        )
    ctx.payload["kind"] = proposal.kind  # the event says what was answered
    _tell(proposal, ctx)
    return proposal


def _close(contract: Contract, proposal: Proposal, ctx: Context, status: str) -> None:
    proposal.status = status
    proposal.answered_at = ctx.now
    proposal.save(update_fields=["status", "answered_at"])
    contract.open_proposals = max(contract.open_proposals - 1, 0)
    if status != ProposalStatus.ACCEPTED:
        _void_hold(proposal, ctx)
    if (
        status != ProposalStatus.ACCEPTED
        and KINDS[proposal.kind].pauses_clocks
        and contract.clocks_paused_at is not None
    ):
        # Nothing was agreed: every clock the proposal froze runs on where it stopped.
        # A dispute opened meanwhile keeps them frozen, and its withdrawal shifts them from
        # its opening: count here only the time before it, so no moment counts twice.
        until = contract.dispute_opened_at or ctx.now
        actions.stored_clocks_shift(
            contract,
            paused_at=contract.clocks_paused_at,
            by=max(until - contract.clocks_paused_at, timedelta(0)),
        )
        contract.clocks_paused_at = None
        ctx.effects.clocks = "resume"


def _void_hold(proposal: Proposal, ctx: Context) -> None:
    """Release the client's hold of a proposal closed unaccepted: an intent recorded in
    the transition's transaction, carried out at the processor after it commits (and
    retried by the worker), never under the contract's lock."""
    from fairlance.payments.models import ProviderIntent
    from fairlance.payments.services import intent_record

    if not proposal.hold_ref or not proposal.held_minor:
        return
    intent_record(
        kind=ProviderIntent.Kind.VOID,
        reference=f"{hold_reference(proposal.hold_token)}:void",
        payment_ref=proposal.hold_ref,
        amount_minor=proposal.held_minor,
        contract_id=proposal.contract_id,
        now=ctx.now,
    )


def _answerer_only(proposal: Proposal, ctx: Context, what: str) -> None:
    if ctx.role != other_side(proposal.proposed_by):
        raise PermissionDenied(
            f"Only the {other_side(proposal.proposed_by)} may {what} this proposal.",
            code="not_your_proposal",
        )


def accept_proposal(contract: Contract, ctx: Context) -> None:
    proposal = _locked_open(contract, ctx)
    _answerer_only(proposal, ctx, "accept")
    kind = KINDS[proposal.kind]
    if contract.state not in kind.states:
        raise Conflict(
            f"A contract that is {contract.state.replace('_', ' ')} cannot take this change.",
            code="transition_not_available",
            state=contract.state,
        )
    if kind.charges_client:
        # Later refunds of the contract may give back to this charge too.
        proposal.charge_ref = str(ctx.payload.get(CHARGE_REF) or "")
        proposal.charged_minor = ctx.payload.get(CHARGED_MINOR)
        proposal.save(update_fields=["charge_ref", "charged_minor"])
    _close(contract, proposal, ctx, ProposalStatus.ACCEPTED)
    kind.apply(contract, proposal, ctx)


def decline_proposal(contract: Contract, ctx: Context) -> None:
    proposal = _locked_open(contract, ctx)
    _answerer_only(proposal, ctx, "decline")
    _close(contract, proposal, ctx, ProposalStatus.DECLINED)


def withdraw_proposal(contract: Contract, ctx: Context) -> None:
    proposal = _locked_open(contract, ctx)
    if ctx.role != proposal.proposed_by:
        raise PermissionDenied(
            "Only who made the proposal may withdraw it.", code="not_your_proposal"
        )
    _close(contract, proposal, ctx, ProposalStatus.WITHDRAWN)


def expire_proposal(contract: Contract, ctx: Context) -> None:
    """Silence until the window closed: declined by expiry (the worker fires it)."""
    _close(contract, _locked_open(contract, ctx), ctx, ProposalStatus.EXPIRED)


def close_open_proposals(contract: Contract, ctx: Context) -> None:
    """The contract ended: what was still open can no longer be agreed (their timers go
    stale with them)."""
    if contract.open_proposals:
        still_open = Proposal.objects.filter(contract=contract, status=ProposalStatus.OPEN)
        for held in still_open.exclude(hold_ref=""):
            _void_hold(held, ctx)
        still_open.update(status=ProposalStatus.WITHDRAWN, answered_at=ctx.now)
        contract.open_proposals = 0
        contract.clocks_paused_at = None  # an ended contract has no clocks to resume


def route_after_accept(contract: Contract, ctx: Context) -> str:
    """An accepted cancellation ends the contract; every other change keeps its state.
    (Runs before the actions, which check the proposal again under its lock.)"""
    raw = ctx.payload.get(PROPOSAL_ID)
    kind = (
        Proposal.objects.filter(pk=raw, contract=contract).values_list("kind", flat=True).first()
        if isinstance(raw, int) and not isinstance(raw, bool)
        else None
    )
    return "cancelled" if kind == "cancel" else contract.state


def is_open(proposal_id: int) -> bool:
    return Proposal.objects.filter(pk=proposal_id, status=ProposalStatus.OPEN).exists()


def proposal_fields(proposal: Proposal) -> Fields:
    """The fields of its kind, for people and the API."""
    kind = KINDS.get(proposal.kind)
    return {name: getattr(proposal, name) for name in (kind.fields if kind else ("note",))}


# --- the doors for people: the API and the web call these -------------------------------

ANSWERS = ("accept", "decline", "withdraw")


def proposal_propose(*, contract_id: int, user: Any, fields: dict[str, Any]) -> Proposal:
    """Fire ``propose`` for ``user`` (the contract's client or freelancer) with ``fields``
    (``kind`` and the kind's fields); returns the new proposal. Raises what the engine
    raises: ``PermissionDenied``, ``Conflict`` (state, ``proposal_already_open``, an
    older process version), ``InvalidInput``."""
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import contract_transition

    payload = {k: v for k, v in fields.items() if k == "kind" or k in _FIELD_NAMES}
    kind = KINDS.get(str(payload.get("kind", "")))
    if kind is not None and kind.charges_client:
        from fairlance.contracts.engine import roles_of

        contract = Contract.objects.filter(pk=contract_id).first()
        if contract is not None and "client" in roles_of(contract, user):
            return proposal_propose_held(
                contract=contract,
                user=user,
                payload=payload,
                card_number=str(fields.get("card_number") or ""),
            )
    contract = contract_transition(
        contract_id=contract_id, name="propose", actor=Actor("person", user), payload=payload
    )
    return Proposal.objects.get(contract=contract, created_event_seq=contract.last_event_seq)


def proposal_answer(
    *, proposal: Proposal, user: Any, answer: str, card_number: str = ""
) -> Proposal:
    """Accept, decline or withdraw ``proposal`` as ``user`` (``access_proposal`` found it);
    returns it as it is now. Accepting a kind that charges the client takes the client's
    ``card_number`` (``proposal_accept_funded``)."""
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import contract_transition

    if answer not in ANSWERS:
        raise NotFound(f"There is no answer {answer!r}.", code="unknown_transition")
    kind = KINDS.get(proposal.kind)
    if answer == "accept" and kind is not None and kind.charges_client and proposal.hold_ref:
        return proposal_accept_held(proposal=proposal, user=user)
    if answer == "accept" and kind is not None and kind.charges_client:
        return proposal_accept_funded(proposal=proposal, user=user, card_number=card_number)
    contract_transition(
        contract_id=proposal.contract_id,
        name=f"{answer}_proposal",
        actor=Actor("person", user),
        payload={PROPOSAL_ID: proposal.pk},
    )
    proposal.refresh_from_db()
    return proposal


def client_pays(proposal: Proposal, contract: Contract) -> int:
    """What accepting ``proposal`` charges the client: the new milestone's price and the
    client's marketplace fee on it (what ``milestones.milestone_add`` books into escrow);
    0 for a kind that does not charge."""
    kind = KINDS.get(proposal.kind)
    if kind is None or not kind.charges_client or not proposal.amount_minor:
        return 0
    if proposal.charged_minor is not None:
        return proposal.charged_minor  # accepted: what it did charge
    policy = policy_for_version(contract.policy_version)
    if proposal.kind == "change_price":
        milestone = Milestone.objects.filter(
            contract_id=contract.pk, position=(proposal.milestone or 1) - 1
        ).first()
        return 0 if milestone is None else _raise_of(proposal, milestone, policy)
    return proposal.amount_minor + percent_of(proposal.amount_minor, policy.client_fee_bp)


def charge_reference(proposal_id: int) -> str:
    """The processor reference of the charge that funds an accepted proposal: one per
    proposal, so a retried accept replays the first charge instead of taking it twice."""
    return f"proposal:{int(proposal_id)}:charge"


def _accept_precheck(proposal: Proposal, user: Any) -> Contract:
    """Everything an accept that moves the client's money checks before the card is
    touched, with nothing locked (the transition checks again under the lock): who, the
    proposal still open, the contract's state, a raised milestone not started."""
    from fairlance.contracts.engine import Actor, roles_of, transition_precheck

    contract = Contract.objects.filter(pk=proposal.contract_id).first()
    if contract is None:
        raise NotFound()
    payload: dict[str, Any] = {PROPOSAL_ID: proposal.pk}
    transition_precheck(
        contract, name="accept_proposal", actor=Actor("person", user), payload=payload
    )
    proposal.refresh_from_db()
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(
            f"This proposal is {proposal.status} already.",
            code="proposal_not_open",
            proposal_status=proposal.status,
        )
    answerer = other_side(proposal.proposed_by)
    if answerer not in roles_of(contract, user):
        raise PermissionDenied(
            f"Only the {answerer} may accept this proposal.", code="not_your_proposal"
        )
    if contract.state not in KINDS[proposal.kind].states:
        raise Conflict(
            f"A contract that is {contract.state.replace('_', ' ')} cannot take this change.",
            code="transition_not_available",
            state=contract.state,
        )
    if proposal.kind == "change_price":
        _started_check(contract, proposal)
    return contract


def proposal_accept_funded(*, proposal: Proposal, user: Any, card_number: str) -> Proposal:
    """Accept a proposal that raises what the client pays: charge the client, then book it.

    1. Who and what are checked first without the lock (the client answers an open
       proposal of a running contract; a valid card): a refused call never reaches the
       processor.
    2. The processor charges ``client_pays`` with ``charge_reference``, outside any
       transaction; a refusal is a 402 (``PaymentFailed``) and nothing changed.
    3. ``accept_proposal`` books the charge into escrow under the contract's lock.

    Between 2 and 3 the proposal may close or the contract end (a cancellation accepted a
    moment earlier): the transition is refused as usual, and the charge is given back by a
    refund recorded durably before the refusal leaves (``_undo_charge``).
    """
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import (
        PaymentFailed,
        _clean_card_number,
        contract_transition,
    )
    from fairlance.payments.provider import get_provider

    contract = _accept_precheck(proposal, user)
    actor = Actor("person", user)
    payload: dict[str, Any] = {PROPOSAL_ID: proposal.pk}
    number = _clean_card_number(card_number)
    amount = client_pays(proposal, contract)
    if amount <= 0:
        raise Conflict(
            "The milestone's price changed since this was proposed; propose it again.",
            code="proposal_out_of_date",
        )
    result = get_provider().charge(
        amount_minor=amount,
        card_number=number,
        reference=charge_reference(proposal.pk),
        payer_id=getattr(user, "pk", None),
    )
    if not result.ok:
        raise PaymentFailed(result.message, code=result.error_code or "payment_failed")
    try:
        contract_transition(
            contract_id=contract.pk,
            name="accept_proposal",
            actor=actor,
            payload={**payload, CHARGE_REF: result.provider_ref, CHARGED_MINOR: amount},
        )
    except (Conflict, NotFound, PermissionDenied, InvalidInput):
        _undo_charge(proposal, result.provider_ref or "", amount)
        raise
    proposal.refresh_from_db()
    return proposal


def _undo_charge(proposal: Proposal, charge_ref: str, amount: int) -> None:
    """Refund the charge of an accept that was refused, unless the proposal kept it.

    Two clicks on Accept both charge with the proposal's reference (the processor answers
    the second with the first's charge); one books it and the other is refused. So the
    decision is taken under the contract's row lock, after whatever refused this accept
    committed: an accepted proposal keeps its charge, any other gives it back through a
    durable refund intent (executed after the commit, retried by the worker). The
    intent's reference is derived from the proposal: the card gets the money back once.
    """
    from fairlance.payments.models import ProviderIntent
    from fairlance.payments.services import intent_record

    try:
        with transaction.atomic():
            Contract.objects.select_for_update().filter(pk=proposal.contract_id).first()
            status = (
                Proposal.objects.filter(pk=proposal.pk).values_list("status", flat=True).first()
            )
            if status == ProposalStatus.ACCEPTED:
                return
            intent_record(
                kind=ProviderIntent.Kind.REFUND,
                reference=f"{charge_reference(proposal.pk)}:undo",
                payment_ref=charge_ref,
                amount_minor=amount,
                contract_id=proposal.contract_id,
                now=timezone.now(),
            )
    except IntegrityError:
        pass  # a retry of the same refused accept: the refund is recorded already


def hold_reference(token: str) -> str:
    """The processor reference of the hold on the client's card for an increase they
    propose, derived from the proposal's fresh ``hold_token``: the proposal has no id yet
    when the card is held."""
    return f"proposal-hold:{token}"


def _void_now(reference: str, hold_ref: str, amount: int) -> None:
    """Release a hold no proposal kept (its ``propose`` was refused): an intent recorded
    once, carried out at once, retried by the worker. Precondition: outside any
    transaction."""
    from fairlance.payments.models import ProviderIntent
    from fairlance.payments.services import intent_execute, intent_record_once

    intent_id = intent_record_once(
        kind=ProviderIntent.Kind.VOID,
        reference=f"{reference}:void",
        payment_ref=hold_ref,
        amount_minor=amount,
        now=timezone.now(),
    )
    if intent_id is not None:
        intent_execute(intent_id=intent_id, attempts=0)


def proposal_propose_held(
    *, contract: Contract, user: Any, payload: dict[str, Any], card_number: str
) -> Proposal:
    """The client proposes an increase: hold what they would pay on their card, then
    record the proposal.

    1. Who and what are checked first without the lock (``transition_precheck``, the
       kind's fields, a valid card): a refused call never reaches the processor.
    2. The processor holds ``client_pays`` with ``hold_reference`` of a fresh token,
       outside any transaction; a refusal is a 402 and nothing is stored.
    3. ``propose`` records the proposal and its hold under the contract's lock, checking
       the amount again. If it is refused (a proposal of the kind opened meanwhile, the
       contract ended, the price changed), the hold is voided before the refusal leaves.
    """
    from fairlance.contracts.engine import Actor, transition_precheck
    from fairlance.contracts.services import (
        PaymentFailed,
        _clean_card_number,
        contract_transition,
    )
    from fairlance.payments.provider import get_provider

    actor = Actor("person", user)
    transition_precheck(contract, name="propose", actor=actor, payload=payload)
    kind = KINDS[str(payload["kind"])]
    if contract.state not in kind.states:
        raise Conflict(
            f"{kind.label} cannot be proposed while the contract is "
            f"{contract.state.replace('_', ' ')}.",
            code="transition_not_available",
            state=contract.state,
        )
    draft = Proposal(contract=contract, kind=kind.name, **kind.clean(contract, payload))
    number = _clean_card_number(card_number)
    amount = client_pays(draft, contract)
    token = secrets.token_hex(16)
    reference = hold_reference(token)
    result = get_provider().authorize(
        amount_minor=amount,
        card_number=number,
        reference=reference,
        payer_id=getattr(user, "pk", None),
    )
    if not result.ok:
        raise PaymentFailed(result.message, code=result.error_code or "payment_failed")
    hold_ref = result.provider_ref or ""
    try:
        contract = contract_transition(
            contract_id=contract.pk,
            name="propose",
            actor=actor,
            payload={**payload, HOLD_TOKEN: token, HOLD_REF: hold_ref, HELD_MINOR: amount},
        )
    except Exception:
        _void_now(reference, hold_ref, amount)
        raise
    return Proposal.objects.get(contract=contract, created_event_seq=contract.last_event_seq)


def capture_reference(proposal: Proposal) -> str:
    return f"{hold_reference(proposal.hold_token)}:capture"


def proposal_accept_held(*, proposal: Proposal, user: Any) -> Proposal:
    """The freelancer accepts an increase the client proposed: capture the client's hold,
    then book it exactly like an accepted increase (``accept_proposal`` with the capture
    as its charge).

    A capture the processor refuses (the hold lapsed) closes the proposal as declined,
    which tells both sides and releases what is left of the hold, and answers 402: the
    contract is unchanged and the client may propose it again with a card that works.
    An accept refused after the capture gives it back (``_undo_charge``).
    """
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import PaymentFailed, contract_transition
    from fairlance.payments.provider import get_provider

    contract = _accept_precheck(proposal, user)
    actor = Actor("person", user)
    payload: dict[str, Any] = {PROPOSAL_ID: proposal.pk}
    amount = client_pays(proposal, contract)
    if amount != proposal.held_minor:
        raise Conflict(
            "The milestone's price changed since this was proposed; propose it again.",
            code="proposal_out_of_date",
        )
    result = get_provider().capture(
        authorization_ref=proposal.hold_ref,
        amount_minor=amount,
        reference=capture_reference(proposal),
    )
    if not result.ok:
        # Answered or closed meanwhile: that ending released the hold already.
        with contextlib.suppress(Conflict, NotFound, PermissionDenied, InvalidInput):
            contract_transition(
                contract_id=contract.pk,
                name="decline_proposal",
                actor=actor,
                payload={PROPOSAL_ID: proposal.pk},
            )
        raise PaymentFailed(
            f"{result.message} The proposal is closed as declined; the client may propose "
            "it again with another card.",
            code=result.error_code or "payment_failed",
        )
    try:
        contract_transition(
            contract_id=contract.pk,
            name="accept_proposal",
            actor=actor,
            payload={**payload, CHARGE_REF: result.provider_ref, CHARGED_MINOR: amount},
        )
    except (Conflict, NotFound, PermissionDenied, InvalidInput):
        _undo_charge(proposal, result.provider_ref or "", amount)
        raise
    proposal.refresh_from_db()
    return proposal


_FIELD_NAMES = frozenset(name for kind in KINDS.values() for name in kind.fields)


def proposal_actions(proposal: Proposal, role: str | None) -> list[str]:
    """What a viewer in ``role`` may do with the proposal now (the engine checks again)."""
    if proposal.status != ProposalStatus.OPEN or role not in PARTIES:
        return []
    if role == proposal.proposed_by:
        return ["withdraw"]
    return ["accept", "decline"]
