"""Reads on the catalog: who may see which project, and whether it can be bought now."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, Prefetch, QuerySet, prefetch_related_objects

from fairlance.accounts.models import TimeOff, User, WorkingCalendar
from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import (
    AddOn,
    Category,
    FaqEntry,
    GalleryImage,
    Project,
    ProjectStatus,
    QuestionKind,
    RequirementQuestion,
    Tier,
)
from fairlance.core.errors import NotFound
from fairlance.core.models import PolicyVersion
from fairlance.core.policy import DEFAULT_POLICY, Policy
from fairlance.core.sql import ModelColumns, execute_prepared, model_columns
from fairlance.core.workdays import WorkdaySpec, next_working_day
from fairlance.reviews.models import FreelancerScore


def access_project_for_owner(*, user: Any, project_id: int, for_update: bool = False) -> Project:
    """The project if ``user`` owns it, else ``NotFound`` (never reveal that it exists).

    With ``for_update`` the row is locked until the caller's transaction ends.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound()
    queryset = Project.objects.filter(pk=project_id, freelancer_id=user.pk)
    if for_update:
        queryset = queryset.select_for_update()
    project = queryset.first()
    if project is None:
        raise NotFound()
    return project


def _detail_queryset() -> QuerySet[Project]:
    return Project.objects.select_related(
        "category", "freelancer", "freelancer__calendar"
    ).prefetch_related(
        "tiers",
        "addons",
        "questions",
        "faq",
        "gallery",
        Prefetch("freelancer__time_off", queryset=TimeOff.objects.order_by("start_date")),
    )


def project_detail_for_viewer(*, viewer: Any, project_id: int) -> Project:
    """A project with everything its page shows, if ``viewer`` may see it.

    Anyone sees a published project of a freelancer in good standing; the owner and
    operators also see drafts, paused, archived and suspended freelancers' projects.
    Everyone else gets ``NotFound``, exactly as for an id that does not exist.
    """
    project = _detail_queryset().filter(pk=project_id).first()
    if project is None or not _may_view(viewer, project):
        raise NotFound()
    return project


def _may_view(viewer: Any, project: Project) -> bool:
    """The access rule of a project's page (and API), for ``project`` with its freelancer."""
    if project.status == ProjectStatus.PUBLISHED and not project.freelancer.is_suspended:
        return True
    authenticated = viewer is not None and getattr(viewer, "is_authenticated", False)
    return bool(authenticated and (viewer.pk == project.freelancer_id or viewer.is_operator))


def projects_of_owner(*, user: User) -> QuerySet[Project]:
    """All of a freelancer's projects, newest edit first, archived last."""
    return (
        Project.objects.filter(freelancer=user)
        .select_related("category")
        .prefetch_related("gallery")
        .order_by("-updated_at", "-id")
    )


def projects_pending_review() -> QuerySet[Project]:
    """The operators' review queue, oldest request first (fair to who waited longest)."""
    return (
        Project.objects.filter(status=ProjectStatus.PENDING_REVIEW)
        .select_related("category", "freelancer", "freelancer__score")
        .order_by("updated_at", "id")
    )


def categories_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "name")


# Categories are reference data written by a migration (and at most edited in the admin):
# every search and home page shows them, so they are read once a minute, not per request.
CATEGORIES_CACHE_SECONDS = 60


def categories_cached() -> list[Category]:
    """``categories_list()``, at most CATEGORIES_CACHE_SECONDS old."""
    key = "fairlance:categories:v1"
    cached: list[Category] | None = cache.get(key)
    if cached is None:
        cached = list(categories_list())
        cache.set(key, cached, CATEGORIES_CACHE_SECONDS)
    return cached


# --- availability --------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    purchasable: bool
    reason_code: str | None
    message: str
    back_on: date | None = None


def project_availability(*, project: Project, now: datetime) -> Availability:
    """Whether ``project`` can be bought at ``now``, and if not, why (in words for people)."""
    return _availability(project=project, now=now, away_possible=True)


def _availability(*, project: Project, now: datetime, away_possible: bool) -> Availability:
    """``project_availability``; ``away_possible=False`` when the caller already knows that
    no away range is near today, so the freelancer's time off need not be read at all."""
    freelancer = project.freelancer
    name = freelancer.public_name
    if freelancer.is_suspended:
        return Availability(
            False, "freelancer_suspended", "This freelancer's projects are not available."
        )
    if project.status != ProjectStatus.PUBLISHED:
        message = {
            ProjectStatus.PAUSED: f"{name} has paused this project.",
            ProjectStatus.ARCHIVED: "This project is no longer offered.",
        }.get(ProjectStatus(project.status), "This project is not published yet.")
        return Availability(False, "not_published", message)
    # Away ranges are dates in the freelancer's own time zone.
    last_away = (
        away_until(user=freelancer, today=user_local_today(user=freelancer, now=now))
        if away_possible
        else None
    )
    if last_away is not None:
        # Back on the first *working* day after the time off (Friday off for a Mon-Thu
        # freelancer means back on Monday, not Saturday).
        calendar = getattr(freelancer, "calendar", None)
        back_on = (
            next_working_day(calendar.as_spec(), last_away)
            if calendar is not None
            else last_away + timedelta(days=1)
        )
        return Availability(
            False,
            "freelancer_away",
            f"{name} is away and back on {back_on:%A} {back_on.day} {back_on:%B %Y}.",
            back_on,
        )
    if project.capacity_full:
        return Availability(
            False,
            "capacity_full",
            f"{name} is working at full capacity on this project; check back soon.",
        )
    return Availability(True, None, "Available now.")


# --- the project page and the project API: one fresh row, cached parts ----------------------
#
# Why this path exists next to ``project_detail_for_viewer`` (issue 4, docs/performance.md):
# the page and the API are the catalog's hottest reads. Through the ORM they took 7-8 SQL
# statements (the project, six prefetches, the policy), and on a loaded PostgreSQL most of
# each ~1.5 ms statement was Django compiling it and PostgreSQL planning it, not reading.
#
# So the read is split by how often things change:
#
# * The *live* part is one hand-written statement per request: the project row, its
#   category, the freelancer's public fields and time zone, whether an away range is near
#   today, and (for the page) the policy in force. Everything that changes outside the
#   catalog services (suspension, name, capacity, away mode, ratings, a new policy) is in
#   it, so it is never stale. The SQL is built once per connection from the models' own
#   table and column names, values go through the fields' own converters, and PostgreSQL
#   plans it once per connection (``core.sql.execute_prepared``).
# * The *parts* (tiers, add-ons, questions, FAQ, gallery) change only through
#   ``catalog.services``, and every one of those writes stamps ``project.updated_at`` in the
#   same transaction. They are cached in Django's cache under a key holding that
#   ``updated_at``: the live row says which version is current, so an edit is visible on the
#   very next request in every process, whatever the cache backend (the per-process
#   LocMemCache by default; Redis or memcached in ``CACHES`` share it between workers).
#   On a miss all five tables are read in one ``UNION ALL`` statement.
#
# A write that bypasses the services (the shell, a data migration) does not stamp
# ``updated_at``; its parts show after ``FAIRLANCE_PROJECT_CACHE_SECONDS`` at the latest.

#: Bump when the shape of ``ProjectParts`` changes, so a shared cache never hands a new
#: deployment an old pickle.
PARTS_FORMAT = 1


@dataclass(frozen=True, slots=True)
class TierPart:
    id: int
    name: str
    description: str
    price_minor: int
    delivery_days: int
    revisions: int
    deliverables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddOnPart:
    id: int
    title: str
    price_minor: int
    extra_delivery_days: int


@dataclass(frozen=True, slots=True)
class QuestionPart:
    id: int
    prompt: str
    kind: str
    choices: tuple[str, ...]
    required: bool

    @property
    def kind_label(self) -> str:
        return str(QuestionKind(self.kind).label)


@dataclass(frozen=True, slots=True)
class FaqPart:
    id: int
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    id: int
    name: str  # the stored file's name; the URL is derived per request from the storage
    width: int
    height: int
    alt_text: str

    @property
    def url(self) -> str:
        return str(GalleryImage._meta.get_field("image").storage.url(self.name))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ProjectParts:
    """A project's tiers, add-ons, questions, FAQ and gallery, each in display order."""

    tiers: tuple[TierPart, ...]
    addons: tuple[AddOnPart, ...]
    questions: tuple[QuestionPart, ...]
    faq: tuple[FaqPart, ...]
    gallery: tuple[ImagePart, ...]


@dataclass(frozen=True)
class ProjectRead:
    """What ``project_read_for_viewer`` returns.

    ``project`` has its category, freelancer and the freelancer's working calendar loaded.
    Only the fields shown are: the freelancer's public ones (``_FREELANCER_FIELDS``), the
    whole calendar (its zone for the freelancer card, the rest for delivery dates), the
    category's slug, name and description; the others are deferred (reading one costs a
    query). ``policy`` is the policy in force when asked for. ``away_possible`` says
    whether an away range of the freelancer is near today, ``time_off_ahead`` whether they
    have any time off that is not over; ``time_off_loaded`` whether the time off was then
    read (always for ``away_possible``, for ``time_off_ahead`` when asked for).
    ``freelancer_score`` is the freelancer's stored success score (``reviews``), None
    while it is not shown (fewer than 2 clients) or was never computed.
    """

    project: Project
    policy: Policy | None
    away_possible: bool
    time_off_ahead: bool = False
    time_off_loaded: bool = False
    freelancer_score: int | None = None


_FREELANCER_FIELDS = (
    "id",
    "email",
    "display_name",
    "headline",
    "country",
    "is_active",
    "is_operator",
    "is_suspended",
    "date_joined",
)


@dataclass(frozen=True)
class _LiveSql:
    """The project read's statements (``%(name)s`` parameters, run by ``execute_prepared``)."""

    live: str
    live_with_policy: str
    columns: tuple[ModelColumns, ...]  # project, freelancer, calendar, category
    parts: str


_LIVE_SQL: dict[str, _LiveSql] = {}


def _fields(model: type[Model], names: Collection[str] | None = None) -> list[Field[Any, Any]]:
    # Concrete fields in model order: ``Model.from_db`` expects the values in that order.
    concrete = list(model._meta.concrete_fields)
    return concrete if names is None else [f for f in concrete if f.name in names]


def _live_sql(conn: BaseDatabaseWrapper) -> _LiveSql:
    """The statements of this read for ``conn``, built once from the models' names.

    Only the freelancer is joined; the calendar, the category and the policy come from
    scalar subqueries. On PostgreSQL planning a four-table join cost more than running
    it (~0.7 ms against ~0.1 ms), and each subquery is planned as a trivial index lookup:
    the whole statement went from ~1.15 to ~0.95 ms on the seeded database before it was
    prepared, and to ~0.75 ms under heavier load once prepared (from ~2.4 ms unprepared).
    """
    built = _LIVE_SQL.get(conn.alias)
    if built is not None:
        return built
    q = conn.ops.quote_name

    def lookup(model: type[Model], column: str, key: str, outer: str) -> str:
        table = q(model._meta.db_table)
        return f"(SELECT x.{q(column)} FROM {table} x WHERE x.{q(key)} = p.{q(outer)})"  # noqa: S608

    calendar = {"user": f"p.{q('freelancer_id')}"} | {
        f.name: lookup(WorkingCalendar, str(f.column), "user_id", "freelancer_id")
        for f in _fields(WorkingCalendar)
        if f.name != "user"
    }
    category = {"id": f"p.{q('category_id')}"} | {
        name: lookup(Category, name, "id", "category_id")
        for name in ("slug", "name", "description")
    }
    groups: list[tuple[type[Model], list[tuple[str, Field[Any, Any]]]]] = [
        (Project, [(f"p.{q(str(f.column))}", f) for f in _fields(Project)]),
        (User, [(f"u.{q(str(f.column))}", f) for f in _fields(User, _FREELANCER_FIELDS)]),
        (WorkingCalendar, [(calendar[f.name], f) for f in _fields(WorkingCalendar, calendar)]),
        (Category, [(category[f.name], f) for f in _fields(Category, category)]),
    ]
    select = ", ".join(sql for _, columns in groups for sql, _ in columns)
    time_off = q(TimeOff._meta.db_table)
    # Every name below comes from the models, every value is a bound parameter (S608).
    away = (
        f"EXISTS (SELECT 1 FROM {time_off} t WHERE t.{q('user_id')} = p.{q('freelancer_id')}"  # noqa: S608
        f" AND t.{q('away')} AND t.{q('end_date')} >= %(day_from)s"
        f" AND t.{q('start_date')} <= %(day_to)s)"
    )
    # Any time off not over yet (in the freelancer's date, within a day of UTC's): the page
    # then reads it, to show it and to skip it in the delivery dates.
    ahead = (
        f"EXISTS (SELECT 1 FROM {time_off} t WHERE t.{q('user_id')} = p.{q('freelancer_id')}"  # noqa: S608
        f" AND t.{q('end_date')} >= %(day_from)s)"
    )
    # The freelancer's stored success score: one more primary-key look-up in the same
    # statement (null when there is no row, or while fewer than 2 clients count).
    score = lookup(FreelancerScore, "score", "user_id", "freelancer_id")
    newest = f"FROM {q(PolicyVersion._meta.db_table)} v ORDER BY v.{q('version')} DESC LIMIT 1"
    policy = f"(SELECT v.{q('version')} {newest}), (SELECT v.{q('values')} {newest})"
    tables = (
        f" FROM {q(Project._meta.db_table)} p"
        f" INNER JOIN {q(User._meta.db_table)} u ON u.{q('id')} = p.{q('freelancer_id')}"
        f" WHERE p.{q('id')} = %(project)s"
    )
    built = _LiveSql(
        live=f"SELECT {select}, {away}, {ahead}, {score}{tables}",
        live_with_policy=f"SELECT {select}, {away}, {ahead}, {score}, {policy}{tables}",
        columns=tuple(
            model_columns(model, [f for _, f in columns], conn) for model, columns in groups
        ),
        parts=_parts_sql(conn),
    )
    _LIVE_SQL[conn.alias] = built
    return built


def _parts_sql(conn: BaseDatabaseWrapper) -> str:
    """One statement for all five part tables: (kind, id, position, s1, s2, n1, n2, n3, j, b).

    The first branch casts its NULLs: PostgreSQL types a UNION's columns pairwise from the
    left, and an untyped NULL there would become text and clash with a later boolean.
    """
    q = conn.ops.quote_name

    def branch(kind: int, model: type[Model], columns: Sequence[str]) -> str:
        table = q(model._meta.db_table)
        listed = ", ".join(columns)
        return (
            f"SELECT {kind}, x.{q('id')}, x.{q('position')}, {listed} FROM {table} x"  # noqa: S608
            f" WHERE x.{q('project_id')} = %(project)s"
        )

    def cols(*names: str | None) -> list[str]:
        return [f"x.{q(name)}" if name else "NULL" for name in names]

    tier_columns = ("name", "description", "price_minor", "delivery_days", "revisions")
    branches = [
        branch(0, Tier, [*cols(*tier_columns, "deliverables"), "CAST(NULL AS boolean)"]),
        branch(
            1, AddOn, cols("title", None, "price_minor", "extra_delivery_days", None, None, None)
        ),
        branch(
            2, RequirementQuestion, cols("prompt", "kind", None, None, None, "choices", "required")
        ),
        branch(3, FaqEntry, cols("question", "answer", None, None, None, None, None)),
        branch(4, GalleryImage, cols("alt_text", "image", "width", "height", None, None, None)),
    ]
    return " UNION ALL ".join(branches) + " ORDER BY 1, 3, 2"


def _json(value: Any) -> Any:
    # Both backends hand JSON columns over as text (Django decodes JSONField itself).
    return json.loads(value) if isinstance(value, str | bytes) else value


def _load_parts(project_id: int) -> ProjectParts:
    conn = connections[router.db_for_read(Project)]
    statement = _live_sql(conn).parts
    with conn.cursor() as cursor:
        execute_prepared(cursor, statement, {"project": project_id})
        rows = cursor.fetchall()
    tiers: list[TierPart] = []
    addons: list[AddOnPart] = []
    questions: list[QuestionPart] = []
    faq: list[FaqPart] = []
    gallery: list[ImagePart] = []
    for kind, pk, _position, s1, s2, n1, n2, n3, j, b in rows:
        if kind == 0:
            deliverables = tuple(str(d) for d in _json(j) or ())
            tiers.append(TierPart(pk, s1, s2 or "", n1, n2, n3, deliverables))
        elif kind == 1:
            addons.append(AddOnPart(pk, s1, n1, n2))
        elif kind == 2:
            choices = tuple(str(x) for x in _json(j) or ())
            questions.append(QuestionPart(pk, s1, s2, choices, bool(b)))
        elif kind == 3:
            faq.append(FaqPart(pk, s1, s2))
        else:
            gallery.append(ImagePart(pk, s2, n1, n2, s1 or ""))
    return ProjectParts(tuple(tiers), tuple(addons), tuple(questions), tuple(faq), tuple(gallery))


def project_cache_seconds() -> int:
    """How long cached parts of a project may live (0: no caching). See the block above."""
    return int(getattr(settings, "FAIRLANCE_PROJECT_CACHE_SECONDS", 3600))


def project_version(project: Project) -> str:
    """The version of everything the catalog services change on ``project``: every such
    write stamps ``updated_at`` in its transaction, so the stamp names the state."""
    return f"{project.pk}:{project.updated_at.isoformat()}"


def project_parts(*, project: Project) -> ProjectParts:
    """The parts of ``project`` (a fresh read from ``project_read_for_viewer``), cached."""
    seconds = project_cache_seconds()
    key = f"fairlance:project-parts:{PARTS_FORMAT}:{project_version(project)}"
    if seconds > 0:
        parts = cache.get(key)
        if parts is not None:
            return parts  # type: ignore[no-any-return]
    parts = _load_parts(project.pk)
    if seconds > 0:
        cache.set(key, parts, seconds)
    return parts


def project_read_for_viewer(
    *,
    viewer: Any,
    project_id: int,
    now: datetime,
    with_policy: bool = False,
    with_time_off: bool = False,
) -> ProjectRead:
    """The project behind ``/projects/{id}/`` and ``GET /api/v1/projects/{id}``, in one
    statement, if ``viewer`` may see it (the rule of ``project_detail_for_viewer``);
    ``NotFound`` otherwise. Its parts come from ``project_parts``. ``with_time_off`` reads
    the freelancer's time off when some is not over yet (one more query, only then).
    """
    conn = connections[router.db_for_read(Project)]
    live = _live_sql(conn)
    # Away ranges are dates in the freelancer's zone, which lies within a day of UTC: a
    # range that misses [today - 1, today + 1] in UTC cannot cover their today.
    today = now.astimezone(UTC).date()
    params = {
        "day_from": conn.ops.adapt_datefield_value(today - timedelta(days=1)),
        "day_to": conn.ops.adapt_datefield_value(today + timedelta(days=1)),
        "project": project_id,
    }
    statement = live.live_with_policy if with_policy else live.live
    with conn.cursor() as cursor:
        execute_prepared(cursor, statement, params)
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    values = iter(row)
    project_cols, user_cols, calendar_cols, category_cols = live.columns
    project = project_cols.build(values, conn)
    freelancer = user_cols.build(values, conn)
    calendar = calendar_cols.build(values, conn)
    category = category_cols.build(values, conn)
    assert isinstance(project, Project) and isinstance(freelancer, User)
    assert isinstance(category, Category)
    project.category = category
    project.freelancer = freelancer
    freelancer.remember_calendar(calendar)  # type: ignore[arg-type]
    away_possible = bool(next(values))
    time_off_ahead = bool(next(values))
    freelancer_score = next(values)
    policy: Policy | None = None
    if with_policy:
        version, policy_values = next(values), next(values)
        policy = (
            DEFAULT_POLICY if version is None else Policy.from_values(version, _json(policy_values))
        )
    if not _may_view(viewer, project):
        raise NotFound()
    # Rare (a few percent of freelancers): read the time off in full, as
    # ``project_availability`` expects, to say exactly when they are back, and for the
    # page to show it and count delivery dates around it.
    time_off_loaded = away_possible or (with_time_off and time_off_ahead)
    if time_off_loaded:
        prefetch_related_objects(
            [freelancer], Prefetch("time_off", queryset=TimeOff.objects.order_by("start_date"))
        )
    return ProjectRead(
        project=project,
        policy=policy,
        away_possible=away_possible,
        time_off_ahead=time_off_ahead,
        time_off_loaded=time_off_loaded,
        freelancer_score=freelancer_score,
    )


def project_read_availability(*, read: ProjectRead, now: datetime) -> Availability:
    """``project_availability`` for a ``ProjectRead``, without reading time off it knows
    cannot matter."""
    return _availability(project=read.project, now=now, away_possible=read.away_possible)


def project_read_calendar(*, read: ProjectRead) -> WorkdaySpec:
    """The freelancer's working calendar, time off included, without another query.

    Precondition: ``read`` came with ``with_time_off=True`` (otherwise time off that is
    not over could be missing from the calendar).
    """
    assert read.time_off_loaded or not read.time_off_ahead, "read with with_time_off=True"
    calendar = _calendar_of(read.project.freelancer)
    if calendar is None:
        return WorkdaySpec()
    return calendar.as_spec() if read.time_off_loaded else calendar.as_spec(time_off=())


def project_read_time_off(*, read: ProjectRead, now: datetime) -> list[TimeOff]:
    """The freelancer's time off that is not over in their own date, soonest first.

    Precondition as for ``project_read_calendar``.
    """
    assert read.time_off_loaded or not read.time_off_ahead, "read with with_time_off=True"
    if not read.time_off_loaded:
        return []
    freelancer = read.project.freelancer
    today = user_local_today(user=freelancer, now=now)
    return [t for t in freelancer.time_off.all() if t.end_date >= today]


def _calendar_of(user: User) -> WorkingCalendar | None:
    try:
        return user.calendar
    except WorkingCalendar.DoesNotExist:
        return None
