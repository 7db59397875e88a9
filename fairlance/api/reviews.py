"""Feedback on contracts (SPEC section 6 and 9, "Feedback").

Thin: each endpoint finds the contract through ``contracts.selectors.access_contract`` (a
stranger gets 404 and learns nothing), calls one ``reviews.services`` function and renders
what ``reviews.selectors`` lets the caller see. Private feedback never appears here.
Mounted before the contracts router, whose ``/contracts/{id}/{transition}`` would otherwise
take ``/contracts/{id}/feedback``.
"""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.errors import problems
from fairlance.api.openapi import WholeInt, bounds, text_field
from fairlance.contracts.selectors import MAX_ID, access_contract
from fairlance.core.policy import policy_for_version
from fairlance.reviews import services
from fairlance.reviews.models import Feedback
from fairlance.reviews.selectors import ContractFeedback, contract_feedback

router = Router(tags=["feedback"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Stars = Annotated[WholeInt, bounds(1, 5)]
FeedbackText = Annotated[str, text_field(services.FEEDBACK_TEXT)]
ReplyText = Annotated[str, text_field(services.REPLY_TEXT)]


class FeedbackIn(Schema):
    """One side's feedback: a public ``rating`` and ``public_text``, and for the platform
    only a ``private_rating`` and ``private_text``. Hidden from the other side until both
    have written or the feedback window closes; never changed after that."""

    model_config = ConfigDict(extra="forbid")

    rating: Stars
    public_text: FeedbackText = ""
    private_rating: Stars
    private_text: FeedbackText = ""


class ReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: ReplyText


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def public_feedback_json(f: Feedback) -> dict[str, Any]:
    """A published feedback as anyone allowed to see it sees it (no private part)."""
    return {
        "id": f.pk,
        "contract_id": f.contract_id,
        "author_role": f.author_role,
        "author_name": f.author.display_name or f"Member {f.author_id}",
        "rating": f.rating,
        "public_text": f.public_text,
        "published_at": f.published_at.isoformat() if f.published_at else None,
        "reply": (
            {"text": f.reply_text, "replied_at": f.replied_at.isoformat()}
            if f.replied_at is not None
            else None
        ),
    }


def _own_json(f: Feedback) -> dict[str, Any]:
    """The caller's own feedback: what they wrote publicly and whether it is published."""
    out = public_feedback_json(f)
    out["created_at"] = f.created_at.isoformat()
    out["removed"] = f.removed_at is not None
    out["hidden"] = f.hidden_at is not None
    return out


def _view_json(view: ContractFeedback) -> dict[str, Any]:
    theirs = view.theirs
    return {
        "contract_id": view.contract.pk,
        "allowed": view.counts,
        "window_closes_at": view.closes_at.isoformat() if view.closes_at else None,
        "window_open": view.window_open,
        "can_write": view.can_write,
        "mine": _own_json(view.mine) if view.mine is not None else None,
        "theirs_written": view.theirs_written,
        # The other side's words only once published, and not once removed or hidden.
        "theirs": (public_feedback_json(theirs) if theirs is not None and theirs.shown else None),
        "theirs_state": (
            None
            if theirs is None
            else "hidden"
            if theirs.hidden_at is not None
            else "removed"
            if theirs.removed_at is not None
            else "published"
        ),
        "can_reply": view.can_reply,
        "can_remove": view.can_remove,
        # Operators see both sides' public parts once published.
        "both": [public_feedback_json(f) for f in view.both if f.published_at is not None],
    }


def _view(user: User, contract_id: int) -> dict[str, Any]:
    contract = access_contract(user=user, contract_id=contract_id)
    view = contract_feedback(
        viewer=user,
        contract=contract,
        policy=policy_for_version(contract.policy_version),
        now=timezone.now(),
    )
    return _view_json(view)


@router.get(
    "/contracts/{contract_id}/feedback",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="The contract's feedback as the caller may see it (double-blind until published)",
)
def feedback_get(request: HttpRequest, contract_id: Id) -> dict[str, Any]:
    return _view(_caller(request), contract_id)


@router.post(
    "/contracts/{contract_id}/feedback",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Leave your side's feedback (once, within the feedback window)",
    openapi_extra=problems(403, 409),
)
def feedback_post(
    request: HttpRequest, contract_id: Id, payload: FeedbackIn
) -> Status[dict[str, Any]]:
    user = _caller(request)
    services.feedback_leave(
        user=user,
        contract_id=contract_id,
        rating=payload.rating,
        public_text=payload.public_text,
        private_rating=payload.private_rating,
        private_text=payload.private_text,
    )
    return Status(201, _view(user, contract_id))


@router.post(
    "/contracts/{contract_id}/feedback/reply",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Reply once, publicly, to published feedback about you",
    openapi_extra=problems(409),
)
def feedback_reply(request: HttpRequest, contract_id: Id, payload: ReplyIn) -> dict[str, Any]:
    user = _caller(request)
    services.feedback_reply(user=user, contract_id=contract_id, text=payload.text)
    return _view(user, contract_id)


def removal_quota_json(quota: services.RemovalQuota) -> dict[str, Any]:
    """The quota, its instants in the freelancer's own zone (the month is theirs)."""
    zone = zoneinfo.ZoneInfo(quota.time_zone)
    resets = quota.resets_at.astimezone(zone)
    nxt = quota.next_removal_at.astimezone(zone) if quota.next_removal_at else None
    return {
        "per_month": quota.limit,
        "used_this_month": quota.used,
        "removals_left": quota.left,
        "month": quota.month,
        "time_zone": quota.time_zone,
        "next_removal_at": nxt.isoformat() if nxt else None,
        "next_removal_date": nxt.date().isoformat() if nxt else None,
        "resets_at": resets.isoformat(),
    }


@router.post(
    "/contracts/{contract_id}/feedback/remove",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="The freelancer removes the client's feedback from profile and score (quota)",
    openapi_extra=problems(403, 409),
)
def feedback_remove(request: HttpRequest, contract_id: Id) -> dict[str, Any]:
    user = _caller(request)
    services.feedback_remove(user=user, contract_id=contract_id)
    out = _view(user, contract_id)
    out["removal_quota"] = removal_quota_json(services.removal_quota(user_id=user.pk))
    return out


@router.get(
    "/me/feedback-removals",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="Your feedback removals: how many are left this month and when the next frees up",
)
def removal_quota_get(request: HttpRequest) -> dict[str, Any]:
    return removal_quota_json(services.removal_quota(user_id=_caller(request).pk))


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, text_field(services.REPORT_TEXT)]


@router.post(
    "/feedback/{feedback_id}/report",
    response={201: dict},
    auth=REQUIRED_AUTH,
    summary="Report published feedback that breaks the rules (once); an operator decides",
    openapi_extra=problems(403, 409),
)
def feedback_report(
    request: HttpRequest, feedback_id: Id, payload: ReportIn
) -> Status[dict[str, Any]]:
    report = services.feedback_report(
        user=_caller(request), feedback_id=feedback_id, reason=payload.reason
    )
    return Status(
        201,
        {
            "id": report.pk,
            "feedback_id": report.feedback_id,
            "status": report.status,
            "created_at": report.created_at.isoformat(),
        },
    )
