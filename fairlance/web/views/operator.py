"""Operator pages: the project review queue and the dispute queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairlance.catalog.models import Project
from fairlance.catalog.selectors import projects_pending_review
from fairlance.catalog.services import project_review_decide
from fairlance.contracts.selectors import disputes_open
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.core.policy import current_policy
from fairlance.web.contract_presenters import local_time, relative, zone_of
from fairlance.web.forms import ReviewDecisionForm, attach_errors
from fairlance.web.views.common import require_operator


def _render_queue(
    request: HttpRequest, *, failed: tuple[int, ReviewDecisionForm] | None = None, status: int = 200
) -> HttpResponse:
    items = []
    for project in projects_pending_review().prefetch_related("tiers"):
        form = failed[1] if failed and failed[0] == project.pk else ReviewDecisionForm()
        items.append({"project": project, "form": form})
    # An empty queue means something else when review is switched off: say which.
    review_on = current_policy().publish_requires_review
    return render(
        request, "web/operator_review.html", {"items": items, "review_on": review_on}, status=status
    )


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    return _render_queue(request)


@login_required
@require_POST
def review_decide(request: HttpRequest, project_id: int) -> HttpResponse:
    operator = require_operator(request)
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise Http404
    form = ReviewDecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            project_review_decide(
                project=project, operator=operator, approve=approve, note=form.cleaned_data["note"]
            )
        except NotFound:
            raise Http404 from None
        except InvalidInput as exc:
            attach_errors(exc, form)
        except FairlanceError as exc:
            messages.error(request, exc.detail)
            return redirect("web:operator_review")
        else:
            verb = "approved and published" if approve else "sent back to the freelancer"
            messages.success(request, f"“{project.title}” {verb}.")
            return redirect("web:operator_review")
    return _render_queue(request, failed=(project.pk, form), status=422)


@login_required
def dispute_queue(request: HttpRequest) -> HttpResponse:
    """Open disputes, the longest-waiting first; each links to its room to decide."""
    operator = require_operator(request)
    now = timezone.now()
    tz_name = zone_of(operator)
    rows = []
    for d in disputes_open():
        c = d.contract
        opener = c.client if d.opened_by == "client" else c.freelancer
        rows.append(
            {
                "dispute": d,
                "opener": f"{opener.public_name} ({d.opened_by})" if d.opened_by else "—",
                "since": local_time(d.opened_at, tz_name) if d.opened_at else "",
                "since_iso": d.opened_at.isoformat() if d.opened_at else "",
                "waiting": relative(d.opened_at, now) if d.opened_at else "",
            }
        )
    return render(request, "operator/disputes.html", {"rows": rows, "tz_name": tz_name})
