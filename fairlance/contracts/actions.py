"""What transitions do: move money, start clocks, record deliveries and endings.

Each action takes the contract (locked by the engine, inside the transition's transaction)
and the transition ``Context``; it changes fields on the contract object (the engine saves
it once) and writes related rows. Money references derive from the contract id and the
event sequence number, so the ledger's unique reference makes any repeat impossible.
The payload is the one ``payload.clean_payload`` checked against the transition's
declaration: actions check only what needs more than input (uploads, questions) and raise
``InvalidInput`` then; the transaction writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import F

from fairlance.contracts import deadlines, milestones
from fairlance.contracts.models import (
    Delivery,
    DeliveryFile,
    Fault,
    MilestoneState,
    Outcome,
    Proposal,
    ProposalStatus,
)
from fairlance.contracts.payload import PARAGRAPH
from fairlance.core.errors import InvalidInput, field_error
from fairlance.core.money import percent_of
from fairlance.core.policy import policy_for_version
from fairlance.core.text import TextError, clean_text
from fairlance.files.kinds import Purpose
from fairlance.files.services import uploads_attach, uploads_resolve
from fairlance.ledger.accounts import PLATFORM_FEES, WORLD, escrow, freelancer_pending
from fairlance.ledger.selectors import balance
from fairlance.ledger.services import (
    Move,
    clearance_schedule,
    ledger_accounts_open,
    ledger_hold,
    ledger_hold_post,
    ledger_hold_void,
    ledger_post,
)
from fairlance.payments.models import ProviderIntent
from fairlance.payments.services import intent_record

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract, Milestone
    from fairlance.contracts.process import Context
    from fairlance.core.policy import Policy


# --- requirements ------------------------------------------------------------------------


def clean_answers(
    questions: list[dict[str, Any]], answers: Any, *, require_all: bool, client_id: int
) -> dict[str, Any]:
    """Check answers against the snapshot's questions; returns them normalised.

    Answers are keyed by question id (as a string). Text questions take a string, single
    choice one of the choices, multiple choice a list of distinct choices, and file
    questions the id of an upload (``POST /api/v1/uploads``, or the web form's) that the
    client ``client_id`` made for a requirement and that nothing uses yet; never a path.
    Reads the uploads but attaches nothing (``attach_answer_files`` does, in the
    transaction that stores the answers).
    """
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise InvalidInput(errors=[field_error("answers", "Send an object keyed by question id.")])
    by_id = {str(q["id"]): q for q in questions}
    errors: list[dict[str, Any]] = []
    clean: dict[str, Any] = {}
    for key in answers:
        if str(key) not in by_id:
            errors.append(field_error(f"answers.{key}", "No such question.", "unknown"))
    for qid, q in by_id.items():
        value = answers.get(qid)
        path = f"answers.{qid}"
        kind = q.get("kind", "text")
        if kind == "multiple":
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(field_error(path, "Choose from the list.", "invalid_choice"))
                continue
            if len(set(value)) != len(value) or not set(value) <= set(q.get("choices", [])):
                errors.append(field_error(path, "Choose from the list.", "invalid_choice"))
                continue
            if value:
                clean[qid] = value
            elif q.get("required") and require_all:
                errors.append(field_error(path, "This question needs an answer.", "required"))
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(field_error(path, "Send text.", "invalid"))
            continue
        try:
            value = clean_text(value, rule=PARAGRAPH)
        except TextError as exc:
            errors.append(field_error(path, exc.message, exc.code))
            continue
        if kind == "single" and value and value not in q.get("choices", []):
            errors.append(field_error(path, "Choose from the list.", "invalid_choice"))
            continue
        if value:
            clean[qid] = value
        elif q.get("required") and require_all:
            errors.append(field_error(path, "This question needs an answer.", "required"))
    files = _file_refs(questions, clean)
    if files:
        found, refused = uploads_resolve(
            uploader_id=client_id, purpose=Purpose.REQUIREMENT, refs=files
        )
        errors.extend(refused)
        for path, upload in found.items():
            clean[path.removeprefix("answers.")] = str(upload.public_id)
    if errors:
        raise InvalidInput("Some requirements answers are missing or invalid.", errors=errors)
    return clean


def _file_refs(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The file questions' answers, keyed by their field path (``answers.<id>``)."""
    return {
        f"answers.{q['id']}": answers[str(q["id"])]
        for q in questions
        if q.get("kind") == "file" and str(q["id"]) in answers
    }


def attach_answer_files(contract: Contract, now: datetime) -> None:
    """Attach the uploads the contract's file answers name to the contract.

    Precondition: inside the transaction that stores the answers, the contract stored
    (or locked). The uploads are locked and checked again: if one was attached elsewhere
    since ``clean_answers`` looked, this raises ``InvalidInput`` and the transaction
    writes nothing.
    """
    refs = _file_refs(contract.snapshot.get("questions", []), contract.answers)
    if refs:
        uploads_attach(
            contract=contract,
            uploader_id=contract.client_id,
            purpose=Purpose.REQUIREMENT,
            refs=refs,
            now=now,
        )


def requirements_complete(contract: Contract) -> bool:
    questions = contract.snapshot.get("questions", [])
    return all(str(q["id"]) in contract.answers for q in questions if q.get("required"))


def store_answers(contract: Contract, ctx: Context) -> None:
    contract.answers = clean_answers(
        contract.snapshot.get("questions", []),
        ctx.payload.get("answers"),
        require_all=True,
        client_id=contract.client_id,
    )
    attach_answer_files(contract, ctx.now)


# --- clocks --------------------------------------------------------------------------------


def start_delivery_clock(contract: Contract, ctx: Context) -> None:
    """Work starts now: the delivery is due per ``deadlines.work_deadlines``."""
    contract.work_started_at = ctx.now
    due = deadlines.contract_work_deadlines(contract, ctx.policy, ctx.now).delivery
    contract.delivery_due_at = due.at
    contract.clock_notes = {
        **contract.clock_notes,
        "delivery_due": f"Delivery due {due.explanation}",
    }
    milestones.milestone_clock_sync(contract)


def start_grace_window(contract: Contract, ctx: Context) -> None:
    """The freelancer of an instant purchase may decline without fault for the policy's
    whole grace window after work starts (``deadlines.work_deadlines``): it is never cut
    short, the delivery due moves instead. Runs after ``start_delivery_clock``.
    """
    # Request-mode freelancers already chose after reading the requirements: no grace.
    if contract.purchase_mode != "instant":
        return
    start = contract.work_started_at or ctx.now
    grace = deadlines.contract_work_deadlines(contract, ctx.policy, start).grace
    assert grace is not None, "instant purchases have a grace window"
    contract.grace_ends_at = grace.at
    contract.clock_notes = {
        **contract.clock_notes,
        "grace": f"The freelancer may decline without fault until {grace.explanation}",
    }


def start_work_if_ready(contract: Contract, ctx: Context) -> None:
    """Instant purchase of a project without (open) questions starts work at once."""
    if requirements_complete(contract):
        start_delivery_clock(contract, ctx)
        start_grace_window(contract, ctx)


def set_late(contract: Contract, ctx: Context) -> None:
    contract.late = True


def use_revision(contract: Contract, ctx: Context) -> None:
    """Send the work back for a revision (its declaration requires a ``note``: a revision
    without words gives the freelancer nothing to act on)."""
    contract.revisions_left -= 1
    milestones.milestone_mark(contract, MilestoneState.IN_PROGRESS)


def record_delivery(contract: Contract, ctx: Context) -> None:
    """Record a delivery: a note, files (ids of the freelancer's delivery uploads), or both.

    The one place both the web form and the API are held to: a delivery says something
    or carries the work (its declaration bounds the note and the number of files).
    """
    note = str(ctx.payload.get("note", ""))
    ids = list(ctx.payload.get("files", []))
    if not note and not ids:
        raise InvalidInput(
            "A delivery needs a note or at least one file.",
            errors=[field_error("note", "Write a note or attach the work.", "required")],
        )
    uploads = uploads_attach(
        contract=contract,
        uploader_id=ctx.user.pk,
        purpose=Purpose.DELIVERY,
        refs={f"files.{i}": value for i, value in enumerate(ids)},
        now=ctx.now,
    )
    number = contract.deliveries.count() + 1
    delivery = Delivery.objects.create(
        contract=contract, number=number, note=note, created_at=ctx.now
    )
    # The same file named twice (in any spelling of its id) is one attachment.
    files = {upload.pk: upload for upload in uploads.values()}
    DeliveryFile.objects.bulk_create(
        [DeliveryFile(delivery=delivery, upload=upload) for upload in files.values()]
    )
    milestones.milestone_mark(contract, MilestoneState.DELIVERED)


def open_dispute(contract: Contract, ctx: Context) -> None:
    contract.previous_state = contract.state
    contract.dispute_opened_by = ctx.role
    contract.dispute_opened_at = ctx.now


def dispute_duration(contract: Contract, ctx: Context) -> timedelta:
    if contract.dispute_opened_at is None:
        return timedelta(0)
    return max(ctx.now - contract.dispute_opened_at, timedelta(0))


def resume_clocks(contract: Contract, ctx: Context) -> None:
    """Clocks froze during the dispute: push the stored deadlines by its length.

    Timer-backed clocks are re-armed by the engine, which discounts dispute time itself.
    """
    if contract.dispute_opened_at is not None and contract.clocks_paused_at is None:
        # (Under a cancellation's pause the clocks stay frozen: its resume shifts them.)
        stored_clocks_shift(
            contract, paused_at=contract.dispute_opened_at, by=dispute_duration(contract, ctx)
        )
    contract.dispute_opened_by = ""
    contract.dispute_opened_at = None


def stored_clocks_shift(contract: Contract, *, paused_at: datetime, by: timedelta) -> None:
    """Push the stored deadlines by ``by``, the time they were frozen since ``paused_at``
    (a dispute, a cancellation proposal). A late contract stays late; the grace window
    moves only if it was still open when the clocks froze."""
    notes = dict(contract.clock_notes)
    if contract.delivery_due_at is not None and not contract.late:
        contract.delivery_due_at += by
        notes["delivery_due"] = deadlines.shifted(
            deadlines.Deadline(contract.delivery_due_at, notes.get("delivery_due", "")), by
        ).explanation
    if contract.grace_ends_at is not None and paused_at < contract.grace_ends_at:
        contract.grace_ends_at += by
    contract.clock_notes = notes
    milestones.milestone_clock_sync(contract)


# --- money ---------------------------------------------------------------------------------


# Payload flag of the ``purchase``/``request`` transitions: the purchase service books the
# money itself (``capture_book`` or ``hold_book``), last in the same transaction, instead of
# these actions: the contract row (whose id names the escrow account and the entry) exists
# only once the engine has saved it, after the actions ran.
# People cannot send it: the API and web forms build payloads from fixed fields, and the
# underscore keeps it out of the event log (``payload.event_data`` keeps declared fields only).
BOOK_AT_END = "_book_at_end"
# Payload key of ``accept``: the processor's reference of the capture that
# ``services.contract_transition`` made before the transition (never sent by people either).
CAPTURED_REF = "_captured_ref"


def capture_reference(contract_id: int) -> str:
    """The reference of the money taken into a contract's escrow: the ledger entry's, and,
    for a request, the processor capture's too (a retried accept replays it there)."""
    return f"contract:{int(contract_id)}:capture"


def hold_reference(contract_id: int) -> str:
    """The reference of a request's pending ledger entry (the card hold)."""
    return f"contract:{int(contract_id)}:hold"


def capture_payment(contract: Contract, ctx: Context) -> None:
    """The card was charged by the purchase service; book the money into escrow.

    Booking locks the ``world`` account, which every purchase and refund updates, until
    the transaction commits. The purchase service therefore asks (``BOOK_AT_END``) to
    book it after the rest of the transition has been written, so purchases queue on
    ``world`` for a few statements instead of the whole transition; the booking is in
    the same transaction either way, so the contract never exists without its escrow.
    """
    if ctx.payload.get(BOOK_AT_END):
        return
    capture_book(contract)


def hold_payment(contract: Contract, ctx: Context) -> None:
    """The card was authorized (held, not charged) by the purchase service; record the hold.

    A pending ledger entry world -> escrow that moves nothing until ``accept`` posts it.
    Booked by the purchase service after the contract row exists (``BOOK_AT_END``).
    """
    if ctx.payload.get(BOOK_AT_END):
        return
    hold_book(contract)


def escrow_open(contract: Contract) -> None:
    """Create the new contract's escrow account now, before ``capture_book`` locks ``world``."""
    ledger_accounts_open(account_names=[escrow(contract.pk)])


def capture_book(
    contract: Contract,
    funded: list[Milestone] | None = None,
    policy: Policy | None = None,
) -> None:
    """Book the client's payment into the contract's escrow (world -> escrow), one entry
    per milestone (``milestones.funding_book``).

    Precondition: inside the transaction that creates the contract, after its milestones
    (``funded``, read when not given). The references are unique per contract and
    milestone, so a contract is captured at most once.
    """
    milestones.funding_book(
        contract,
        milestones.milestones_of(contract) if funded is None else funded,
        policy or policy_for_version(contract.policy_version),
    )


def hold_book(contract: Contract) -> None:
    """Record the request's card hold: a pending entry world -> escrow (balances unchanged).

    Precondition: inside the transaction that creates the contract, whose
    ``authorization_ref`` the processor just issued.
    """
    ledger_hold(
        reference=hold_reference(contract.pk),
        memo=f"Card hold for contract {contract.pk} (authorized, not captured)",
        postings=[Move(WORLD, escrow(contract.pk), contract.escrow_total_minor)],
        contract_id=contract.pk,
    )


def capture_hold(contract: Contract, ctx: Context) -> None:
    """The processor captured the hold a moment ago; post the hold into escrow.

    ``services.contract_transition`` captures outside the transaction and passes the
    capture's reference (``CAPTURED_REF``), which refunds will name from now on.
    Firing ``accept`` any other way is a programming error: no money would be taken.
    A request ``charged_up_front`` (made before requests held the card) has no hold: its
    money is in escrow already, and its charge stays what refunds name.
    """
    if contract.charged_up_front:
        return
    captured = ctx.payload.get(CAPTURED_REF)
    if not isinstance(captured, str) or not captured:
        raise ValueError("accept runs through contracts.services.contract_transition")
    contract.charge_ref = captured
    ledger_hold_post(
        hold_reference=hold_reference(contract.pk),
        reference=capture_reference(contract.pk),
        memo=f"Card hold of contract {contract.pk} captured into escrow",
    )


def void_hold(contract: Contract, ctx: Context) -> None:
    """Release the request's card hold: void it in the ledger, and have the processor void it
    after the commit (an intent, see ``payments.services``).

    A request ``charged_up_front`` (made before requests held the card) has no hold to
    release: its escrow is refunded in full instead, as such requests always were.
    """
    if contract.charged_up_front:
        refund_full(contract, ctx)
        return
    reference = f"contract:{contract.pk}:void:{ctx.seq}"
    ledger_hold_void(
        hold_reference=hold_reference(contract.pk),
        reference=reference,
        memo=f"Card hold of contract {contract.pk} released ({ctx.transition.name})",
    )
    intent_record(
        kind=ProviderIntent.Kind.VOID,
        reference=reference,
        payment_ref=contract.authorization_ref,
        amount_minor=contract.escrow_total_minor,
        contract_id=contract.pk,
        now=ctx.now,
    )


def _refund_to_card(contract: Contract, ctx: Context, amount: int, reference: str) -> None:
    """Record the card refund next to its ledger entry; the processor is called after the
    commit (``payments.services``), never inside the contract's transaction.

    A contract whose client paid for accepted increases too (``proposals``: an added
    milestone, a raised price) was paid by several charges, and a processor refunds at
    most what one charge took: the refund is shared out over them, the newest first, each
    giving back at most what it has left.
    """
    if not contract.charge_ref:
        return  # nothing was taken through a processor (bulk-loaded data)
    parts = _refund_parts(contract, amount)
    for i, (payment_ref, part) in enumerate(parts):
        intent_record(
            kind=ProviderIntent.Kind.REFUND,
            reference=reference if i == 0 else f"{reference}:{i + 1}",
            payment_ref=payment_ref,
            amount_minor=part,
            contract_id=contract.pk,
            now=ctx.now,
        )


def _refund_parts(contract: Contract, amount: int) -> list[tuple[str, int]]:
    """``amount`` shared out over the contract's charges, newest first: (charge, part)."""
    increases = list(
        Proposal.objects.filter(contract_id=contract.pk, status=ProposalStatus.ACCEPTED)
        .exclude(charge_ref="")
        .order_by("-id")
        .values_list("charge_ref", "charged_minor")
    )
    if not increases:
        return [(contract.charge_ref, amount)]  # one charge took everything
    given_back: dict[str, int] = {}
    for ref, part in ProviderIntent.objects.filter(
        contract_id=contract.pk, kind=ProviderIntent.Kind.REFUND
    ).values_list("payment_ref", "amount_minor"):
        given_back[ref] = given_back.get(ref, 0) + part
    parts = []
    left = amount
    for ref, charged in increases:
        part = min(left, (charged or 0) - given_back.get(ref, 0))
        if part > 0:
            parts.append((ref, part))
            left -= part
    if left > 0:
        parts.append((contract.charge_ref, left))  # the purchase's charge takes the rest
    return parts


def _refund(contract: Contract, ctx: Context, amount: int, memo: str) -> None:
    reference = f"contract:{contract.pk}:refund:{ctx.seq}"
    ledger_post(
        reference=reference,
        memo=memo,
        postings=[Move(escrow(contract.pk), WORLD, amount)],
        contract_id=contract.pk,
    )
    _refund_to_card(contract, ctx, amount, reference)
    contract.refunded_minor += amount


def refund_full(contract: Contract, ctx: Context) -> None:
    amount = balance(escrow(contract.pk))
    if amount > 0:
        _refund(
            contract, ctx, amount, f"Full refund of contract {contract.pk} ({ctx.transition.name})"
        )


def partial_refund_bounds(contract: Contract) -> tuple[int, int]:
    """The smallest and largest partial refund of ``contract``, in minor units.

    Something, and less than the current milestone's amount (the whole price, for a
    contract with one): giving everything back is ``refund``, and released milestones
    stay paid. Forms carry these bounds as the amount input's min and max.
    """
    current = milestones.milestone_current(contract)
    return 1, (contract.price_minor if current is None else current.amount_minor) - 1


def refund_partial(contract: Contract, ctx: Context) -> None:
    """Give part of the price back; the fee follows the lower price. Needs no consent.

    The amount is within ``partial_refund_bounds`` (the declaration's bounds, checked with
    the locked contract)."""
    amount = int(ctx.payload["amount_minor"])
    price_lower(contract, ctx, amount, memo=f"Partial refund of contract {contract.pk}")


def price_lower(contract: Contract, ctx: Context, amount: int, *, memo: str) -> None:
    """Refund ``amount`` (checked by the caller to be within ``partial_refund_bounds``)
    from escrow to the client and lower the price by it, off the current milestone; the
    fee follows the lower price."""
    _refund(contract, ctx, amount, memo)
    milestones.milestone_lower(contract, amount)
    contract.price_minor -= amount
    contract.fee_minor = percent_of(contract.price_minor, ctx.policy.freelancer_fee_bp)


def _pay_freelancer(
    contract: Contract, ctx: Context, gross: int, fee: int, client_fee: int
) -> None:
    """Escrow -> freelancer pending (gross - fee) and platform fees (the service fee and
    the client's marketplace fee on that part); schedule clearance."""
    reference = f"contract:{contract.pk}:release:{ctx.seq}"
    earned = gross - fee
    to_fees = fee + client_fee
    moves = []
    if earned > 0:
        moves.append(Move(escrow(contract.pk), freelancer_pending(contract.freelancer_id), earned))
    if to_fees > 0:
        moves.append(Move(escrow(contract.pk), PLATFORM_FEES, to_fees))
    if not moves:
        return
    # Money paid for the work: what work history and the trust rules read.
    contract.paid_out_minor += earned + to_fees
    ledger_post(
        reference=reference,
        memo=f"Release of contract {contract.pk} ({ctx.transition.name})",
        postings=moves,
        contract_id=contract.pk,
    )
    if earned > 0:
        clearance_schedule(
            user_id=contract.freelancer_id,
            amount=earned,
            available_at=ctx.now + timedelta(days=ctx.policy.clearance_days),
            reference=reference,
            contract_id=contract.pk,
        )


def release_escrow(contract: Contract, ctx: Context) -> None:
    """Release the current milestone's money to the freelancer; then the next funded
    milestone starts, or, after the last one, the contract ends completed.

    The transition's route (``process.route_after_release``) asked the same question
    (``milestones.more_after_current``) of the same locked rows, so the state the engine
    sets and what happens here agree.
    """
    funded = milestones.milestones_of(contract)
    index = milestones.current_index(funded)
    if index is None:  # pragma: no cover - an open contract always has a current milestone
        raise ValueError(f"contract {contract.pk} has no milestone to release")
    part = milestones.share(contract, funded, index, ctx.policy)
    _pay_freelancer(contract, ctx, part.gross, part.fee, part.client_fee)
    current = funded[index]
    current.state = MilestoneState.RELEASED
    current.released_at = ctx.now
    current.save(update_fields=["state", "released_at"])
    following = milestones.next_funded(funded, index)
    if following is None:
        end_completed(contract, ctx)
    else:
        milestones.milestone_start(contract, following, ctx.now)


def split_escrow(contract: Contract, ctx: Context) -> None:
    """The operator's decision: a share of the price to the freelancer, the rest back."""
    percent = int(ctx.payload["freelancer_percent"])
    note = str(ctx.payload["note"])
    fault = str(ctx.payload.get("fault", Fault.NONE))
    escrow_split(contract, ctx, percent, memo=f"Dispute refund of contract {contract.pk}")
    from fairlance.core.audit import audit_record

    audit_record(
        actor=ctx.user,
        action="dispute_resolve",
        target=contract,
        note=note,
        freelancer_percent=percent,
        fault=fault,
    )
    _end(
        contract,
        ctx,
        Outcome.COMPLETED if percent > 0 else Outcome.CANCELLED,
        str(fault),
    )


def escrow_split(contract: Contract, ctx: Context, percent: int, *, memo: str) -> None:
    """``percent`` of what is still in escrow to the freelancer (less the fee), the rest
    back to the client: a dispute's decision or a cancellation both sides agreed to.
    Released milestones stay paid: only the unreleased part is shared."""
    rest = milestones.unreleased(contract, milestones.milestones_of(contract), ctx.policy)
    gross = percent_of(rest.gross, percent * 100)
    fee = percent_of(gross, ctx.policy.freelancer_fee_bp)
    held = balance(escrow(contract.pk))
    if percent > 0:
        _pay_freelancer(contract, ctx, gross, fee, rest.client_fee)
    back = held - gross - (rest.client_fee if percent > 0 else 0)
    milestones.milestones_close(
        contract,
        MilestoneState.RELEASED
        if percent == 100
        else MilestoneState.REFUNDED
        if percent == 0
        else MilestoneState.SPLIT,
    )
    if back > 0:
        _refund(contract, ctx, back, memo)


# --- endings ---------------------------------------------------------------------------------


def _end(contract: Contract, ctx: Context, outcome: str, fault: str) -> None:
    """Record how the contract ended and give the project's capacity slot back.

    Whether the ending counts for trust (feedback, scores, the client card's numbers) is
    the ending transition's declaration (``Transition.counts``), applied to the money paid
    and the fault recorded here.
    """
    from fairlance.catalog.models import Project
    from fairlance.reviews.services import trust_inputs_changed

    contract.outcome = outcome
    contract.ending = ctx.transition.name
    contract.fault = fault
    contract.ended_at = ctx.now
    contract.counts_for_trust = ctx.transition.ending_counts(
        paid=contract.paid_out_minor > 0, fault=fault
    )
    # Even an ending that does not count shows on the freelancer's breakdown (excluded,
    # with its reason).
    trust_inputs_changed(freelancer_id=contract.freelancer_id)
    # What was not released (or split by an operator) went back to the client.
    milestones.milestones_close(contract, MilestoneState.REFUNDED)
    if contract.open_proposals:
        # What was still proposed can no longer be agreed.
        from fairlance.contracts.proposals import close_open_proposals

        close_open_proposals(contract, ctx)
    if contract.project_id is not None:
        Project.objects.filter(pk=contract.project_id, active_contracts__gt=0).update(
            active_contracts=F("active_contracts") - 1
        )


def end_by_agreement(contract: Contract, ctx: Context, *, ending: str) -> None:
    """Both sides agreed to end: cancelled, nobody's fault, feedback as usual."""
    _end(contract, ctx, Outcome.CANCELLED, Fault.NONE)
    contract.ending = ending


def end_no_fault(contract: Contract, ctx: Context) -> None:
    _end(contract, ctx, Outcome.CANCELLED, Fault.NONE)


def end_freelancer_fault(contract: Contract, ctx: Context) -> None:
    _end(contract, ctx, Outcome.CANCELLED, Fault.FREELANCER)


def end_completed(contract: Contract, ctx: Context) -> None:
    _end(contract, ctx, Outcome.COMPLETED, Fault.NONE)
