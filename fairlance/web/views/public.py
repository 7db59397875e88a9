"""Pages anyone may see: home, search results and the project page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from fairlance.catalog.search import SearchPage, SearchParams, search_projects
from fairlance.catalog.selectors import (
    ProjectRead,
    categories_cached,
    project_cache_seconds,
    project_parts,
    project_read_availability,
    project_read_calendar,
    project_read_for_viewer,
    project_read_time_off,
    project_version,
)
from fairlance.contracts.deadlines import purchase_delivery_days
from fairlance.core.errors import InvalidInput, NotFound
from fairlance.core.money import currency
from fairlance.core.policy import current_policy
from fairlance.web import presenters, search_presenters
from fairlance.web.forms import SearchForm, to_minor
from fairlance.web.views.common import is_htmx, viewer_or_none
from fairlance.web.views.contracts import checkout_visit_end

FEATURED_COUNT = 8
PAGE_SIZE = 24


def home(request: HttpRequest) -> HttpResponse:
    # The home page shows no total: no count query.
    page = search_projects(SearchParams(sort="newest", limit=FEATURED_COUNT, with_total=False))
    return render(
        request,
        "web/home.html",
        {
            "categories": categories_cached(),
            "featured": page.results,
        },
    )


def page_size() -> int:
    """Results per search page. A setting only so that tests can page through a small
    catalog; never a URL parameter, so nobody asks for pages of any size."""
    return int(getattr(settings, "FAIRLANCE_SEARCH_PAGE_SIZE", PAGE_SIZE))


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    page: SearchPage | None = None
    error: str | None = None
    params: SearchParams | None = None
    if not request.GET:
        params = SearchParams(limit=page_size(), with_facets=True)
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
            limit=page_size(),
            with_facets=True,
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
    chosen = str(request.GET.get("category", ""))
    category = None
    if params is not None and params.category:
        category = next((c for c in categories_cached() if c.slug == params.category), None)
    facets = page.facets if page is not None else None
    query = request.GET
    context: dict[str, Any] = {
        "form": form,
        "results": page.results if page is not None else [],
        "summary": search_presenters.results_summary(page) if page is not None else "",
        "pager": search_presenters.pager(query, page) if page is not None else None,
        "suggestion": search_presenters.suggestion(query, page) if page is not None else None,
        "category_options": search_presenters.category_options(facets, chosen),
        "price_options": search_presenters.price_options(
            query,
            facets,
            params.min_price if params is not None else None,
            params.max_price if params is not None else None,
        ),
        "price_chosen": params is not None
        and (params.min_price is not None or params.max_price is not None),
        "any_price_query": search_presenters.query_with(query, min_price=None, max_price=None),
        "active_filters": _active_filters(params),
        "error": error,
        "category": category,
        "q": request.GET.get("q", ""),
        # A later page puts the focus on its results: after Next or Previous (htmx honours
        # autofocus in what it swaps, a page load does too) nobody should start over from
        # the top of the filters.
        "focus_results": params is not None and params.cursor is not None,
    }
    # An htmx request swaps only the results, plus out of band the heading and the counts
    # next to the filters.
    context["oob"] = is_htmx(request)
    template = "web/search_results.html" if context["oob"] else "web/search.html"
    # Invalid filters re-render the form with errors (a 200, like any form page).
    return render(request, template, context)


def _active_filters(params: SearchParams | None) -> int:
    """How many filters narrow the search (the phone's "Filters" button says it)."""
    if params is None:
        return 0
    return sum(
        (
            params.category is not None,
            params.min_price is not None or params.max_price is not None,
            params.max_delivery_days is not None,
            params.min_rating is not None,
            params.available,
        )
    )


# Bump when project_public.html or what it is given changes, so a cache shared between
# deployments (Redis in CACHES) never serves the old markup.
PUBLIC_FRAGMENT_FORMAT = 4


@dataclass(frozen=True)
class PublicFragment:
    """The rendered public part of a project page and what the live part needs from the
    parts: two numbers for the buy box, and for the delivery dates each tier's (name,
    delivery days) and whether the project asks required questions before work starts."""

    html: str
    packages: int
    cheapest: int
    tier_days: tuple[tuple[str, int], ...]
    asks: bool


def _public_fragment(read: ProjectRead) -> PublicFragment:
    """``web/includes/project_public.html`` for ``read.project``, rendered once per version.

    The fragment depends on the project row and its parts (both versioned by
    ``project_version``: every catalog write stamps ``updated_at``), on the two fees of the
    policy in force and on the deployment's currency; the key holds all of them, so a new
    policy or an edit is a new key, never a stale page. Rendering it is most of the page's
    template time, hence the cache (see catalog.selectors for the parts' cache).
    """
    project = read.project
    policy = read.policy or current_policy()
    seconds = project_cache_seconds()
    key = (
        f"fairlance:project-html:{PUBLIC_FRAGMENT_FORMAT}:{project_version(project)}:"
        f"{currency()}:{policy.client_fee_bp}:{policy.freelancer_fee_bp}"
    )
    if seconds > 0:
        cached = cache.get(key)
        if cached is not None:
            return PublicFragment(*cached)
    parts = project_parts(project=project)
    table = presenters.tier_table(
        tiers=parts.tiers, policy=policy, working_days=project.delivery_in_working_days
    )
    html = render_to_string(
        "web/includes/project_public.html",
        {"project": project, "parts": parts, "table": table, "policy": policy},
    )
    fragment = PublicFragment(
        html=html,
        packages=len(table.columns),
        cheapest=min((c.price_minor for c in table.columns), default=0),
        tier_days=tuple((t.name, t.delivery_days) for t in parts.tiers),
        asks=any(q.required for q in parts.questions),
    )
    if seconds > 0:
        # A plain tuple: the cheapest thing to pickle for LocMemCache (and Redis).
        cache.set(key, dataclasses.astuple(fragment), seconds)
    return fragment


@dataclass(frozen=True)
class DeliverySection:
    """The project page's delivery dates (one per tier, if bought now) and booked time off."""

    terms: presenters.DeliveryTerms
    dates: list[tuple[str, presenters.DeliveryDate]]
    time_off: list[presenters.TimeOffLine]


def _delivery_section(
    read: ProjectRead,
    fragment: PublicFragment,
    *,
    viewer: Any,
    now: datetime,
    purchasable: bool,
) -> DeliverySection:
    """Dates are shown only while the project can be bought: otherwise nobody could get
    them. Time off is shown either way (the away banner says when they are back)."""
    project = read.project
    spec = project_read_calendar(read=read)
    terms = presenters.delivery_terms(
        viewer=viewer,
        freelancer_zone=spec.time_zone,
        working_days=project.delivery_in_working_days,
        purchase_mode=project.purchase_mode,
        asks=fragment.asks,
    )
    policy = read.policy or current_policy()
    dates = [
        (
            name,
            presenters.delivery_date(
                spec=spec,
                now=now,
                days=purchase_delivery_days(tier_days=days, addon_days=()),
                terms=terms,
                purchase_mode=project.purchase_mode,
                policy=policy,
            ),
        )
        for name, days in (fragment.tier_days if purchasable else ())
    ]
    time_off = presenters.time_off_lines(project_read_time_off(read=read, now=now))
    return DeliverySection(terms=terms, dates=dates, time_off=time_off)


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    viewer = viewer_or_none(request)
    now = timezone.now()
    try:
        read = project_read_for_viewer(
            viewer=viewer, project_id=project_id, now=now, with_policy=True, with_time_off=True
        )
    except NotFound:
        raise Http404 from None
    project = read.project
    availability = project_read_availability(read=read, now=now)
    public = _public_fragment(read)
    is_owner = viewer is not None and viewer.pk == project.freelancer_id
    if viewer is not None:
        # Coming back to the project page starts a new checkout visit (a new purchase key).
        checkout_visit_end(request, project.pk)
    delivery = _delivery_section(
        read, public, viewer=viewer, now=now, purchasable=availability.purchasable
    )
    return render(
        request,
        "web/project_detail.html",
        {
            "project": project,
            # The fragment was rendered by our own template with autoescaping on.
            "public": dataclasses.replace(public, html=mark_safe(public.html)),  # noqa: S308
            "availability": availability,
            "banner": presenters.availability_banner(availability, project=project),
            "freelancer": presenters.freelancer_card(user=project.freelancer, now=now),
            # Read with the project, in the same statement (the stored score).
            "freelancer_score": read.freelancer_score,
            "is_owner": is_owner,
            "delivery": delivery,
        },
    )
