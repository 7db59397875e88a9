"""Operator endpoints: disputes (the queue and one dispute with everything to decide it) and
feedback (the queue of reports, their decisions, the removal log).

Thin like every router: the operator check, one read from ``contracts.disputes``, render.
Deciding is ``POST /contracts/{id}/resolve_dispute`` (the engine's transition), downloading
a file ``GET /contracts/{id}/files/{file_id}`` (audited for operators).
"""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.contracts import _event, contract_summary, evidence_json
from fairlance.api.errors import problems
from fairlance.api.openapi import text_field
from fairlance.api.paging import keyset_page
from fairlance.contracts import disputes
from fairlance.contracts.selectors import MAX_ID, access_contract, contract_events
from fairlance.core.errors import NotFound, PermissionDenied
from fairlance.core.money import format_minor
from fairlance.core.policy import policy_for_version
from fairlance.ledger.selectors import contract_money
from fairlance.reviews import selectors as reviews
from fairlance.reviews import services as review_services
from fairlance.reviews.models import FeedbackRemoval, FeedbackReport

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


# --- feedback: reports and removals ----------------------------------------------------------

ReportId = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageQuery(Schema):
    cursor: str | None = Field(
        None,
        max_length=40,
        description="Only a next_cursor this list returned (422 invalid_cursor otherwise)",
    )
    limit: int = Field(50, ge=1, le=200)


def _page(qs: QuerySet[Any], field: str, query: PageQuery, *, newest_first: bool) -> Any:
    return keyset_page(qs, field, query.cursor, query.limit, newest_first=newest_first)


def _member(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name or f"Member {user.pk}"}


def report_json(r: FeedbackReport) -> dict[str, Any]:
    f = r.feedback
    return {
        "id": r.pk,
        "status": r.status,
        "reason": r.reason,
        "reported_at": _iso(r.created_at),
        "reporter": _member(r.reporter),
        "feedback": {
            "id": f.pk,
            "contract_id": f.contract_id,
            "author": _member(f.author),
            "author_role": f.author_role,
            "rating": f.rating,
            "public_text": f.public_text,
            "reply_text": f.reply_text,
            "published_at": _iso(f.published_at),
            "hidden_at": _iso(f.hidden_at),
            "removed_at": _iso(f.removed_at),
        },
        "decided_at": _iso(r.decided_at),
        "decided_by": r.decided_by_id,
        "decision_note": r.decision_note,
    }


def removal_json(r: FeedbackRemoval) -> dict[str, Any]:
    f = r.feedback
    return {
        "id": r.pk,
        "removed_at": _iso(r.removed_at),
        "local_month": r.local_month,
        "time_zone": r.time_zone,
        "freelancer": _member(r.freelancer),
        "feedback": {
            "id": f.pk,
            "contract_id": f.contract_id,
            "author": _member(f.author),
            "rating": f.rating,
            "public_text": f.public_text,
        },
    }


@router.get(
    "/operator/feedback-reports",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Open feedback reports, oldest first, with the feedback reported",
    openapi_extra=problems(403),
)
def feedback_reports(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    _operator(request)
    page, nxt = _page(reviews.open_reports(), "created_at", query, newest_first=False)
    return {"results": [report_json(r) for r in page], "next_cursor": nxt}


class DecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, text_field(review_services.REPORT_TEXT)]


def _decide(request: HttpRequest, report_id: int, note: str, *, hide: bool) -> dict[str, Any]:
    operator = _operator(request)
    report = review_services.report_decide(
        operator=operator, report_id=report_id, hide=hide, note=note
    )
    report = FeedbackReport.objects.select_related("feedback", "feedback__author", "reporter").get(
        pk=report.pk
    )
    return report_json(report)


@router.post(
    "/operator/feedback-reports/{report_id}/hide",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Uphold a report: the feedback leaves the profile and the score (audited)",
    openapi_extra=problems(403, 409),
)
def feedback_report_hide(
    request: HttpRequest, report_id: ReportId, payload: DecisionIn
) -> dict[str, Any]:
    return _decide(request, report_id, payload.note, hide=True)


@router.post(
    "/operator/feedback-reports/{report_id}/dismiss",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Dismiss a report: the feedback stays (audited)",
    openapi_extra=problems(403, 409),
)
def feedback_report_dismiss(
    request: HttpRequest, report_id: ReportId, payload: DecisionIn
) -> dict[str, Any]:
    return _decide(request, report_id, payload.note, hide=False)


@router.get(
    "/operator/feedback-removals",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="The removal log: which freelancer removed which feedback, when (newest first)",
    openapi_extra=problems(403),
)
def feedback_removals(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    _operator(request)
    page, nxt = _page(reviews.removal_log(), "removed_at", query, newest_first=True)
    return {"results": [removal_json(r) for r in page], "next_cursor": nxt}
