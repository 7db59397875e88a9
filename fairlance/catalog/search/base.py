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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fairlance.accounts.models import TimeOff, User, WorkingCalendar, public_name
from fairlance.catalog.models import (
    SQLITE_POSTING_INDEXES,
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

from .text import EVERY_PROJECT, query_terms

SORTS: tuple[str, ...] = ("relevance", "price", "-price", "rating", "newest")

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
    results: list[SearchResult]
    next_cursor: str | None
    # Exact below COUNT_CAP, computed on the first page only (None on later pages, and
    # when the search was asked for no total).
    total_estimate: int | None

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


def _term_filters(params: SearchParams) -> tuple[list[str], list[Any]]:
    """Conditions on ``s0``, the postings of the first (rarest) term."""
    t = tables()
    # Postings exist only for published projects. Whether the freelancer may sell is
    # checked live: the few who may not are one look-up of a small partial index
    # (accounts_user_cannot_sell; the condition is spelled as in that index so both
    # planners use it), so a suspension hides their projects at once.
    where = [
        f"s0.freelancer_id NOT IN (SELECT u.id FROM {t['user']} u"  # noqa: S608
        " WHERE (NOT u.is_active OR u.is_suspended))"
    ]
    args: list[Any] = []
    listing = _listing_filters(params, "s0")
    where.extend(listing[0])
    args.extend(listing[1])
    if params.available:
        # Capacity and away mode change with every purchase and calendar edit, so they
        # are read from their own tables for the rows the walk reaches.
        where.append(
            f"EXISTS (SELECT 1 FROM {t['project']} p WHERE p.id = s0.project_id"  # noqa: S608
            " AND p.active_contracts < p.capacity)"
        )
        where.append(
            f"NOT EXISTS (SELECT 1 FROM {t['time_off']} o WHERE o.user_id = s0.freelancer_id"  # noqa: S608
            " AND o.away = %s AND o.start_date <= %s AND o.end_date >= %s)"
        )
        args.extend([True, _today(), _today()])
    return where, args


def _term_counts(terms: Sequence[str]) -> dict[str, int]:
    """How many projects each term is in (cached: only the join order depends on it)."""
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_TERM_COUNT_SECONDS", 0))
    db = connection.settings_dict["NAME"]
    keys = {term: f"fairlance:search:df:v1:{db}:{term}" for term in terms}
    cached = cache.get_many(list(keys.values())) if ttl > 0 else {}
    counts = {term: cached[key] for term, key in keys.items() if key in cached}
    missing = [term for term in terms if term not in counts]
    if missing:
        marks = ", ".join("%s" for _ in missing)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term, COUNT(*) FROM {tables()['posting']}"  # noqa: S608
                f" WHERE term IN ({marks}) GROUP BY term",
                missing,
            )
            found = dict(cursor.fetchall())
        for term in missing:
            counts[term] = int(found.get(term, 0))
        if ttl > 0:
            # Term frequencies drift slowly; a stale count only picks a slower join order.
            cache.set_many({keys[term]: counts[term] for term in missing}, ttl)
    return counts


def rarest_first(terms: Sequence[str]) -> list[str]:
    """The terms ordered so that the join starts from the fewest postings."""
    if len(terms) < 2:
        return list(terms)
    counts = _term_counts(terms)
    return sorted(terms, key=lambda term: (counts[term], term))


class SearchSql(NamedTuple):
    """The statements of one search, with their parameters."""

    page_sql: str
    page_args: list[Any]
    count_sql: str
    count_args: list[Any]
    sort: str  # the effective sort


def build_query(params: SearchParams) -> SearchSql:
    """The page query, the count query and the effective sort, with parameters bound."""
    t = tables()
    terms = rarest_first(query_terms(params.q))
    sort = effective_sort(params.sort, terms)
    spec = SORT_SPECS[sort]
    # Browsing (no words) walks the postings of EVERY_PROJECT, which every published
    # project has: the same indexes then serve every sort and filter.
    walked = terms or [EVERY_PROJECT]
    # The rarest term's postings drive; each other term is a probe of (term, project_id)
    # that both keeps only projects having it and adds its points. CROSS JOIN fixes that
    # order on SQLite (it is an ordinary join to PostgreSQL, whose statistics pick the
    # same order or a hash join); INDEXED BY makes SQLite probe the covering index
    # (catalog.models.SQLITE_POSTING_INDEXES) rather than the primary key, which it
    # prefers without statistics and which then reads every probed row as well;
    # test_plan_starts_from_the_rarest_term.
    probe = (
        f" INDEXED BY {connection.ops.quote_name(SQLITE_POSTING_INDEXES[0].name)}"
        if connection.vendor == "sqlite"
        else ""
    )
    from_sql = f"{t['posting']} s0"
    where: list[str] = ["s0.term = %s"]
    where_args: list[Any] = [walked[0]]
    for n, term in enumerate(walked[1:], start=1):
        from_sql += f" CROSS JOIN {t['posting']} s{n}{probe}"
        where.append(f"s{n}.project_id = s0.project_id AND s{n}.term = %s")
        where_args.append(term)
    filters, filter_args = _term_filters(params)
    where.extend(filters)
    where_args.extend(filter_args)
    score_sql = " + ".join(f"s{n}.points" for n in range(len(walked)))
    columns = (
        f"s0.project_id AS id, {score_sql} AS score, s0.listed_at AS listed_at,"
        " s0.from_price_minor AS from_price_minor, s0.rating_x100 AS rating_x100,"
        " s0.rating_count AS rating_count"
    )
    where_sql = " AND ".join(f"({w})" for w in where)
    inner = f"SELECT {columns} FROM {from_sql} WHERE {where_sql}"  # noqa: S608

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
    page_args = [*where_args, *keyset_args, params.limit + 1]

    count_sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {from_sql} WHERE {where_sql} LIMIT %s) c"  # noqa: S608
    count_args = [*where_args, COUNT_CAP]
    return SearchSql(page_sql, page_args, count_sql, count_args, sort)


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

    @property
    def pk(self) -> int:
        return self.id


def _cards_sql() -> str:
    """What the cards of a page show, for the projects ``%s`` (a list of ids).

    A statement of its own, prepared on PostgreSQL (``execute_prepared``): its plan is
    primary-key look-ups whatever the ids, and planning this five-table join cost more
    than running it. The ranking stays a separate statement planned for its words (how to
    walk or join postings depends on how common each word is), and it plans in a tenth of
    the time once these joins are out of it (0.07 against 0.53 ms, a one-word search on
    the seeded database).
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
        " g.id, g.image, g.width, g.height, g.alt_text, fs.score"
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


def _result(ranked: Sequence[Any], card: Sequence[Any]) -> SearchResult:
    pid, _score, _listed, price, rating, rating_count = ranked
    (_id, title, tags, status, mode, days, published_at, updated_at,
     uid, display_name, email, headline, country, time_zone,
     c_slug, c_name, c_description, g_id, g_name, g_width, g_height, g_alt,
     freelancer_score) = card  # fmt: skip
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
    )


class Ranking(NamedTuple):
    """The ranked rows of one page of a search (KEY_COLUMNS; one more than the limit when
    there is a next page), the total estimate and the effective sort."""

    rows: list[tuple[Any, ...]]
    total: int | None
    sort: str


def _rank(params: SearchParams) -> Ranking:
    page_sql, page_args, count_sql, count_args, sort = build_query(params)
    with connection.cursor() as cursor:
        cursor.execute(page_sql, page_args)
        rows = [tuple(row) for row in cursor.fetchall()]
        total: int | None = None
        if params.cursor is None and params.with_total:
            cursor.execute(count_sql, count_args)
            total = int(cursor.fetchone()[0])
    return Ranking(rows, total, sort)


def _ranking_key(params: SearchParams) -> str:
    # Everything the ranking depends on, except the join order (the same results in any
    # order of the words) and ``available`` (never cached).
    terms = sorted(query_terms(params.q))
    identity = (
        terms,
        effective_sort(params.sort, terms),
        params.category,
        params.min_price,
        params.max_price,
        params.max_delivery_days,
        params.min_rating,
        params.cursor,
        params.limit,
        params.with_total,
    )
    digest = hashlib.blake2b(repr(identity).encode(), digest_size=16).hexdigest()
    return f"fairlance:search:ranking:v1:{connection.settings_dict['NAME']}:{digest}"


def _ranking(params: SearchParams) -> Ranking:
    """The ranking of ``params``, remembered for FAIRLANCE_SEARCH_RESULTS_SECONDS.

    Ranking is most of a search's cost, and the same searches come again and again (the
    popular words, the first page, a category). A remembered ranking is at most that many
    seconds behind the catalog: a project published or re-priced since is missing or in
    its old place for that long. What must hold at once is checked on every search, in
    the cards (``_cards_sql``): a project no longer for sale drops out of the page. A
    search for available freelancers is never remembered: capacity changes with every
    purchase.
    """
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_RESULTS_SECONDS", 0))
    if ttl <= 0 or params.available:
        return _rank(params)
    key = _ranking_key(params)
    ranking = cache.get(key)
    if ranking is None:
        ranking = _rank(params)
        cache.set(key, ranking, ttl)
    return ranking


def search_projects(params: SearchParams) -> SearchPage:
    """A page of published projects matching ``params`` (InvalidInput when out of range)."""
    validate(params)
    rows, total, sort = _ranking(params)
    has_more = len(rows) > params.limit
    ranked = rows[: params.limit]
    cards: dict[int, Sequence[Any]] = {}
    if ranked:
        # Two statements, two snapshots (or a remembered ranking): a project that is no
        # longer for sale is left out of the page, one edited since shows its new title.
        with connection.cursor() as cursor:
            execute_prepared(
                cursor,
                _cards_sql(),
                [_id_list([row[0] for row in ranked]), ProjectStatus.PUBLISHED],
            )
            cards = {row[0]: row for row in cursor.fetchall()}
    next_cursor = None
    if has_more:
        last = dict(zip(KEY_COLUMNS, ranked[-1], strict=True))
        next_cursor = cursor_encode(sort, last)
    results = [_result(row, cards[row[0]]) for row in ranked if row[0] in cards]
    if total is not None and total < COUNT_CAP:
        # What the cards left out is not found any more ("4 found" above 3 cards reads
        # as a bug); an "at least" total stays as it is.
        total -= len(ranked) - len(results)
    return SearchPage(results=results, next_cursor=next_cursor, total_estimate=total)


def _id_list(ids: list[int]) -> Any:
    # One parameter for the whole page: an array on PostgreSQL, JSON text on SQLite.
    return ids if connection.vendor == "postgresql" else json.dumps(ids)
