"""Pages anyone may see: home, search results and the project page."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fairlance.catalog.models import Category, Project
from fairlance.catalog.search import SearchParams, search_projects
from fairlance.catalog.selectors import project_availability, project_detail_for_viewer
from fairlance.core.errors import InvalidInput, NotFound
from fairlance.core.policy import current_policy
from fairlance.web import presenters
from fairlance.web.forms import SearchForm, to_minor
from fairlance.web.views.common import is_htmx, viewer_or_none

FEATURED_COUNT = 8
PAGE_SIZE = 24


def _with_card_data(projects: list[Project]) -> list[Project]:
    """Cards show the freelancer's name and the first gallery image: fetch both in bulk."""
    prefetch_related_objects(projects, "freelancer", "gallery")
    return projects


def home(request: HttpRequest) -> HttpResponse:
    page = search_projects(SearchParams(sort="newest", limit=FEATURED_COUNT))
    return render(
        request,
        "web/home.html",
        {
            "categories": Category.objects.all(),
            "featured": _with_card_data(list(page.results)),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list[Project] = []
    next_cursor: str | None = None
    total: int | None = None
    total_capped = False
    error: str | None = None
    params: SearchParams | None = None
    if not request.GET:
        params = SearchParams(limit=PAGE_SIZE)
    elif form.is_valid():
        data = form.cleaned_data
        params = SearchParams(
            q=data["q"] or "",
            category=data["category"] or None,
            min_price=to_minor(data["min_price"]),
            max_price=to_minor(data["max_price"]),
            max_delivery_days=data["max_delivery_days"],
            min_rating=data["min_rating"],
            available=bool(data["available"]),
            sort=data["sort"] or ("relevance" if data["q"] else "newest"),
            cursor=data["cursor"] or None,
            limit=PAGE_SIZE,
        )
    else:
        error = "Some filters are not valid; fix them to see results."
    if params is not None:
        if not params.q and params.sort == "relevance":
            # Relevance means nothing without words to match; newest first reads better.
            params = dataclasses.replace(params, sort="newest")
        try:
            page = search_projects(params)
        except InvalidInput as exc:
            if exc.code == "invalid_cursor":
                error = "That page link is not valid any more; start again from the first page."
            else:
                error = " ".join(str(e.get("message")) for e in exc.errors) or exc.detail
        else:
            results = _with_card_data(list(page.results))
            next_cursor = page.next_cursor
            total = page.total_estimate
            total_capped = page.total_is_capped
    category = None
    if form.is_bound and form.is_valid() and form.cleaned_data.get("category"):
        category = Category.objects.filter(slug=form.cleaned_data["category"]).first()
    next_query = None
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_query = query.urlencode()
    context: dict[str, Any] = {
        "form": form,
        "results": results,
        "next_query": next_query,
        "total": total,
        "total_capped": total_capped,
        "error": error,
        "category": category,
        "q": request.GET.get("q", ""),
    }
    # An htmx request swaps only the results, plus the heading out of band.
    context["oob"] = is_htmx(request)
    template = "web/search_results.html" if context["oob"] else "web/search.html"
    # Invalid filters re-render the form with errors (a 200, like any form page).
    return render(request, template, context)


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_or_none(request)
    try:
        project = project_detail_for_viewer(viewer=viewer, project_id=project_id)
    except NotFound:
        raise Http404 from None
    now = timezone.now()
    availability = project_availability(project=project, now=now)
    policy = current_policy()
    table = presenters.tier_table(project=project, policy=policy)
    is_owner = viewer is not None and viewer.pk == project.freelancer_id
    return render(
        request,
        "web/project_detail.html",
        {
            "project": project,
            "table": table,
            "availability": availability,
            "banner": presenters.availability_banner(availability, project=project),
            "freelancer": presenters.freelancer_card(user=project.freelancer, now=now),
            "is_owner": is_owner,
            "policy": policy,
            "gallery": list(project.gallery.all()),
            "addons": list(project.addons.all()),
            "questions": list(project.questions.all()),
            "faq": list(project.faq.all()),
            "cheapest": min((c.price_minor for c in table.columns), default=0),
        },
    )
