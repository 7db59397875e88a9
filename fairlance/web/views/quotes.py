"""Quote request and offer pages: ask for a quote from a project page, answer it with an
offer or a decline, accept (and pay), decline or withdraw an offer.

Every change is one ``quotes.services`` call, the same as the API's; these views parse the
form, show the service's errors next to their fields, and redirect after success.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from fairlance.catalog.models import Project, ProjectStatus
from fairlance.contracts.selectors import client_card
from fairlance.core.errors import FairlanceError, NotFound
from fairlance.core.idempotency import idempotent_attempt
from fairlance.files.kinds import RULES, Purpose
from fairlance.files.responses import upload_response
from fairlance.quotes import services
from fairlance.quotes.models import OfferStatus
from fairlance.quotes.selectors import access_offer, access_quote_file, access_quote_request
from fairlance.web import contract_presenters as cp
from fairlance.web.forms import parse_amount
from fairlance.web.uploads import FormFiles
from fairlance.web.views.common import current_user
from fairlance.web.views.contracts import TEST_CARDS


def _errors(exc: FairlanceError) -> dict[str, str]:
    """Field -> message for the form; "" holds what belongs to no field."""
    found = {str(e.get("field", "")): str(e.get("message", "")) for e in exc.errors}
    if not found:
        found[""] = exc.detail
    return found


def _int(raw: Any, default: int | None = None) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return default


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw).strip()) if raw else None
    except ValueError:
        return None


@never_cache
@login_required
def quote_ask(request: HttpRequest, project_id: int) -> HttpResponse:
    """The "Ask for a quote" form of a published project (not the owner's)."""
    user = current_user(request)
    project = Project.objects.select_related("freelancer").filter(pk=project_id).first()
    if project is None or project.status in (ProjectStatus.DRAFT, ProjectStatus.PENDING_REVIEW):
        raise Http404
    errors: dict[str, str] = {}
    values = {"need": "", "budget": "", "wished_date": ""}
    status = 200
    rules = RULES[Purpose.QUOTE]
    files = FormFiles(user=user, purpose=Purpose.QUOTE)
    if request.method == "POST":
        values = {k: str(request.POST.get(k, "")) for k in values}
        # Files become uploads first (``web.uploads``); the request then attaches them.
        # Beyond the limit the service refuses the list as a whole, naming the field.
        files.take(
            "files",
            request.FILES.getlist("files")[: rules.max_files + 1],
            request.POST.getlist("upload"),
        )
        if files.errors:
            errors["files"] = " ".join(files.errors["files"])
        budget = None
        if values["budget"].strip():
            budget = parse_amount(values["budget"])
            if budget is None:
                errors["budget_minor"] = "Enter an amount like 250 or 250.00."
        wished = _date(values["wished_date"])
        if values["wished_date"].strip() and wished is None:
            errors["wished_date"] = "Enter a date."
        if not errors:
            try:
                qr = services.quote_request_create(
                    client=user,
                    project_id=project.pk,
                    need=values["need"],
                    budget_minor=budget,
                    wished_date=wished,
                    files=files.ids.get("files", []),
                )
            except FairlanceError as exc:
                files.discard()
                errors = _errors(exc)
                status = exc.status
            else:
                messages.success(
                    request, "Quote request sent. You will be told when it is answered."
                )
                return redirect("web:quote_request", qr.pk)
        else:
            status = 400
    context = {
        "project": project,
        "values": values,
        "errors": errors,
        "is_owner": project.freelancer_id == user.pk,
        "file_rules": rules,
        "attached": files.offered("files"),
    }
    return render(request, "quotes/ask.html", context, status=status)


def quote_file(request: HttpRequest, request_id: int, file_id: uuid.UUID) -> FileResponse:
    """A file attached to a quote request, as a download, for the request's client and
    freelancer (and operators); everyone else gets the 404 of a file that does not exist."""
    try:
        upload = access_quote_file(user=request.user, request_id=request_id, file_id=file_id)
        return upload_response(upload)
    except NotFound:
        raise Http404 from None


@never_cache
@login_required
def quote_request_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The request as both sides see it; the freelancer's offer and decline forms."""
    user = current_user(request)
    try:
        qr = access_quote_request(user=user, request_id=request_id)
    except NotFound:
        raise Http404 from None
    now = timezone.now()
    errors: dict[str, str] = {}
    values: dict[str, str] = {
        "scope": "",
        "price": "",
        "delivery_days": "",
        "revisions": "0",
        "expires_in_days": "7",
        "milestones": "",
    }
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "decline":
        try:
            services.quote_request_decline(
                freelancer=user, request_id=qr.pk, reason=str(request.POST.get("reason", ""))
            )
        except FairlanceError as exc:
            errors = _errors(exc)
            status = exc.status
        else:
            messages.success(request, "Quote request declined; the client was told.")
            return redirect("web:quote_request", qr.pk)
    elif action == "offer":
        values = {k: str(request.POST.get(k, "")) for k in values}
        try:
            offer = services.offer_send(
                freelancer=user, request_id=qr.pk, **_offer_fields(values, now)
            )
        except FairlanceError as exc:
            errors = _errors(exc)
            status = exc.status
        else:
            messages.success(request, "Offer sent; the client was told.")
            return redirect("web:offer", offer.pk)
    elif action is not None:
        raise Http404
    if status != 200:
        qr = access_quote_request(user=user, request_id=request_id)
    is_freelancer = qr.freelancer_id == user.pk
    context = {
        "qr": qr,
        "offers": [(o, o.status_at(now)) for o in qr.offers.all()],
        "files": list(qr.uploads.all()),
        "is_freelancer": is_freelancer,
        "is_client": qr.client_id == user.pk,
        "can_answer": is_freelancer and qr.status in ("open", "offered"),
        "client_card": cp.client_card_view(client_card(client_id=qr.client_id))
        if is_freelancer or user.is_operator
        else None,
        "values": values,
        "errors": errors,
    }
    return render(request, "quotes/request.html", context, status=status)


def _offer_fields(values: dict[str, str], now: datetime) -> dict[str, Any]:
    """The offer form's text fields as ``offer_send`` arguments. Milestones are one per
    line, "title | amount | working days"; what cannot be read goes to the service as a
    value it refuses, so its message names the field."""
    price = parse_amount(values["price"]) or 0
    milestones: list[services.MilestoneIn] = []
    for line in values["milestones"].splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        title = parts[0]
        amount = (parse_amount(parts[1]) if len(parts) > 1 else 0) or 0
        days = _int(parts[2], 0) if len(parts) > 2 else _int(values["delivery_days"], 0)
        milestones.append(services.MilestoneIn(title, amount, days or 0))
    return {
        "scope": values["scope"],
        "price_minor": price,
        "delivery_days": _int(values["delivery_days"], 0) or 0,
        "revisions": _int(values["revisions"], 0) or 0,
        "expires_at": now + timedelta(days=_int(values["expires_in_days"], 0) or 0),
        "milestones": milestones,
    }


@never_cache
@login_required
def offer_page(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The offer: the client accepts (pays, like checkout) or declines; the freelancer
    withdraws."""
    user = current_user(request)
    try:
        offer = access_offer(user=user, offer_id=offer_id)
    except NotFound:
        raise Http404 from None
    errors: dict[str, str] = {}
    status = 200
    key = str(request.POST.get("accept_key") or "") or uuid.uuid4().hex
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "withdraw":
            services.offer_withdraw(freelancer=user, offer_id=offer.pk)
            messages.success(request, "Offer withdrawn; the client was told.")
            return redirect("web:offer", offer.pk)
        if action == "decline":
            services.offer_decline(
                client=user, offer_id=offer.pk, reason=str(request.POST.get("reason", ""))
            )
            messages.success(request, "Offer declined; the freelancer was told.")
            return redirect("web:offer", offer.pk)
        if action == "accept":
            return _accept(request, offer.pk, key)
        if action is not None:
            raise Http404
    except FairlanceError as exc:
        errors = _errors(exc)
        status = exc.status
        offer = access_offer(user=user, offer_id=offer_id)
    now = timezone.now()
    context = {
        "offer": offer,
        "qr": offer.quote_request,
        "status": offer.status_at(now),
        "is_client": offer.quote_request.client_id == user.pk,
        "is_freelancer": offer.quote_request.freelancer_id == user.pk,
        "open": offer.status_at(now) == OfferStatus.OPEN,
        "errors": errors,
        "accept_key": key,
        "test_cards": TEST_CARDS,
        # In the viewer's time zone, with how far off it is, like every clock of a contract.
        "expires_local": f"{cp.local_time(offer.expires_at, cp.zone_of(user))} {cp.zone_of(user)}",
        "expires_relative": cp.relative(offer.expires_at, now),
    }
    return render(request, "quotes/offer.html", context, status=status)


def _accept(request: HttpRequest, offer_id: int, key: str) -> HttpResponse:
    """Pay for the offer; a form submitted twice (the same hidden key) replays the first."""
    user = current_user(request)
    card = str(request.POST.get("card_number", ""))

    def run(attempt: str | None) -> HttpResponse:
        bought = services.offer_accept(
            client=user, offer_id=offer_id, card_number=card, attempt=attempt
        )
        messages.success(request, "Paid. Work has started.")
        return redirect("web:contract_room", bought.contract.pk)

    response = idempotent_attempt(
        request, f"web:offer:{offer_id}:accept", {"card": card[-4:]}, run, key=key
    )
    if response.get("Content-Type", "").startswith("application/problem+json"):
        raise _ProblemShown(response)
    return response


class _ProblemShown(FairlanceError):
    """A refused accept (a declined card, an expired offer), answered by the idempotency
    layer as a problem document: shown on the page like any other error."""

    def __init__(self, response: HttpResponse) -> None:
        import json

        body = json.loads(response.content or b"{}")
        super().__init__(
            str(body.get("detail", "")), code=str(body.get("code", "")), errors=body.get("errors")
        )
        self.status = response.status_code
