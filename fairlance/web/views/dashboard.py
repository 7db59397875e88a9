"""The dashboard leads with what needs the viewer's action."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import ProjectStatus
from fairlance.catalog.selectors import projects_of_owner
from fairlance.quotes.selectors import quote_requests_for_dashboard
from fairlance.web import presenters
from fairlance.web.quote_presenters import quote_board
from fairlance.web.views.common import current_user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    projects = list(projects_of_owner(user=user))
    attention = [
        {"project": p, "reason": reason, "actions": presenters.project_actions(p)}
        for p in projects
        if (reason := presenters.attention_reason(p)) is not None
    ]
    live = sum(1 for p in projects if p.status == ProjectStatus.PUBLISHED)
    now = timezone.now()
    today = user_local_today(user=user, now=now)
    quotes = quote_board(user=user, requests=quote_requests_for_dashboard(user=user), now=now)
    away_last = away_until(user=user, today=today)
    return render(
        request,
        "web/dashboard.html",
        {
            "attention": attention,
            "project_count": len(projects),
            "live_count": live,
            "quotes": quotes,
            "away_last": presenters.format_day(away_last) if away_last else None,
        },
    )
