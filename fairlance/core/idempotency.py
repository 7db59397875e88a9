"""Idempotency keys for money-moving API calls (Stripe's semantics, IETF httpapi draft).

A client that is unsure whether a request went through (a timeout, a dropped
connection) repeats it with the same ``Idempotency-Key`` header and gets the first
response back instead of paying twice.

Records are keyed by (user, scope, key) and hold a hash of the request parameters:

- no header: the handler just runs;
- a key longer than 255 characters (or empty): 400 ``idempotency_key_invalid``;
- first use: an ``in_progress`` row is inserted and COMMITTED before the handler runs (one
  autocommitted statement), so a concurrent duplicate sees it and gets 409
  ``idempotency_in_progress`` (with ``Retry-After``);
- the row holds a lease of ``FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS``: a duplicate arriving
  after it has run out takes the claim over and runs the handler again, as the same
  attempt (see below), because the process that claimed it has died (a kill, a crash)
  and would otherwise wedge the key until the purge;
- the handler's response (2xx and 4xx alike — a declined card replays as declined) is
  stored and later replayed with the header ``Idempotent-Replayed: true``;
- the same key with different parameters: 422 ``idempotency_key_reused``;
- the handler raised an unexpected exception or answered 5xx: the row is deleted so a
  retry can run again (nothing was stored that a retry would contradict).

A handler that calls a processor names the call after the *attempt*, not the key
(``idempotent_attempt``): the claim's identity stays the same if that claim is run again,
and is new once a failed run freed the key. A processor replays an earlier success with
the same reference, so a reference derived from the key alone would hand a retry the
money an earlier, undone attempt took and gave back.

The lease is not renewed while a handler runs, and need not be: a run that outlives it
(a processor that hangs) and the run that took over share the attempt, so the processor
gives both the same payment, and the handler's own domain decides once what becomes of
it (a purchase: ``contracts.services``, whose attempt row is kept by one contract or
given back, never both). The lease only decides who may *start* a run, and the run that
owns it is the one whose answer is stored (``lease_until`` is its fencing token): a run
overtaken by a takeover neither stores its answer nor frees the key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fairlance.core.errors import FairlanceError
from fairlance.core.models import IdempotencyRecord
from fairlance.core.sql import insert_or_skip

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Records are kept at least this long; idempotency_purge deletes older ones.
RETENTION = timedelta(hours=24)
# How an attempt of a claim is named (``idem:<record id>``).
ATTEMPT_PREFIX = "idem:"
DEFAULT_LEASE_SECONDS = 30


def idempotency_lease() -> timedelta:
    """How long a claim in progress is its run's alone (``FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS``).

    Long enough for any purchase that is still alive to finish (a processor call, a few
    statements), short enough that a retry after a crash runs within seconds. The worker
    gives back what a dead purchase took once it is older than this (``contracts.services.
    purchase_charges_reconcile``): no run that could still decide about it may start.
    """
    return timedelta(
        seconds=int(getattr(settings, "FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    )


def request_hash(params: dict[str, Any]) -> str:
    """A stable fingerprint of the parameters (key order does not matter)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _problem(status: int, code: str, title: str, detail: str) -> HttpResponse:
    # Imported lazily: core must not import the API layer at module load.
    from fairlance.api.errors import problem_response

    return problem_response(status=status, code=code, title=title, detail=detail)


def _error_response(exc: FairlanceError) -> HttpResponse:
    from fairlance.api.errors import problem_response

    return problem_response(
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        **exc.data,
    )


def _claim(*, user_id: int, scope: str, key: str, digest: str) -> tuple[IdempotencyRecord, bool]:
    """Insert the in-progress row (committed on return), take over one whose lease ran out,
    or fetch the existing one; True when the caller now owns the claim.

    One autocommitted ``INSERT ... ON CONFLICT DO NOTHING`` (no transaction, no savepoint:
    a lone statement commits by itself): a row back means ours. On PostgreSQL the insert
    waits for a concurrent claimant of the same key to commit, so the row is visible to the
    read that follows.
    """
    for _attempt in range(5):
        now = timezone.now()
        values = {
            "user_id": user_id,
            "scope": scope,
            "key": key,
            "request_hash": digest,
            "state": IdempotencyRecord.State.IN_PROGRESS,
            "status_code": None,
            "content_type": "",
            "body": "",
            "created_at": now,
            "completed_at": None,
            "lease_until": now + idempotency_lease(),
        }
        inserted = insert_or_skip(IdempotencyRecord, [values])
        if inserted:
            record = IdempotencyRecord(pk=inserted[0][0], **values)
            record._state.adding = False
            return record, True
        existing = IdempotencyRecord.objects.filter(user_id=user_id, scope=scope, key=key).first()
        if existing is None:
            # The other claimant failed and deleted its row between our insert and our
            # read: the key is free again, so claim it.
            continue
        if (
            existing.state == IdempotencyRecord.State.IN_PROGRESS
            and existing.request_hash == digest
            and existing.lease_until <= now
        ):
            if _take_over(existing, now):
                return existing, True
            # Another retry took it over, or its run finished, a moment ago: look again.
            continue
        return existing, False
    raise RuntimeError(f"could not claim Idempotency-Key {key!r} for {scope}")


def _take_over(record: IdempotencyRecord, now: datetime) -> bool:
    """Make ``record``, whose lease ran out at ``record.lease_until``, this run's claim.

    A compare-and-set on the lease: of several retries arriving together, one takes it.
    """
    lease_until = now + idempotency_lease()
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        lease_until=record.lease_until,
    ).update(lease_until=lease_until)
    if taken:
        record.lease_until = lease_until
    return bool(taken)


def _replay(record: IdempotencyRecord) -> HttpResponse:
    status = record.status_code or 200
    if 300 <= status < 400:
        # A redirect (web forms) has no body worth keeping; its target is stored instead.
        response = HttpResponse(status=status)
        response["Location"] = record.body
    else:
        response = HttpResponse(
            record.body, status=status, content_type=record.content_type or "application/json"
        )
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(
    request: HttpRequest,
    scope: str,
    params: dict[str, Any],
    handler: Callable[[], HttpResponse],
    *,
    key: str | None = None,
) -> HttpResponse:
    """Run ``handler`` at most once per (caller, ``scope``, ``Idempotency-Key``).

    ``idempotent_attempt`` for a handler that does not need to know the attempt.
    """
    return idempotent_attempt(request, scope, params, lambda _attempt: handler(), key=key)


def _attempt_id(record: IdempotencyRecord) -> str:
    # Record ids are never reused (AUTOINCREMENT on SQLite, a sequence on PostgreSQL), so
    # a claim made after a failed one deleted its row has an identity of its own.
    return f"{ATTEMPT_PREFIX}{record.pk}"


def _in_progress(record: IdempotencyRecord) -> HttpResponse:
    response = _problem(
        409,
        "idempotency_in_progress",
        "A request with this Idempotency-Key is in progress",
        "The first request with this key has not finished; retry shortly.",
    )
    # When a retry may take over the claim, should the first request never finish.
    wait = (record.lease_until - timezone.now()).total_seconds()
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def _release(record: IdempotencyRecord) -> None:
    """Free the key of a run that failed, unless a takeover made the claim another run's."""
    IdempotencyRecord.objects.filter(
        pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS, lease_until=record.lease_until
    ).delete()


def idempotent_attempt(
    request: HttpRequest,
    scope: str,
    params: dict[str, Any],
    handler: Callable[[str | None], HttpResponse],
    *,
    key: str | None = None,
) -> HttpResponse:
    """Run ``handler(attempt)`` at most once per (caller, ``scope``, ``Idempotency-Key``).

    ``attempt`` identifies this run's claim of the key (``idem:<record id>``): the same
    if this claim is ever run again (a retry after the lease of a claim whose process
    died), a new one once a failed run (a 5xx, an exception) freed the key and a retry
    claimed it anew. It is None when
    the call runs without a key (no header, an anonymous caller). A handler that calls a
    payment processor derives the call's reference from it, so the processor dedupes a
    re-run but never replays an earlier attempt's money to a new one.

    ``scope`` names the operation and its target ("payout", "purchase:project:12");
    ``params`` are the request's parsed parameters; ``handler`` does the work in its own
    transaction and returns the response. A ``FairlanceError`` raised by the handler is
    turned into its problem response and stored like any other 4xx.

    Precondition: called outside any transaction (not under ATOMIC_REQUESTS), because the
    in-progress claim must be committed before the handler runs for concurrent duplicates
    to see it. Anonymous callers get no idempotency (money-moving endpoints need a user).
    Web forms, which cannot send headers, pass the key from a hidden field as ``key``.
    """
    raw_key = key if key is not None else request.headers.get(HEADER)
    if raw_key is None:
        return handler(None)
    key = raw_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return _problem(
            400,
            "idempotency_key_invalid",
            "Invalid Idempotency-Key",
            f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} characters.",
        )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return handler(None)

    digest = request_hash(params)
    record, created = _claim(user_id=user.pk, scope=scope, key=key, digest=digest)
    if not created:
        if record.request_hash != digest:
            return _problem(
                422,
                "idempotency_key_reused",
                "Idempotency-Key reused with different parameters",
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request.",
            )
        if record.state == IdempotencyRecord.State.IN_PROGRESS:
            return _in_progress(record)
        return _replay(record)

    try:
        try:
            response = handler(_attempt_id(record))
        except FairlanceError as exc:
            response = _error_response(exc)
    except BaseException:
        _release(record)
        raise
    if response.status_code >= 500 or getattr(response, "streaming", False):
        _release(record)
        return response
    _complete(
        record,
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=(
            response["Location"]
            if 300 <= response.status_code < 400
            else response.content.decode("utf-8", errors="replace")
        ),
    )
    return response


def idempotency_key_use(*, user_id: int, scope: str, key: str, params: dict[str, Any]) -> str:
    """How ``key`` was used before: ``"new"``, ``"same"`` (with these ``params``: calling
    ``idempotent`` replays it) or ``"other"`` (with other params: it would answer 422).

    For web forms that must decide something before ``idempotent`` claims the key (a
    question to ask first) without asking it again on a replay.
    """
    digest = (
        IdempotencyRecord.objects.filter(user_id=user_id, scope=scope, key=key.strip())
        .values_list("request_hash", flat=True)
        .first()
    )
    if digest is None:
        return "new"
    return "same" if digest == request_hash(params) else "other"


_COMPLETED_FIELDS = ("state", "status_code", "content_type", "body", "completed_at")


@functools.cache
def _complete_statement(alias: str) -> tuple[str, tuple[Any, ...], Any]:
    meta = IdempotencyRecord._meta
    by_name = {f.name: f for f in meta.concrete_fields}
    fields = tuple(by_name[name] for name in _COMPLETED_FIELDS)
    lease = by_name["lease_until"]
    qn = connections[alias].ops.quote_name
    sets = ", ".join(f"{qn(str(f.column))} = %s" for f in fields)
    # Only quoted names from the model are formatted in; values are parameters.
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {sets} "  # noqa: S608
        f"WHERE {qn('id')} = %s AND {qn(str(lease.column))} = %s"
    )
    return sql, fields, lease


def _complete(record: IdempotencyRecord, *, status_code: int, content_type: str, body: str) -> None:
    """Store the response to replay, unless a takeover made the claim another run's.

    The UPDATE is written once: every idempotent request runs it, and the ORM compiled it
    each time for more CPU than the statement took.
    """
    sql, fields, lease = _complete_statement(connection.alias)
    values = (IdempotencyRecord.State.COMPLETED, status_code, content_type, body, timezone.now())
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    owner = lease.get_db_prep_save(record.lease_until, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, record.pk, owner])


def idempotency_attempt_abandon(*, attempt: str, now: datetime) -> bool:
    """Give up the claim ``attempt`` names if no run owns it any more; False if one does.

    For the worker, before it gives back what an attempt took: a claim in progress whose
    lease ran out at ``now`` is deleted, so the key's next retry claims anew, as a new
    attempt with references of its own (running this attempt again would have the
    processor replay the very payment being given back). While a run holds the lease
    (one that took the claim over is still deciding) the claim is left alone and this
    answers False: that run decides what becomes of the attempt's work. True for an
    attempt without a claim (``attempt`` not ``idem:<id>``: a call made without a key),
    or whose claim is finished or gone.
    """
    if not attempt.startswith(ATTEMPT_PREFIX):
        return True
    record_id = attempt.removeprefix(ATTEMPT_PREFIX)
    if not record_id.isdigit():
        return True
    claim = IdempotencyRecord.objects.filter(
        pk=int(record_id), state=IdempotencyRecord.State.IN_PROGRESS
    )
    # Deleting first, on the lease's condition, settles a race with a retry taking the
    # claim over (a compare-and-set on the same lease): one of the two finds it changed.
    claim.filter(lease_until__lte=now).delete()
    return not claim.exists()


def idempotency_purge(*, now: datetime) -> int:
    """Delete records older than the retention period; returns how many were deleted."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - RETENTION).delete()
    return deleted
