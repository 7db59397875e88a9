"""What the search page shows around its results: the facet filters with their counts,
the "Showing 25-48 of 130" line, the pager and "did you mean".

Every link here starts from the current query string and changes one thing, so the
words, the other filters and the sort survive a click. The cursor belongs to one page
of one search: a link that does not set it drops it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import QueryDict

from fairlance.catalog.search.base import Facets, SearchPage
from fairlance.catalog.selectors import categories_cached
from fairlance.core.money import format_minor
from fairlance.web.forms import to_major

EN_DASH = "\u2013"  # between the ends of a range: "Showing 25-48", "$50-$200"


def query_with(query: QueryDict, **changes: str | None) -> str:
    """``query`` urlencoded with ``changes`` applied (None drops a parameter) and without
    the cursor unless ``changes`` sets one."""
    changed = query.copy()
    changed.pop("cursor", None)
    for name, value in changes.items():
        changed.pop(name, None)
        if value is not None:
            changed[name] = value
    return changed.urlencode()


@dataclass(frozen=True)
class CategoryOption:
    """One radio of the category filter and how many results choosing it would give."""

    slug: str  # "" for "All categories"
    name: str
    count: int | None  # None when nothing was counted (the search failed)
    checked: bool


def category_options(facets: Facets | None, chosen: str) -> list[CategoryOption]:
    """Every category in the site's order, the empty ones too (dimmed by the page), so the
    list does not jump around as the words change. The engine counts each category as if
    no category were chosen, so "All categories" is their sum."""
    counted = facets is not None
    counts = {f.value: f.count for f in facets.categories} if facets is not None else {}
    options = [
        CategoryOption("", "All categories", sum(counts.values()) if counted else None, not chosen)
    ]
    options += [
        CategoryOption(c.slug, c.name, counts.get(c.slug, 0) if counted else None, c.slug == chosen)
        for c in categories_cached()
    ]
    return options


@dataclass(frozen=True)
class PriceOption:
    """One price band: a link that sets min_price and max_price, keeping the rest."""

    key: str
    label: str
    count: int
    query: str
    current: bool


def _major_text(minor: int) -> str:
    """Minor units as the price filters are typed: ``50`` or ``199.99``."""
    return str(to_major(minor)).removesuffix(".00")


def price_band_label(low: int | None, high: int | None) -> str:
    if low is None:
        return f"Under {format_minor(high or 0)}"
    if high is None:
        return f"{format_minor(low)} and up"
    return f"{format_minor(low)}{EN_DASH}{format_minor(high)}"


def price_options(
    query: QueryDict, facets: Facets | None, min_price: int | None, max_price: int | None
) -> list[PriceOption]:
    """The engine's price bands with their counts. A band holds prices from its low bound
    up to, not including, its high bound, while the price filters include both ends: so a
    band's link sets max_price one cent below the next band, and finds what it counted."""
    if facets is None:
        return []
    options = []
    for band in facets.price_bands:
        low, high = band.min_price, band.max_price
        top = None if high is None else high - 1
        link = query_with(
            query,
            min_price=None if low is None else _major_text(low),
            max_price=None if top is None else _major_text(top),
        )
        options.append(
            PriceOption(
                key=band.value,
                label=price_band_label(low, high),
                count=band.count,
                query=link,
                current=(min_price, max_price) == (low, top),
            )
        )
    return options


def results_summary(page: SearchPage) -> str:
    """``Showing 25-48 of 130 projects`` (an en dash), or ``3 projects found`` on a
    single page."""
    shown = len(page.results)
    total = page.total_estimate
    if page.prev_cursor is None and page.next_cursor is None:
        return f"{shown} project{'' if shown == 1 else 's'} found"
    first, last = page.offset + 1, page.offset + shown
    if total is None:
        return f"Showing {first}{EN_DASH}{last}"
    of = f"at least {total}" if page.total_is_capped else str(total)
    return f"Showing {first}{EN_DASH}{last} of {of} project{'' if total == 1 else 's'}"


@dataclass(frozen=True)
class Pager:
    previous: str | None  # the query string of the page before, None on the first
    next: str | None


def pager(query: QueryDict, page: SearchPage) -> Pager:
    """Previous and Next: the same search, only the cursor changes."""
    return Pager(
        previous=None if page.prev_cursor is None else query_with(query, cursor=page.prev_cursor),
        next=None if page.next_cursor is None else query_with(query, cursor=page.next_cursor),
    )


@dataclass(frozen=True)
class Suggestion:
    """ "Did you mean …": the corrected words and the search for them, filters kept."""

    text: str
    query: str


def suggestion(query: QueryDict, page: SearchPage) -> Suggestion | None:
    if not page.did_you_mean:
        return None
    return Suggestion(page.did_you_mean, query_with(query, q=page.did_you_mean))
