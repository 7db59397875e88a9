"""Reads on the ledger: balances, upcoming clearances and the reconciliation check."""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass
from typing import TypedDict

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
    the client's marketplace fee); ``held`` is what escrow holds now. Pages show these
    numbers instead of recomputing them from the contract's terms, so what a person reads
    is what the ledger did.
    """

    paid_in: int = 0
    refunded: int = 0
    to_freelancer: int = 0
    to_platform: int = 0
    held: int = 0

    @property
    def kept_by_client(self) -> int:
        """What the client paid and did not get back: released to freelancer and fees."""
        return self.paid_in - self.refunded - self.held


def contracts_money(*, contract_ids: Collection[int]) -> dict[int, ContractMoney]:
    """``ContractMoney`` of each contract in ``contract_ids`` (one query; absent: zeros).

    Each posting is classified by its account's kind and sign: money leaving ``world``
    was paid in, money arriving in ``world`` was refunded, money arriving in a freelancer's
    pending account or the platform's was released, and escrow's own postings sum to what
    it holds. A clearance (pending -> available) carries the contract id too, but only
    takes money *out* of pending, so it is not counted as released twice.
    """
    from fairlance.ledger.models import Posting

    ids = sorted({int(i) for i in contract_ids})
    if not ids:
        return {}
    positive = Sum(Case(When(amount__gt=0, then=F("amount")), default=0))
    negative = Sum(Case(When(amount__lt=0, then=-F("amount")), default=0))
    rows = (
        Posting.objects.filter(entry__contract_id__in=ids)
        .values("entry__contract_id", "account__kind")
        .annotate(incoming=positive, outgoing=negative)
        .order_by()
    )
    sums: dict[int, dict[str, int]] = {}
    for row in rows:
        out = sums.setdefault(int(row["entry__contract_id"] or 0), {})
        kind, incoming, outgoing = row["account__kind"], int(row["incoming"]), int(row["outgoing"])
        if kind == LedgerAccount.Kind.WORLD:
            out["paid_in"] = out.get("paid_in", 0) + outgoing
            out["refunded"] = out.get("refunded", 0) + incoming
        elif kind == LedgerAccount.Kind.FREELANCER_PENDING:
            out["to_freelancer"] = out.get("to_freelancer", 0) + incoming
        elif kind == LedgerAccount.Kind.PLATFORM:
            out["to_platform"] = out.get("to_platform", 0) + incoming
        elif kind == LedgerAccount.Kind.ESCROW:
            out["held"] = out.get("held", 0) + incoming - outgoing
    return {i: ContractMoney(**sums.get(i, {})) for i in ids}


def contract_money(*, contract_id: int) -> ContractMoney:
    """``ContractMoney`` of one contract."""
    return contracts_money(contract_ids=[contract_id])[int(contract_id)]


@dataclass(frozen=True)
class _FinalContracts:
    model: type
    final_states: frozenset[str]


def _contract_model() -> _FinalContracts | None:
    # Looked up lazily: the ledger must work (and be tested) without the contracts app, and
    # the contracts app depends on the ledger, not the other way round.
    try:
        model = django_apps.get_model("contracts", "Contract")
    except (LookupError, ValueError):
        return None
    if not any(f.name == "state" for f in model._meta.get_fields()):
        return None
    final = getattr(model, "FINAL_STATES", None)
    if not final:
        module = sys.modules.get(model.__module__)
        final = getattr(module, "FINAL_STATES", None)
    states = frozenset(str(s) for s in final) if final else frozenset({"completed", "cancelled"})
    return _FinalContracts(model=model, final_states=states)


def ledger_check() -> list[str]:
    """Reconcile the ledger; returns a list of problems in words (empty means clean).

    Checks: every entry has postings that sum to zero; no account but ``world`` has a
    negative balance; each stored balance equals the sum of the account's postings;
    clearances released are consistent; and, when the contracts app is installed, every
    contract in a final state has an empty escrow account.
    """
    problems: list[str] = []

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

    accounts = LedgerAccount.objects.annotate(posted=Coalesce(Sum("postings__amount"), 0))
    for account in accounts.order_by("name"):
        posted = int(account.posted)
        if account.balance != posted:
            problems.append(
                f"account {account.name}: stored balance {account.balance} "
                f"!= sum of postings {posted}"
            )
        if account.kind != LedgerAccount.Kind.WORLD and min(account.balance, posted) < 0:
            problems.append(f"account {account.name} is negative ({min(account.balance, posted)})")

    contracts = _contract_model()
    if contracts is not None:
        nonzero = {
            parsed.contract_id: bal
            for name, bal in LedgerAccount.objects.filter(kind=LedgerAccount.Kind.ESCROW)
            .exclude(balance=0)
            .values_list("name", "balance")
            if (parsed := names.parse_account(name)).contract_id is not None
        }
        if nonzero:
            final_ids = contracts.model._default_manager.filter(  # type: ignore[attr-defined]
                pk__in=list(nonzero), state__in=list(contracts.final_states)
            ).values_list("pk", flat=True)
            for contract_id in sorted(final_ids):
                problems.append(
                    f"contract {contract_id} is in a final state but its escrow holds "
                    f"{nonzero[contract_id]}"
                )
    return problems
