"""Money endpoints: the caller's balance, payout requests, and the operators' ledger views."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.errors import problems
from fairlance.api.openapi import WholeInt, bounds
from fairlance.core.errors import PermissionDenied
from fairlance.core.idempotency import idempotent
from fairlance.core.money import currency, format_minor
from fairlance.ledger.selectors import (
    accounts_with_balances,
    balances_for_user,
    ledger_check,
    upcoming_clearances,
)
from fairlance.ledger.services import MAX_MOVE_MINOR, payout_request

router = Router(tags=["money"])


class ClearanceOut(Schema):
    amount: int
    available_at: datetime
    reference: str


class BalanceOut(Schema):
    currency: str
    pending: int
    available: int
    pending_display: str
    available_display: str
    upcoming_clearances: list[ClearanceOut]


class PayoutIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: WholeInt = bounds(  # type: ignore[assignment]
        1,
        MAX_MOVE_MINOR,
        description="Minor units (cents) to pay out from the available balance.",
    )


class PayoutOut(Schema):
    reference: str
    amount: int
    currency: str
    created_at: datetime
    available: int


class AccountOut(Schema):
    name: str
    kind: str
    balance: int
    user_id: int | None


class BalancesPage(Schema):
    results: list[AccountOut]
    next_cursor: str | None


class BalancesQuery(Schema):
    prefix: str = Field("", max_length=100)
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(100, ge=1, le=500)


class CheckOut(Schema):
    ok: bool
    problems: list[str]


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _require_operator(request: HttpRequest) -> User:
    user = _caller(request)
    if not user.is_operator:
        raise PermissionDenied("Only operators may see the ledger.")
    return user


@router.get("/me/balance", response=BalanceOut, auth=REQUIRED_AUTH)
def my_balance(request: HttpRequest) -> BalanceOut:
    user = _caller(request)
    balances = balances_for_user(user.pk)
    return BalanceOut(
        currency=currency(),
        pending=balances["pending"],
        available=balances["available"],
        pending_display=format_minor(balances["pending"]),
        available_display=format_minor(balances["available"]),
        upcoming_clearances=[
            ClearanceOut(amount=c.amount, available_at=c.available_at, reference=c.reference)
            for c in upcoming_clearances(user_id=user.pk)
        ],
    )


@router.post(
    "/me/payouts",
    response={201: PayoutOut},
    auth=REQUIRED_AUTH,
    summary="Pay out from the available balance (accepts an Idempotency-Key header)",
    openapi_extra=problems(409),
)
def create_payout(request: HttpRequest, payload: PayoutIn) -> HttpResponse:
    user = _caller(request)

    def run() -> HttpResponse:
        # Range checks live in payout_request so that web and API refuse the same amounts.
        entry = payout_request(user=user, amount=payload.amount)
        out = PayoutOut(
            reference=entry.reference,
            amount=payload.amount,
            currency=currency(),
            created_at=entry.created_at,
            available=balances_for_user(user.pk)["available"],
        )
        return JsonResponse(out.model_dump(mode="json"), status=201)

    return idempotent(request, "payout", {"amount": payload.amount}, run)


@router.get(
    "/operator/ledger/balances",
    response=BalancesPage,
    auth=REQUIRED_AUTH,
    openapi_extra=problems(403),
)
def operator_balances(request: HttpRequest, query: Query[BalancesQuery]) -> BalancesPage:
    _require_operator(request)
    rows = accounts_with_balances(after=query.cursor, limit=query.limit + 1, prefix=query.prefix)
    page = rows[: query.limit]
    return BalancesPage(
        results=[
            AccountOut(name=a.name, kind=a.kind, balance=a.balance, user_id=a.user_id) for a in page
        ],
        next_cursor=page[-1].name if len(rows) > query.limit else None,
    )


@router.get(
    "/operator/ledger/check",
    response=CheckOut,
    auth=REQUIRED_AUTH,
    openapi_extra=problems(403),
)
def operator_check(request: HttpRequest) -> CheckOut:
    _require_operator(request)
    problems = ledger_check()
    return CheckOut(ok=not problems, problems=problems)
