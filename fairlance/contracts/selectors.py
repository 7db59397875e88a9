"""Reads on contracts; ``access_contract`` is the one door to a contract by id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from fairlance.contracts.models import Contract, ContractEvent, Delivery, DeliveryFile
from fairlance.core.errors import NotFound

# Database ids are 64-bit; a bigger number in a URL cannot name anything (and would make
# the database driver raise instead of finding nothing).
MAX_ID = 2**63 - 1


def valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def access_contract(*, user: Any, contract_id: int, for_update: bool = False) -> Contract:
    """The contract if ``user`` is its client, its freelancer or an operator.

    Everyone else gets ``NotFound``, exactly as for an id that does not exist, so ids
    reveal nothing. Operators read everything; what they may *do* is up to the engine.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not valid_id(contract_id):
        raise NotFound()
    qs = Contract.objects.select_related("client", "freelancer", "freelancer__calendar")
    if not getattr(user, "is_operator", False):
        qs = qs.filter(Q(client=user) | Q(freelancer=user))
    if for_update:
        qs = qs.select_for_update()
    contract = qs.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def contracts_of_user(
    *, user: Any, role: str | None = None, state: str | None = None
) -> QuerySet[Contract]:
    """The user's contracts as client and/or freelancer, newest first."""
    if role == "client":
        qs = Contract.objects.filter(client=user)
    elif role == "freelancer":
        qs = Contract.objects.filter(freelancer=user)
    else:
        qs = Contract.objects.filter(Q(client=user) | Q(freelancer=user))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("client", "freelancer").order_by("-id")


def contract_events(*, contract: Contract) -> QuerySet[ContractEvent]:
    return contract.events.select_related("actor").order_by("seq")


def contract_deliveries(*, contract: Contract) -> list[Delivery]:
    """The contract's deliveries in order, each with its files' uploads.

    Two queries (one when there is no delivery yet), whatever the number of files.
    """
    files = Prefetch("files", queryset=DeliveryFile.objects.select_related("upload"))
    return list(contract.deliveries.order_by("number").prefetch_related(files))


@dataclass(frozen=True)
class OpenDispute:
    """One row of the operators' dispute queue."""

    contract: Contract
    opened_by: str  # "client" | "freelancer"
    opened_at: datetime | None
    reason: str
    escrow_minor: int


def disputes_open() -> list[OpenDispute]:
    """Contracts in dispute, the longest-waiting first, with the opener's reason.

    Three queries whatever the queue's length: contracts, their latest ``open_dispute``
    events and the escrow balances (read from the ledger, which is the truth about money).
    """
    from fairlance.ledger.accounts import escrow
    from fairlance.ledger.models import LedgerAccount

    contracts = list(
        Contract.objects.filter(state="disputed")
        .select_related("client", "freelancer")
        .order_by("dispute_opened_at", "id")
    )
    ids = [c.pk for c in contracts]
    reasons: dict[int, str] = {}
    # Ascending seq: the latest opening of each contract wins (a dispute may be withdrawn
    # and opened again).
    for contract_id, data in (
        ContractEvent.objects.filter(contract_id__in=ids, name="open_dispute")
        .order_by("contract_id", "seq")
        .values_list("contract_id", "data")
    ):
        reasons[contract_id] = str((data or {}).get("reason", ""))
    held = dict(
        LedgerAccount.objects.filter(name__in=[escrow(i) for i in ids]).values_list(
            "name", "balance"
        )
    )
    return [
        OpenDispute(
            contract=c,
            opened_by=c.dispute_opened_by,
            opened_at=c.dispute_opened_at,
            reason=reasons.get(c.pk, ""),
            escrow_minor=int(held.get(escrow(c.pk), 0)),
        )
        for c in contracts
    ]
