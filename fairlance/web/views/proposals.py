"""The room's proposal forms: thin, the same domain functions as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from fairlance.contracts import proposals
from fairlance.contracts.selectors import access_contract, access_proposal
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.web.contract_presenters import done_message
from fairlance.web.forms import parse_amount
from fairlance.web.views.common import current_user
from fairlance.web.views.contracts import _room_with_error


def _whole(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _fields(post: Any) -> dict[str, Any]:
    """The propose form's fields as the domain reads them; what does not parse is left
    for the domain to refuse in words (``None``)."""
    kind = str(post.get("kind", ""))
    fields: dict[str, Any] = {"kind": kind, "note": str(post.get("note", ""))[:5000]}
    if kind == "extend_deadline":
        fields["days"] = _whole(str(post.get("days", "")))
    elif kind == "add_revisions":
        fields["revisions"] = _whole(str(post.get("revisions", "")))
    elif kind == "reduce_scope":
        fields["amount_minor"] = parse_amount(str(post.get("scope_amount", "")))
    elif kind == "cancel":
        fields["percent_to_freelancer"] = _whole(str(post.get("percent", "")))
    elif kind == "add_milestone":
        fields["title"] = str(post.get("title", ""))[:200]
        fields["amount_minor"] = parse_amount(str(post.get("milestone_amount", "")))
        fields["delivery_days"] = _whole(str(post.get("delivery_days", "")))
    elif kind == "change_price":
        fields["milestone"] = _whole(str(post.get("milestone", "")))
        fields["amount_minor"] = parse_amount(str(post.get("milestone_amount", "")))
    if kind in ("add_milestone", "change_price"):
        # The client's card, held for an increase they propose (the freelancer's is unused).
        fields["card_number"] = str(post.get("card_number", ""))[:40]
    return fields


def _error(exc: FairlanceError) -> str:
    if isinstance(exc, InvalidInput) and exc.errors:
        return "; ".join(str(e.get("message", "")) for e in exc.errors)
    return exc.detail or exc.title


@login_required
@require_POST
def contract_propose(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        access_contract(user=user, contract_id=contract_id)
    except NotFound:
        raise Http404 from None
    try:
        proposals.proposal_propose(contract_id=contract_id, user=user, fields=_fields(request.POST))
    except FairlanceError as exc:
        return _room_with_error(request, user, contract_id, "propose", _error(exc), exc.status)
    messages.success(request, done_message("propose"))
    return redirect("web:contract_room", contract_id)


@login_required
@require_POST
def proposal_answer(request: HttpRequest, proposal_id: int, answer: str) -> HttpResponse:
    user = current_user(request)
    try:
        proposal = access_proposal(user=user, proposal_id=proposal_id)
    except NotFound:
        raise Http404 from None
    if answer not in proposals.ANSWERS:
        raise Http404
    try:
        proposals.proposal_answer(
            proposal=proposal,
            user=user,
            answer=answer,
            card_number=str(request.POST.get("card_number", ""))[:40],
        )
    except FairlanceError as exc:
        return _room_with_error(
            request, user, proposal.contract_id, "proposal", _error(exc), exc.status
        )
    messages.success(request, done_message(f"{answer}_proposal"))
    return redirect("web:contract_room", proposal.contract_id)
