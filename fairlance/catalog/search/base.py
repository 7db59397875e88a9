"""What every search backend shares: parameters, validation, sorting, cursors and the SQL.

A backend (``sqlite.py``, ``postgres.py``) only knows how to keep its text index up to date
and how to express "projects matching these words, with this score" in its own SQL; the
filters, sorts and keyset pagination around it are written once here.

Relevance is an integer, not bm25() or ts_rank_cd(): for every query word a project gets
3 points if the word is in its title, 2 if it is in its tags and 1 if it is in its
description. Both databases compute exactly the same number from "which field matched
which word", so the same data comes back in the same order on SQLite and PostgreSQL, and a
cursor can carry the score without float rounding. Ties go to the newer project, then to
the higher id.

The SQL below is assembled from fixed fragments (table names from the models, column
names from SORT_SPECS); every value, user text included, is a bound parameter. That is
why the string-built statements carry ``noqa: S608``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fairlance.accounts.models import TimeOff, User
from fairlance.catalog.models import Category, Project, ProjectStatus
from fairlance.core.errors import InvalidInput, field_error

from .text import query_terms

SORTS: tuple[str, ...] = ("relevance", "price", "-price", "rating", "newest")

# Points a project earns per query word found in each field (see the module docstring).
TITLE_POINTS = 3
TAGS_POINTS = 2
DESCRIPTION_POINTS = 1

MAX_LIMIT = 100
# Counting every match of a broad query is as slow as the search itself (a common word
# matches ~20% of the catalog); beyond this the estimate says "at least this many".
# Counting to 200 reads ~200 matches (5 ms on 100k projects); to 1,000 took 30 ms.
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


@dataclass(frozen=True)
class SearchPage:
    results: list[Project]
    next_cursor: str | None
    # Exact below COUNT_CAP, computed on the first page only (None on later pages, and
    # when the search was asked for no total).
    total_estimate: int | None

    @property
    def total_is_capped(self) -> bool:
        """True when there are at least COUNT_CAP matches (the UI says "at least")."""
        return self.total_estimate is not None and self.total_estimate >= COUNT_CAP


@dataclass(frozen=True)
class TextMatch:
    """A backend's answer to "which projects match these words, and how well".

    ``from_sql`` must bind ``p`` (catalog_project) and ``u`` (the freelancer, accounts_user);
    ``where_sql`` restricts to projects containing every term; ``score_sql`` is an integer
    expression over the matched row. Each carries its own bound parameters.
    """

    from_sql: str
    from_params: list[Any]
    where_sql: str
    where_params: list[Any]
    score_sql: str
    score_params: list[Any]


class SearchBackend(Protocol):
    def index_project(self, project_id: int) -> None: ...

    def reindex_all(self) -> int: ...

    def text_match(self, terms: Sequence[str]) -> TextMatch: ...


def tables() -> dict[str, str]:
    """Quoted table names, so raw SQL follows the models if a table is ever renamed."""
    quote = connection.ops.quote_name
    return {
        "project": quote(Project._meta.db_table),
        "user": quote(User._meta.db_table),
        "category": quote(Category._meta.db_table),
        "time_off": quote(TimeOff._meta.db_table),
    }


# --- sorting and cursors -------------------------------------------------------------------


@dataclass(frozen=True)
class SortSpec:
    # Columns of the inner result row, most significant first. All run in one direction,
    # so the keyset condition is a single row-value comparison on both databases.
    columns: tuple[str, ...]
    descending: bool


SORT_SPECS: dict[str, SortSpec] = {
    "relevance": SortSpec(("score", "listed_at", "id"), descending=True),
    "newest": SortSpec(("listed_at", "id"), descending=True),
    "price": SortSpec(("from_price_minor", "id"), descending=False),
    "-price": SortSpec(("from_price_minor", "id"), descending=True),
    "rating": SortSpec(("rating_x100", "rating_count", "id"), descending=True),
}


def effective_sort(sort: str, terms: Sequence[str]) -> str:
    # Without words to rank by, "relevance" would be an arbitrary order; newest is useful.
    return "newest" if sort == "relevance" and not terms else sort


KEY_COLUMNS = ("id", "score", "listed_at", "from_price_minor", "rating_x100", "rating_count")


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


def cursor_encode(sort: str, row: dict[str, Any]) -> str:
    """The cursor after ``row`` (the page query's key columns of the last result)."""
    values = {**row, "listed_at": _as_aware(row["listed_at"]).isoformat()}
    payload = {"s": sort, "k": [values[c] for c in SORT_SPECS[sort].columns]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor does not belong to this search; start again from the first page.",
        code="invalid_cursor",
        errors=[field_error("cursor", "Malformed or stale cursor.", code="invalid_cursor")],
    )


def cursor_decode(cursor: str, sort: str) -> list[Any]:
    """The keyset values in ``cursor``, as database parameters; InvalidInput if malformed."""
    try:
        if not cursor.isascii() or len(cursor) > 1000:
            raise ValueError("not a cursor")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid_cursor() from None
    spec = SORT_SPECS[sort]
    if (
        not isinstance(payload, dict)
        or payload.get("s") != sort
        or not isinstance(payload.get("k"), list)
        or len(payload["k"]) != len(spec.columns)
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
            # bool is an int subclass; a cursor we wrote never holds one.
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**63 - 1:
                raise _invalid_cursor()
            values.append(value)
    return values


# --- validation ----------------------------------------------------------------------------


def validate(params: SearchParams) -> None:
    """Refuse values no search can honour, as a 4xx instead of a database error."""
    errors: list[dict[str, Any]] = []
    if params.sort not in SORTS:
        errors.append(field_error("sort", f"Sort by one of: {', '.join(SORTS)}.", "invalid_choice"))
    if params.category is not None and not _SLUG.match(params.category):
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


def _filters(params: SearchParams) -> tuple[list[str], list[Any]]:
    t = tables()
    # Always: published, and the freelancer may sell (active, not suspended).
    where = ["p.status = %s", "u.is_active = %s", "u.is_suspended = %s"]
    args: list[Any] = [ProjectStatus.PUBLISHED.value, True, False]
    if params.category is not None:
        where.append(f"p.category_id IN (SELECT c.id FROM {t['category']} c WHERE c.slug = %s)")  # noqa: S608
        args.append(params.category)
    if params.min_price is not None:
        where.append("p.from_price_minor >= %s")
        args.append(params.min_price)
    if params.max_price is not None:
        where.append("p.from_price_minor <= %s")
        args.append(params.max_price)
    if params.max_delivery_days is not None:
        where.append("p.min_delivery_days <= %s")
        args.append(params.max_delivery_days)
    if params.min_rating is not None:
        where.append("p.rating_x100 >= %s")
        args.append(params.min_rating)
    if params.available:
        # Away mode is a date range on the freelancer's calendar; "today" is the UTC date,
        # the same for every viewer, so a page of results does not depend on who asks.
        today = connection.ops.adapt_datefield_value(timezone.now().date())
        where.append("p.active_contracts < p.capacity")
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {t['time_off']} o WHERE o.user_id = p.freelancer_id"  # noqa: S608
            " AND o.away = %s AND o.start_date <= %s AND o.end_date >= %s)"
        )
        args.extend([True, today, today])
    return where, args


def plain_from() -> str:
    t = tables()
    return f"{t['project']} p JOIN {t['user']} u ON u.id = p.freelancer_id"


def build_query(
    backend: SearchBackend, params: SearchParams
) -> tuple[str, list[Any], str, list[Any], str]:
    """The page query, the count query and the effective sort, with parameters bound."""
    terms = query_terms(params.q)
    sort = effective_sort(params.sort, terms)
    spec = SORT_SPECS[sort]
    where, where_args = _filters(params)
    if terms:
        match = backend.text_match(terms)
        from_sql, from_args = match.from_sql, match.from_params
        score_sql, score_args = match.score_sql, match.score_params
        where = [match.where_sql, *where]
        where_args = [*match.where_params, *where_args]
    else:
        from_sql, from_args = plain_from(), []
        score_sql, score_args = "0", []
    where_sql = " AND ".join(f"({w})" for w in where)
    # Published projects always have published_at (set on first publication, never
    # cleared) and only published ones are searched, so both expressions give the same
    # value; they differ in the plan they allow. Browsing sorts on the column, which the
    # (status, published_at) index serves: the newest page reads ~25 index entries. With
    # words, the COALESCE hides that index on purpose, so the text match drives the query:
    # walking the index and testing every project for the words is fast for a common word
    # alone, but with a category or price filter that rarely co-occurs with it the walk
    # crossed most of the catalog (0.3 s on 100k projects, against < 0.1 s match-first).
    listed_at = "COALESCE(p.published_at, p.created_at)" if terms else "p.published_at"

    inner = (
        f"SELECT p.id AS id, {score_sql} AS score,"  # noqa: S608
        f" {listed_at} AS listed_at,"
        " p.from_price_minor AS from_price_minor, p.rating_x100 AS rating_x100,"
        " p.rating_count AS rating_count"
        f" FROM {from_sql} WHERE {where_sql}"
    )
    inner_args = [*score_args, *from_args, *where_args]

    direction = "DESC" if spec.descending else "ASC"
    keyset_sql, keyset_args = "", []
    if params.cursor is not None:
        keyset_args = cursor_decode(params.cursor, sort)
        cols = ", ".join(f"r.{c}" for c in spec.columns)
        marks = ", ".join("%s" for _ in spec.columns)
        keyset_sql = f" WHERE ({cols}) {'<' if spec.descending else '>'} ({marks})"
    order = ", ".join(f"r.{c} {direction}" for c in spec.columns)
    keys = ", ".join(f"r.{c}" for c in KEY_COLUMNS)
    page_sql = f"SELECT {keys} FROM ({inner}) r{keyset_sql} ORDER BY {order} LIMIT %s"  # noqa: S608
    # One extra row tells whether there is a next page without a second query.
    page_args = [*inner_args, *keyset_args, params.limit + 1]

    count_sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {from_sql} WHERE {where_sql} LIMIT %s) c"  # noqa: S608
    count_args = [*from_args, *where_args, COUNT_CAP]
    return page_sql, page_args, count_sql, count_args, sort


def _cache_key(params: SearchParams) -> str:
    """The cache key of a search: its parameters after normalisation.

    The words are the query's terms ("Logo  design!" and "logo design" rank alike); the
    date is part of the key when ``available`` depends on it.
    """
    terms = query_terms(params.q)
    normalised = {
        **dataclasses.asdict(params),
        "q": terms,
        "sort": effective_sort(params.sort, terms),
        "db": connection.settings_dict["NAME"],
        "today": timezone.now().date().isoformat() if params.available else None,
    }
    digest = hashlib.sha256(json.dumps(normalised, sort_keys=True).encode()).hexdigest()
    return f"fairlance:search:v1:{digest}"


def _ranked_rows(
    backend: SearchBackend, params: SearchParams
) -> tuple[list[dict[str, Any]], int | None, str]:
    """The page's key rows (one extra when there is a next page), the total and the sort.

    Cached for FAIRLANCE_SEARCH_CACHE_SECONDS (0 turns it off): ranking a common word
    means scoring thousands of matches, and a few dozen words make most of the traffic.
    Only the ranking (ids and sort keys) is cached; ``run_search`` loads the projects
    themselves fresh, so a cached page may be up to that many seconds behind on order and
    membership, never on a project's content or visibility.
    """
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_CACHE_SECONDS", 0))
    key = _cache_key(params) if ttl > 0 else ""
    if ttl > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
    page_sql, page_args, count_sql, count_args, sort = build_query(backend, params)
    with connection.cursor() as cursor:
        cursor.execute(page_sql, page_args)
        rows = [dict(zip(KEY_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        total: int | None = None
        if params.cursor is None and params.with_total:
            cursor.execute(count_sql, count_args)
            total = int(cursor.fetchone()[0])
    if ttl > 0:
        cache.set(key, (rows, total, sort), ttl)
    return rows, total, sort


def run_search(backend: SearchBackend, params: SearchParams) -> SearchPage:
    validate(params)
    if params.cursor is not None:
        # Refuse a malformed cursor before looking in the cache, whatever is cached.
        cursor_decode(params.cursor, effective_sort(params.sort, query_terms(params.q)))
    rows, total, sort = _ranked_rows(backend, params)
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    # The same visibility rules as the ranking query, applied to the rows as they are now:
    # a project paused, deleted or whose freelancer was suspended since the ranking (or
    # since it was cached) is left out of this page. The cursor is built from the ranking
    # row, so the next page still starts in the right place.
    by_id = (
        Project.objects.select_related("freelancer", "category")
        .filter(
            status=ProjectStatus.PUBLISHED,
            freelancer__is_active=True,
            freelancer__is_suspended=False,
        )
        .in_bulk([row["id"] for row in rows])
    )
    results = [by_id[row["id"]] for row in rows if row["id"] in by_id]
    next_cursor = cursor_encode(sort, rows[-1]) if has_more else None
    return SearchPage(results=results, next_cursor=next_cursor, total_estimate=total)
