"""Writes on the ledger. This module is the only code that creates entries and postings.

Every movement is a ``JournalEntry`` of ``Move``s (formance's postings): ``amount`` minor
units from ``source`` to ``destination``. Each move becomes two postings, ``-amount`` on the
source and ``+amount`` on the destination, so an entry sums to zero by construction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from fairlance.accounts.models import User
from fairlance.core.errors import Conflict, InvalidInput, NotFound, field_error
from fairlance.core.money import MAX_PRICE_MINOR, format_minor
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount, PendingClearance, Posting

# Far above any price; guards against a unit mix-up (major vs minor) becoming a posting.
MAX_MOVE_MINOR = 100 * MAX_PRICE_MINOR


@dataclass(frozen=True, slots=True)
class Move:
    """Move ``amount`` (minor units, > 0) from account ``source`` to ``destination``."""

    source: str
    destination: str
    amount: int


def _is_amount(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_moves(reference: str, postings: Sequence[Move]) -> None:
    # These are programming errors of the caller (the contracts engine), not user input,
    # so they raise ValueError rather than a 4xx error.
    if not reference or len(reference) > 200:
        raise ValueError("a journal entry needs a reference of 1..200 characters")
    if not postings:
        raise ValueError("a journal entry needs at least one move")
    for move in postings:
        if not _is_amount(move.amount) or move.amount <= 0 or move.amount > MAX_MOVE_MINOR:
            raise ValueError(f"move amount must be a positive int, got {move.amount!r}")
        if move.source == move.destination:
            raise ValueError(f"move from {move.source!r} to itself")
        names.parse_account(move.source)
        names.parse_account(move.destination)


def _account_for_name(name: str) -> LedgerAccount:
    parsed = names.parse_account(name)
    account, _ = LedgerAccount.objects.get_or_create(
        name=name, defaults={"kind": parsed.kind, "user_id": parsed.user_id}
    )
    return account


def _lock_accounts(account_names: set[str]) -> dict[str, LedgerAccount]:
    """Create missing accounts, then lock all of them in name order.

    Two entries touching the same accounts always take the row locks in the same order
    (Saleor's lock_objects), so they queue instead of deadlocking.
    """
    existing = set(
        LedgerAccount.objects.filter(name__in=account_names).values_list("name", flat=True)
    )
    for name in sorted(account_names - existing):
        # get_or_create runs in a savepoint and re-reads on IntegrityError, so two
        # transactions creating the same account at once both end up with the one row.
        _account_for_name(name)
    locked = LedgerAccount.objects.select_for_update().filter(name__in=account_names)
    return {a.name: a for a in locked.order_by("name")}


def _post_legs(
    *,
    reference: str,
    memo: str,
    legs: dict[str, int],
    contract_id: int | None,
    reversal_of: JournalEntry | None = None,
    leg_order: Sequence[tuple[str, int]] | None = None,
) -> JournalEntry:
    """Write one entry whose per-account deltas are ``legs``; see ``ledger_post``."""
    if sum(legs.values()) != 0:
        raise ValueError("journal entry does not balance")
    # The savepoint makes a refused entry leave nothing behind even when the caller
    # catches the error and carries on in its own transaction.
    with transaction.atomic():
        if JournalEntry.objects.filter(reference=reference).exists():
            raise Conflict(
                f"A journal entry with reference {reference!r} already exists.",
                code="duplicate_reference",
            )
        accounts = _lock_accounts(set(legs))
        for name, delta in legs.items():
            if delta:
                LedgerAccount.objects.filter(pk=accounts[name].pk).update(
                    balance=F("balance") + delta
                )
        # Check after applying, under the locks: only world may be negative.
        negative = list(
            LedgerAccount.objects.filter(pk__in=[a.pk for a in accounts.values()], balance__lt=0)
            .exclude(kind=LedgerAccount.Kind.WORLD)
            .values_list("name", "balance")
        )
        if negative:
            name, bal = negative[0]
            raise Conflict(
                f"Account {name} would go negative ({format_minor(bal)}).",
                code="insufficient_funds",
                account=name,
            )
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    reference=reference,
                    memo=memo[:300],
                    contract_id=contract_id,
                    reversal_of=reversal_of,
                )
        except IntegrityError as exc:
            # Lost a race with a concurrent entry of the same reference (or reversal).
            raise Conflict(
                f"A journal entry with reference {reference!r} already exists.",
                code="duplicate_reference",
            ) from exc
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account=accounts[name], amount=amount)
                for name, amount in (leg_order or list(legs.items()))
                if amount
            ]
        )
    return entry


def ledger_post(
    *,
    reference: str,
    memo: str,
    postings: Sequence[Move],
    contract_id: int | None = None,
) -> JournalEntry:
    """Record one balanced, immutable journal entry and update the account balances.

    Preconditions: the caller is inside ``transaction.atomic()`` together with the change
    the money belongs to (a contract transition), so both commit or neither does.

    - ``reference`` is unique across the ledger ("purchase:contract:12"); a repeat raises
      ``Conflict(code="duplicate_reference")`` — callers use it as an idempotency guard.
    - Each ``Move`` must have a positive int amount and two distinct, well-formed account
      names (see ``ledger.accounts``); otherwise ``ValueError`` (a programming error).
    - If any account other than ``world`` would end negative, raises
      ``Conflict(code="insufficient_funds")`` and nothing is written.

    Accounts are created on first use and locked in name order for the update.
    """
    _validate_moves(reference, postings)
    legs: dict[str, int] = defaultdict(int)
    order: list[tuple[str, int]] = []
    for move in postings:
        legs[move.source] -= move.amount
        legs[move.destination] += move.amount
        order.append((move.source, -move.amount))
        order.append((move.destination, move.amount))
    return _post_legs(
        reference=reference,
        memo=memo,
        legs=dict(legs),
        contract_id=contract_id,
        leg_order=order,
    )


def ledger_reverse(*, reference: str, original_reference: str, memo: str) -> JournalEntry:
    """Post the exact opposite of an earlier entry; the only way to correct the ledger.

    Raises ``NotFound`` if ``original_reference`` does not exist, ``Conflict`` with code
    ``already_reversed`` if it was reversed before or is itself a reversal, and
    ``Conflict(code="insufficient_funds")`` if the money has moved on since (for example a
    freelancer already paid it out). Caller is inside ``transaction.atomic()``.
    """
    original = JournalEntry.objects.filter(reference=original_reference).first()
    if original is None:
        raise NotFound(f"No journal entry with reference {original_reference!r}.")
    if original.reversal_of_id is not None:
        raise Conflict(
            "A reversing entry cannot be reversed; post a new entry.", code="already_reversed"
        )
    if JournalEntry.objects.filter(reversal_of=original).exists():
        raise Conflict(
            f"Entry {original_reference!r} was already reversed.", code="already_reversed"
        )
    order = [
        (name, -amount)
        for name, amount in original.postings.order_by("id").values_list("account__name", "amount")
    ]
    legs: dict[str, int] = defaultdict(int)
    for name, amount in order:
        legs[name] += amount
    if not reference or len(reference) > 200:
        raise ValueError("a journal entry needs a reference of 1..200 characters")
    return _post_legs(
        reference=reference,
        memo=memo,
        legs=dict(legs),
        contract_id=original.contract_id,
        reversal_of=original,
        leg_order=order,
    )


def clearance_schedule(
    *,
    user_id: int,
    amount: int,
    available_at: datetime,
    reference: str,
    contract_id: int | None = None,
) -> PendingClearance:
    """Record that ``amount`` in the user's pending account clears at ``available_at``.

    It moves no money: the caller has already posted the earnings into
    ``freelancer_pending(user_id)`` in the same transaction (the completion entry);
    ``clearance_release_due`` posts pending -> available later. ``reference`` is unique
    (use the completion entry's reference); a repeat raises ``Conflict``.
    """
    if not _is_amount(amount) or amount <= 0:
        raise ValueError("clearance amount must be a positive int")
    if not reference or len(reference) > 200:
        raise ValueError("a clearance needs a reference of 1..200 characters")
    try:
        with transaction.atomic():
            return PendingClearance.objects.create(
                user_id=user_id,
                amount=amount,
                available_at=available_at,
                reference=reference,
                contract_id=contract_id,
            )
    except IntegrityError as exc:
        raise Conflict(
            f"A clearance with reference {reference!r} already exists.",
            code="duplicate_reference",
        ) from exc


def _release_one(*, now: datetime) -> bool:
    """Release the oldest due clearance in its own transaction; False when none is due."""
    with transaction.atomic():
        due = PendingClearance.objects.filter(
            released_entry__isnull=True, blocked_reason="", available_at__lte=now
        ).order_by("available_at", "id")
        # Several workers share the queue: each skips rows another one is releasing.
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        row = due.first()
        if row is None:
            return False
        try:
            entry = ledger_post(
                reference=f"clear:{row.pk}",
                memo=f"Funds cleared ({row.reference})",
                postings=[
                    Move(
                        names.freelancer_pending(row.user_id),
                        names.freelancer_available(row.user_id),
                        row.amount,
                    )
                ],
                contract_id=row.contract_id,
            )
        except Conflict as exc:
            # Recorded, not retried forever: an operator has to look at this one.
            row.blocked_reason = f"{exc.code}: {exc.detail}"[:300]
            row.save(update_fields=["blocked_reason"])
            return True
        row.released_entry = entry
        row.save(update_fields=["released_entry"])
        return True


def clearance_release_due(*, now: datetime, limit: int = 500) -> int:
    """Move every clearance due at ``now`` from pending to available; returns how many.

    Each clearance is released in its own transaction and entry (reference
    ``clear:<id>``), so a problem with one does not hold up the others, and two workers
    running this at once release each clearance exactly once. Must not be called inside an
    outer transaction if other workers are to share the load.
    """
    released = 0
    while released < limit and _release_one(now=now):
        released += 1
    return released


def payout_request(*, user: User, amount: int) -> JournalEntry:
    """Pay ``amount`` of the user's available balance out to them (available -> world).

    Raises ``InvalidInput`` (field ``amount``) unless 0 < amount <= the maximum, and
    ``Conflict(code="insufficient_funds")`` when it exceeds the available balance at the
    moment of posting (checked under the account lock, so two concurrent payouts cannot
    overdraw).
    """
    user_id = int(user.pk)
    if not _is_amount(amount) or amount <= 0:
        raise InvalidInput(
            errors=[field_error("amount", "Enter a positive amount in minor units.", "min_value")]
        )
    if amount > MAX_MOVE_MINOR:
        raise InvalidInput(errors=[field_error("amount", "The amount is too large.", "max_value")])
    account = names.freelancer_available(user_id)
    with transaction.atomic():
        try:
            return ledger_post(
                reference=f"payout:{user_id}:{uuid.uuid4().hex}",
                memo=f"Payout of {format_minor(amount)}",
                postings=[Move(account, names.WORLD, amount)],
            )
        except Conflict as exc:
            if exc.code != "insufficient_funds":
                raise
            available = (
                LedgerAccount.objects.filter(name=account).values_list("balance", flat=True).first()
                or 0
            )
            raise Conflict(
                f"You can pay out at most {format_minor(available)}.",
                code="insufficient_funds",
                available=available,
            ) from exc
