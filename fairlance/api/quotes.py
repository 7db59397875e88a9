"""Quote requests and custom offers (SPEC section 9, "Quotes and offers").

Thin like the other routers: parse, call one ``quotes.services`` function, render. Who may
see what is ``quotes.selectors`` (404 for everyone else); who may do what is decided by the
service (403 with a stable code).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import AwareDatetime, ConfigDict, Field

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.clients import client_card_json
from fairlance.api.contracts import contract_detail
from fairlance.api.errors import problems
from fairlance.api.openapi import FILE_DOWNLOAD, WholeInt, bounds, text_field
from fairlance.contracts.payload import PARAGRAPH, REQUIRED_PARAGRAPH
from fairlance.contracts.selectors import MAX_ID, client_card
from fairlance.core.idempotency import idempotent_attempt
from fairlance.core.money import format_minor
from fairlance.files.kinds import RULES, Purpose
from fairlance.files.models import Upload
from fairlance.files.responses import upload_response
from fairlance.quotes import services
from fairlance.quotes.models import Offer, QuoteRequest
from fairlance.quotes.selectors import (
    access_offer,
    access_quote_file,
    access_quote_request,
    quote_requests_of_user,
)

router = Router(tags=["quotes"])

PAGE_SIZE = 50
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Paragraph = Annotated[str, text_field(PARAGRAPH)]
Minor = Annotated[WholeInt, bounds(1, services.MAX_PRICE_MINOR)]


class QuoteRequestIn(Schema):
    """``need`` says what the client wants (required); ``budget_minor``,
    ``wished_date`` and ``files`` (ids of the caller's ``quote`` uploads, from
    ``POST /uploads``) are optional."""

    model_config = ConfigDict(extra="forbid")

    need: Paragraph
    budget_minor: Minor | None = None
    wished_date: date | None = None
    files: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=RULES[Purpose.QUOTE].max_files
    )


class MilestoneIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=200)]
    amount_minor: Minor
    delivery_days: Annotated[WholeInt, bounds(1, services.MAX_DELIVERY_DAYS)]


class OfferIn(Schema):
    """A custom offer. ``milestones`` (optional, at most 10) must add up to
    ``price_minor``; without them the offer is one milestone. ``expires_at`` is within
    30 days."""

    model_config = ConfigDict(extra="forbid")

    scope: Paragraph
    price_minor: Minor
    delivery_days: Annotated[WholeInt, bounds(1, services.MAX_DELIVERY_DAYS)]
    revisions: Annotated[WholeInt, bounds(0, services.MAX_REVISIONS)] = 0
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=services.MAX_MILESTONES)
    expires_at: AwareDatetime


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Paragraph = ""


class RequiredReasonIn(Schema):
    """Declining a quote request tells the client why: the reason is required."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, text_field(REQUIRED_PARAGRAPH)]


class AcceptIn(Schema):
    """The card that pays the offer's price (as for a purchase)."""

    model_config = ConfigDict(extra="forbid")

    card_number: str = Field(
        pattern=r"^[0-9 -]*$", max_length=40, description="12 to 19 digits (spaces allowed)"
    )


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _your_role(qr: QuoteRequest, user: User) -> str:
    if user.pk == qr.client_id:
        return "client"
    if user.pk == qr.freelancer_id:
        return "freelancer"
    return "operator"


def offer_json(offer: Offer, user: User, now: datetime) -> dict[str, Any]:
    qr = offer.quote_request
    status = offer.status_at(now)
    role = _your_role(qr, user)
    actions: list[str] = []
    if status == "open":
        actions = {"client": ["accept", "decline"], "freelancer": ["withdraw"]}.get(role, [])
    return {
        "id": offer.pk,
        "quote_request_id": offer.quote_request_id,
        "status": status,
        "scope": offer.scope,
        "price": {"minor": offer.price_minor, "display": format_minor(offer.price_minor)},
        "delivery_days": offer.delivery_days,
        "delivery_in_working_days": True,
        "revisions": offer.revisions,
        "milestones": offer.milestones,
        "expires_at": offer.expires_at.isoformat(),
        "decline_reason": offer.decline_reason or None,
        "contract_id": offer.contract_id,
        "available_actions": actions,
        "created_at": offer.created_at.isoformat(),
    }


def _file(qr: QuoteRequest, upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.public_id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "url": reverse(
            "api:quote_request_file",
            kwargs={"request_id": qr.pk, "file_id": str(upload.public_id)},
        ),
    }


def quote_request_json(
    qr: QuoteRequest, user: User, *, now: datetime, detail: bool = False
) -> dict[str, Any]:
    role = _your_role(qr, user)
    body: dict[str, Any] = {
        "id": qr.pk,
        "project_id": qr.project_id,
        "project_title": qr.project.title,
        "client_id": qr.client_id,
        "freelancer_id": qr.freelancer_id,
        "your_role": role,
        "status": qr.status,
        "need": qr.need,
        "budget_minor": qr.budget_minor,
        "wished_date": qr.wished_date.isoformat() if qr.wished_date else None,
        "decline_reason": qr.decline_reason or None,
        "created_at": qr.created_at.isoformat(),
        "offers": [offer_json(o, user, now) for o in qr.offers.all()],
        "files": [_file(qr, upload) for upload in qr.uploads.all()],
    }
    if detail and role in ("freelancer", "operator"):
        # The freelancer prices the work knowing who the client is (docs/trust.md).
        body["client_card"] = client_card_json(client_card(client_id=qr.client_id))
    return body


@router.post(
    "/projects/{project_id}/quote-requests",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Ask the project's freelancer for a quote",
    openapi_extra=problems(409),
)
def create_quote_request(
    request: HttpRequest, project_id: int, payload: QuoteRequestIn
) -> HttpResponse:
    user = _caller(request)
    qr = services.quote_request_create(
        client=user,
        project_id=project_id,
        need=payload.need,
        budget_minor=payload.budget_minor,
        wished_date=payload.wished_date,
        files=payload.files,
    )
    qr = access_quote_request(user=user, request_id=qr.pk)
    return JsonResponse(quote_request_json(qr, user, now=timezone.now()), status=201)


@router.get("/quote-requests", response=dict, auth=REQUIRED_AUTH, summary="My quote requests")
def list_quote_requests(request: HttpRequest) -> dict[str, Any]:
    user = _caller(request)
    now = timezone.now()
    rows = list(quote_requests_of_user(user=user)[:PAGE_SIZE])
    return {"results": [quote_request_json(qr, user, now=now) for qr in rows]}


@router.get("/quote-requests/{request_id}", response=dict, auth=REQUIRED_AUTH)
def get_quote_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    user = _caller(request)
    qr = access_quote_request(user=user, request_id=request_id)
    return quote_request_json(qr, user, now=timezone.now(), detail=True)


@router.get(
    "/quote-requests/{request_id}/files/{file_id}",
    auth=REQUIRED_AUTH,
    url_name="quote_request_file",
    summary="Download a file attached to a quote request",
    description=(
        "For the request's client and freelancer (and operators); 404 for anyone else. "
        "Served like a contract's files: always a download, never a type a browser runs."
    ),
    openapi_extra=FILE_DOWNLOAD,
)
def download_quote_file(request: HttpRequest, request_id: int, file_id: str) -> FileResponse:
    upload = access_quote_file(user=_caller(request), request_id=request_id, file_id=file_id)
    return upload_response(upload)


@router.post(
    "/quote-requests/{request_id}/offers",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Answer a quote request with a custom offer (the freelancer)",
    openapi_extra=problems(403, 409),
)
def send_offer(request: HttpRequest, request_id: int, payload: OfferIn) -> HttpResponse:
    user = _caller(request)
    offer = services.offer_send(
        freelancer=user,
        request_id=request_id,
        scope=payload.scope,
        price_minor=payload.price_minor,
        delivery_days=payload.delivery_days,
        revisions=payload.revisions,
        expires_at=payload.expires_at,
        milestones=[
            services.MilestoneIn(m.title, m.amount_minor, m.delivery_days)
            for m in payload.milestones
        ],
    )
    offer = access_offer(user=user, offer_id=offer.pk)
    return JsonResponse(offer_json(offer, user, timezone.now()), status=201)


@router.post(
    "/quote-requests/{request_id}/decline",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Decline a quote request with a reason (the freelancer)",
    openapi_extra=problems(403, 409),
)
def decline_quote_request(
    request: HttpRequest, request_id: int, payload: RequiredReasonIn
) -> dict[str, Any]:
    user = _caller(request)
    services.quote_request_decline(freelancer=user, request_id=request_id, reason=payload.reason)
    qr = access_quote_request(user=user, request_id=request_id)
    return quote_request_json(qr, user, now=timezone.now(), detail=True)


@router.get("/offers/{offer_id}", response=dict, auth=REQUIRED_AUTH)
def get_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    user = _caller(request)
    return offer_json(access_offer(user=user, offer_id=offer_id), user, timezone.now())


@router.post(
    "/offers/{offer_id}/accept",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Accept and pay an offer (the client; accepts an Idempotency-Key header); "
    "returns the contract",
    openapi_extra=problems(402, 403, 409, 503),
)
def accept_offer(request: HttpRequest, offer_id: int, payload: AcceptIn) -> HttpResponse:
    user = _caller(request)

    def run(attempt: str | None) -> HttpResponse:
        bought = services.offer_accept(
            client=user, offer_id=offer_id, card_number=payload.card_number, attempt=attempt
        )
        if bought.recovered:
            return JsonResponse(contract_detail(bought.contract, user), status=201)
        return JsonResponse(
            contract_detail(bought.contract, user, deliveries=[], purchase=bought), status=201
        )

    params = payload.model_dump(mode="json")
    return idempotent_attempt(request, f"offer:{offer_id}:accept", params, run)


@router.post(
    "/offers/{offer_id}/decline",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Decline an offer (the client)",
    openapi_extra=problems(403, 409),
)
def decline_offer(request: HttpRequest, offer_id: int, payload: ReasonIn) -> dict[str, Any]:
    user = _caller(request)
    offer = services.offer_decline(client=user, offer_id=offer_id, reason=payload.reason)
    return offer_json(access_offer(user=user, offer_id=offer.pk), user, timezone.now())


@router.post(
    "/offers/{offer_id}/withdraw",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Withdraw an open offer (the freelancer)",
    openapi_extra=problems(403, 409),
)
def withdraw_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    user = _caller(request)
    offer = services.offer_withdraw(freelancer=user, offer_id=offer_id)
    return offer_json(access_offer(user=user, offer_id=offer.pk), user, timezone.now())
