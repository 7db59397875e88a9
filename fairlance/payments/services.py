"""Giving money back to cards: intents recorded in a transaction, carried out after it.

A refund or the release of a hold is decided inside a contract transition, under the
contract's lock, next to the ledger entry that moves the money. Calling the processor there
would be wrong twice: a rollback after the call would forget a refund that happened, and a
slow processor would hold the lock. So the transition only records a ``ProviderIntent``
(``intent_record``) in its transaction, and the call is made after the commit:

- at once, by an on-commit callback of the transaction that recorded it (a person's click
  or a worker batch);
- by the worker (``intents_execute_due``) for any intent still pending ``INTENT_DELAY``
  after it was recorded or after its last attempt (a crashed process, a processor outage),
  with backoff, until ``INTENT_MAX_ATTEMPTS`` attempts leave it ``failed`` for an operator.

Each attempt sends the intent's own unique reference, so a processor that already did the
work replays its first answer instead of refunding twice (real processors' idempotency keys;
the sandbox's replay by reference). Two executors never call for the same attempt at the
same time: an attempt is taken with a conditional UPDATE on ``attempts`` that also pushes
``next_attempt_at`` forward, a lease that expires by itself if the process dies.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fairlance.core.sql import insert_new, insert_or_skip
from fairlance.payments.models import ProviderIntent
from fairlance.payments.provider import ProviderResult, get_provider

logger = logging.getLogger(__name__)

# The worker leaves a fresh intent to the on-commit call this long, and waits at least this
# long after a failed attempt before trying again (doubling each time, up to the cap).
INTENT_DELAY = timedelta(seconds=30)
INTENT_MAX_DELAY = timedelta(hours=1)
# About half a day of retries with that backoff before an operator is asked to look.
INTENT_MAX_ATTEMPTS = 16
# A void that finds its hold captured is done, not failed: the capture belongs to an
# ``accept`` that lost the race with this void's transition, and that capture is refunded by
# its own undo (``contract:N:capture:undo``), by the accept or by the reconciler.
_VOID_SETTLED_ELSEWHERE = frozenset({"already_captured"})


def _backoff(attempts: int) -> timedelta:
    """How long after attempt number ``attempts`` (1 = the first) the next one may start."""
    return min(INTENT_DELAY * 2 ** max(attempts - 1, 0), INTENT_MAX_DELAY)


def intent_record(
    *,
    kind: str,
    reference: str,
    payment_ref: str,
    amount_minor: int,
    contract_id: int | None,
    now: datetime,
) -> ProviderIntent:
    """Record that ``amount_minor`` goes back to the card (``kind`` refund, ``payment_ref``
    a charge or capture) or that a hold is released (``kind`` void, ``payment_ref`` the
    authorization), and call the processor once the caller's transaction commits.

    Preconditions: inside the transaction of the decision (a contract transition), next to
    its ledger entry; ``reference`` is unique (derive it from the contract and the event
    sequence) and ``amount_minor`` positive. A rollback of the caller's transaction (or of
    its savepoint, in a worker batch) removes the intent and its callback together.
    """
    intent = ProviderIntent(
        kind=kind,
        reference=reference,
        payment_ref=payment_ref,
        amount_minor=amount_minor,
        contract_id=contract_id,
        status=ProviderIntent.Status.PENDING,
        attempts=0,
        next_attempt_at=now + INTENT_DELAY,
        created_at=now,
    )
    insert_new(intent)
    # robust: a failing call must not turn the committed transition into an error; the
    # intent stays pending and the worker retries it.
    transaction.on_commit(partial(intent_execute, intent_id=intent.pk, attempts=0), robust=True)
    return intent


def intent_record_once(
    *,
    kind: str,
    reference: str,
    payment_ref: str,
    amount_minor: int,
    now: datetime,
) -> int | None:
    """Record an intent to give back a payment no contract has (a purchase's charge or
    hold), unless one with ``reference`` exists; returns the new intent's id, or None.

    For several deciders that may each find the same payment to give back (a purchase's
    own undo, a retry of it, the worker): the unique ``reference`` makes them record it
    once, without an error that would abort the caller's transaction. Unlike
    ``intent_record``, nothing runs on commit: the caller, outside any transaction once
    it has committed, calls ``intent_execute(intent_id=..., attempts=0)`` itself, and the
    worker retries it if that fails.
    """
    inserted = insert_or_skip(
        ProviderIntent,
        [
            {
                "kind": kind,
                "reference": reference,
                "payment_ref": payment_ref,
                "amount_minor": amount_minor,
                "contract_id": None,
                "status": ProviderIntent.Status.PENDING,
                "attempts": 0,
                "next_attempt_at": now + INTENT_DELAY,
                "provider_ref": "",
                "error_code": "",
                "message": "",
                "created_at": now,
                "done_at": None,
            }
        ],
    )
    return int(inserted[0][0]) if inserted else None


def _call(intent: ProviderIntent) -> ProviderResult:
    provider = get_provider()
    if intent.kind == ProviderIntent.Kind.VOID:
        return provider.void(
            authorization_ref=intent.payment_ref,
            amount_minor=intent.amount_minor,
            reference=intent.reference,
        )
    return provider.refund(
        charge_ref=intent.payment_ref, amount_minor=intent.amount_minor, reference=intent.reference
    )


def intent_execute(*, intent_id: int, attempts: int) -> str | None:
    """Make attempt number ``attempts + 1`` of a pending intent; returns its new status.

    Returns None without calling anyone when the intent is no longer pending or another
    executor took this attempt first. Precondition: outside any transaction, so the
    processor call holds no row lock (the attempts log row is written in autocommit).
    """
    now = timezone.now()
    taken = ProviderIntent.objects.filter(
        pk=intent_id, status=ProviderIntent.Status.PENDING, attempts=attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + _backoff(attempts + 1))
    if not taken:
        return None
    intent = ProviderIntent.objects.get(pk=intent_id)
    try:
        result = _call(intent)
    except Exception as exc:  # a real processor's network error: retried like a refusal
        logger.exception("payment intent %s: the provider call raised", intent.reference)
        result = ProviderResult(False, None, "provider_error", f"{type(exc).__name__}: {exc}")
    return _record_outcome(intent, result, attempt=attempts + 1)


def _record_outcome(intent: ProviderIntent, result: ProviderResult, *, attempt: int) -> str:
    settled = intent.kind == ProviderIntent.Kind.VOID and result.error_code in (
        _VOID_SETTLED_ELSEWHERE
    )
    if result.ok or settled:
        status = ProviderIntent.Status.DONE
    elif attempt >= INTENT_MAX_ATTEMPTS:
        status = ProviderIntent.Status.FAILED
        logger.error(
            "payment intent %s failed after %s attempts: %s",
            intent.reference,
            attempt,
            result.message,
        )
    else:
        status = ProviderIntent.Status.PENDING
        logger.warning(
            "payment intent %s: attempt %s failed (%s)",
            intent.reference,
            attempt,
            result.error_code,
        )
    ProviderIntent.objects.filter(pk=intent.pk, attempts=attempt).update(
        status=status,
        provider_ref=(result.provider_ref or "")[:100],
        error_code=(result.error_code or "")[:40],
        message=result.message[:300] if not result.ok else "",
        done_at=timezone.now() if status == ProviderIntent.Status.DONE else None,
    )
    return str(status)


def intents_execute_due(*, now: datetime, limit: int = 200) -> int:
    """Attempt every pending intent whose time has come at ``now``; returns how many were
    attempted (by this call). Run by the worker on every pass, outside any transaction."""
    due = list(
        ProviderIntent.objects.filter(
            status=ProviderIntent.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", "attempts")[:limit]
    )
    attempted = 0
    for intent_id, attempts in due:
        if intent_execute(intent_id=intent_id, attempts=attempts) is not None:
            attempted += 1
    return attempted
