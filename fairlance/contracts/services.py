"""Buying a catalog project (``contract_purchase``) and the person transitions that need
the card processor (``contract_transition``).

The order of steps matters for money:

1. Everything that can be checked without writing is checked first (project available,
   tier and add-ons belong to it, requirements answers, card number shape), so bad input
   costs nothing.
2. The card is charged (instant mode) or authorized (request mode: a hold, nothing is
   taken until the freelancer accepts) *outside* the database transaction, so the payment
   attempts log keeps declined attempts and a slow processor never holds row locks.
3. One transaction then creates the contract with its snapshot, fires its first
   transition, books the money into escrow (or records the hold, a pending ledger entry)
   and, last, takes a capacity slot with a conditional UPDATE. If that fails — the last
   slot went to someone else a moment ago — the whole transaction rolls back and the
   charge is refunded (the hold voided) before the error is reported.

If the process dies between the processor call and the end of the transaction (a crash, a
kill), neither the contract nor the undo exists: ``purchase_charges_reconcile``, run by the
worker, refunds such charges and voids such holds once they are old enough that no purchase
can still be running. The same goes for an ``accept`` whose capture went through but whose
transition never committed.

Why the escrow entry and the slot come last: each takes a row lock held until the
commit, and other purchases queue on it — the ``world`` account's row (every purchase
and refund updates it) and the project's row (every buyer of that project). Taken at the
end, they are held for a few statements instead of the whole transition. The order
(ledger accounts, then the project) is also the order of every ending, which refunds or
releases escrow and then gives the slot back; a purchase that locked the project first
and ``world`` second could deadlock with a cancellation on the same project.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    prefetch_related_objects,
)
from django.utils import timezone

from fairlance.accounts.models import User, WorkingCalendar
from fairlance.catalog.models import Category, Project, ProjectStatus, RequirementQuestion, Tier
from fairlance.contracts import actions, deadlines, engine, process
from fairlance.contracts.models import HOLD_STATES, Contract, Milestone, Timer
from fairlance.contracts.process import INITIAL
from fairlance.contracts.selectors import valid_id
from fairlance.contracts.unit_of_work import CreationWrites
from fairlance.core.errors import Conflict, FairlanceError, InvalidInput, NotFound, field_error
from fairlance.core.money import percent_of
from fairlance.core.policy import Policy, policy_in_force
from fairlance.core.sql import ModelColumns, execute_prepared, insert_new, select_models

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


def _check_available(project: Project) -> None:
    from fairlance.catalog.selectors import project_availability

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
    its first transition armed), so the response needs to read neither.
    """

    contract: Contract
    policy: Policy
    timers: list[Timer]


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
    ``own_project``), ``InvalidInput`` for bad choices or answers and ``PaymentFailed``
    (402, code from the processor, e.g. ``card_declined``) when the card is refused.

    ``attempt`` names this purchase attempt (``core.idempotency.idempotent_attempt`` gives
    it for an ``Idempotency-Key``): the same value only when the same attempt runs again.
    None: a one-off attempt.
    """
    if not valid_id(project_id):
        raise NotFound()
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
    _check_available(project)

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

    from fairlance.payments.provider import get_provider, luhn_valid, normalize_card_number

    number = normalize_card_number(card_number or "")
    # isascii(): str.isdigit() also accepts superscript digits, which Luhn cannot read.
    if (
        not (number.isascii() and number.isdigit())
        or not 12 <= len(number) <= 19
        or not luhn_valid(number)
    ):
        raise InvalidInput(errors=[field_error("card_number", "Enter a valid card number.")])

    policy = policy_in_force()
    price = tier.price_minor + sum(a.price_minor for a in addons)
    fee = percent_of(price, policy.freelancer_fee_bp)
    client_fee = percent_of(price, policy.client_fee_bp)
    total = price + client_fee

    # The processor (the sandbox, like real ones) answers a reference it has seen with its
    # first success, so the reference names this attempt and nothing wider: the same when
    # the same attempt runs again (the processor dedupes it), never one an undone attempt
    # used (its charge was refunded: replayed, it would fund a contract with nothing) nor
    # one of another project (two contracts would share one charge). The attempt of an
    # Idempotency-Key is its claim, whose identity changes when a failed run frees the
    # key (see ``core.idempotency``); keys are scoped per project and the reference names
    # the project, so one key on two projects is two attempts.
    reference = f"purchase:{client.pk}:{project.pk}:{attempt or uuid.uuid4().hex}"[:200]
    provider = get_provider()
    # A request holds the money on the card while the freelancer decides; an instant
    # purchase takes it at once.
    pay = provider.authorize if request_mode else provider.charge
    payment = pay(amount_minor=total, card_number=number, reference=reference, payer_id=client.pk)
    if not payment.ok:
        raise PaymentFailed(payment.message, code=payment.error_code or "payment_failed")
    payment_ref = payment.provider_ref or ""

    try:
        with transaction.atomic():
            now = timezone.now()
            contract = Contract(
                client=client,
                freelancer=project.freelancer,
                project=project,
                snapshot=_snapshot(project, tier, addons, project_questions, price, fee),
                answers=clean,
                purchase_mode=project.purchase_mode,
                price_minor=price,
                fee_minor=fee,
                client_fee_minor=client_fee,
                charge_ref="" if request_mode else payment_ref,
                authorization_ref=payment_ref if request_mode else "",
                policy_version=policy.version,
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
                name="request" if request_mode else "purchase",
                actor=engine.Actor("client", client),
                payload={actions.BOOK_AT_END: True},
                now=now,
                policy=policy,
                writes=writes,
            )
            insert_new(Milestone(contract=contract, title=tier.name, amount_minor=price))
            # Files answered with the purchase are the contract's from now on.
            actions.attach_answer_files(contract, now)
            actions.escrow_open(contract)
            # Last, see the module docstring: the escrow entry (locks ``world``; a hold
            # locks nothing), then the capacity slot (locks the project), then the commit.
            # Capacity is never oversold: the conditional UPDATE re-checks the count under
            # the row lock, and a purchase that finds the project full rolls back the
            # contract and the ledger entry with it.
            if request_mode:
                actions.hold_book(contract)
            else:
                actions.capture_book(contract)
            if not _take_slot(project.pk):
                raise Conflict(
                    "This project is at full capacity; check back soon.", code="capacity_full"
                )
    except BaseException:
        # Nothing was committed: give the money back now (the reconciler's reference, so
        # whichever of the two comes second is a replay at the processor).
        if request_mode:
            provider.void(
                authorization_ref=payment_ref, amount_minor=total, reference=f"{reference}:undo"
            )
        else:
            provider.refund(
                charge_ref=payment_ref, amount_minor=total, reference=f"{reference}:undo"
            )
        raise
    return Purchase(contract, policy, writes.timers)


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

# A purchase request times out long before this; a charge this old whose purchase neither
# kept it nor refunded it belongs to a process that died in between.
ORPHAN_CHARGE_AFTER = timedelta(minutes=10)
# How far back the worker looks; older orphans are left to an operator (logged each run).
ORPHAN_CHARGE_LOOKBACK = timedelta(days=2)


def purchase_charges_reconcile(*, now: datetime, limit: int = 200) -> int:
    """Give back money the processor took or holds for work that never committed.

    Three kinds of orphans, each at least ``ORPHAN_CHARGE_AFTER`` old (so no call can still
    be running) and at most ``ORPHAN_CHARGE_LOOKBACK``:

    - a purchase's charge that no contract kept and nobody refunded: refunded;
    - a request's authorization that no contract kept and nobody voided: voided;
    - an ``accept``'s capture that its contract did not keep, once the contract is no
      longer waiting on the request (the accept lost to a withdrawal, or died): refunded.
      While the contract is still requested the capture is left alone: retrying the
      accept replays it and keeps it (``capture_kept``, the rule ``_undo_capture`` uses).

    Each undo uses the reference its own undo would have used (``<reference>:undo``), so
    one that did happen is replayed by the provider, never repeated. Returns how many
    were given back.
    """
    from fairlance.payments.models import PaymentAttempt
    from fairlance.payments.provider import get_provider

    provider = get_provider()
    window = {
        "ok": True,
        "provider": provider.name,
        "created_at__lt": now - ORPHAN_CHARGE_AFTER,
        "created_at__gte": now - ORPHAN_CHARGE_LOOKBACK,
    }
    undone = PaymentAttempt.objects.filter(
        kind__in=(PaymentAttempt.Kind.REFUND, PaymentAttempt.Kind.VOID),
        ok=True,
        charge_ref=OuterRef("provider_ref"),
    )
    charges = (
        PaymentAttempt.objects.filter(kind=PaymentAttempt.Kind.CHARGE, **window)
        .filter(reference__startswith="purchase:")
        .exclude(Exists(Contract.objects.filter(charge_ref=OuterRef("provider_ref"))))
        .exclude(Exists(undone))
    )
    holds = (
        PaymentAttempt.objects.filter(kind=PaymentAttempt.Kind.AUTHORIZE, **window)
        .filter(reference__startswith="purchase:")
        .exclude(Exists(Contract.objects.filter(authorization_ref=OuterRef("provider_ref"))))
        .exclude(Exists(undone))
    )
    captures = (
        PaymentAttempt.objects.filter(kind=PaymentAttempt.Kind.CAPTURE, **window)
        .exclude(
            Exists(
                Contract.objects.filter(
                    capture_kept(OuterRef("provider_ref")), authorization_ref=OuterRef("charge_ref")
                )
            )
        )
        .exclude(Exists(undone))
    )
    done = 0
    for attempt in list(charges.order_by("created_at")[:limit]) + list(
        captures.order_by("created_at")[:limit]
    ):
        result = provider.refund(
            charge_ref=attempt.provider_ref or "",
            amount_minor=attempt.amount_minor,
            reference=f"{attempt.reference}:undo",
        )
        done += _logged_undo(attempt, result.ok, result.message, "refunded")
    for attempt in holds.order_by("created_at")[:limit]:
        result = provider.void(
            authorization_ref=attempt.provider_ref or "",
            amount_minor=attempt.amount_minor,
            reference=f"{attempt.reference}:undo",
        )
        done += _logged_undo(attempt, result.ok, result.message, "voided")
    return done


def _logged_undo(attempt: Any, ok: bool, message: str, what: str) -> int:
    if ok:
        logger.warning(
            "%s %s %s: what took it never finished", what, attempt.kind, attempt.provider_ref
        )
        return 1
    logger.error("could not undo orphan %s %s: %s", attempt.kind, attempt.provider_ref, message)
    return 0
