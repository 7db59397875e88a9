"""Buying a catalog project (``contract_purchase``) and the person transitions that need
the card processor (``contract_transition``).

The order of steps matters for money:

1. Everything that can be checked without writing is checked first (project available,
   tier and add-ons belong to it, requirements answers, card number shape), so bad input
   costs nothing.
2. A short transaction of its own writes the purchase's ``PurchaseAttempt`` and takes a
   capacity slot with a conditional UPDATE. A purchase that finds the project full — the
   last slot went to someone else a moment ago — is refused here, before the processor
   ever sees its card: a capacity-race loser is never charged, nor even held.
3. The card is charged (instant mode) or authorized (request mode: a hold, nothing is
   taken until the freelancer accepts) *outside* any transaction, so the payment
   attempts log keeps declined attempts and a slow processor never holds row locks. A
   refused card gives the slot back.
4. One transaction then creates the contract with its snapshot, fires its first
   transition, books the money into escrow (or records the hold, a pending ledger entry)
   and, last, marks the attempt kept. If anything fails, the slot and the money go back
   (the money through a refund or void intent, made at once).

The attempt's row is where a payment's fate is decided, once: kept by the contract (step
4) or given back with the slot (a failure, or the worker), by a compare-and-set on its
state. If the process dies anywhere after step 2 (a crash, a kill), the attempt stays in
flight: ``purchase_charges_reconcile``, run by the worker, gives back its slot and its
payment once it is older than the Idempotency-Key lease, within a minute of the crash. A
retry of the same key after the lease runs the same attempt again: it finds the row,
carries on with its slot, and the processor replays its payment instead of charging
twice (see ``core.idempotency``). The same goes for an ``accept`` whose capture went
through but whose transition never committed.

Why the escrow entry and the attempt come last: the entry takes a row lock held until the
commit, and other purchases queue on it — the ``world`` account's row (every purchase and
refund updates it). Taken at the end, it is held for a few statements instead of the whole
transition. The project's row, which every buyer of the project also locks, is held only
by step 2's transaction, for one statement and its commit. The order of locks (ledger
accounts, then the project) is that of every ending, which refunds or releases escrow and
then gives the slot back; step 4 locks no project at all, and giving an attempt back locks
its own row, then the project.
"""

from __future__ import annotations

import copy
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Concat
from django.utils import timezone

from fairlance.accounts.models import User, WorkingCalendar
from fairlance.catalog.models import Category, Project, ProjectStatus, RequirementQuestion, Tier
from fairlance.contracts import actions, deadlines, engine, milestones, process
from fairlance.contracts.models import HOLD_STATES, Contract, Milestone, PurchaseAttempt, Timer
from fairlance.contracts.process import INITIAL
from fairlance.contracts.selectors import valid_id
from fairlance.contracts.unit_of_work import CreationWrites
from fairlance.core.errors import Conflict, FairlanceError, InvalidInput, NotFound, field_error
from fairlance.core.idempotency import idempotency_attempt_abandon, idempotency_lease
from fairlance.core.money import percent_of
from fairlance.core.policy import Policy, policy_for_version, policy_in_force
from fairlance.core.sql import (
    ModelColumns,
    execute_prepared,
    insert_or_skip,
    select_models,
)

logger = logging.getLogger(__name__)


class PaymentFailed(FairlanceError):
    """The card processor refused the charge (402); ``code`` is the processor's reason."""

    status = 402
    code = "payment_failed"
    title = "The payment did not go through"


class PaymentProviderError(FairlanceError):
    """The card processor failed in a way nobody can fix by choosing again (502): an outage,
    an unexpected answer. Nothing was changed; the same call may be retried later."""

    status = 502
    code = "payment_provider_error"
    title = "The payment processor could not complete the request"


class PurchaseAbandoned(FairlanceError):
    """The purchase ran longer than its lease and was given up meanwhile (503): nothing was
    bought, and its payment goes back to the card. A retry (with the same key) runs anew."""

    status = 503
    code = "purchase_abandoned"
    title = "The purchase took too long and was undone"

    def __init__(self) -> None:
        super().__init__(
            "Nothing was bought, and any payment it made goes back to your card. Please try again."
        )


MAX_ADDONS = 20


def _snapshot(
    project: Project,
    tier: Any,
    addons: list[Any],
    questions: list[RequirementQuestion],
    price: int,
    fee: int,
) -> dict[str, Any]:
    return {
        "project_id": project.pk,
        "project_title": project.title,
        "category": project.category.slug if project.category_id else "",
        "purchase_mode": project.purchase_mode,
        "delivery_in_working_days": project.delivery_in_working_days,
        "tier": {
            "id": tier.pk,
            "name": tier.name,
            "description": tier.description,
            "price_minor": tier.price_minor,
            "delivery_days": tier.delivery_days,
            "revisions": tier.revisions,
            "deliverables": list(tier.deliverables),
        },
        "addons": [
            {
                "id": a.pk,
                "title": a.title,
                "price_minor": a.price_minor,
                "extra_delivery_days": a.extra_delivery_days,
            }
            for a in addons
        ],
        "questions": [
            {
                "id": q.pk,
                "prompt": q.prompt,
                "kind": q.kind,
                "choices": list(q.choices),
                "required": q.required,
            }
            for q in questions
        ],
        "price_minor": price,
        "fee_minor": fee,
    }


@functools.cache
def _questions_sql() -> str:
    meta = RequirementQuestion._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in meta.concrete_fields)
    order = f"{qn('position')}, {qn('id')}"  # the model's ``ordering``
    # Only quoted names from the model are formatted in; the project id is a parameter.
    return (
        f"SELECT {columns} FROM {qn(meta.db_table)} "  # noqa: S608
        f"WHERE {qn('project_id')} = %s ORDER BY {order}"
    )


def _questions(project_id: int) -> list[RequirementQuestion]:
    """The project's requirement questions in their order (the model's ``ordering``).

    The statement is written once: the ORM's prefetch of the same rows cost three times
    the query itself in CPU, on every purchase. ``raw`` still converts the values (the
    JSON choices) and builds the instances.
    """
    return list(RequirementQuestion.objects.raw(_questions_sql(), [project_id]))


@functools.cache
def _take_slot_sql() -> str:
    qn = connection.ops.quote_name
    count, capacity = qn("active_contracts"), qn("capacity")
    # Only quoted names from the model are formatted in; the project id is a parameter.
    return (
        f"UPDATE {qn(Project._meta.db_table)} SET {count} = {count} + 1 "  # noqa: S608
        f"WHERE {qn('id')} = %s AND {count} < {capacity}"
    )


def _take_slot(project_id: int) -> bool:
    """Take one of the project's capacity slots; False if all are taken.

    One conditional UPDATE: the count is re-checked under the project's row lock, which
    it takes and keeps until the commit. Written once rather than compiled by the ORM on
    every purchase.
    """
    with connection.cursor() as cursor:
        cursor.execute(_take_slot_sql(), [project_id])
        return cursor.rowcount == 1


@functools.cache
def _project_and_tier_sql(alias: str) -> tuple[str, tuple[ModelColumns, ...]]:
    conn = connections[alias]
    q = conn.ops.quote_name
    select, columns = select_models(
        [
            ("p", Project, None),
            ("u", User, None),
            ("w", WorkingCalendar, None),
            ("c", Category, None),
            ("t", Tier, None),
        ],
        conn,
    )
    # Only quoted names from the models are formatted in; the ids are parameters.
    sql = (
        f"SELECT {select} FROM {q(Project._meta.db_table)} p"  # noqa: S608
        f" INNER JOIN {q(User._meta.db_table)} u ON u.{q('id')} = p.{q('freelancer_id')}"
        f" LEFT JOIN {q(WorkingCalendar._meta.db_table)} w ON w.{q('user_id')} = u.{q('id')}"
        f" LEFT JOIN {q(Category._meta.db_table)} c ON c.{q('id')} = p.{q('category_id')}"
        f" LEFT JOIN {q(Tier._meta.db_table)} t"
        f" ON t.{q('id')} = %s AND t.{q('project_id')} = p.{q('id')}"
        f" WHERE p.{q('id')} = %s"
    )
    return sql, columns


def _project_and_tier(project_id: int, tier_id: int) -> tuple[Project | None, Tier | None]:
    """The project with its freelancer (calendar and time off loaded) and category, and
    the tier ``tier_id`` if it is one of the project's (else None).

    Written once and prepared on PostgreSQL: through the ORM, the same five-table read
    (``select_related``) and the time-off prefetch cost 2 ms of CPU on every purchase,
    most of it compiling the query and building the instances.
    """
    sql, columns = _project_and_tier_sql(connection.alias)
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, [tier_id, project_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    values = iter(row)
    project, freelancer, calendar, category, tier = (c.build(values, connection) for c in columns)
    assert isinstance(project, Project) and isinstance(freelancer, User)
    project.freelancer = freelancer
    freelancer.remember_calendar(calendar)  # type: ignore[arg-type]
    if category is not None:
        project.category = category  # type: ignore[assignment]
    if tier is not None:
        assert isinstance(tier, Tier)
        tier.project = project
    prefetch_related_objects([freelancer], "time_off")
    return project, tier if isinstance(tier, Tier) else None


def _check_available(project: Project, *, holds_slot: bool = False) -> None:
    """Raise ``Conflict`` with the reason when ``project`` cannot be bought now.

    ``holds_slot``: the caller's attempt holds one of the project's slots already (a
    re-run of an attempt in flight), so that one does not count as taken.
    """
    from fairlance.catalog.selectors import project_availability

    if holds_slot:
        project = copy.copy(project)
        project.active_contracts -= 1
    availability = project_availability(project=project, now=timezone.now())
    if not availability.purchasable:
        data: dict[str, Any] = {}
        if availability.back_on is not None:
            data["back_on"] = availability.back_on.isoformat()
        raise Conflict(availability.message, code=availability.reason_code or "unavailable", **data)


@dataclass(frozen=True)
class Purchase:
    """A new contract with what its purchase already holds for answering about it.

    ``policy`` is the contract's policy version and ``timers`` all its timers (the ones
    its first transition armed), so the response needs to read neither. ``recovered``:
    the contract is not new but the one an earlier run of the same attempt made (its
    process died before answering); it may have moved on since, so read it afresh, and
    ``timers`` is empty.
    """

    contract: Contract
    policy: Policy
    timers: list[Timer]
    recovered: bool = False
    # Its milestones as created (None when recovered: read them afresh).
    milestones: list[Milestone] | None = None


@dataclass(frozen=True)
class _Terms:
    """What a purchase buys, checked before anything is written."""

    project: Project
    tier: Tier
    addons: list[Any]
    questions: list[RequirementQuestion]
    answers: dict[str, Any]
    card_number: str
    policy: Policy
    price: int
    fee: int
    client_fee: int

    @property
    def request_mode(self) -> bool:
        return self.project.purchase_mode == "request"

    @property
    def total(self) -> int:
        return self.price + self.client_fee


@dataclass(frozen=True)
class _Payment:
    """What a purchase took at the processor: a charge, or a hold (``held``)."""

    ref: str
    amount: int
    held: bool


class _AttemptSettled(Exception):
    """Inside the purchase's transaction: its attempt is no longer in flight (a retry of
    it kept it first, or the worker gave it up), so this run must not keep it."""


def purchase_reference(*, client_id: int, project_id: int, attempt: str) -> str:
    """The processor reference of a purchase attempt's payment (and its attempt row's key).

    The processor (the sandbox, like real ones) answers a reference it has seen with its
    first success, so the reference names this attempt and nothing wider: the same when
    the same attempt runs again (the processor dedupes it), never one an undone attempt
    used (its charge was refunded: replayed, it would fund a contract with nothing) nor
    one of another project (two contracts would share one charge). The attempt of an
    Idempotency-Key is its claim, whose identity changes when a failed run frees the key
    (see ``core.idempotency``); keys are scoped per project and the reference names the
    project, so one key on two projects is two attempts.
    """
    return f"purchase:{int(client_id)}:{int(project_id)}:{attempt}"[:200]


def _attempt_of_reference(reference: str) -> str:
    """The attempt a purchase reference names (``purchase_reference`` read backwards)."""
    parts = reference.split(":", 3)
    return parts[3] if len(parts) == 4 else ""


def contract_purchase(
    *,
    client: Any,
    project_id: int,
    tier_id: int,
    addon_ids: list[int] | tuple[int, ...] = (),
    answers: dict[str, Any] | None = None,
    card_number: str,
    attempt: str | None = None,
) -> Purchase:
    """Buy ``tier_id`` of project ``project_id`` (plus add-ons) and start the contract.

    Returns the ``Purchase``: the new contract, and its policy and timers for answering
    about it without reading them back. Instant-mode projects start in ``awaiting_requirements`` (or ``in_progress`` when there
    is nothing to ask, or all answers came with the purchase); request-mode projects need
    every required answer up front and start in ``requested``. Raises ``NotFound`` for a
    project the client cannot see, ``Conflict`` with the availability reason
    (``not_published``, ``freelancer_away``, ``capacity_full``, ``freelancer_suspended``,
    ``own_project``), ``InvalidInput`` for bad choices or answers, ``PaymentFailed``
    (402, code from the processor, e.g. ``card_declined``) when the card is refused and
    ``PurchaseAbandoned`` (503) when the purchase outlived its lease and was given up.

    ``attempt`` names this purchase attempt (``core.idempotency.idempotent_attempt`` gives
    it for an ``Idempotency-Key``): the same value only when the same attempt runs again,
    and then the purchase answers with the contract that attempt made, if it made one.
    None: a one-off attempt. Precondition: called outside any transaction.
    """
    if not valid_id(project_id):
        raise NotFound()
    reference = purchase_reference(
        client_id=client.pk, project_id=project_id, attempt=attempt or uuid.uuid4().hex
    )
    order = {
        "client": client,
        "project_id": project_id,
        "tier_id": tier_id,
        "addon_ids": addon_ids,
        "answers": answers,
        "card_number": card_number,
    }
    try:
        terms = _purchase_terms(**order)
        opened = _attempt_open(reference=reference, project_id=project_id, attempt=attempt or "")
    except FairlanceError as exc:
        # A re-run of an attempt whose process died (a retry after the lease) may be
        # refused for what that attempt did itself: the project full with its own slot,
        # its answer files attached to the contract it made.
        row = _attempt_row(reference) if attempt is not None else None
        if row is None:
            raise
        if row.state == PurchaseAttempt.State.KEPT and row.contract_id is not None:
            return _recovered(row.contract_id)
        if row.state != PurchaseAttempt.State.IN_FLIGHT:
            raise
        try:
            if exc.code != "capacity_full":
                raise
            terms = _purchase_terms(**order, holds_slot=True)
        except FairlanceError:
            # Refused for good (the project was paused meanwhile): what the dead run took
            # goes back now, not when the worker looks.
            payment = _payment_of(reference)
            _attempt_give_back(reference=reference, project_id=project_id, payment=payment)
            raise
        opened = row
    if opened.state == PurchaseAttempt.State.KEPT and opened.contract_id is not None:
        return _recovered(opened.contract_id)
    if opened.state != PurchaseAttempt.State.IN_FLIGHT:
        raise PurchaseAbandoned()

    from fairlance.payments.provider import get_provider

    provider = get_provider()
    # A request holds the money on the card while the freelancer decides; an instant
    # purchase takes it at once. Either way the capacity slot is this attempt's already:
    # a purchase that finds the project full never reaches the processor.
    pay = provider.authorize if terms.request_mode else provider.charge
    try:
        result = pay(
            amount_minor=terms.total,
            card_number=terms.card_number,
            reference=reference,
            payer_id=client.pk,
        )
    except BaseException:
        # A processor that failed without an answer (a network error) may still have
        # taken the money: the slot goes back now, and a payment it turns out to have
        # made is one no attempt keeps, which the worker gives back.
        _attempt_give_back(reference=reference, project_id=project_id, payment=None)
        raise
    if not result.ok:
        _attempt_give_back(reference=reference, project_id=project_id, payment=None)
        raise PaymentFailed(result.message, code=result.error_code or "payment_failed")
    payment = _Payment(ref=result.provider_ref or "", amount=terms.total, held=terms.request_mode)

    try:
        with transaction.atomic():
            contract, writes, funded = _contract_create(client=client, terms=terms, payment=payment)
            # Last: the attempt's compare-and-set, which keeps the payment and the slot
            # for this contract unless the attempt was settled meanwhile (the worker gave
            # it up after its lease, or a retry of it kept it first). Its row is this
            # attempt's alone, so no other purchase waits on it.
            if not _attempt_settle(reference, to=PurchaseAttempt.State.KEPT, contract=contract):
                raise _AttemptSettled()
    except _AttemptSettled:
        return _settled_elsewhere(reference=reference, project_id=project_id, payment=payment)
    except BaseException:
        # Nothing was committed: give the slot and the money back now (the reconciler's
        # reference, so whichever of the two comes second is a replay at the processor).
        _attempt_give_back(reference=reference, project_id=project_id, payment=payment)
        raise
    return Purchase(contract, terms.policy, writes.timers, milestones=funded)


def _purchase_terms(
    *,
    client: Any,
    project_id: int,
    tier_id: int,
    addon_ids: list[int] | tuple[int, ...],
    answers: dict[str, Any] | None,
    card_number: str,
    holds_slot: bool = False,
) -> _Terms:
    """Every check of a purchase that needs no write; raises what ``contract_purchase``
    documents for bad input and unavailable projects. ``holds_slot``: as for
    ``_check_available``."""
    if not valid_id(tier_id):
        raise InvalidInput(errors=[field_error("tier_id", "Choose one of this project's tiers.")])
    if not all(valid_id(a) for a in addon_ids):
        raise InvalidInput(errors=[field_error("addon_ids", "Choose add-ons of this project.")])
    # One statement for the project with its freelancer, calendar, category and the tier
    # (if it belongs to the project), one for the freelancer's time off, then (once the
    # project is known to be purchasable) its questions: every read the purchase needs
    # before the lock. Time off serves the availability check here and, later inside the
    # transaction, the delivery clock and the freelancer's quiet hours (the contract gets
    # this same freelancer instance), so the transaction does not read it again.
    project, tier = _project_and_tier(project_id, tier_id)
    # Drafts and projects waiting for review are invisible to buyers; paused, archived and
    # suspended-freelancer projects exist publicly and are refused below with the reason.
    if project is None or project.status in (ProjectStatus.DRAFT, ProjectStatus.PENDING_REVIEW):
        raise NotFound()
    if project.freelancer_id == client.pk:
        raise Conflict("You cannot buy your own project.", code="own_project")
    if getattr(client, "is_suspended", False):
        raise Conflict("Your account is suspended.", code="account_suspended")
    _check_available(project, holds_slot=holds_slot)

    if tier is None:
        raise InvalidInput(errors=[field_error("tier_id", "Choose one of this project's tiers.")])
    wanted = list(dict.fromkeys(addon_ids))
    if len(wanted) > MAX_ADDONS:
        raise InvalidInput(errors=[field_error("addon_ids", "Too many add-ons.")])
    # No add-ons (most purchases): nothing to look up, and building the query for an empty
    # list (which Django then does not send) cost as much as a small query.
    addons = list(project.addons.filter(pk__in=wanted)) if wanted else []
    if len(addons) != len(wanted):
        raise InvalidInput(errors=[field_error("addon_ids", "Choose add-ons of this project.")])

    request_mode = project.purchase_mode == "request"
    project_questions = _questions(project.pk)
    questions = [
        {"id": q.pk, "kind": q.kind, "choices": list(q.choices), "required": q.required}
        for q in project_questions
    ]
    clean = actions.clean_answers(
        questions, answers, require_all=request_mode or bool(answers), client_id=client.pk
    )

    number = _clean_card_number(card_number)
    policy = policy_in_force()
    price = tier.price_minor + sum(a.price_minor for a in addons)
    return _Terms(
        project=project,
        tier=tier,
        addons=addons,
        questions=project_questions,
        answers=clean,
        card_number=number,
        policy=policy,
        price=price,
        fee=percent_of(price, policy.freelancer_fee_bp),
        client_fee=percent_of(price, policy.client_fee_bp),
    )


def _clean_card_number(card_number: str) -> str:
    """The card number without spaces or dashes; ``InvalidInput`` unless it passes Luhn."""
    from fairlance.payments.provider import luhn_valid, normalize_card_number

    number = normalize_card_number(card_number or "")
    # isascii(): str.isdigit() also accepts superscript digits, which Luhn cannot read.
    if (
        not (number.isascii() and number.isdigit())
        or not 12 <= len(number) <= 19
        or not luhn_valid(number)
    ):
        raise InvalidInput(errors=[field_error("card_number", "Enter a valid card number.")])
    return number


def _contract_create(
    *, client: Any, terms: _Terms, payment: _Payment
) -> tuple[Contract, CreationWrites, list[Milestone]]:
    """Create the contract of a paid purchase: snapshot, first transition, milestone, files,
    escrow. Precondition: inside the purchase's transaction, the attempt's slot taken."""
    now = timezone.now()
    project, tier, addons = terms.project, terms.tier, terms.addons
    contract = Contract(
        client=client,
        freelancer=project.freelancer,
        project=project,
        snapshot=_snapshot(project, tier, addons, terms.questions, terms.price, terms.fee),
        answers=terms.answers,
        purchase_mode=project.purchase_mode,
        price_minor=terms.price,
        fee_minor=terms.fee,
        client_fee_minor=terms.client_fee,
        charge_ref="" if payment.held else payment.ref,
        authorization_ref=payment.ref if payment.held else "",
        policy_version=terms.policy.version,
        process_version=process.PROCESS_VERSION,
        state=INITIAL,
        revisions_left=tier.revisions,
        delivery_days=deadlines.purchase_delivery_days(
            tier_days=tier.delivery_days,
            addon_days=(a.extra_delivery_days for a in addons),
        ),
        created_at=now,
        updated_at=now,
    )
    # The first transition runs on the contract before it is stored: its actions
    # (routing, the delivery clock; the capture is booked below) only set fields,
    # and the engine's save is then the row's INSERT, in the state the transition
    # chose, instead of an INSERT in ``new`` followed by an UPDATE of every column.
    # The engine wants the caller to hold the contract's row lock: a row no other
    # transaction can see yet needs none.
    writes = CreationWrites()
    engine.apply_locked(
        contract,
        name="request" if terms.request_mode else "purchase",
        actor=engine.Actor("client", client),
        payload={actions.BOOK_AT_END: True},
        now=now,
        policy=terms.policy,
        writes=writes,
    )
    funded = milestones.milestones_create(
        contract,
        [milestones.MilestoneIn(tier.name, terms.price, contract.delivery_days)],
        now=now,
    )
    # Files answered with the purchase are the contract's from now on.
    actions.attach_answer_files(contract, now)
    actions.escrow_open(contract)
    # Last, see the module docstring: the escrow entry locks ``world`` until the commit
    # (a hold locks nothing).
    if payment.held:
        actions.hold_book(contract)
    else:
        actions.capture_book(contract, funded, terms.policy)
    return contract, writes, funded


# --- purchase attempts: the slot and the payment, kept or given back once -----------------


@functools.cache
def _settle_sql() -> str:
    qn = connection.ops.quote_name
    # Only quoted names from the model are formatted in; values are parameters.
    return (
        f"UPDATE {qn(PurchaseAttempt._meta.db_table)} "  # noqa: S608
        f"SET {qn('state')} = %s, {qn('contract_id')} = %s, {qn('settled_at')} = %s "
        f"WHERE {qn('reference')} = %s AND {qn('state')} = %s"
    )


def _attempt_settle(reference: str, *, to: str, contract: Contract | None = None) -> bool:
    """Move the attempt ``reference`` out of flight, to ``to``; False if it was not in flight.

    The compare-and-set every decider goes through: the purchase that keeps its payment
    (in the transaction that creates the contract), and whoever gives it back. On
    PostgreSQL a second decider waits for the first's commit and then finds the state
    moved; SQLite's writers take turns. Written once: the purchase runs it every time.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _settle_sql(),
            [
                to,
                contract.pk if contract is not None else None,
                timezone.now(),
                reference,
                PurchaseAttempt.State.IN_FLIGHT,
            ],
        )
        return cursor.rowcount == 1


def _attempt_open(
    *, reference: str, project_id: int, attempt: str, refuse_when_full: bool = True
) -> PurchaseAttempt:
    """Take a capacity slot for the attempt ``reference``, in one short transaction of its
    own, or find the attempt's row if a run of the same attempt made it before.

    Raises ``Conflict(code="capacity_full")``, with nothing written, when the project is
    full. A new row is ``in_flight``; an existing one is as that run left it (in flight,
    and then this run carries on with its slot; kept; or given back).
    """
    now = timezone.now()
    values = {
        "reference": reference,
        "project_id": project_id,
        "attempt": attempt,
        "state": PurchaseAttempt.State.IN_FLIGHT,
        "contract_id": None,
        "created_at": now,
        "settled_at": None,
    }
    with transaction.atomic():
        inserted = insert_or_skip(PurchaseAttempt, [values])
        if not inserted:
            return PurchaseAttempt.objects.get(reference=reference)
        # The count is re-checked under the project's row lock, held until the commit a
        # statement later. Capacity is never oversold, and a loser is refused here,
        # before the processor ever sees its card.
        if not refuse_when_full:
            # An offer is the freelancer's own commitment: its slot is taken whatever the
            # capacity (``contract_purchase_offer``).
            Project.objects.filter(pk=project_id).update(active_contracts=F("active_contracts") + 1)
        elif not _take_slot(project_id):
            raise Conflict(
                "This project is at full capacity; check back soon.", code="capacity_full"
            )
    row = PurchaseAttempt(pk=inserted[0][0], **values)
    row._state.adding = False
    return row


def _slot_give_back(project_id: int) -> None:
    from fairlance.catalog.models import Project as CatalogProject

    CatalogProject.objects.filter(pk=project_id, active_contracts__gt=0).update(
        active_contracts=F("active_contracts") - 1
    )


def _attempt_give_back(*, reference: str, project_id: int, payment: _Payment | None) -> bool:
    """Give back what the unfinished attempt ``reference`` took: its slot and its payment.

    Decided on the attempt's row, in one transaction: an attempt still in flight is given
    back now, its slot with it; one given back already (by the worker, which may not have
    known the payment: the processor answered later) gets only the payment made sure of;
    one a contract kept gives nothing back. The payment goes back through an intent with
    the reference ``<reference>:undo`` (recorded once, whoever comes first), made at the
    processor right after the commit and retried by the worker. Returns True when this
    call took the attempt out of flight. Precondition: outside any transaction.
    """
    from fairlance.payments.models import ProviderIntent
    from fairlance.payments.services import intent_execute, intent_record_once

    intent_id = None
    with transaction.atomic():
        gave_back = _attempt_settle(reference, to=PurchaseAttempt.State.GIVEN_BACK)
        if gave_back:
            _slot_give_back(project_id)
        kept = (
            not gave_back
            and PurchaseAttempt.objects.filter(
                reference=reference, state=PurchaseAttempt.State.KEPT
            ).exists()
        )
        if payment is not None and not kept:
            intent_id = intent_record_once(
                kind=ProviderIntent.Kind.VOID if payment.held else ProviderIntent.Kind.REFUND,
                reference=f"{reference}:undo",
                payment_ref=payment.ref,
                amount_minor=payment.amount,
                now=timezone.now(),
            )
    if intent_id is not None:
        intent_execute(intent_id=intent_id, attempts=0)
    return gave_back


def _recovered(contract_id: int) -> Purchase:
    contract = Contract.objects.select_related("client", "freelancer").get(pk=contract_id)
    return Purchase(contract, policy_for_version(contract.policy_version), [], recovered=True)


def _attempt_row(reference: str) -> PurchaseAttempt | None:
    return PurchaseAttempt.objects.filter(reference=reference).first()


def _bought_by_attempt(reference: str) -> Purchase | None:
    """The contract the attempt ``reference`` made, if an earlier run of it made one."""
    row = _attempt_row(reference)
    if row is None or row.state != PurchaseAttempt.State.KEPT or row.contract_id is None:
        return None
    return _recovered(row.contract_id)


def _settled_elsewhere(*, reference: str, project_id: int, payment: _Payment) -> Purchase:
    """This run paid, but its attempt left flight before it could keep it.

    Another run of the same attempt kept it (a retry after the lease, while this run was
    slow): both had the same payment from the processor, and that run's contract is the
    answer. Otherwise the worker gave it up after the lease: the payment goes back (the
    worker may not have seen it) and the purchase is ``PurchaseAbandoned``.
    """
    bought = _bought_by_attempt(reference)
    if bought is not None:
        return bought
    _attempt_give_back(reference=reference, project_id=project_id, payment=payment)
    raise PurchaseAbandoned()


# --- accepting a custom offer: a purchase whose terms the freelancer wrote ------------------


@dataclass(frozen=True)
class OfferTerms:
    """What a custom offer sells (``quotes``), checked by the caller before anything is
    written. ``milestones`` are ``{"title", "amount_minor", "delivery_days"}`` summing to
    ``price``; ``requirements`` is the quote request's text, which the freelancer read
    before offering, so the contract asks no questions."""

    offer_id: int
    quote_request_id: int
    project: Project
    scope: str
    requirements: str
    price: int
    delivery_days: int
    revisions: int
    milestones: list[dict[str, Any]]
    # The quote request's attachments (upload ids): the contract's requirement files.
    # ``claim`` attaches them to the contract; the snapshot keeps the list.
    files: tuple[str, ...] = ()


def contract_purchase_offer(
    *,
    client: Any,
    terms: OfferTerms,
    card_number: str,
    attempt: str | None,
    claim: Callable[[Contract], None],
) -> Purchase:
    """Pay for a custom offer and start its contract (``accept_offer``), the way
    ``contract_purchase`` buys a tier: an attempt row and a slot first, the card charged
    outside any transaction, then one transaction that creates the contract, books the
    escrow and keeps the attempt. Anything that fails after the charge gives the slot and
    the money back (the same ``_attempt_give_back``; the worker's reconciler covers a
    crash, since the reference is a purchase reference).

    ``claim(contract)`` runs first inside that transaction, once the contract row exists:
    the caller's compare-and-set of the offer (``quotes.services``), which raises
    ``Conflict`` when the offer is no longer open. So two accepts of one offer both may
    charge, but exactly one contract keeps its charge; the other's is refunded at once.

    The slot: an offer is the freelancer's own explicit commitment, so it is taken even
    when the project is full (decision 0016); it still counts, so catalog buyers see the
    project full, and every ending gives it back as for any contract.

    Raises ``InvalidInput`` (card number), ``PaymentFailed`` (402), ``PurchaseAbandoned``
    (503) and what ``claim`` raises. Precondition: outside any transaction.
    """
    number = _clean_card_number(card_number)
    policy = policy_in_force()
    project = terms.project
    reference = purchase_reference(
        client_id=client.pk, project_id=project.pk, attempt=attempt or uuid.uuid4().hex
    )
    opened = _attempt_open(
        reference=reference, project_id=project.pk, attempt=attempt or "", refuse_when_full=False
    )
    if opened.state == PurchaseAttempt.State.KEPT and opened.contract_id is not None:
        return _recovered(opened.contract_id)
    if opened.state != PurchaseAttempt.State.IN_FLIGHT:
        raise PurchaseAbandoned()
    fee = percent_of(terms.price, policy.freelancer_fee_bp)
    client_fee = percent_of(terms.price, policy.client_fee_bp)

    from fairlance.payments.provider import get_provider

    try:
        result = get_provider().charge(
            amount_minor=terms.price + client_fee,
            card_number=number,
            reference=reference,
            payer_id=client.pk,
        )
    except BaseException:
        _attempt_give_back(reference=reference, project_id=project.pk, payment=None)
        raise
    if not result.ok:
        _attempt_give_back(reference=reference, project_id=project.pk, payment=None)
        raise PaymentFailed(result.message, code=result.error_code or "payment_failed")
    payment = _Payment(ref=result.provider_ref or "", amount=terms.price + client_fee, held=False)
    try:
        with transaction.atomic():
            contract = Contract(
                client=client,
                freelancer=project.freelancer,
                project=project,
                snapshot=_offer_snapshot(terms, fee),
                answers={},
                purchase_mode="offer",
                price_minor=terms.price,
                fee_minor=fee,
                client_fee_minor=client_fee,
                charge_ref=payment.ref,
                policy_version=policy.version,
                process_version=process.PROCESS_VERSION,
                state=INITIAL,
                revisions_left=terms.revisions,
                # The delivery clock that starts now is the first milestone's; each later
                # milestone's starts when the one before it is released.
                delivery_days=int(terms.milestones[0]["delivery_days"]),
            )
            writes = CreationWrites()
            engine.apply_locked(
                contract,
                name="accept_offer",
                actor=engine.Actor("client", client),
                payload={actions.BOOK_AT_END: True},
                policy=policy,
                writes=writes,
            )
            claim(contract)
            funded = milestones.milestones_create(
                contract,
                [
                    milestones.MilestoneIn(
                        str(m["title"]), int(m["amount_minor"]), int(m["delivery_days"])
                    )
                    for m in terms.milestones
                ],
                now=contract.created_at,
            )
            actions.escrow_open(contract)
            actions.capture_book(contract, funded, policy)
            if not _attempt_settle(reference, to=PurchaseAttempt.State.KEPT, contract=contract):
                raise _AttemptSettled()
    except _AttemptSettled:
        return _settled_elsewhere(reference=reference, project_id=project.pk, payment=payment)
    except BaseException:
        _attempt_give_back(reference=reference, project_id=project.pk, payment=payment)
        raise
    return Purchase(contract, policy, writes.timers, milestones=funded)


def offer_bought_by_attempt(*, client_id: int, project_id: int, attempt: str) -> Purchase | None:
    """The contract an earlier run of the accept attempt ``attempt`` made, if one did."""
    return _bought_by_attempt(
        purchase_reference(client_id=client_id, project_id=project_id, attempt=attempt)
    )


def _offer_snapshot(terms: OfferTerms, fee: int) -> dict[str, Any]:
    """The contract's snapshot of an offer, shaped like a catalog purchase's (the offer as
    its one ``tier``, no add-ons, no questions) so every reader of snapshots works as is."""
    project = terms.project
    return {
        "project_id": project.pk,
        "project_title": project.title,
        "category": project.category.slug if project.category_id else "",
        "purchase_mode": "offer",
        # Offers count delivery days in the freelancer's working days (SPEC section 3).
        "delivery_in_working_days": True,
        "tier": {
            "id": None,
            "name": "Custom offer",
            "description": terms.scope,
            "price_minor": terms.price,
            "delivery_days": terms.delivery_days,
            "revisions": terms.revisions,
            "deliverables": [],
        },
        "addons": [],
        "questions": [],
        "requirements": terms.requirements,
        "offer": {
            "id": terms.offer_id,
            "quote_request_id": terms.quote_request_id,
            "scope": terms.scope,
            "price_minor": terms.price,
            "delivery_days": terms.delivery_days,
            "revisions": terms.revisions,
            "milestones": terms.milestones,
            "files": list(terms.files),
        },
        "price_minor": terms.price,
        "fee_minor": fee,
    }


# --- person transitions that need the processor -------------------------------------------

# What a processor says when a hold can no longer be captured: the request ends, no fault.
HOLD_GONE = frozenset({"authorization_expired", "authorization_voided"})


def contract_transition(
    *, contract_id: int, name: str, actor: engine.Actor, payload: dict[str, Any] | None = None
) -> Contract:
    """Fire a person's transition on a contract: the one door for the web and the API.

    Most transitions are just ``engine.apply_transition``. One that takes the client's
    money from a card hold (``Transition.capture``: ``accept``) first captures it at the
    processor, outside any transaction, the way purchases charge (``_fire_capturing``).
    Raises what ``apply_transition`` raises, and for those: ``Conflict(code="hold_expired")``
    when the processor says the hold is gone (the request is then ended by ``expire_hold``,
    no fault) and ``PaymentProviderError`` (502) when it fails otherwise (nothing changed).
    """
    payload = dict(payload or {})
    t = process.BY_NAME.get(name)
    if t is None or not t.capture:
        return engine.apply_transition(
            contract_id=contract_id, name=name, actor=actor, payload=payload
        )
    return _fire_capturing(contract_id=contract_id, name=name, actor=actor, payload=payload)


def _fire_capturing(
    *, contract_id: int, name: str, actor: engine.Actor, payload: dict[str, Any]
) -> Contract:
    """Capture the contract's card hold, then fire ``name`` with the capture.

    1. The transition is checked first without the lock (who, state): a refused call never
       reaches the processor.
    2. The processor captures the whole hold. Its reference derives from the contract, so a
       retried call replays the first capture instead of taking the money twice.
    3. The transition posts the hold into escrow under the contract's lock.

    Between 2 and 3 the contract may move on (the client withdrew a moment earlier; the
    request window closed): the transition then answers the usual 409, and the capture is
    given back by a refund recorded durably before the 409 leaves (``_undo_capture``).

    A request ``charged_up_front`` (made before requests held the card) has nothing to
    capture: its money is in escrow, and the transition fires at once.
    """
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    engine.transition_precheck(contract, name=name, actor=actor, payload=payload)
    if contract.charged_up_front:
        # A request made before requests held the card: its money is in escrow already.
        return engine.apply_transition(
            contract_id=contract.pk, name=name, actor=actor, payload=payload
        )
    amount = contract.escrow_total_minor
    from fairlance.payments.provider import get_provider

    capture = get_provider().capture(
        authorization_ref=contract.authorization_ref,
        amount_minor=amount,
        reference=actions.capture_reference(contract.pk),
    )
    if not capture.ok:
        if capture.error_code in HOLD_GONE:
            _end_request_without_hold(contract.pk, provider_code=capture.error_code or "")
        raise PaymentProviderError(
            capture.message or "The card processor did not capture the payment.",
            provider_code=capture.error_code or "",
        )
    try:
        return engine.apply_transition(
            contract_id=contract.pk,
            name=name,
            actor=actor,
            payload={**payload, actions.CAPTURED_REF: capture.provider_ref},
        )
    except Conflict as exc:
        if exc.code == "transition_not_available":
            _undo_capture(contract.pk, capture.provider_ref or "", amount)
        # Any other failure leaves the capture for a retry of the same call (a replay at
        # the processor) or, should the contract end without it, for the reconciler.
        raise


def _end_request_without_hold(contract_id: int, *, provider_code: str) -> None:
    """The processor will not capture the hold: end the request (``expire_hold``, no fault)
    and answer with the reason, or with the usual 409 if the contract moved on already."""
    engine.apply_transition(
        contract_id=contract_id, name="expire_hold", actor=engine.SYSTEM, payload={}
    )
    raise Conflict(
        "The client's card hold expired before you accepted, so the request ended. "
        "Nothing was charged and no one is at fault; both of you were told.",
        code="hold_expired",
        state=process.CANCELLED,
        provider_code=provider_code,
    )


def capture_kept(capture_ref: str | OuterRef) -> Q:
    """The contracts that keep the processor capture ``capture_ref``, or may still keep it.

    A contract keeps a capture once ``accept`` posted it into escrow (``charge_ref`` names
    it), and may still keep it while it waits on the request (an accept retried with the
    contract's capture reference replays the capture and posts it). Any other capture of a
    contract's hold is owed back to the card. Both undos of a capture decide by this one
    rule: an accept refused after its capture (``_undo_capture``) and the reconciler, for
    an accept that died (``purchase_charges_reconcile``).
    """
    return Q(charge_ref=capture_ref) | Q(state__in=sorted(HOLD_STATES))


def _undo_capture(contract_id: int, capture_ref: str, amount: int) -> None:
    """Refund a capture whose transition was refused, unless its contract kept it, through a
    durable refund intent.

    A refused accept does not mean its capture is nobody's: two clicks on Accept both
    capture with the contract's reference (the processor answers the second with the
    first's capture), one of them posts it and the other is refused. So the decision is
    taken under the contract's row lock, after whatever refused this accept has committed,
    by the reconciler's rule (``capture_kept``); the capture is refunded only if the
    contract did not keep it. The intent is committed before the caller's 409 goes out
    and executed right after (and by the worker if that fails). Its reference is the one
    the reconciler uses for an orphan capture, so however many times this runs (a retried
    accept replays the same capture), the card gets the money back once.
    """
    from fairlance.payments.models import ProviderIntent
    from fairlance.payments.services import intent_record

    reference = f"{actions.capture_reference(contract_id)}:undo"
    kept = ExpressionWrapper(capture_kept(capture_ref), output_field=BooleanField())
    try:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().filter(pk=contract_id)
            if locked.values_list(kept, flat=True).first():
                logger.info("contract %s kept the capture of a refused accept", contract_id)
                return
            intent_record(
                kind=ProviderIntent.Kind.REFUND,
                reference=reference,
                payment_ref=capture_ref,
                amount_minor=amount,
                contract_id=contract_id,
                now=timezone.now(),
            )
    except IntegrityError:
        logger.info("the capture of contract %s is already being refunded", contract_id)


# --- orphans ---------------------------------------------------------------------------------

# How far back the worker looks; older orphans are left to an operator (logged each run).
ORPHAN_CHARGE_LOOKBACK = timedelta(days=2)
# Attempt rows are kept this long after they settled: past the retention of the
# Idempotency-Key claims (a day) that could run them again, and the lookback above.
ATTEMPT_RETENTION = ORPHAN_CHARGE_LOOKBACK


def purchase_charges_reconcile(
    *, now: datetime, limit: int = 200, lookback: timedelta = ORPHAN_CHARGE_LOOKBACK
) -> int:
    """Give back what purchases and accepts that died took, once no run can still decide.

    An orphan is a processor success that its purchase (or accept) neither kept nor
    undid, older than the Idempotency-Key lease (``core.idempotency.idempotency_lease``):
    by then a retry may take the claim over, and the worker may give it up. Run by the
    worker every few seconds; anything is given back within a minute of a crash.

    - A purchase attempt still in flight (its process died between taking the slot and
      the end of its transaction): the slot goes back, and the charge is refunded or the
      hold voided if the processor took one. Not while a retry that took its claim over
      runs it: that run decides. The claim of a given-up attempt is deleted, so the key's
      next retry is a new attempt rather than a replay of the payment given back.
    - A purchase's charge or hold with no attempt row in flight that nothing kept or gave
      back (an attempt given up before its processor call returned, whose process then
      died; payments made before attempts had rows): refunded or voided the same way.
    - An ``accept``'s capture that its contract did not keep, once the contract is no
      longer waiting on the request (the accept lost to a withdrawal, or died): refunded.
      While the contract is still requested the capture is left alone: retrying the
      accept replays it and keeps it (``capture_kept``, the rule ``_undo_capture`` uses).

    Each undo uses the reference its own undo would have used (``<reference>:undo``), so
    one that did happen is replayed by the provider, never repeated. Attempts in flight are
    all looked at (a partial index holds only them); payments only if made within
    ``lookback`` (at most ``ORPHAN_CHARGE_LOOKBACK``: older ones are left to an operator),
    so a frequent look can stay small. Returns how many were given back.
    """
    older_than = now - idempotency_lease()
    since = now - min(lookback, ORPHAN_CHARGE_LOOKBACK)
    done = _attempts_reconcile(older_than=older_than, now=now, limit=limit)
    done += _payments_reconcile(older_than=older_than, since=since, now=now, limit=limit)
    done += _captures_reconcile(older_than=older_than, since=since, limit=limit)
    return done


def _attempts_reconcile(*, older_than: datetime, now: datetime, limit: int) -> int:
    stale = PurchaseAttempt.objects.filter(
        state=PurchaseAttempt.State.IN_FLIGHT, created_at__lt=older_than
    ).order_by("created_at")[:limit]
    done = 0
    for row in stale:
        if not idempotency_attempt_abandon(attempt=row.attempt, now=now):
            continue
        payment = _payment_of(row.reference)
        if _attempt_give_back(reference=row.reference, project_id=row.project_id, payment=payment):
            logger.warning(
                "gave back purchase attempt %s (slot%s): its process never finished",
                row.reference,
                f" and {payment.ref}" if payment is not None else "",
            )
            done += 1
    return done


def _payment_of(reference: str) -> _Payment | None:
    """The charge or hold the processor made for the purchase attempt ``reference``."""
    from fairlance.payments.models import PaymentAttempt

    found = (
        PaymentAttempt.objects.filter(
            reference=reference,
            ok=True,
            kind__in=(PaymentAttempt.Kind.CHARGE, PaymentAttempt.Kind.AUTHORIZE),
        )
        .values_list("provider_ref", "amount_minor", "kind")
        .first()
    )
    if found is None:
        return None
    ref, amount, kind = found
    return _Payment(ref=ref or "", amount=amount, held=kind == PaymentAttempt.Kind.AUTHORIZE)


def _undone() -> Exists:
    """A successful refund or void of the payment ``provider_ref`` (the outer row)."""
    from fairlance.payments.models import PaymentAttempt

    return Exists(
        PaymentAttempt.objects.filter(
            kind__in=(PaymentAttempt.Kind.REFUND, PaymentAttempt.Kind.VOID),
            ok=True,
            charge_ref=OuterRef("provider_ref"),
        )
    )


def _window(older_than: datetime, since: datetime) -> dict[str, Any]:
    from fairlance.payments.provider import get_provider

    return {
        "ok": True,
        "provider": get_provider().name,
        "created_at__lt": older_than,
        "created_at__gte": since,
    }


def _payments_reconcile(*, older_than: datetime, since: datetime, now: datetime, limit: int) -> int:
    from fairlance.payments.models import PaymentAttempt, ProviderIntent
    from fairlance.payments.services import intent_execute, intent_record_once

    payments = (
        PaymentAttempt.objects.filter(
            kind__in=(PaymentAttempt.Kind.CHARGE, PaymentAttempt.Kind.AUTHORIZE),
            reference__startswith="purchase:",
            **_window(older_than, since),
        )
        .exclude(
            Exists(
                Contract.objects.filter(
                    Q(charge_ref=OuterRef("provider_ref"))
                    | Q(authorization_ref=OuterRef("provider_ref"))
                )
            )
        )
        # In flight: the attempt's own reconciliation above. Kept: its contract has it.
        .exclude(
            Exists(
                PurchaseAttempt.objects.filter(reference=OuterRef("reference")).exclude(
                    state=PurchaseAttempt.State.GIVEN_BACK
                )
            )
        )
        .exclude(
            Exists(
                ProviderIntent.objects.filter(
                    reference=Concat(OuterRef("reference"), Value(":undo"))
                )
            )
        )
        .exclude(_undone())
        .order_by("created_at")
    )
    done = 0
    for payment in payments[:limit]:
        if not idempotency_attempt_abandon(
            attempt=_attempt_of_reference(payment.reference), now=now
        ):
            continue
        held = payment.kind == PaymentAttempt.Kind.AUTHORIZE
        intent_id = intent_record_once(
            kind=ProviderIntent.Kind.VOID if held else ProviderIntent.Kind.REFUND,
            reference=f"{payment.reference}:undo",
            payment_ref=payment.provider_ref or "",
            amount_minor=payment.amount_minor,
            now=timezone.now(),
        )
        if intent_id is not None:
            status = intent_execute(intent_id=intent_id, attempts=0)
            done += _logged_undo(payment, status == ProviderIntent.Status.DONE, str(status))
    return done


def _captures_reconcile(*, older_than: datetime, since: datetime, limit: int) -> int:
    from fairlance.payments.models import PaymentAttempt
    from fairlance.payments.provider import get_provider

    captures = (
        PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.CAPTURE, **_window(older_than, since)
        )
        .exclude(
            Exists(
                Contract.objects.filter(
                    capture_kept(OuterRef("provider_ref")), authorization_ref=OuterRef("charge_ref")
                )
            )
        )
        .exclude(_undone())
        .order_by("created_at")
    )
    provider = get_provider()
    done = 0
    for attempt in captures[:limit]:
        result = provider.refund(
            charge_ref=attempt.provider_ref or "",
            amount_minor=attempt.amount_minor,
            reference=f"{attempt.reference}:undo",
        )
        done += _logged_undo(attempt, result.ok, result.message)
    return done


def _logged_undo(attempt: Any, ok: bool, message: str) -> int:
    if ok:
        logger.warning(
            "gave back %s %s: what took it never finished", attempt.kind, attempt.provider_ref
        )
        return 1
    logger.error("could not undo orphan %s %s: %s", attempt.kind, attempt.provider_ref, message)
    return 0


def purchase_attempts_purge(*, now: datetime) -> int:
    """Delete attempt rows settled longer than ``ATTEMPT_RETENTION`` ago; returns how many."""
    deleted, _ = (
        PurchaseAttempt.objects.filter(created_at__lt=now - ATTEMPT_RETENTION)
        .exclude(state=PurchaseAttempt.State.IN_FLIGHT)
        .delete()
    )
    return deleted
