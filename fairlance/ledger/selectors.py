"""Reads on the ledger: balances, upcoming clearances and the reconciliation check."""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypedDict

from django.apps import apps as django_apps
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce

from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount, PendingClearance


class UserBalances(TypedDict):
    pending: int
    available: int


def balance(account: str) -> int:
    """The stored balance of an account in minor units; 0 for an account never used."""
    value = LedgerAccount.objects.filter(name=account).values_list("balance", flat=True).first()
    return int(value or 0)


def balances_for_user(user_id: int) -> UserBalances:
    """A freelancer's ``{"pending": ..., "available": ...}`` in minor units."""
    pending_name = names.freelancer_pending(user_id)
    available_name = names.freelancer_available(user_id)
    rows = dict(
        LedgerAccount.objects.filter(name__in=[pending_name, available_name]).values_list(
            "name", "balance"
        )
    )
    return {
        "pending": int(rows.get(pending_name, 0)),
        "available": int(rows.get(available_name, 0)),
    }


def upcoming_clearances(*, user_id: int, limit: int = 50) -> QuerySet[PendingClearance]:
    """The user's clearances not yet released, soonest first."""
    return PendingClearance.objects.filter(user_id=user_id, released_entry__isnull=True).order_by(
        "available_at", "id"
    )[:limit]


def accounts_with_balances(
    *, after: str | None = None, limit: int = 100, prefix: str = ""
) -> list[LedgerAccount]:
    """Accounts ordered by name, for the operators' balances report (keyset on name)."""
    qs = LedgerAccount.objects.all().order_by("name")
    if prefix:
        qs = qs.filter(name__startswith=prefix)
    if after:
        qs = qs.filter(name__gt=after)
    return list(qs[:limit])


def entries_for_contract(*, contract_id: int) -> QuerySet[JournalEntry]:
    return (
        JournalEntry.objects.filter(contract_id=contract_id)
        .prefetch_related("postings__account")
        .order_by("id")
    )


@dataclass(frozen=True)
class ContractMoney:
    """Where a contract's money went, read from its journal entries (minor units).

    ``paid_in`` came from the client (world -> escrow); ``refunded`` went back to them
    (escrow -> world); ``to_freelancer`` reached the freelancer's pending account, net of
    the service fee; ``to_platform`` is every fee kept (the freelancer's service fee and
    the client's marketplace fee); ``held`` is what escrow holds now. ``on_hold`` is held
    on the client's *card* and not taken (a request's open authorization): it is in none
    of the other numbers, and becomes ``paid_in`` only if the hold is captured. Pages show
    these numbers instead of recomputing them from the contract's terms, so what a person
    reads is what the ledger did.
    """

    paid_in: int = 0
    refunded: int = 0
    to_freelancer: int = 0
    to_platform: int = 0
    held: int = 0
    on_hold: int = 0


def contracts_money(*, contract_ids: Collection[int]) -> dict[int, ContractMoney]:
    """``ContractMoney`` of each contract in ``contract_ids`` (one query; absent: zeros).

    Each posted posting is classified by its account's kind and sign: money leaving
    ``world`` was paid in, money arriving in ``world`` was refunded, money arriving in a
    freelancer's pending account or the platform's was released, and escrow's own postings
    sum to what it holds. A clearance (pending -> available) carries the contract id too,
    but only takes money *out* of pending, so it is not counted as released twice. Of the
    entries that moved nothing, only open holds count: what they promise escrow is
    ``on_hold`` (a posted or voided hold is in its resolving entry, or nowhere).
    """
    ids = sorted({int(i) for i in contract_ids})
    if not ids:
        return {}
    sums = _money_sums(_contract_postings(ids), "entry__contract_id")
    return {i: sums.get(i, ContractMoney()) for i in ids}


def money_totals_by(*, contract_ids: QuerySet[Any], group: Any) -> dict[Any, ContractMoney]:
    """``ContractMoney`` summed over many contracts, per value of ``group``, in one query.

    ``contract_ids`` is a query of contract ids (a subquery, however many there are) and
    ``group`` an expression over a posting that names its group, e.g. the client of the
    entry's contract: the client card sums a client's whole history without reading it.
    The ledger knows nothing about contracts; the caller says how they group.
    """
    postings = _contract_postings(contract_ids).annotate(money_group=group)
    return _money_sums(postings, "money_group")


def _contract_postings(contract_ids: Collection[int] | QuerySet[Any]) -> QuerySet[Any]:
    """The postings that make a contract's money: posted entries and open holds."""
    from fairlance.ledger.models import Posting

    phase = JournalEntry.Phase
    return Posting.objects.filter(entry__contract_id__in=contract_ids).filter(
        Q(entry__phase=phase.POSTED) | Q(entry__phase=phase.PENDING, entry__resolution__isnull=True)
    )


def _money_sums(postings: QuerySet[Any], key: str) -> dict[Any, ContractMoney]:
    """Classify ``postings`` (see ``contracts_money``), grouped by the value ``key``."""
    positive = Sum(Case(When(amount__gt=0, then=F("amount")), default=0))
    negative = Sum(Case(When(amount__lt=0, then=-F("amount")), default=0))
    rows = (
        postings.values(key, "entry__phase", "account__kind")
        .annotate(incoming=positive, outgoing=negative)
        .order_by()
    )
    sums: dict[Any, dict[str, int]] = {}
    for row in rows:
        out = sums.setdefault(row[key], {})
        kind, incoming, outgoing = row["account__kind"], int(row["incoming"]), int(row["outgoing"])
        if row["entry__phase"] == JournalEntry.Phase.PENDING:
            if kind == LedgerAccount.Kind.ESCROW:
                out["on_hold"] = out.get("on_hold", 0) + incoming - outgoing
            continue
        if kind == LedgerAccount.Kind.WORLD:
            out["paid_in"] = out.get("paid_in", 0) + outgoing
            out["refunded"] = out.get("refunded", 0) + incoming
        elif kind == LedgerAccount.Kind.FREELANCER_PENDING:
            out["to_freelancer"] = out.get("to_freelancer", 0) + incoming
        elif kind == LedgerAccount.Kind.PLATFORM:
            out["to_platform"] = out.get("to_platform", 0) + incoming
        elif kind == LedgerAccount.Kind.ESCROW:
            out["held"] = out.get("held", 0) + incoming - outgoing
    return {k: ContractMoney(**v) for k, v in sums.items()}


def contract_money(*, contract_id: int) -> ContractMoney:
    """``ContractMoney`` of one contract."""
    return contracts_money(contract_ids=[contract_id])[int(contract_id)]


@dataclass(frozen=True)
class _ContractStates:
    model: type
    final_states: frozenset[str]
    # States in which the client's money is a card hold, not escrow (``requested``).
    hold_states: frozenset[str]


def _contract_model() -> _ContractStates | None:
    # Looked up lazily: the ledger must work (and be tested) without the contracts app, and
    # the contracts app depends on the ledger, not the other way round.
    try:
        model = django_apps.get_model("contracts", "Contract")
    except (LookupError, ValueError):
        return None
    if not any(f.name == "state" for f in model._meta.get_fields()):
        return None
    module = sys.modules.get(model.__module__)

    def states(name: str, default: frozenset[str]) -> frozenset[str]:
        found = getattr(model, name, None) or getattr(module, name, None)
        return frozenset(str(s) for s in found) if found else default

    return _ContractStates(
        model=model,
        final_states=states("FINAL_STATES", frozenset({"completed", "cancelled"})),
        hold_states=states("HOLD_STATES", frozenset({"requested"})),
    )


def ledger_check() -> list[str]:
    """Reconcile the ledger; returns a list of problems in words (empty means clean).

    Checks: every entry has postings that sum to zero; each stored balance equals the sum
    of the account's *posted* postings (holds and voids move nothing); no account but
    ``world`` has a negative balance; every hold is resolved at most once, by an entry
    with exactly its postings (posted) or their opposite (void), and nothing else resolves
    anything; and, when the contracts app is installed, a contract in a final state has
    an empty escrow and no open hold, and a contract waiting on a request has exactly one
    open hold and an empty escrow (or, a request charged up front before requests held
    the card, no hold, a charge, and all its money in escrow). When the payments app is
    installed, every refund or void the worker gave up on is listed too: money owed to a
    card that an operator must see to.
    """
    problems: list[str] = []
    problems += _unbalanced_entries()
    problems += _balance_problems()
    problems += _hold_problems()
    contracts = _contract_model()
    if contracts is not None:
        problems += _contract_problems(contracts)
    problems += _failed_intents()
    return problems


def _unbalanced_entries() -> list[str]:
    problems = []
    unbalanced = (
        JournalEntry.objects.annotate(
            total=Coalesce(Sum("postings__amount"), 0), legs=Count("postings")
        )
        .filter(Q(legs=0) | ~Q(total=0))
        .values_list("reference", "total", "legs")
    )
    for reference, total, legs in unbalanced:
        if legs == 0:
            problems.append(f"entry {reference} has no postings")
        else:
            problems.append(f"entry {reference} does not balance: postings sum to {total}")
    return problems


def _balance_problems() -> list[str]:
    from fairlance.ledger.models import Posting

    problems = []
    # Every posting, less the few of holds and voids: summing only posted postings directly
    # would join each of the millions of postings to its entry.
    accounts = LedgerAccount.objects.annotate(total=Coalesce(Sum("postings__amount"), 0))
    unposted = dict(
        Posting.objects.exclude(entry__phase=JournalEntry.Phase.POSTED)
        .values("account_id")
        .annotate(sum=Sum("amount"))
        .order_by()
        .values_list("account_id", "sum")
    )
    for account in accounts.order_by("name"):
        posted = int(account.total) - int(unposted.get(account.pk) or 0)
        if account.balance != posted:
            problems.append(
                f"account {account.name}: stored balance {account.balance} "
                f"!= sum of posted postings {posted}"
            )
        if account.kind != LedgerAccount.Kind.WORLD and min(account.balance, posted) < 0:
            problems.append(f"account {account.name} is negative ({min(account.balance, posted)})")
    return problems


def _legs(entry_ids: list[int]) -> dict[int, dict[int, int]]:
    """Per entry, the sum of its postings per account id."""
    from fairlance.ledger.models import Posting

    legs: dict[int, dict[int, int]] = {}
    for start in range(0, len(entry_ids), 500):
        rows = (
            Posting.objects.filter(entry_id__in=entry_ids[start : start + 500])
            .values("entry_id", "account_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for row in rows:
            by_account = legs.setdefault(int(row["entry_id"]), {})
            by_account[int(row["account_id"])] = int(row["total"])
    return legs


def _hold_problems() -> list[str]:
    """Every resolution resolves a hold, with the hold's postings (or their opposite)."""
    problems = []
    phase = JournalEntry.Phase
    twice = (
        JournalEntry.objects.filter(resolves__isnull=False)
        .values("resolves__reference")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    for row in twice:
        problems.append(f"hold {row['resolves__reference']} is resolved {row['n']} times")
    resolutions = list(
        JournalEntry.objects.filter(resolves__isnull=False).values_list(
            "id", "reference", "phase", "resolves_id", "resolves__reference", "resolves__phase"
        )
    )
    legs = _legs(sorted({r[0] for r in resolutions} | {r[3] for r in resolutions}))
    for entry_id, reference, entry_phase, hold_id, hold_reference, hold_phase in resolutions:
        if hold_phase != phase.PENDING:
            problems.append(f"entry {reference} resolves {hold_reference}, which is not a hold")
            continue
        sign = 1 if entry_phase == phase.POSTED else -1
        expected = {account: sign * amount for account, amount in legs.get(hold_id, {}).items()}
        if legs.get(entry_id, {}) != expected:
            what = "posts" if entry_phase == phase.POSTED else "voids"
            problems.append(
                f"entry {reference} {what} hold {hold_reference} with other amounts than it held"
            )
    return problems


def _open_holds_by_contract() -> dict[int, int]:
    """Contract id -> how many open holds (pending entries not yet resolved) it has."""
    rows = (
        JournalEntry.objects.filter(
            phase=JournalEntry.Phase.PENDING,
            resolution__isnull=True,
            contract_id__isnull=False,
        )
        .values("contract_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {int(row["contract_id"] or 0): int(row["n"]) for row in rows}


def _contract_problems(contracts: _ContractStates) -> list[str]:
    problems = []
    manager = contracts.model._default_manager  # type: ignore[attr-defined]
    nonzero = {
        parsed.contract_id: bal
        for name, bal in LedgerAccount.objects.filter(kind=LedgerAccount.Kind.ESCROW)
        .exclude(balance=0)
        .values_list("name", "balance")
        if (parsed := names.parse_account(name)).contract_id is not None
    }
    holds = _open_holds_by_contract()
    final = set(contracts.final_states)
    if nonzero or holds:
        ended = manager.filter(pk__in=sorted(set(nonzero) | set(holds)), state__in=final)
        for contract_id in sorted(ended.values_list("pk", flat=True)):
            if contract_id in nonzero:
                problems.append(
                    f"contract {contract_id} is in a final state but its escrow holds "
                    f"{nonzero[contract_id]}"
                )
            if contract_id in holds:
                problems.append(
                    f"contract {contract_id} is in a final state but has an open card hold"
                )
    waiting = manager.filter(state__in=sorted(contracts.hold_states)).only(
        "pk", "state", "price_minor", "client_fee_minor", "charge_ref", "authorization_ref"
    )
    for contract in waiting.order_by("pk"):
        if getattr(contract, "charged_up_front", False):
            problems += _charged_up_front_problems(contract, holds, nonzero)
            continue
        contract_id, state = contract.pk, contract.state
        count = holds.get(contract_id, 0)
        if count != 1:
            problems.append(
                f"contract {contract_id} is {state} with {count} open card holds (expected 1)"
            )
        if contract_id in nonzero:
            problems.append(
                f"contract {contract_id} is {state} but its escrow holds {nonzero[contract_id]}"
            )
    return problems


def _charged_up_front_problems(
    contract: Any, holds: dict[int, int], nonzero: dict[int, int]
) -> list[str]:
    """A request made before requests held the card (``Contract.charged_up_front``): its
    money is in escrow, all of it, from the charge it names; it has no card hold."""
    problems = []
    contract_id, state = contract.pk, contract.state
    where = f"contract {contract_id} is {state}, charged up front,"
    if holds.get(contract_id, 0):
        problems.append(f"{where} with {holds[contract_id]} open card holds (expected 0)")
    held, total = nonzero.get(contract_id, 0), contract.escrow_total_minor
    if held != total:
        problems.append(f"{where} but its escrow holds {held} (expected {total})")
    if not contract.charge_ref:
        problems.append(f"{where} but names no charge")
    return problems


def _failed_intents() -> list[str]:
    # Looked up lazily, like the contracts: payments is not the ledger's dependency.
    try:
        model = django_apps.get_model("payments", "ProviderIntent")
    except (LookupError, ValueError):
        return []
    failed = model._default_manager.filter(status="failed").order_by("id")
    return [
        f"payment intent {intent.reference} ({intent.kind} of {intent.amount_minor} on "
        f"{intent.payment_ref}) failed after {intent.attempts} attempts: "
        f"{intent.error_code}: {intent.message}"
        for intent in failed
    ]
