"""Trust pages: feedback in the contract room, public profiles, the own score page and the
operators' feedback reports.

Thin, like every page module: each view parses its form and calls the one
``reviews.services`` function the API calls too; what a viewer may see is
``reviews.selectors``' answer, put into words by ``trust_presenters``. A refused action
(a problem from the service) shows the room again with the reason next to the feedback,
never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairlance.accounts.models import User
from fairlance.accounts.selectors import access_public_profile
from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import Project, ProjectStatus
from fairlance.contracts.models import Contract
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.reviews import score as formula
from fairlance.reviews import selectors as reviews
from fairlance.reviews import services
from fairlance.reviews.models import Side
from fairlance.web import contract_presenters as cp
from fairlance.web import presenters
from fairlance.web import trust_presenters as tp
from fairlance.web.views.common import current_user, parse_id, require_operator, viewer_or_none
from fairlance.web.views.contracts import _contract_or_404, _room_context

# --- the room's feedback forms ------------------------------------------------------------

FEEDBACK_FIELDS = ("rating", "public_text", "private_rating", "private_text")


def _stars(raw: Any) -> Any:
    """A star choice as sent: a whole number when it is one, else as typed (the service
    refuses it with the reason)."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 3 else (text or None)


def _room_again(
    request: HttpRequest,
    user: User,
    contract_id: int,
    exc: FairlanceError,
    *,
    typed: dict[str, str] | None = None,
) -> HttpResponse:
    """The room again with what went wrong next to the feedback (and what was typed)."""
    contract = _contract_or_404(user, contract_id)
    context = _room_context(request, user, contract)
    errors: dict[str, str] = {}
    if isinstance(exc, InvalidInput) and exc.errors:
        for e in exc.errors:
            errors[str(e.get("field", ""))] = str(e.get("message", ""))
    context["feedback_error"] = exc.detail or exc.title
    if context.get("feedback") is None:
        # A running contract's room has no feedback panel: say it at the top instead.
        context["action_error"] = {"action": "leave_feedback", "message": exc.detail or exc.title}
    context["feedback_field_errors"] = errors
    context["feedback_typed"] = typed or {}
    return render(request, "contracts/room.html", context, status=exc.status)


def _back_to_feedback(contract_id: int) -> HttpResponse:
    return redirect(f"/contracts/{contract_id}/#feedback")


@login_required
@require_POST
def feedback_leave(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    _contract_or_404(user, contract_id)
    typed = {name: str(request.POST.get(name, ""))[:6000] for name in FEEDBACK_FIELDS}
    try:
        services.feedback_leave(
            user=user,
            contract_id=contract_id,
            rating=_stars(typed["rating"]),
            public_text=typed["public_text"],
            private_rating=_stars(typed["private_rating"]),
            private_text=typed["private_text"],
        )
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        return _room_again(request, user, contract_id, exc, typed=typed)
    messages.success(request, cp.done_message("leave_feedback"))
    return _back_to_feedback(contract_id)


@login_required
@require_POST
def feedback_reply(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    _contract_or_404(user, contract_id)
    text = str(request.POST.get("text", ""))[:6000]
    try:
        services.feedback_reply(user=user, contract_id=contract_id, text=text)
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        return _room_again(request, user, contract_id, exc, typed={"reply": text})
    messages.success(request, "Your reply is published under the feedback.")
    return _back_to_feedback(contract_id)


@login_required
@require_POST
def feedback_remove(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    _contract_or_404(user, contract_id)
    try:
        services.feedback_remove(user=user, contract_id=contract_id)
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        return _room_again(request, user, contract_id, exc)
    quota = tp.quota_words(services.removal_quota(user_id=user.pk))
    messages.success(request, f"The feedback is removed from your profile and your score. {quota}.")
    return _back_to_feedback(contract_id)


@login_required
@require_POST
def feedback_report(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Report the other side's published feedback as breaking the rules."""
    user = current_user(request)
    _contract_or_404(user, contract_id)
    reason = str(request.POST.get("reason", ""))[:6000]
    feedback_id = parse_id(str(request.POST.get("feedback", "")))
    try:
        services.feedback_report(user=user, feedback_id=feedback_id, reason=reason)
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        return _room_again(request, user, contract_id, exc, typed={"report": reason})
    messages.success(request, "Thank you: an operator will read your report.")
    return _back_to_feedback(contract_id)


# --- public profiles ------------------------------------------------------------------------


def freelancer_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """A freelancer's public page: who they are, when they work, what they sell, their score
    and the work they were paid for, with what clients said."""
    viewer = viewer_or_none(request)
    try:
        person = access_public_profile(viewer=viewer or _anonymous(), user_id=user_id)
    except NotFound:
        raise Http404 from None
    now = timezone.now()
    calendar: Any = getattr(person, "calendar", None)
    tz_name = calendar.time_zone if calendar is not None else "UTC"
    away = away_until(user=person, today=user_local_today(user=person, now=now))
    projects = list(
        Project.objects.filter(freelancer=person, status=ProjectStatus.PUBLISHED)
        .select_related("category")
        .prefetch_related("gallery")
        .order_by("-published_at", "-id")[:24]
    )
    viewer_zone = cp.zone_of(viewer) if viewer is not None else tz_name
    return render(
        request,
        "web/freelancer_profile.html",
        {
            "person": person,
            "name": tp.member_name(person),
            "card": presenters.freelancer_card(user=person, now=now),
            "working_days": tp.working_days_words(
                calendar.working_weekdays if calendar is not None else [0, 1, 2, 3, 4]
            ),
            "work_hours": (
                f"{calendar.work_start:%H:%M}{tp.EN_DASH}{calendar.work_end:%H:%M}"
                if calendar is not None
                else f"09:00{tp.EN_DASH}17:00"
            ),
            "tz_name": tz_name,
            "away_until": presenters.format_day(away) if away else "",
            "projects": projects,
            "score": tp.score_summary(reviews.stored_score(user_id=person.pk)),
            "history": tp.work_history(freelancer_id=person.pk, tz_name=viewer_zone),
            "is_self": viewer is not None and viewer.pk == person.pk,
        },
    )


def _anonymous() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


# --- the own score page -------------------------------------------------------------------------


@login_required
def my_score(request: HttpRequest) -> HttpResponse:
    """The freelancer's own score with every contract counted and every one excluded."""
    user = current_user(request)
    stored = reviews.stored_score(user_id=user.pk)
    if stored is None and not (
        Project.objects.filter(freelancer=user, published_at__isnull=False).exists()
        or Contract.objects.filter(freelancer=user).exists()
    ):
        # Only freelancers have a score; for anybody else the page does not exist.
        raise Http404
    tz_name = cp.zone_of(user)
    breakdown = stored.breakdown if stored is not None else {}
    counted, excluded = tp.breakdown_rows(breakdown or {}, tz_name=tz_name)
    points = tp.score_points(user_id=user.pk)
    return render(
        request,
        "web/my_score.html",
        {
            "score": tp.score_summary(stored),
            "stored": stored,
            "computed": tp.long_date_time(stored.computed_at, tz_name)
            if stored is not None and stored.computed_at
            else "",
            "tz_name": tz_name,
            "counted": counted,
            "excluded": excluded,
            "exact": (breakdown or {}).get("exact"),
            "parts": tp.parts_words(),
            "private_weight": formula.PRIVATE_WEIGHT,
            "min_private_clients": formula.MIN_PRIVATE_CLIENTS,
            "private_line": tp.private_words(breakdown or {}),
            "min_clients": (breakdown or {}).get("min_clients", 2),
            # Built by our own function from numbers and dates only.
            "chart": tp.score_chart_svg(points),
            "points": points,
            "quota": tp.quota_words(services.removal_quota(user_id=user.pk)),
        },
    )


# --- operators: feedback reports ----------------------------------------------------------------


def _reports_page(
    request: HttpRequest,
    *,
    failed: tuple[int, str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    operator = require_operator(request)
    tz_name = cp.zone_of(operator)
    rows = [
        {
            "report": r,
            "feedback": r.feedback,
            "when": cp.local_time(r.created_at, tz_name),
            "about": "the freelancer" if r.feedback.author_role == Side.CLIENT else "the client",
            "error": failed[1] if failed and failed[0] == r.pk else "",
            "note": failed[2] if failed and failed[0] == r.pk else "",
        }
        for r in reviews.open_reports()[:200]
    ]
    return render(
        request,
        "operator/feedback_reports.html",
        {"rows": rows, "tz_name": tz_name},
        status=status,
    )


@login_required
def feedback_reports(request: HttpRequest) -> HttpResponse:
    return _reports_page(request)


@login_required
@require_POST
def feedback_report_decide(request: HttpRequest, report_id: int) -> HttpResponse:
    operator = require_operator(request)
    decision = str(request.POST.get("decision", ""))
    note = str(request.POST.get("note", ""))[:6000]
    if decision not in ("hide", "dismiss"):
        return _reports_page(
            request, failed=(report_id, "Choose Hide or Dismiss.", note), status=422
        )
    try:
        services.report_decide(
            operator=operator, report_id=report_id, hide=decision == "hide", note=note
        )
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        detail = "; ".join(str(e.get("message", "")) for e in exc.errors) or exc.detail
        return _reports_page(request, failed=(report_id, detail, note), status=exc.status)
    except FairlanceError as exc:
        messages.error(request, exc.detail or exc.title)
        return redirect("web:operator_feedback_reports")
    messages.success(
        request,
        "The feedback is hidden from profiles and the score."
        if decision == "hide"
        else "The report is dismissed; the feedback stays.",
    )
    return redirect("web:operator_feedback_reports")
