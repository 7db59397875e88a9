"""Project search: parameters, validation, sorting, cursors and the SQL (docs/search.md).

Words are matched against ``SearchPosting``, one row per (published project, stemmed
term) carrying the project's filter and sort columns. One query word is one range of the
``catalog_posting_rank`` index, already in relevance order; several words join their
postings on the project id, starting from the rarest word. The same SQL runs on SQLite
and PostgreSQL, so both return the same pages.

Relevance is an integer, not bm25() or ts_rank_cd(): for every query word a project gets
3 points if the word is in its title, 2 if it is in its tags and 1 if it is in its
description (precomputed as ``SearchPosting.points``). Ties go to the newer project, then
to the higher id, and a cursor can carry the score without float rounding.

The SQL below is assembled from fixed fragments (table names from the models, column
names from SORT_SPECS); every value, user text included, is a bound parameter. That is
why the string-built statements carry ``noqa: S608``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fairlance.accounts.models import TimeOff, User, WorkingCalendar, public_name
from fairlance.catalog.models import (
    Category,
    GalleryImage,
    Project,
    ProjectStatus,
    SearchPosting,
)
from fairlance.catalog.selectors import ImagePart
from fairlance.core.errors import InvalidInput, field_error
from fairlance.core.sql import execute_prepared
from fairlance.reviews.models import FreelancerScore

from .highlight import snippet
from .query import QueryPlan
from .query import plan as query_plan
from .text import EVERY_PROJECT

# Characters of a description read for its snippet (descriptions run to 20,000).
SNIPPET_SOURCE_CHARS = 1500

T = TypeVar("T")

SORTS: tuple[str, ...] = ("relevance", "price", "-price", "rating", "newest")

MAX_LIMIT = 100
# Counting every match of a broad query is as slow as the search itself (a common word
# matches ~20% of the catalog); beyond this the estimate says "at least this many".
# (docs/performance.md has what counting further cost.)
COUNT_CAP = 200
# Integers beyond a 32-bit column would overflow SQLite's binding or PostgreSQL's
# comparison with an integer column; no sensible filter needs them.
INT_MAX = 2**31 - 1
MAX_RATING_X100 = 500
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    category: str | None = None
    min_price: int | None = None  # minor units, on the cheapest tier
    max_price: int | None = None
    max_delivery_days: int | None = None  # on the fastest tier
    min_rating: int | None = None  # hundredths of a star: 450 = 4.5 stars
    available: bool = False  # freelancer not away today and capacity left
    sort: str = "relevance"  # relevance without a query means newest
    cursor: str | None = None
    limit: int = 24
    # The API shows no total; skipping the count query saves a database round trip.
    with_total: bool = True
    # Counts per category and price band for the filters (the search page asks for them).
    with_facets: bool = False


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many results one more filter value would leave: a category or a price band."""

    value: str  # the category slug, or the price band's key
    label: str  # the category name ("" for a price band: the page formats its amounts)
    count: int
    min_price: int | None = None  # a price band's bounds, minor units (None: open)
    max_price: int | None = None


@dataclass(frozen=True)
class Facets:
    # Each ignores its own filter (so another category can be picked) and honours the rest.
    categories: list[FacetCount]
    price_bands: list[FacetCount]


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult]
    next_cursor: str | None
    # Exact below COUNT_CAP (None when the search was asked for no total).
    total_estimate: int | None
    # The page before this one (None on the first page).
    prev_cursor: str | None = None
    # How many results come before this page (for "25-48 of 130").
    offset: int = 0
    facets: Facets | None = None
    # The query with its typos corrected, when a word was only found by its correction.
    did_you_mean: str | None = None

    @property
    def total_is_capped(self) -> bool:
        """True when there are at least COUNT_CAP matches (the UI says "at least")."""
        return self.total_estimate is not None and self.total_estimate >= COUNT_CAP


def tables() -> dict[str, str]:
    """Quoted table names, so raw SQL follows the models if a table is ever renamed."""
    quote = connection.ops.quote_name
    return {
        "project": quote(Project._meta.db_table),
        "user": quote(User._meta.db_table),
        "category": quote(Category._meta.db_table),
        "time_off": quote(TimeOff._meta.db_table),
        "posting": quote(SearchPosting._meta.db_table),
        "calendar": quote(WorkingCalendar._meta.db_table),
        "gallery": quote(GalleryImage._meta.db_table),
        "score": quote(FreelancerScore._meta.db_table),
    }


# --- sorting and cursors -------------------------------------------------------------------


@dataclass(frozen=True)
class SortSpec:
    # Columns of the inner result row, most significant first. All run in one direction,
    # so the keyset condition is a single row-value comparison on both databases.
    columns: tuple[str, ...]
    descending: bool


# A search for one term (or browsing) walks that term's postings in index order.
SINGLE_TERM_SORTS: dict[str, SortSpec] = {
    "relevance": SortSpec(("score", "listed_at", "id"), descending=True),
    "newest": SortSpec(("listed_at", "id"), descending=True),
    "price": SortSpec(("from_price_minor", "id"), descending=False),
    "-price": SortSpec(("from_price_minor", "id"), descending=True),
    "rating": SortSpec(("rating_x100", "rating_count", "id"), descending=True),
}
# Several words (or alternatives): projects with more of the words come first whatever
# the sort (``missing`` is how many they lack, so the ascending price sort can lead with
# it), then the sort itself.
MATCHED_SORTS: dict[str, SortSpec] = {
    "relevance": SortSpec(("matched", "score", "listed_at", "id"), descending=True),
    "newest": SortSpec(("matched", "listed_at", "id"), descending=True),
    "price": SortSpec(("missing", "from_price_minor", "id"), descending=False),
    "-price": SortSpec(("matched", "from_price_minor", "id"), descending=True),
    "rating": SortSpec(("matched", "rating_x100", "rating_count", "id"), descending=True),
}


def sort_spec(sort: str, plan: QueryPlan) -> SortSpec:
    return (SINGLE_TERM_SORTS if plan.browsing or plan.single_term else MATCHED_SORTS)[sort]


def effective_sort(sort: str, plan: QueryPlan) -> str:
    # Without words to rank by, "relevance" would be an arbitrary order; newest is useful.
    return "newest" if sort == "relevance" and plan.browsing else sort


KEY_COLUMNS = (
    "id",
    "matched",
    "missing",
    "score",
    "listed_at",
    "from_price_minor",
    "rating_x100",
    "rating_count",
)


def _as_aware(value: datetime | str) -> datetime:
    """A ``listed_at`` value as the database returned it, as an aware UTC datetime."""
    if isinstance(value, str):  # SQLite returns the stored text
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"unexpected datetime text {value!r}")
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


class Cursor(NamedTuple):
    keys: list[Any]  # the keyset values, as database parameters
    offset: int  # how many results come before the page it leads to
    backward: bool  # the page before ``keys`` rather than after


def cursor_encode(
    sort: str, spec: SortSpec, row: dict[str, Any], *, offset: int, backward: bool = False
) -> str:
    """The cursor to the page after ``row`` (or before it, ``backward``): ``row`` is the
    page query's key columns of the last (first) result shown."""
    values = {**row, "listed_at": _as_aware(row["listed_at"]).isoformat()}
    payload: dict[str, Any] = {
        "s": sort,
        "k": [values[c] for c in spec.columns],
        "o": max(offset, 0),
    }
    if backward:
        payload["b"] = 1
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor does not belong to this search; start again from the first page.",
        code="invalid_cursor",
        errors=[field_error("cursor", "Malformed or stale cursor.", code="invalid_cursor")],
    )


def cursor_decode(cursor: str, sort: str, spec: SortSpec) -> Cursor:
    """The keyset values, offset and direction in ``cursor``; InvalidInput if malformed."""
    try:
        if not cursor.isascii() or len(cursor) > 1000:
            raise ValueError("not a cursor")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid_cursor() from None
    if (
        not isinstance(payload, dict)
        or payload.get("s") != sort
        or not isinstance(payload.get("k"), list)
        or len(payload["k"]) != len(spec.columns)
        or not _is_count(payload.get("o", 0))
        or payload.get("b", 0) not in (0, 1)
    ):
        raise _invalid_cursor()
    values: list[Any] = []
    for column, value in zip(spec.columns, payload["k"], strict=True):
        if column == "listed_at":
            if not isinstance(value, str):
                raise _invalid_cursor()
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise _invalid_cursor() from None
            if moment.tzinfo is None:
                raise _invalid_cursor()
            try:
                # A forged instant near year 1 or 9999 overflows when converted to UTC;
                # convert here so that both databases refuse it alike.
                moment = moment.astimezone(UTC)
                values.append(connection.ops.adapt_datetimefield_value(moment))
            except (OverflowError, ValueError):
                raise _invalid_cursor() from None
        else:
            if not _is_count(value):
                raise _invalid_cursor()
            values.append(value)
    return Cursor(values, int(payload.get("o", 0)), payload.get("b", 0) == 1)


def _is_count(value: Any) -> bool:
    # bool is an int subclass; a cursor we wrote never holds one.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**63 - 1


# --- validation ----------------------------------------------------------------------------


def validate(params: SearchParams) -> None:
    """Refuse values no search can honour, as a 4xx instead of a database error."""
    errors: list[dict[str, Any]] = []
    if params.sort not in SORTS:
        errors.append(field_error("sort", f"Sort by one of: {', '.join(SORTS)}.", "invalid_choice"))
    if params.category is not None and not _SLUG.fullmatch(params.category):
        errors.append(field_error("category", "Not a category slug."))
    for name in ("min_price", "max_price", "max_delivery_days"):
        value = getattr(params, name)
        if value is not None and not 0 <= value <= INT_MAX:
            errors.append(field_error(name, f"Must be between 0 and {INT_MAX}.", "out_of_range"))
    if params.min_rating is not None and not 0 <= params.min_rating <= MAX_RATING_X100:
        errors.append(
            field_error(
                "min_rating",
                f"Hundredths of a star, between 0 and {MAX_RATING_X100}.",
                "out_of_range",
            )
        )
    if (
        params.min_price is not None
        and params.max_price is not None
        and params.min_price > params.max_price
    ):
        errors.append(field_error("max_price", "Must not be below min_price.", "out_of_range"))
    if not 1 <= params.limit <= MAX_LIMIT:
        errors.append(field_error("limit", f"Between 1 and {MAX_LIMIT}.", "out_of_range"))
    if errors:
        raise InvalidInput(errors=errors)


# --- the query -----------------------------------------------------------------------------


def _today() -> Any:
    # Away mode is a date range on the freelancer's calendar; "today" is the UTC date, the
    # same for every viewer, so a page of results does not depend on who asks.
    return connection.ops.adapt_datefield_value(timezone.now().date())


def _listing_filters(params: SearchParams, alias: str) -> tuple[list[str], list[Any]]:
    """The filters on columns a project and its postings both carry."""
    t = tables()
    where: list[str] = []
    args: list[Any] = []
    if params.category is not None:
        category = f"SELECT c.id FROM {t['category']} c WHERE c.slug = %s"  # noqa: S608
        where.append(f"{alias}.category_id IN ({category})")
        args.append(params.category)
    if params.min_price is not None:
        where.append(f"{alias}.from_price_minor >= %s")
        args.append(params.min_price)
    if params.max_price is not None:
        where.append(f"{alias}.from_price_minor <= %s")
        args.append(params.max_price)
    if params.max_delivery_days is not None:
        where.append(f"{alias}.min_delivery_days <= %s")
        args.append(params.max_delivery_days)
    if params.min_rating is not None:
        where.append(f"{alias}.rating_x100 >= %s")
        args.append(params.min_rating)
    return where, args


def _posting_filters(params: SearchParams, alias: str) -> tuple[list[str], list[Any]]:
    """Conditions on the postings ``alias`` of a term, beyond the term itself."""
    t = tables()
    # Postings exist only for published projects. Whether the freelancer may sell is
    # checked live: the few who may not are one look-up of a small partial index
    # (accounts_user_cannot_sell; the condition is spelled as in that index so both
    # planners use it), so a suspension hides their projects at once.
    where = [
        f"{alias}.freelancer_id NOT IN (SELECT u.id FROM {t['user']} u"  # noqa: S608
        " WHERE (NOT u.is_active OR u.is_suspended))"
    ]
    args: list[Any] = []
    listing = _listing_filters(params, alias)
    where.extend(listing[0])
    args.extend(listing[1])
    if params.available:
        # Capacity and away mode change with every purchase and calendar edit, so they
        # are read from their own tables for the rows the walk reaches.
        where.append(
            f"EXISTS (SELECT 1 FROM {t['project']} p WHERE p.id = {alias}.project_id"  # noqa: S608
            " AND p.active_contracts < p.capacity)"
        )
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {t['time_off']} o"  # noqa: S608
            f" WHERE o.user_id = {alias}.freelancer_id"
            " AND o.away = %s AND o.start_date <= %s AND o.end_date >= %s)"
        )
        args.extend([True, _today(), _today()])
    return where, args


# How many postings of each alternative term a several-word search reads at most, in the
# order of the sort's index (the best first). Bounds the work for common words at any
# catalog size; beyond it a term's weakest matches are not ranked (docs/search.md).
CANDIDATES_PER_TERM = 1000

# The index order each sort walks one term's postings in (catalog.models.SearchPosting).
_TERM_ORDER = {
    "relevance": "points DESC, listed_at DESC, project_id DESC",
    "newest": "listed_at DESC, project_id DESC",
    "price": "from_price_minor ASC, project_id ASC",
    "-price": "from_price_minor DESC, project_id DESC",
    "rating": "rating_x100 DESC, rating_count DESC, project_id DESC",
}
_POSTING_COLUMNS = "project_id, listed_at, from_price_minor, rating_x100, rating_count"


class Matches(NamedTuple):
    """The rows a search matches, as SQL yielding KEY_COLUMNS (plus ``category_id``),
    with its parameters."""

    sql: str
    args: list[Any]


def _single_term_matches(params: SearchParams, term: str) -> Matches:
    # One term: its postings in index order, no grouping, so the first page of a word in
    # a fifth of the catalog is a walk of ~25 index entries (and browsing is the same walk
    # over EVERY_PROJECT).
    where, args = _posting_filters(params, "s0")
    where_sql = " AND ".join(["s0.term = %s", *(f"({w})" for w in where)])
    sql = (
        # The score is the points alone: the term's multiplier would not change the order
        # and would hide it from the index.
        "SELECT s0.project_id AS id, 1 AS matched, 0 AS missing,"  # noqa: S608
        " s0.points AS score, s0.listed_at AS listed_at,"
        " s0.from_price_minor AS from_price_minor, s0.rating_x100 AS rating_x100,"
        " s0.rating_count AS rating_count, s0.category_id AS category_id"
        f" FROM {tables()['posting']} s0 WHERE {where_sql}"
    )
    return Matches(sql, [term, *args])


def _matched_terms(params: SearchParams, plan: QueryPlan, sort: str) -> Matches:
    # Every alternative's postings (at most CANDIDATES_PER_TERM each), scored per word by
    # its best alternative, then per project: how many words it has and their sum.
    where, filter_args = _posting_filters(params, "s")
    where_sql = " AND ".join(["s.term = %s", *(f"({w})" for w in where)])
    parts: list[str] = []
    args: list[Any] = []
    for alt in plan.alternatives:
        parts.append(
            f"SELECT {int(alt.word)} AS word, s.points * {int(alt.multiplier)} AS weighted,"  # noqa: S608
            f" s.category_id, {_POSTING_COLUMNS.replace('project_id', 's.project_id')}"
            f" FROM {tables()['posting']} s WHERE {where_sql}"
            f" ORDER BY {_TERM_ORDER[sort]} LIMIT {CANDIDATES_PER_TERM}"
        )
        args.extend([alt.term, *filter_args])
    union = " UNION ALL ".join(f"SELECT * FROM ({part}) t{n}" for n, part in enumerate(parts))  # noqa: S608
    per_word = (
        "SELECT project_id, word, MAX(weighted) AS best, MAX(category_id) AS category_id,"  # noqa: S608
        " MAX(listed_at) AS listed_at, MAX(from_price_minor) AS from_price_minor,"
        " MAX(rating_x100) AS rating_x100, MAX(rating_count) AS rating_count"
        f" FROM ({union}) u GROUP BY project_id, word"
    )
    sql = (
        f"SELECT w.project_id AS id, COUNT(*) AS matched, {len(plan.words)} - COUNT(*) AS missing,"  # noqa: S608
        " SUM(w.best) AS score, MAX(w.listed_at) AS listed_at,"
        " MAX(w.from_price_minor) AS from_price_minor, MAX(w.rating_x100) AS rating_x100,"
        " MAX(w.rating_count) AS rating_count, MAX(w.category_id) AS category_id"
        f" FROM ({per_word}) w GROUP BY w.project_id"
    )
    return Matches(sql, args)


def matches(params: SearchParams, plan: QueryPlan, sort: str) -> Matches:
    """The SQL of every project the search matches (filters applied)."""
    if plan.browsing:
        return _single_term_matches(params, EVERY_PROJECT)
    if plan.single_term:
        return _single_term_matches(params, plan.alternatives[0].term)
    return _matched_terms(params, plan, sort)


class SearchSql(NamedTuple):
    """The statements of one search, with their parameters."""

    page_sql: str
    page_args: list[Any]
    count_sql: str
    count_args: list[Any]
    sort: str  # the effective sort
    spec: SortSpec
    cursor: Cursor | None


def build_query(params: SearchParams, plan: QueryPlan) -> SearchSql:
    """The page query, the count query and the effective sort, with parameters bound."""
    sort = effective_sort(params.sort, plan)
    spec = sort_spec(sort, plan)
    matched_sql, matched_args = matches(params, plan, sort)
    cursor = None if params.cursor is None else cursor_decode(params.cursor, sort, spec)
    # A page before a cursor is read backwards from it, then put back in order.
    descending = spec.descending != (cursor is not None and cursor.backward)
    direction = "DESC" if descending else "ASC"
    keyset_sql, keyset_args = "", []
    if cursor is not None:
        cols = ", ".join(f"r.{c}" for c in spec.columns)
        marks = ", ".join("%s" for _ in spec.columns)
        keyset_sql = f" WHERE ({cols}) {'<' if descending else '>'} ({marks})"
        keyset_args = cursor.keys
    order = ", ".join(f"r.{c} {direction}" for c in spec.columns)
    keys = ", ".join(f"r.{c}" for c in KEY_COLUMNS)
    page_sql = f"SELECT {keys} FROM ({matched_sql}) r{keyset_sql} ORDER BY {order} LIMIT %s"  # noqa: S608
    # One extra row tells whether there is a page beyond without a second query.
    page_args = [*matched_args, *keyset_args, params.limit + 1]
    count_sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM ({matched_sql}) m LIMIT %s) c"  # noqa: S608
    count_args = [*matched_args, COUNT_CAP]
    return SearchSql(page_sql, page_args, count_sql, count_args, sort, spec, cursor)


# --- the page ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryCard:
    slug: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class FreelancerCard:
    id: int
    public_name: str
    headline: str
    country: str
    time_zone: str | None  # None when the freelancer has no working calendar


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a list of projects shows of each: a result card or an API summary."""

    id: int
    title: str
    tags: list[str]
    status: str
    purchase_mode: str
    from_price_minor: int
    min_delivery_days: int
    rating_x100: int
    rating_count: int
    published_at: datetime | None
    updated_at: datetime
    category: CategoryCard
    freelancer: FreelancerCard
    cover: ImagePart | None  # the first gallery image
    # The freelancer's stored success score (``reviews.FreelancerScore``); None while it
    # is not shown (fewer than 2 clients) or never computed.
    freelancer_score: int | None = None
    # Whether delivery days count the freelancer's working days (else calendar days).
    delivery_in_working_days: bool = True
    # The last day of the freelancer's away mode when it covers today (UTC date, as the
    # ``available`` filter); purchases wait until the day after.
    away_until: date | None = None
    # Every slot of the project's capacity is taken by running contracts.
    fully_booked: bool = False
    # A few lines of the description around the words searched for, HTML-escaped, with
    # those words in <mark> (``highlight.snippet``); safe to insert as is.
    snippet_html: str = ""

    @property
    def pk(self) -> int:
        return self.id


def _cards_sql() -> str:
    """What the cards of a page show, for the projects ``%s`` (a list of ids).

    A statement of its own, prepared on PostgreSQL (``execute_prepared``): its plan is
    primary-key look-ups whatever the ids, and planning this five-table join cost more
    than running it. The ranking stays a separate statement planned for its words (how to
    walk or group postings depends on how common each word is), and it plans much faster
    once these joins are out of it (docs/performance.md, fourth round).
    """
    t = tables()
    ids = (
        "p.id = ANY(%s)"
        if connection.vendor == "postgresql"
        else "p.id IN (SELECT value FROM json_each(%s))"
    )
    return (
        "SELECT p.id, p.title, p.tags, p.status, p.purchase_mode, p.min_delivery_days,"  # noqa: S608
        " p.published_at, p.updated_at,"
        " u.id, u.display_name, u.email, u.headline, u.country, w.time_zone,"
        " c.slug, c.name, c.description,"
        " g.id, g.image, g.width, g.height, g.alt_text, fs.score,"
        " p.delivery_in_working_days, p.active_contracts >= p.capacity,"
        # Away today: the UTC date, as the ``available`` filter (_today).
        f" (SELECT MAX(o.end_date) FROM {t['time_off']} o WHERE o.user_id = u.id AND o.away"
        " AND o.start_date <= %s AND o.end_date >= %s),"
        # Enough of the description for a snippet; the whole text can be 20,000 characters.
        f" SUBSTR(p.description, 1, {SNIPPET_SOURCE_CHARS})"
        f" FROM {t['project']} p"
        f" JOIN {t['user']} u ON u.id = p.freelancer_id"
        f" JOIN {t['category']} c ON c.id = p.category_id"
        f" LEFT JOIN {t['calendar']} w ON w.user_id = u.id"
        # The stored score (null until it is shown: 2 clients); a primary-key look-up.
        f" LEFT JOIN {t['score']} fs ON fs.user_id = u.id"
        f" LEFT JOIN {t['gallery']} g ON g.id = (SELECT g1.id FROM {t['gallery']} g1"
        " WHERE g1.project_id = p.id ORDER BY g1.position, g1.id LIMIT 1)"
        # Whether a project may be shown is checked here too, so a ranking answered from
        # the cache (``_ranking``) never shows a project paused, unpublished or deleted
        # since, nor one of a freelancer suspended since.
        f" WHERE {ids} AND p.status = %s AND u.is_active AND NOT u.is_suspended"
    )


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):  # SQLite returns the JSON text
        value = json.loads(value)
    return [str(v) for v in value] if isinstance(value, list) else []


def _result(ranked: Sequence[Any], card: Sequence[Any], marked: frozenset[str]) -> SearchResult:
    pid, _matched, _missing, _score, _listed, price, rating, rating_count = ranked
    (_id, title, tags, status, mode, days, published_at, updated_at,
     uid, display_name, email, headline, country, time_zone,
     c_slug, c_name, c_description, g_id, g_name, g_width, g_height, g_alt,
     freelancer_score, working_days, full, away_until, description) = card  # fmt: skip
    return SearchResult(
        id=pid,
        title=title,
        tags=_json_list(tags),
        status=status,
        purchase_mode=mode,
        from_price_minor=price,
        min_delivery_days=days,
        rating_x100=rating,
        rating_count=rating_count,
        published_at=None if published_at is None else _as_aware(published_at),
        updated_at=_as_aware(updated_at),
        category=CategoryCard(c_slug, c_name, c_description),
        freelancer=FreelancerCard(
            uid, public_name(display_name, email), headline, country, time_zone
        ),
        cover=None if g_id is None else ImagePart(g_id, g_name, g_width, g_height, g_alt),
        freelancer_score=freelancer_score,
        delivery_in_working_days=bool(working_days),
        away_until=_as_date(away_until),
        fully_booked=bool(full),
        snippet_html=snippet(description or "", marked),
    )


def _as_date(value: date | str | None) -> date | None:
    if isinstance(value, str):  # SQLite returns the stored text
        return date.fromisoformat(value)
    return value


class Ranking(NamedTuple):
    """The ranked rows of one page of a search (KEY_COLUMNS, in the order read: backwards
    for a page before a cursor; one more than the limit when there is a page beyond),
    the total estimate and the facets."""

    rows: list[tuple[Any, ...]]
    total: int | None


def _rank(params: SearchParams, plan: QueryPlan) -> Ranking:
    query = build_query(params, plan)
    with connections[router.db_for_read(SearchPosting)].cursor() as cursor:
        cursor.execute(query.page_sql, query.page_args)
        rows = [tuple(row) for row in cursor.fetchall()]
        total: int | None = None
        if params.with_total:
            cursor.execute(query.count_sql, query.count_args)
            total = int(cursor.fetchone()[0])
    return Ranking(rows, total)


def _cache_key(kind: str, identity: tuple[object, ...]) -> str:
    digest = hashlib.blake2b(repr(identity).encode(), digest_size=16).hexdigest()
    return f"fairlance:search:{kind}:v2:{connection.settings_dict['NAME']}:{digest}"


def _filters_identity(params: SearchParams, plan: QueryPlan) -> tuple[object, ...]:
    # What the matches depend on (``available`` is never remembered).
    return (
        plan.identity(),
        params.category,
        params.min_price,
        params.max_price,
        params.max_delivery_days,
        params.min_rating,
    )


def _remembered(key: str, compute: Callable[[], T], *, never: bool = False) -> T:
    """``compute()``, remembered under ``key`` for FAIRLANCE_SEARCH_RESULTS_SECONDS."""
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_RESULTS_SECONDS", 0))
    if ttl <= 0 or never:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value  # type: ignore[no-any-return]


def _ranking(params: SearchParams, plan: QueryPlan) -> Ranking:
    """The ranking of ``params``, remembered for FAIRLANCE_SEARCH_RESULTS_SECONDS.

    Ranking is most of a search's cost, and the same searches come again and again (the
    popular words, the first page, a category). A remembered ranking is at most that many
    seconds behind the catalog: a project published or re-priced since is missing or in
    its old place for that long. What must hold at once is checked on every search, in
    the cards (``_cards_sql``): a project no longer for sale drops out of the page. A
    search for available freelancers is never remembered: capacity changes with every
    purchase. With CACHE_URL set the memory is Redis, shared by every web process.
    """
    identity = (
        *_filters_identity(params, plan),
        effective_sort(params.sort, plan),
        params.cursor,
        params.limit,
        params.with_total,
    )
    return _remembered(
        _cache_key("ranking", identity), lambda: _rank(params, plan), never=params.available
    )


# --- facets --------------------------------------------------------------------------------

# Price bands of the facets, on the cheapest tier, in minor units: [low, high).
PRICE_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    ("under-50", None, 5_000),
    ("50-200", 5_000, 20_000),
    ("200-500", 20_000, 50_000),
    ("500-up", 50_000, None),
)


def _band_case() -> str:
    cases = []
    for key, low, high in PRICE_BANDS:
        conditions = []
        if low is not None:
            conditions.append(f"m.from_price_minor >= {int(low)}")
        if high is not None:
            conditions.append(f"m.from_price_minor < {int(high)}")
        cases.append(f"WHEN {' AND '.join(conditions)} THEN '{key}'")
    return f"CASE {' '.join(cases)} END"


def facets(params: SearchParams, plan: QueryPlan) -> Facets:
    """Counts per category (as if no category were chosen) and per price band (as if no
    price were chosen) of what the search matches with its other filters; remembered like
    rankings, but once for every page and sort of the same search."""
    return _remembered(
        _cache_key("facets", _filters_identity(params, plan)),
        lambda: _count_facets(params, plan),
        never=params.available,
    )


def _count_facets(params: SearchParams, plan: QueryPlan) -> Facets:
    t = tables()
    # Whatever the page's sort: the counts are the same for every sort of one search (for
    # several terms, each term's best postings by relevance take part).
    sort = "relevance"
    with connections[router.db_for_read(SearchPosting)].cursor() as cursor:
        any_category = replace(params, category=None)
        sql, args = matches(any_category, plan, sort)
        cursor.execute(
            f"SELECT c.slug, c.name, COUNT(*) FROM ({sql}) m"  # noqa: S608
            f" JOIN {t['category']} c ON c.id = m.category_id"
            " GROUP BY c.slug, c.name, c.position ORDER BY c.position, c.name",
            args,
        )
        categories = [FacetCount(slug, name, n) for slug, name, n in cursor.fetchall()]
        any_price = replace(params, min_price=None, max_price=None)
        sql, args = matches(any_price, plan, sort)
        cursor.execute(
            f"SELECT {_band_case()} AS band, COUNT(*) FROM ({sql}) m GROUP BY band",  # noqa: S608
            args,
        )
        counted = dict(cursor.fetchall())
    bands = [
        FacetCount(key, "", int(counted.get(key, 0)), low, high) for key, low, high in PRICE_BANDS
    ]
    return Facets(categories, bands)


# --- the page ------------------------------------------------------------------------------


def search_projects(params: SearchParams) -> SearchPage:
    """A page of published projects matching ``params`` (InvalidInput when out of range)."""
    validate(params)
    plan = query_plan(params.q)
    if plan.finds_nothing:
        # Words no project has, nor anything one typo away: nothing, rather than everything.
        empty = Facets([], []) if params.with_facets else None
        total = 0 if params.with_total else None
        return SearchPage([], None, total, facets=empty)
    sort = effective_sort(params.sort, plan)
    spec = sort_spec(sort, plan)
    cursor = None if params.cursor is None else cursor_decode(params.cursor, sort, spec)
    rows, total = _ranking(params, plan)
    page_facets = facets(params, plan) if params.with_facets else None
    backward = cursor is not None and cursor.backward
    beyond = len(rows) > params.limit
    ranked = rows[: params.limit]
    if backward:
        ranked.reverse()
    offset = 0 if cursor is None else cursor.offset
    has_next = (beyond and not backward) or backward
    has_prev = (beyond and backward) or (cursor is not None and not backward)
    if backward and not beyond:
        offset = 0  # read back to the first result
    cards: dict[int, Sequence[Any]] = {}
    if ranked:
        # Two statements, two snapshots (or a remembered ranking): a project that is no
        # longer for sale is left out of the page, one edited since shows its new title.
        today = _today()
        with connections[router.db_for_read(SearchPosting)].cursor() as db:
            execute_prepared(
                db,
                _cards_sql(),
                [today, today, _id_list([row[0] for row in ranked]), ProjectStatus.PUBLISHED],
            )
            cards = {row[0]: row for row in db.fetchall()}
    next_cursor = prev_cursor = None
    if ranked and has_next:
        last = dict(zip(KEY_COLUMNS, ranked[-1], strict=True))
        next_cursor = cursor_encode(sort, spec, last, offset=offset + len(ranked))
    if ranked and has_prev:
        first = dict(zip(KEY_COLUMNS, ranked[0], strict=True))
        prev_cursor = cursor_encode(sort, spec, first, offset=offset - params.limit, backward=True)
    marked = plan.marked_terms
    results = [_result(row, cards[row[0]], marked) for row in ranked if row[0] in cards]
    if total is not None and total < COUNT_CAP:
        # What the cards left out is not found any more ("4 found" above 3 cards reads
        # as a bug); an "at least" total stays as it is.
        total -= len(ranked) - len(results)
    return SearchPage(
        results=results,
        next_cursor=next_cursor,
        total_estimate=total,
        prev_cursor=prev_cursor,
        offset=offset,
        facets=page_facets,
        did_you_mean=plan.did_you_mean,
    )


def _id_list(ids: list[int]) -> Any:
    # One parameter for the whole page: an array on PostgreSQL, JSON text on SQLite.
    return ids if connection.vendor == "postgresql" else json.dumps(ids)
