"""Proposals (SPEC section 4 and 9): change orders and mutual cancellation.

Thin: each endpoint finds the contract or proposal through ``contracts.selectors`` (a
stranger gets 404 and learns nothing) and calls one function of
``contracts/proposals.py``, which fires the contract's transitions. Mounted before the
contracts router, whose ``/contracts/{id}/{transition}`` would otherwise take
``/contracts/{id}/proposals``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.errors import problems
from fairlance.api.openapi import WholeInt, bounds, text_field
from fairlance.contracts import milestones, proposals
from fairlance.contracts.engine import roles_of
from fairlance.contracts.models import Proposal
from fairlance.contracts.payload import PARAGRAPH
from fairlance.contracts.selectors import access_contract, access_proposal, contract_proposals
from fairlance.core.idempotency import idempotent
from fairlance.core.workdays import format_local

router = Router(tags=["proposals"])

Paragraph = Annotated[str, text_field(PARAGRAPH)]


class ProposalIn(Schema):
    """A proposal: its ``kind`` and that kind's fields.

    ``extend_deadline``: ``days`` (1-90, the freelancer's working days); ``add_revisions``:
    ``revisions`` (1-10); ``reduce_scope``: ``amount_minor`` given back to the client (less
    than the price) and a ``note``; ``cancel``: ``percent_to_freelancer`` (0-100 of the
    price) and a ``note`` (the reason); ``add_milestone``: ``title``,
    ``amount_minor`` (its price) and ``delivery_days`` (1-365, counted from the approval of
    the milestone before it); ``change_price``: ``milestone`` (the
    number of one not started yet) and its new, higher ``amount_minor``. The client pays
    either (``client_pays_minor``): charged on accepting the freelancer's proposal, or, when
    the client proposes it with ``card_number``, held on their card until the freelancer
    answers (captured on accept, released otherwise). A ``note`` is welcome with
    every kind. Only a party
    of a contract that takes proposals (process version 2, not disputed or ended) proposes,
    and one open proposal of each kind at a time.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal[
        "extend_deadline",
        "add_revisions",
        "reduce_scope",
        "cancel",
        "add_milestone",
        "change_price",
    ]
    days: Annotated[WholeInt, bounds(1, proposals.MAX_DAYS)] | None = None
    revisions: Annotated[WholeInt, bounds(1, proposals.MAX_REVISIONS)] | None = None
    amount_minor: Annotated[WholeInt, bounds(1)] | None = None
    percent_to_freelancer: Annotated[WholeInt, bounds(0, 100)] | None = None
    title: Annotated[str, text_field(milestones.TITLE)] | None = None
    delivery_days: Annotated[WholeInt, bounds(1, milestones.MAX_DELIVERY_DAYS)] | None = None
    milestone: Annotated[WholeInt, bounds(1)] | None = None
    note: Paragraph | None = None
    card_number: str | None = Field(
        None,
        max_length=40,
        description="The client's card, held for an increase they propose "
        "(sandbox test card: 4242 4242 4242 4242)",
    )


class AnswerIn(Schema):
    """An answer's body: accepting a proposal the client pays for (``client_pays`` > 0)
    takes the client's ``card_number``; other answers need no body."""

    model_config = ConfigDict(extra="forbid")

    card_number: str | None = Field(
        None, max_length=40, description="Sandbox test card: 4242 4242 4242 4242"
    )


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _zone(user: User) -> str:
    calendar = getattr(user, "calendar", None)
    return str(calendar.time_zone) if calendar is not None else "UTC"


def proposal_json(proposal: Proposal, user: User) -> dict[str, Any]:
    roles = roles_of(proposal.contract, user)
    role = next((r for r in roles if r in proposals.PARTIES), None)
    return {
        "id": proposal.pk,
        "contract_id": proposal.contract_id,
        "kind": proposal.kind,
        "status": proposal.status,
        "proposed_by": proposal.proposed_by,
        "fields": proposals.proposal_fields(proposal),
        "summary": proposals.describe(proposal),
        "client_pays_minor": proposals.client_pays(proposal, proposal.contract),
        "expires_at": {
            "at": proposal.expires_at.isoformat(),
            "local": format_local(proposal.expires_at, _zone(user)),
            "explanation": proposal.expiry_note,
        },
        "created_at": proposal.created_at.isoformat(),
        "answered_at": proposal.answered_at.isoformat() if proposal.answered_at else None,
        "actions": proposals.proposal_actions(proposal, role),
    }


@router.get("/contracts/{contract_id}/proposals", response=dict, auth=REQUIRED_AUTH)
def list_proposals(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = _caller(request)
    contract = access_contract(user=user, contract_id=contract_id)
    return {"results": [proposal_json(p, user) for p in contract_proposals(contract=contract)]}


@router.post(
    "/contracts/{contract_id}/proposals",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Propose a change or a cancellation to the other side (fires `propose`)",
    openapi_extra=problems(402, 403, 409),
)
def create_proposal(request: HttpRequest, contract_id: int, payload: ProposalIn) -> HttpResponse:
    user = _caller(request)
    access_contract(user=user, contract_id=contract_id)
    proposal = proposals.proposal_propose(
        contract_id=contract_id, user=user, fields=payload.model_dump(exclude_none=True)
    )
    proposal = access_proposal(user=user, proposal_id=proposal.pk)
    return JsonResponse(proposal_json(proposal, user), status=201)


@router.post(
    "/proposals/{proposal_id}/{answer}",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Accept, decline or withdraw a proposal (accepting one that moves money "
    "takes an Idempotency-Key header)",
    openapi_extra=problems(402, 403, 409),
)
def answer_proposal(
    request: HttpRequest,
    proposal_id: int,
    answer: Literal["accept", "decline", "withdraw"],
    payload: AnswerIn | None = None,
) -> HttpResponse:
    user = _caller(request)
    proposal = access_proposal(user=user, proposal_id=proposal_id)
    card_number = (payload.card_number if payload is not None else None) or ""

    def run() -> HttpResponse:
        answered = proposals.proposal_answer(
            proposal=proposal, user=user, answer=answer, card_number=card_number
        )
        return JsonResponse(proposal_json(answered, user))

    kind = proposals.KINDS.get(proposal.kind)
    if answer == "accept" and kind is not None and kind.moves_money:
        # The card is part of what a replay must repeat (reused with another: 422).
        params = {"card_number": card_number[-4:]} if kind.charges_client else {}
        return idempotent(request, f"proposal:{proposal_id}:accept", params, run)
    return run()
