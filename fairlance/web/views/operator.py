"""Operator pages: the project review queue, the dispute queue and one dispute to decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from fairlance.catalog.selectors import projects_pending_review
from fairlance.catalog.services import project_review_decide
from fairlance.contracts import disputes
from fairlance.contracts.deadlines import open_clocks
from fairlance.contracts.engine import Actor, available_transitions
from fairlance.contracts.models import Contract
from fairlance.contracts.selectors import access_contract, contract_events
from fairlance.contracts.services import contract_transition
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.core.policy import current_policy, policy_for_version
from fairlance.ledger.selectors import contract_money
from fairlance.web import contract_presenters as cp
from fairlance.web.contract_presenters import local_time, relative, zone_of
from fairlance.web.forms import ReviewDecisionForm, attach_errors
from fairlance.web.views.common import require_operator
from fairlance.web.views.contracts import ResolveDisputeForm, _attach_errors, _resolve_context

# The splits shown side by side; the form's live figures cover any whole percentage.
PREVIEW_PERCENTS = (0, 25, 50, 75, 100)


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
    """Open disputes, the longest-waiting first; each links to its page to decide."""
    operator = require_operator(request)
    now = timezone.now()
    tz_name = zone_of(operator)
    rows = []
    for d in disputes.disputes_queue(now=now):
        c = d.contract
        opener = c.client if d.opened_by == "client" else c.freelancer
        rows.append(
            {
                "dispute": d,
                "opener": f"{opener.public_name} ({d.opened_by})" if d.opened_by else "—",
                "since": local_time(d.opened_at, tz_name) if d.opened_at else "",
                "since_iso": d.opened_at.isoformat() if d.opened_at else "",
                "waiting": relative(d.opened_at, now) if d.opened_at else "",
                "answer_due": local_time(d.answer_due_at, tz_name) if d.answer_due_at else "",
            }
        )
    return render(request, "operator/disputes.html", {"rows": rows, "tz_name": tz_name})


def _dispute_context(
    operator: User, contract: Contract, *, form: ResolveDisputeForm | None
) -> dict[str, Any]:
    """Both sides, the evidence, the timeline and the money side by side, and the form."""
    now = timezone.now()
    tz_name = zone_of(operator)
    evidence = disputes.dispute_evidence(contract=contract)
    money = contract_money(contract_id=contract.pk)
    policy = policy_for_version(contract.policy_version)
    names = available_transitions(contract, operator, now=now, policy=policy)
    can_resolve = "resolve_dispute" in names
    clocks = cp.clock_views(
        open_clocks(contract, viewer_tz=tz_name, now=now), tz_name=tz_name, now=now
    )
    return {
        **(_resolve_context(contract, form, held=money.held) if can_resolve else {}),
        "contract": contract,
        "role": "operator",
        "tz_name": tz_name,
        "dispute": evidence.dispute,
        "deliveries": evidence.deliveries,
        "proposals": evidence.proposals,
        "answer_clock": next((c for c in clocks if c.name == disputes.ANSWER_CLOCK), None),
        "can_resolve": can_resolve,
        "money": cp.money_panel(contract, money=money),
        "splits": [
            disputes.dispute_split(
                contract=contract, percent=p, held_minor=money.held, policy=policy
            )
            for p in PREVIEW_PERCENTS
        ],
        "held_minor": money.held,
        "timeline": cp.timeline(
            list(contract_events(contract=contract)),
            contract=contract,
            tz_name=tz_name,
            money=money,
        ),
    }


@login_required
def dispute_page(request: HttpRequest, contract_id: int) -> HttpResponse:
    """One dispute for an operator: both sides, the timeline, the money, the decision.

    POST decides it (``resolve_dispute``, the same transition as the API); the engine says
    whether both sides are heard. A refused decision shows the page again with the form
    as typed.
    """
    operator = require_operator(request)
    contract = _disputed_or_404(operator, contract_id)
    form: ResolveDisputeForm | None = None
    status = 200
    error = ""
    if request.method == "POST":
        form = ResolveDisputeForm(request.POST)
        if not form.is_valid():
            status = 400
        else:
            try:
                contract_transition(
                    contract_id=contract.pk,
                    name="resolve_dispute",
                    actor=Actor("operator", operator),
                    payload={
                        "freelancer_percent": form.cleaned_data["freelancer_percent"],
                        "note": form.cleaned_data["note"],
                        "fault": form.cleaned_data["fault"],
                    },
                )
            except FairlanceError as exc:
                status = exc.status
                if isinstance(exc, InvalidInput) and exc.errors:
                    _attach_errors(
                        form, exc, {k: k for k in ("freelancer_percent", "note", "fault")}
                    )
                else:
                    error = exc.detail or exc.title
            else:
                percent = form.cleaned_data["freelancer_percent"]
                messages.success(
                    request,
                    f"Dispute resolved: {percent}% of the price to the freelancer. "
                    "Both sides see your note.",
                )
                return redirect("web:operator_disputes")
        contract = _disputed_or_404(operator, contract_id)
    context = _dispute_context(operator, contract, form=form)
    context["error"] = error
    return render(request, "operator/dispute.html", context, status=status)


def _disputed_or_404(operator: User, contract_id: int) -> Contract:
    try:
        contract = access_contract(user=operator, contract_id=contract_id)
    except NotFound:
        raise Http404 from None
    if not contract.dispute_opened_by and contract.ending != "resolve_dispute":
        raise Http404
    return contract
