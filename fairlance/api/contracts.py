"""Contract endpoints: purchase, read contracts and their events, fire person transitions.

Thin by design: parse, call one domain function (``contract_purchase`` or
``contract_transition``), render. Who may do what is decided by ``access_contract`` (who may
see the contract) and the engine (who may fire which transition).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field, StrictInt

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.errors import problems
from fairlance.contracts import process
from fairlance.contracts.deadlines import open_clocks
from fairlance.contracts.engine import Actor, available_transitions, roles_of
from fairlance.contracts.models import Contract, ContractEvent, Delivery
from fairlance.contracts.selectors import (
    MAX_ID,
    access_contract,
    contract_events,
    contracts_of_user,
)
from fairlance.contracts.services import Purchase, contract_purchase, contract_transition
from fairlance.core.errors import InvalidInput, NotFound, field_error
from fairlance.core.idempotency import idempotent
from fairlance.core.money import currency, format_minor

router = Router(tags=["contracts"])

PAGE_SIZE = 20


class PurchaseIn(Schema):
    tier_id: int
    addon_ids: list[int] = Field(default_factory=list, max_length=20)
    answers: dict[str, Any] = Field(default_factory=dict)
    card_number: str = Field(max_length=40)


class TransitionIn(Schema):
    """Fields some transitions read; each transition ignores the ones it does not use."""

    answers: dict[str, Any] | None = None
    note: str | None = Field(None, max_length=5000)
    reason: str | None = Field(None, max_length=5000)
    amount_minor: StrictInt | None = None
    freelancer_percent: StrictInt | None = None
    fault: str | None = Field(None, max_length=20)


class PartialRefundIn(Schema):
    amount_minor: StrictInt
    note: str = Field("", max_length=5000)


class ListQuery(Schema):
    role: str | None = Field(None, pattern="^(client|freelancer)$")
    state: str | None = Field(None, max_length=30)
    cursor: str | None = Field(None, max_length=20)


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _viewer_tz(user: User) -> str:
    calendar = getattr(user, "calendar", None)
    return str(calendar.time_zone) if calendar is not None else "UTC"


def _money(minor: int) -> dict[str, Any]:
    return {"minor": minor, "display": format_minor(minor)}


def contract_summary(contract: Contract, user: User) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "title": contract.title,
        "state": contract.state,
        "late": contract.late,
        "your_roles": roles_of(contract, user),
        "client_id": contract.client_id,
        "freelancer_id": contract.freelancer_id,
        "price_minor": contract.price_minor,
        "created_at": contract.created_at.isoformat(),
    }


def contract_detail(
    contract: Contract,
    user: User,
    *,
    deliveries: list[Delivery] | None = None,
    purchase: Purchase | None = None,
) -> dict[str, Any]:
    """The contract as its client, freelancer or an operator reads it.

    ``deliveries`` (with their files prefetched) is read from the database unless the
    caller already knows it (a contract just bought has none). For a contract just
    bought, ``purchase`` holds its timers and policy, which are then not read either.
    """
    now = timezone.now()
    if deliveries is None:
        deliveries = list(contract.deliveries.prefetch_related("files"))
    tz = _viewer_tz(user)
    price = contract.price_minor
    fee = contract.fee_minor
    body = contract_summary(contract, user)
    body.update(
        {
            "project_id": contract.project_id,
            "purchase_mode": contract.purchase_mode,
            "snapshot": contract.snapshot,
            "answers": contract.answers,
            "policy_version": contract.policy_version,
            "revisions_left": contract.revisions_left,
            "delivery_due_at": contract.delivery_due_at.isoformat()
            if contract.delivery_due_at
            else None,
            "previous_state": contract.previous_state or None,
            "dispute_opened_by": contract.dispute_opened_by or None,
            "outcome": contract.outcome,
            "ending": contract.ending,
            "fault": contract.fault,
            "ended_at": contract.ended_at.isoformat() if contract.ended_at else None,
            "money": {
                "currency": currency(),
                "client_pays": _money(price + contract.client_fee_minor),
                "price": _money(price),
                "freelancer_fee": _money(fee),
                "client_fee": _money(contract.client_fee_minor),
                "freelancer_receives": _money(price - fee),
                "refunded": _money(contract.refunded_minor),
            },
            "deadlines": [
                {
                    "name": c.name,
                    "at": c.at.isoformat(),
                    "local": c.local,
                    "explanation": c.explanation,
                }
                for c in open_clocks(
                    contract,
                    viewer_tz=tz,
                    now=now,
                    pending=purchase.timers if purchase is not None else None,
                )
            ],
            "available_transitions": available_transitions(
                contract, user, now=now, policy=purchase.policy if purchase is not None else None
            ),
            "deliveries": [
                {
                    "number": d.number,
                    "note": d.note,
                    "created_at": d.created_at.isoformat(),
                    "files": [{"name": f.name, "url": f.file.url} for f in d.files.all()],
                }
                for d in deliveries
            ],
        }
    )
    return body


def _event(e: ContractEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "name": e.name,
        "actor_role": e.actor_role,
        "actor_id": e.actor_id,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "data": e.data,
        "created_at": e.created_at.isoformat(),
    }


@router.post(
    "/projects/{project_id}/purchase",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Buy a project tier (accepts an Idempotency-Key header)",
    openapi_extra=problems(402, 409),
)
def purchase(request: HttpRequest, project_id: int, payload: PurchaseIn) -> HttpResponse:
    user = _caller(request)
    key = request.headers.get("Idempotency-Key")

    def run() -> HttpResponse:
        bought = contract_purchase(
            client=user,
            project_id=project_id,
            tier_id=payload.tier_id,
            addon_ids=payload.addon_ids,
            answers=payload.answers,
            card_number=payload.card_number,
            idempotency_key=key.strip() if key else None,
        )
        # The instance the purchase returns is the contract as committed (the engine saved
        # every field on it) with its client and freelancer loaded, and the buyer is its
        # client: re-reading it through access_contract would only cost a query. A new
        # contract has no deliveries, and its timers and policy are the purchase's, so
        # none of those is read either.
        return JsonResponse(
            contract_detail(bought.contract, user, deliveries=[], purchase=bought), status=201
        )

    # The card number is part of the fingerprint (a different card is a different
    # request) but only its hash is stored by ``idempotent``.
    params = payload.model_dump(mode="json")
    return idempotent(request, f"purchase:project:{project_id}", params, run)


@router.get("/contracts", response=dict, auth=REQUIRED_AUTH)
def list_contracts(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    user = _caller(request)
    qs = contracts_of_user(user=user, role=query.role, state=query.state)
    if query.cursor:
        # isdigit() alone accepts superscript and fullwidth digits, which int() refuses or misreads.
        if not (query.cursor.isascii() and query.cursor.isdigit()):
            raise InvalidInput(errors=[field_error("cursor", "Malformed cursor.")])
        qs = qs.filter(pk__lt=min(int(query.cursor), MAX_ID))
    rows = list(qs[: PAGE_SIZE + 1])
    page = rows[:PAGE_SIZE]
    return {
        "results": [contract_summary(c, user) for c in page],
        "next_cursor": str(page[-1].pk) if len(rows) > PAGE_SIZE else None,
    }


@router.get("/contracts/{contract_id}", response=dict, auth=REQUIRED_AUTH)
def get_contract(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = _caller(request)
    return contract_detail(access_contract(user=user, contract_id=contract_id), user)


@router.get("/contracts/{contract_id}/events", response=dict, auth=REQUIRED_AUTH)
def get_events(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = _caller(request)
    contract = access_contract(user=user, contract_id=contract_id)
    return {"results": [_event(e) for e in contract_events(contract=contract)]}


def _fire(
    request: HttpRequest, contract_id: int, name: str, payload: dict[str, Any]
) -> HttpResponse:
    user = _caller(request)
    # Visibility first: a stranger learns nothing, not even whether the transition exists.
    access_contract(user=user, contract_id=contract_id)
    t = process.BY_NAME.get(name)
    if t is None or not t.by_person:
        raise NotFound(f"There is no transition {name!r}.", code="unknown_transition")

    def run() -> HttpResponse:
        contract_transition(
            contract_id=contract_id, name=name, actor=Actor("person", user), payload=payload
        )
        contract = access_contract(user=user, contract_id=contract_id)
        return JsonResponse(contract_detail(contract, user), status=200)

    if t.money:
        return idempotent(request, f"contract:{contract_id}:{name}", payload, run)
    return run()


@router.post(
    "/contracts/{contract_id}/partial-refund",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Freelancer gives part of the price back (accepts an Idempotency-Key header)",
    openapi_extra=problems(403, 409),
)
def partial_refund(
    request: HttpRequest, contract_id: int, payload: PartialRefundIn
) -> HttpResponse:
    return _fire(request, contract_id, "partial_refund", payload.model_dump(exclude_unset=True))


@router.post(
    "/contracts/{contract_id}/deliveries",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Deliver with attachments (multipart: note, files); fires `deliver`",
    openapi_extra=problems(403, 409),
)
def deliver_with_files(
    request: HttpRequest,
    contract_id: int,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    note: Form[str] = "",
) -> HttpResponse:
    return _fire(request, contract_id, "deliver", {"note": note, "files": list(files or [])})


@router.post(
    "/contracts/{contract_id}/{transition}",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Fire a person transition (accept, decline, deliver, approve, ...)",
    openapi_extra=problems(400, 402, 403, 409, 413, 415, 502),
)
def fire_transition(
    request: HttpRequest, contract_id: int, transition: str, payload: TransitionIn | None = None
) -> HttpResponse:
    body = payload.model_dump(exclude_none=True) if payload is not None else {}
    return _fire(request, contract_id, transition.replace("-", "_")[:40], body)
