"""Operator endpoints for disputes: the queue and one dispute with everything to decide it.

Thin like every router: the operator check, one read from ``contracts.disputes``, render.
Deciding is ``POST /contracts/{id}/resolve_dispute`` (the engine's transition), downloading
a file ``GET /contracts/{id}/files/{file_id}`` (audited for operators).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.contracts import _event, contract_summary, evidence_json
from fairlance.api.errors import problems
from fairlance.contracts import disputes
from fairlance.contracts.selectors import access_contract, contract_events
from fairlance.core.errors import NotFound, PermissionDenied
from fairlance.core.money import format_minor
from fairlance.core.policy import policy_for_version
from fairlance.ledger.selectors import contract_money

router = Router(tags=["operator"])

# The splits shown side by side; the operator may pick any whole percentage.
PREVIEW_PERCENTS = (0, 25, 50, 75, 100)


def _operator(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not user.is_operator:
        raise PermissionDenied("Only operators may do this.")
    return user


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None


@router.get(
    "/operator/disputes",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Open disputes, the longest-waiting first, and whether both sides are heard",
    openapi_extra=problems(403),
)
def dispute_queue(request: HttpRequest) -> dict[str, Any]:
    _operator(request)
    rows = disputes.disputes_queue(now=timezone.now())
    return {
        "results": [
            {
                "contract_id": d.contract.pk,
                "title": d.contract.title,
                "opened_by": d.opened_by,
                "opened_at": _iso(d.opened_at),
                "reason": d.reason,
                "escrow_minor": d.escrow_minor,
                "answered": d.answered,
                "answer_missed": d.answer_missed,
                "answer_due_at": _iso(d.answer_due_at),
                "both_heard": d.both_heard,
            }
            for d in rows
        ]
    }


@router.get(
    "/operator/disputes/{contract_id}",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="One dispute: both sides, the evidence, the timeline and what each split pays",
    openapi_extra=problems(403, 404),
)
def dispute_detail(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    operator = _operator(request)
    contract = access_contract(user=operator, contract_id=contract_id)
    if not contract.dispute_opened_by and contract.ending != "resolve_dispute":
        raise NotFound("This contract has no dispute.", code="no_dispute")
    now = timezone.now()
    evidence = disputes.dispute_evidence(contract=contract)
    money = contract_money(contract_id=contract.pk)
    policy = policy_for_version(contract.policy_version)
    splits = [
        disputes.dispute_split(contract=contract, percent=p, held_minor=money.held, policy=policy)
        for p in PREVIEW_PERCENTS
    ]
    return {
        "contract": contract_summary(contract, operator),
        **evidence_json(contract, evidence, now=now),
        "timeline": [_event(e) for e in contract_events(contract=contract)],
        "money": {
            "held_minor": money.held,
            "held": format_minor(money.held),
            "price_minor": contract.price_minor,
            "splits": [
                {
                    "freelancer_percent": s.percent,
                    "freelancer_receives_minor": s.freelancer_receives_minor,
                    "platform_minor": s.platform_minor,
                    "client_back_minor": s.client_back_minor,
                }
                for s in splits
            ],
        },
    }
