"""Writes on the ledger. This module is the only code that creates entries and postings.

Every movement is a ``JournalEntry`` of ``Move``s (formance's postings): ``amount`` minor
units from ``source`` to ``destination``. Each move becomes two postings, ``-amount`` on the
source and ``+amount`` on the destination, so an entry sums to zero by construction.

``ledger_post`` moves money at once. ``ledger_hold`` records a pending entry (money promised,
not moved: a card authorization), which ``ledger_hold_post`` later posts (the capture) or
``ledger_hold_void`` releases, exactly once (see ``models``).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import BigIntegerField, Case, F, Value, When
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.core.errors import Conflict, InvalidInput, NotFound, field_error
from fairlance.core.money import MAX_PRICE_MINOR, format_minor
from fairlance.core.sql import insert_or_skip
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


# What an entry reads of the accounts it locks: the checks and the writes use no more.
_LOCKED_FIELDS = ("id", "name", "kind", "balance")


@functools.cache
def _select_for_update_sql(count: int, alias: str, lock_rows: bool = True) -> str:
    conn = connections[alias]
    qn = conn.ops.quote_name
    columns = ", ".join(qn(name) for name in _LOCKED_FIELDS)
    marks = ", ".join(["%s"] * count)
    lock = " FOR UPDATE" if conn.features.has_select_for_update and lock_rows else ""
    # Only quoted names from the model are formatted in; the names are parameters.
    return (
        f"SELECT {columns} FROM {qn(LedgerAccount._meta.db_table)} "  # noqa: S608
        f"WHERE {qn('name')} IN ({marks}) ORDER BY {qn('name')}{lock}"
    )


def _select_for_update(account_names: list[str], *, lock: bool = True) -> list[LedgerAccount]:
    """``select_for_update().filter(name__in=...).order_by("name")``, with the statement
    written once per number of accounts: every money movement runs it, and compiling the
    query cost the ORM three times the query's own time. Only ``_LOCKED_FIELDS`` are
    loaded (plain values on every database: no conversions needed). ``lock=False`` reads
    without locking (entries that change no balance)."""
    sql = _select_for_update_sql(len(account_names), connection.alias, lock)
    with connection.cursor() as cursor:
        cursor.execute(sql, account_names)
        rows = cursor.fetchall()
    return [LedgerAccount.from_db(connection.alias, _LOCKED_FIELDS, row) for row in rows]


def _new_account_rows(account_names: list[str]) -> list[dict[str, Any]]:
    """Column values of new, empty accounts (``insert_or_skip`` rows), kind from the name."""
    now = timezone.now()
    rows = []
    for name in account_names:
        parsed = names.parse_account(name)
        rows.append(
            {
                "name": name,
                "kind": parsed.kind,
                "user_id": parsed.user_id,
                "balance": 0,
                "created_at": now,
            }
        )
    return rows


def _lock_accounts(
    account_names: set[str], *, lock: bool = True
) -> tuple[dict[str, LedgerAccount], list[int]]:
    """Lock the named accounts in name order, creating the missing ones.

    Returns the accounts by name and the ids of the ones this call created. Two entries
    touching the same accounts take the row locks in the same order (Saleor's
    lock_objects), so they queue instead of deadlocking. The common case is one statement
    (every account exists); a new account (each contract's escrow) costs one INSERT, whose
    new row is already ours: no other transaction can see it before we commit. With
    ``lock=False`` the existing accounts are only read (an entry that changes no balance
    needs their ids, not their rows).
    """
    ordered = sorted(account_names)
    accounts = {a.name: a for a in _select_for_update(ordered, lock=lock)}
    missing = [name for name in ordered if name not in accounts]
    if not missing:
        return accounts, []
    rows = _new_account_rows(missing)
    created: list[int] = []
    # ON CONFLICT DO NOTHING instead of get_or_create: no savepoint per account, and an
    # account created by a concurrent transaction is waited for and skipped, not an error.
    for pk, name in insert_or_skip(LedgerAccount, rows, returning=("id", "name")):
        row = next(r for r in rows if r["name"] == name)
        account = LedgerAccount(pk=pk, **row)
        account._state.adding = False
        account._state.db = connection.alias
        accounts[name] = account
        created.append(pk)
    raced = [name for name in missing if name not in accounts]
    if raced:
        # Created and committed by another transaction since our SELECT: lock those now.
        for account in _select_for_update(raced, lock=lock):
            accounts[account.name] = account
    return accounts, created


def _post_legs(
    *,
    reference: str,
    memo: str,
    legs: dict[str, int],
    contract_id: int | None,
    reversal_of: JournalEntry | None = None,
    leg_order: Sequence[tuple[str, int]] | None = None,
    phase: str = JournalEntry.Phase.POSTED,
    resolves: JournalEntry | None = None,
) -> JournalEntry:
    """Write one entry whose per-account deltas are ``legs``; see ``ledger_post``.

    An entry in another ``phase`` than posted (a hold, or a hold's void) writes its
    postings but changes no balance: its accounts are neither locked nor checked.

    Every check comes before the first write that matters, so a refused entry leaves
    nothing behind and the caller's transaction stays usable without a savepoint (a
    savepoint costs two round trips, and this runs in every purchase):

    1. lock the accounts (creating missing ones);
    2. refuse a negative balance, computed from the balances read under the locks;
    3. insert the entry with ON CONFLICT DO NOTHING: no row back means the reference (or
       the reversal) exists already, and the accounts this call created are removed again;
    4. insert the postings, then update all balances in one statement (on PostgreSQL
       steps 3 and 4 are a single statement, ``_write_entry_postgres``).
    """
    if sum(legs.values()) != 0:
        raise ValueError("journal entry does not balance")
    if not connection.in_atomic_block:
        # Called on its own (a script, a test): the locks need a transaction to live in.
        with transaction.atomic():
            return _write_legs(
                reference, memo, legs, contract_id, reversal_of, leg_order, phase, resolves
            )
    return _write_legs(reference, memo, legs, contract_id, reversal_of, leg_order, phase, resolves)


def _write_legs(
    reference: str,
    memo: str,
    legs: dict[str, int],
    contract_id: int | None,
    reversal_of: JournalEntry | None,
    leg_order: Sequence[tuple[str, int]] | None,
    phase: str,
    resolves: JournalEntry | None,
) -> JournalEntry:
    moves_balances = phase == JournalEntry.Phase.POSTED
    accounts, created = _lock_accounts(set(legs), lock=moves_balances)
    for name in sorted(legs):
        account = accounts[name]
        after = account.balance + legs[name]
        if moves_balances and legs[name] and after < 0 and account.kind != LedgerAccount.Kind.WORLD:
            _drop_created(created)
            raise Conflict(
                f"Account {name} would go negative ({format_minor(after)}).",
                code="insufficient_funds",
                account=name,
            )
    now = timezone.now()
    row = {
        "reference": reference,
        "memo": memo[:300],
        "contract_id": contract_id,
        "reversal_of_id": reversal_of.pk if reversal_of is not None else None,
        "phase": phase,
        "resolves_id": resolves.pk if resolves is not None else None,
        "created_at": now,
    }
    postings = [
        (accounts[name].pk, amount) for name, amount in (leg_order or list(legs.items())) if amount
    ]
    changed = (
        {accounts[name].pk: delta for name, delta in legs.items() if delta}
        if moves_balances
        else {}
    )
    if connection.vendor == "postgresql" and changed:
        entry_id = _write_entry_postgres(row, postings, changed)
    else:
        entry_id = _write_entry(row, postings, changed)
    if entry_id is None:
        # Lost to an earlier (or concurrent, now committed) entry with this reference, or
        # with this hold to resolve.
        _drop_created(created)
        if resolves is not None and JournalEntry.objects.filter(resolves=resolves).exists():
            raise Conflict(
                f"The hold {resolves.reference!r} was already posted or voided.",
                code="hold_resolved",
            )
        raise Conflict(
            f"A journal entry with reference {reference!r} already exists.",
            code="duplicate_reference",
        )
    entry = JournalEntry(pk=entry_id, reversal_of=reversal_of, resolves=resolves, **row)
    entry._state.adding = False
    entry._state.db = connection.alias
    if moves_balances:
        for name, delta in legs.items():
            accounts[name].balance += delta
    return entry


def _write_entry(
    row: dict[str, Any], postings: list[tuple[int, int]], changed: dict[int, int]
) -> int | None:
    """Insert the entry (None if its reference exists), its postings, update balances."""
    inserted = insert_or_skip(JournalEntry, [row])
    if not inserted:
        return None
    entry_id = int(inserted[0][0])
    Posting.objects.bulk_create(
        [Posting(entry_id=entry_id, account_id=pk, amount=amount) for pk, amount in postings]
    )
    if not changed:  # moves that cancel out: postings, but no balance changes
        return entry_id
    # One UPDATE for all accounts, relative (balance + delta) under the row locks taken.
    LedgerAccount.objects.filter(pk__in=list(changed)).update(
        balance=F("balance")
        + Case(
            *[When(pk=pk, then=Value(delta)) for pk, delta in changed.items()],
            default=Value(0),
            output_field=BigIntegerField(),
        )
    )
    return entry_id


def _write_entry_postgres(
    row: dict[str, Any], postings: list[tuple[int, int]], changed: dict[int, int]
) -> int | None:
    """``_write_entry`` as one PostgreSQL statement (data-modifying CTEs).

    Three round trips become one, and they are made while the accounts' row locks are
    held (``world``'s by every purchase), so other transactions wait less. The postings
    and the balance updates only happen when the entry row was inserted (they read its
    id from ``entry``); the ledger's triggers and the deferred foreign keys check the
    result exactly as for separate statements.
    """
    qn = connection.ops.quote_name
    legs = ", ".join(["(%s::integer, %s::bigint, %s::bigint)"] * len(postings))
    deltas = ", ".join(["(%s::bigint, %s::bigint)"] * len(changed))
    # Only table and column names (from the models) are formatted in; values are parameters.
    sql = f"""
        WITH entry AS (
            INSERT INTO {qn(JournalEntry._meta.db_table)}
                (reference, memo, contract_id, reversal_of_id, phase, resolves_id, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT DO NOTHING
            RETURNING id
        ), legs (ord, account_id, amount) AS (
            VALUES {legs}
        ), posted AS (
            INSERT INTO {qn(Posting._meta.db_table)} (entry_id, account_id, amount)
            SELECT entry.id, legs.account_id, legs.amount
            FROM entry CROSS JOIN legs
            ORDER BY legs.ord
        ), moved AS (
            UPDATE {qn(LedgerAccount._meta.db_table)} AS account
            SET balance = account.balance + delta.amount
            FROM (VALUES {deltas}) AS delta (id, amount)
            WHERE account.id = delta.id AND EXISTS (SELECT 1 FROM entry)
        )
        SELECT id FROM entry
    """  # noqa: S608
    params: list[Any] = [
        row["reference"],
        row["memo"],
        row["contract_id"],
        row["reversal_of_id"],
        row["phase"],
        row["resolves_id"],
        row["created_at"],
    ]
    for ord_, (account_id, amount) in enumerate(postings):
        params.extend((ord_, account_id, amount))
    for account_id, delta in changed.items():
        params.extend((account_id, delta))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return int(found[0]) if found else None


def _drop_created(created: list[int]) -> None:
    # Accounts made for an entry that was then refused: remove them so a refusal writes
    # nothing (they have no postings yet, and no other transaction can see them).
    if created:
        LedgerAccount.objects.filter(pk__in=created).delete()


def ledger_accounts_open(*, account_names: Sequence[str]) -> None:
    """Create the named accounts that do not exist yet; existing ones are not touched.

    Optional: ``ledger_post`` creates missing accounts itself, but after it has locked the
    existing ones. A caller that knows an account is new (a new contract's escrow) opens it
    earlier in its transaction, before the shared accounts are locked, so those locks are
    held one statement less. Raises ``ValueError`` for a name outside the scheme.
    """
    rows = _new_account_rows(sorted(set(account_names)))
    insert_or_skip(LedgerAccount, rows)


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
    legs, order = _legs_of(postings)
    return _post_legs(
        reference=reference,
        memo=memo,
        legs=legs,
        contract_id=contract_id,
        leg_order=order,
    )


def _legs_of(postings: Sequence[Move]) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Per-account deltas of ``postings``, and the postings' legs in order."""
    legs: dict[str, int] = defaultdict(int)
    order: list[tuple[str, int]] = []
    for move in postings:
        legs[move.source] -= move.amount
        legs[move.destination] += move.amount
        order.append((move.source, -move.amount))
        order.append((move.destination, move.amount))
    return dict(legs), order


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
    if original.phase != JournalEntry.Phase.POSTED:
        raise Conflict(
            "Only posted entries are reversed; a hold is voided instead.", code="not_posted"
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


def ledger_hold(
    *,
    reference: str,
    memo: str,
    postings: Sequence[Move],
    contract_id: int | None = None,
) -> JournalEntry:
    """Record a pending entry: ``postings`` are promised (a card authorization), not made.

    The entry and its postings are written (they balance, as every entry's must) but no
    balance changes and no account is locked, so holds never queue on ``world``. Nothing
    is reserved either: the moves are checked like any entry's when the hold is posted.
    Later exactly one of ``ledger_hold_post`` or ``ledger_hold_void`` resolves it.
    Preconditions and errors as ``ledger_post`` (``reference`` unique, well-formed moves);
    the caller is inside the transaction of the change the hold belongs to.
    """
    _validate_moves(reference, postings)
    legs, order = _legs_of(postings)
    return _post_legs(
        reference=reference,
        memo=memo,
        legs=legs,
        contract_id=contract_id,
        leg_order=order,
        phase=JournalEntry.Phase.PENDING,
    )


def _open_hold(hold_reference: str) -> JournalEntry:
    hold = JournalEntry.objects.filter(reference=hold_reference).first()
    if hold is None:
        raise NotFound(f"No journal entry with reference {hold_reference!r}.")
    if hold.phase != JournalEntry.Phase.PENDING:
        raise ValueError(f"entry {hold_reference!r} is not a hold")
    if JournalEntry.objects.filter(resolves=hold).exists():
        raise Conflict(
            f"The hold {hold_reference!r} was already posted or voided.", code="hold_resolved"
        )
    return hold


def _resolve(
    *, hold_reference: str, reference: str, memo: str, phase: str, sign: int
) -> JournalEntry:
    if not reference or len(reference) > 200:
        raise ValueError("a journal entry needs a reference of 1..200 characters")
    hold = _open_hold(hold_reference)
    order = [
        (name, sign * amount)
        for name, amount in hold.postings.order_by("id").values_list("account__name", "amount")
    ]
    legs: dict[str, int] = defaultdict(int)
    for name, amount in order:
        legs[name] += amount
    return _post_legs(
        reference=reference,
        memo=memo,
        legs=dict(legs),
        contract_id=hold.contract_id,
        leg_order=order,
        phase=phase,
        resolves=hold,
    )


def ledger_hold_post(*, hold_reference: str, reference: str, memo: str) -> JournalEntry:
    """Make a hold's moves: a posted entry with the hold's postings, linked to it.

    Balances change now, under the accounts' locks, with the checks of ``ledger_post``
    (``insufficient_funds``; ``duplicate_reference``). Raises ``NotFound`` for an unknown
    hold, ``Conflict(code="hold_resolved")`` if it was posted or voided before (the
    database refuses a second resolution even from a concurrent transaction), and
    ``ValueError`` when the reference names an entry that is not a hold (a caller's bug).
    """
    return _resolve(
        hold_reference=hold_reference,
        reference=reference,
        memo=memo,
        phase=JournalEntry.Phase.POSTED,
        sign=1,
    )


def ledger_hold_void(*, hold_reference: str, reference: str, memo: str) -> JournalEntry:
    """Release a hold: a void entry with the hold's postings reversed, linked to it.

    No balance changes (none did for the hold). Errors as ``ledger_hold_post``.
    """
    return _resolve(
        hold_reference=hold_reference,
        reference=reference,
        memo=memo,
        phase=JournalEntry.Phase.VOID,
        sign=-1,
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
    # People read this message (the balance page shows it), so it speaks in money.
    in_words = f"Enter an amount between {format_minor(1)} and {format_minor(MAX_MOVE_MINOR)}."
    if not _is_amount(amount) or amount <= 0:
        raise InvalidInput(errors=[field_error("amount", in_words, "min_value")])
    if amount > MAX_MOVE_MINOR:
        raise InvalidInput(errors=[field_error("amount", in_words, "max_value")])
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
