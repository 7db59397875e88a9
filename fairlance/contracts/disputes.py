"""Disputes with both sides heard (SPEC section 4, issue 12 item 5).

Opening a dispute starts the *answer clock* of the side that did not open it: it has the
policy's ``dispute_answer_days`` working days (its own calendar, decision 0015) to answer
with text and files (``answer_dispute``); when the window passes unanswered the worker
records the answer as missing (``expire_dispute_answer``). The operator resolves only once
both sides are heard, and the resolution's note is shown to both.

The guards and actions here are used by the lifecycle table (``process.py``); everything
else is a read: the evidence list, the dispute block the API and the pages show, the
operators' queue, and the single place where an operator opening a contract's file is
audited. The record of what each side said is the event log (``open_dispute`` and
``answer_dispute`` events keep the text and the ids of the files), so a dispute withdrawn
and opened again never mixes the words of two disputes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fairlance.contracts.deadlines import calendar_spec
from fairlance.contracts.models import Contract, ContractEvent, Delivery
from fairlance.core.money import percent_of
from fairlance.core.workdays import Deadline, explained_working_days_after
from fairlance.files.kinds import Purpose
from fairlance.files.models import Upload
from fairlance.files.services import uploads_attach

if TYPE_CHECKING:
    from fairlance.contracts.process import Context
    from fairlance.core.policy import Policy

#: The clock name of the answer window (timers, deadlines, the pages' labels).
ANSWER_CLOCK = "dispute_answer"
PARTIES = ("client", "freelancer")


def answerer_role(contract: Contract) -> str:
    """The side that did not open the dispute ("" when no dispute is open)."""
    opener = contract.dispute_opened_by
    if opener not in PARTIES:
        return ""
    return "freelancer" if opener == "client" else "client"


def _answerer(contract: Contract) -> Any:
    return contract.client if answerer_role(contract) == "client" else contract.freelancer


# --- the answer clock ---------------------------------------------------------------------


def answer_deadline(contract: Contract, policy: Policy, start: datetime) -> Deadline:
    """When the answer to a dispute opened at ``start`` is due: working days of the side
    that answers, in its own calendar (its weekends and time off do not count)."""
    d = explained_working_days_after(
        calendar_spec(_answerer(contract)),
        start,
        policy.dispute_answer_days,
        anchor_label="the dispute was opened",
    )
    return Deadline(d.at, f"The other side answers within {d.explanation}")


def answer_timer_due(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    """``expire_dispute_answer`` fires at the instant stored when the dispute opened."""
    at = contract.dispute_answer_due_at or anchor
    return Deadline(at, str(contract.clock_notes.get(ANSWER_CLOCK, "Answer to the dispute due")))


def answer_open(contract: Contract, now: datetime) -> bool:
    """The answer may still come: not given, not recorded missing, the window not passed.

    A dispute opened before answers existed has no due instant and no answer to wait for.
    """
    return (
        contract.dispute_answer_due_at is not None
        and contract.dispute_answered_at is None
        and not contract.dispute_answer_missed
        and now < contract.dispute_answer_due_at
    )


def both_heard(contract: Contract, now: datetime) -> bool:
    """The side that answers has answered, or its window has passed."""
    return not answer_open(contract, now)


# --- guards (docstrings are shown in docs/lifecycle.md) ------------------------------------


def is_the_answerer(contract: Contract, ctx: Context) -> bool:
    """only the side that did not open the dispute"""
    return ctx.role == answerer_role(contract)


def answer_window_open(contract: Contract, ctx: Context) -> bool:
    """not answered yet, and the answer window still open"""
    return answer_open(contract, ctx.now)


def answer_still_missing(contract: Contract, ctx: Context) -> bool:
    """no answer arrived"""
    return (
        contract.dispute_answer_due_at is not None
        and contract.dispute_answered_at is None
        and not contract.dispute_answer_missed
    )


def both_sides_heard(contract: Contract, ctx: Context) -> bool:
    """both sides heard: the other side answered, or its answer window passed"""
    return both_heard(contract, ctx.now)


# --- actions --------------------------------------------------------------------------------


def attach_files(contract: Contract, ctx: Context) -> None:
    """Attach the payload's ``files`` (the caller's ``dispute`` uploads) to the contract.

    The transition's declaration bounds how many (``clean_payload``); the ids stay in the
    event's data (``payload.event_data``): that is how the evidence knows which side sent
    which file for which dispute.
    """
    ids = list(ctx.payload.get("files", []))
    if ids:
        uploads_attach(
            contract=contract,
            uploader_id=ctx.user.pk,
            purpose=Purpose.DISPUTE,
            refs={f"files.{i}": value for i, value in enumerate(ids)},
            now=ctx.now,
        )


def start_answer_clock(contract: Contract, ctx: Context) -> None:
    """Store when the other side's answer is due; runs after ``actions.open_dispute``."""
    due = answer_deadline(contract, ctx.policy, ctx.now)
    contract.dispute_answer_due_at = due.at
    contract.dispute_answered_at = None
    contract.dispute_answer_missed = False
    contract.clock_notes = {**contract.clock_notes, ANSWER_CLOCK: due.explanation}


def record_answer(contract: Contract, ctx: Context) -> None:
    """The other side's answer (its declaration requires words: files alone explain
    nothing)."""
    attach_files(contract, ctx)
    contract.dispute_answered_at = ctx.now


def record_answer_missing(contract: Contract, ctx: Context) -> None:
    contract.dispute_answer_missed = True


# --- what the pages and the API show --------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What one side said: the opener's reason or the other side's answer."""

    role: str
    text: str
    at: datetime
    files: list[Upload]


@dataclass(frozen=True)
class Resolution:
    freelancer_percent: int
    fault: str
    note: str
    at: datetime


@dataclass(frozen=True)
class DisputeView:
    """The latest dispute of a contract, from its event log and the contract's fields."""

    opened_by: str
    answerer: str
    opening: Statement
    answer: Statement | None
    answer_due_at: datetime | None
    answer_missed: bool
    resolution: Resolution | None
    open: bool


def _latest_dispute_events(events: list[ContractEvent]) -> list[ContractEvent]:
    """The events from the latest ``open_dispute`` on (empty if none)."""
    start = None
    for i, e in enumerate(events):
        if e.name == "open_dispute":
            start = i
    return [] if start is None else events[start:]


def dispute_view(
    contract: Contract, events: list[ContractEvent], files: dict[str, Upload] | None = None
) -> DisputeView | None:
    """The contract's latest dispute, or None if it never had one or it was withdrawn.

    ``files`` (the contract's uploads by public id) is read when not given.
    """
    latest = _latest_dispute_events(events)
    if not latest or any(e.name == "withdraw_dispute" for e in latest):
        return None
    if files is None:
        files = _files_of(contract, latest)
    opened = latest[0]
    opener = opened.actor_role

    def said(e: ContractEvent, key: str) -> Statement:
        data = e.data or {}
        return Statement(
            role=e.actor_role,
            text=str(data.get(key, "")),
            at=e.created_at,
            files=[files[f] for f in data.get("files", []) if f in files],
        )

    answered = next((e for e in latest if e.name == "answer_dispute"), None)
    decided = next((e for e in latest if e.name == "resolve_dispute"), None)
    resolution = None
    if decided is not None:
        data = decided.data or {}
        resolution = Resolution(
            freelancer_percent=int(data.get("freelancer_percent", 0)),
            fault=str(data.get("fault", "none")),
            note=str(data.get("note", "")),
            at=decided.created_at,
        )
    return DisputeView(
        opened_by=opener,
        answerer="freelancer" if opener == "client" else "client",
        opening=said(opened, "reason"),
        answer=said(answered, "note") if answered is not None else None,
        answer_due_at=contract.dispute_answer_due_at,
        answer_missed=contract.dispute_answer_missed,
        resolution=resolution,
        open=contract.state == "disputed",
    )


def _files_of(contract: Contract, events: list[ContractEvent]) -> dict[str, Upload]:
    ids = [f for e in events for f in (e.data or {}).get("files", [])]
    if not ids:
        return {}
    from fairlance.contracts.selectors import contract_files

    return contract_files(contract=contract, public_ids=ids)


@dataclass(frozen=True)
class Evidence:
    """Everything an operator weighs, shown alike to both sides and to the operator."""

    dispute: DisputeView | None
    deliveries: list[Delivery]
    # Proposals made on the contract (change orders, cancellations); messages join here
    # once the contract has a thread.
    proposals: list[dict[str, Any]] = field(default_factory=list)


def dispute_proposals(contract: Contract) -> list[dict[str, Any]]:
    """The contract's proposals, oldest first, as evidence: what each side offered to
    change or to settle for, and what became of it."""
    from fairlance.contracts.models import Proposal
    from fairlance.contracts.proposals import describe

    return [
        {
            "id": p.pk,
            "kind": p.kind,
            "status": p.status,
            "proposed_by": p.proposed_by,
            "summary": describe(p),
            "note": p.note,
            "created_at": p.created_at.isoformat(),
            "answered_at": p.answered_at.isoformat() if p.answered_at else None,
        }
        for p in Proposal.objects.filter(contract_id=contract.pk).order_by("created_at", "pk")
    ]


def dispute_evidence(*, contract: Contract) -> Evidence:
    """The evidence of ``contract``'s latest dispute. Precondition: the caller may see the
    contract (``access_contract``)."""
    from fairlance.contracts.selectors import contract_deliveries, contract_events

    return Evidence(
        dispute=dispute_view(contract, list(contract_events(contract=contract))),
        deliveries=contract_deliveries(contract=contract),
        proposals=dispute_proposals(contract),
    )


# --- the money of a decision ------------------------------------------------------------------


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


# --- operators --------------------------------------------------------------------------------


def contract_file_open(*, user: Any, contract_id: int, file_id: Any) -> Upload:
    """The contract's file for ``user`` (``access_contract_file``), audited when an
    operator who is not a party opens it: the parties' files are theirs, and every look
    staff take at them leaves a trace."""
    from fairlance.contracts.selectors import access_contract_file
    from fairlance.core.audit import audit_record

    upload = access_contract_file(user=user, contract_id=contract_id, file_id=file_id)
    contract = upload.contract
    assert contract is not None
    if getattr(user, "is_operator", False) and user.pk not in (
        contract.client_id,
        contract.freelancer_id,
    ):
        audit_record(
            actor=user,
            action="contract_file_view",
            target=contract,
            file_id=str(upload.public_id),
            file_name=upload.name,
        )
    return upload


@dataclass(frozen=True)
class QueuedDispute:
    """One row of the operators' queue: the open dispute and whether both sides are heard."""

    contract: Contract
    opened_by: str
    opened_at: datetime | None
    reason: str
    escrow_minor: int
    answered: bool
    answer_missed: bool
    answer_due_at: datetime | None
    both_heard: bool


def disputes_queue(*, now: datetime) -> list[QueuedDispute]:
    """Open disputes, the longest-waiting first (``selectors.disputes_open``)."""
    from fairlance.contracts.selectors import disputes_open

    return [
        QueuedDispute(
            contract=d.contract,
            opened_by=d.opened_by,
            opened_at=d.opened_at,
            reason=d.reason,
            escrow_minor=d.escrow_minor,
            answered=d.contract.dispute_answered_at is not None,
            answer_missed=d.contract.dispute_answer_missed,
            answer_due_at=d.contract.dispute_answer_due_at,
            both_heard=both_heard(d.contract, now),
        )
        for d in disputes_open()
    ]
