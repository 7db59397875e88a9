"""Presenters turn domain objects into what a page shows, so templates hold no rules.

Each function is pure over its inputs (plus the policy in force), which keeps the templates
dumb and lets tests check wording without rendering HTML.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from fairlance.catalog.models import Project, ProjectStatus
from fairlance.contracts.deadlines import work_deadlines
from fairlance.core.money import percent_of
from fairlance.core.policy import Policy
from fairlance.core.workdays import DAY_ABBR, MONTH_ABBR, WorkdaySpec


def format_day(day: date) -> str:
    """``Mon 12 Jan`` — the short form used across the UI for dates."""
    return f"{day:%a} {day.day} {day:%b}"


@dataclass(frozen=True)
class TierColumn:
    name: str
    description: str
    price_minor: int
    client_pays_minor: int
    freelancer_receives_minor: int
    delivery_days: int
    revisions: int
    # What this tier delivers, in the freelancer's order: listed in the tier's own column
    # (tiers rarely share their wording, so one tick row per deliverable made a diagonal).
    deliverables: tuple[str, ...]


@dataclass(frozen=True)
class TierTable:
    columns: list[TierColumn]
    working_days: bool = False

    @property
    def has_deliverables(self) -> bool:
        return any(c.deliverables for c in self.columns)


class TierLike(Protocol):
    """A ``Tier`` row or a cached ``catalog.selectors.TierPart``."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def price_minor(self) -> int: ...
    @property
    def delivery_days(self) -> int: ...
    @property
    def revisions(self) -> int: ...
    @property
    def deliverables(self) -> Sequence[str]: ...


def tier_table(*, tiers: Iterable[TierLike], policy: Policy, working_days: bool) -> TierTable:
    """The package comparison: one column per tier, each listing what that tier includes."""
    columns: list[TierColumn] = []
    for tier in tiers:
        client_fee = percent_of(tier.price_minor, policy.client_fee_bp)
        freelancer_fee = percent_of(tier.price_minor, policy.freelancer_fee_bp)
        columns.append(
            TierColumn(
                name=tier.name,
                description=tier.description,
                price_minor=tier.price_minor,
                client_pays_minor=tier.price_minor + client_fee,
                freelancer_receives_minor=tier.price_minor - freelancer_fee,
                delivery_days=tier.delivery_days,
                revisions=tier.revisions,
                deliverables=tuple(str(d) for d in (tier.deliverables or [])),
            )
        )
    return TierTable(columns=columns, working_days=working_days)


@dataclass(frozen=True)
class Banner:
    tone: str  # "warning" | "danger" | "info"
    title: str
    text: str


def availability_banner(availability: Any, *, project: Project) -> Banner | None:
    """What the project page says when the project cannot be bought right now."""
    if availability is None or availability.purchasable:
        return None
    reason = availability.reason_code
    back_on: date | None = availability.back_on
    if reason == "freelancer_away":
        if back_on is not None:
            return Banner(
                "warning",
                f"Away — back on {format_day(back_on)}",
                "The freelancer is taking time off. You can buy again when they are back.",
            )
        return Banner("warning", "The freelancer is away", availability.message or "")
    if reason == "capacity_full":
        return Banner(
            "warning",
            "Fully booked",
            availability.message or "All slots are taken right now. Check back soon.",
        )
    if reason == "freelancer_suspended":
        return Banner("danger", "Not available", availability.message or "")
    if project.status == ProjectStatus.PAUSED:
        return Banner("warning", "Paused", "The freelancer has paused this project for now.")
    if project.status == ProjectStatus.PENDING_REVIEW:
        return Banner("info", "Waiting for review", "An operator is reviewing this project.")
    if project.status == ProjectStatus.DRAFT:
        return Banner("info", "Draft", "Only you can see this project until you publish it.")
    if project.status == ProjectStatus.ARCHIVED:
        return Banner("danger", "Archived", "This project is no longer offered.")
    return Banner("warning", "Not available", availability.message or "")


@dataclass(frozen=True)
class FreelancerCard:
    name: str
    headline: str
    country: str
    local_time: str
    time_zone: str
    member_since: str


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    # ZoneInfo keeps only its 8 most recent zones strongly; a catalog page cycles through
    # many more, and each miss re-reads the tz database file (~0.1 ms per project page).
    return zoneinfo.ZoneInfo(name)


def freelancer_card(*, user: Any, now: datetime) -> FreelancerCard:
    calendar = getattr(user, "calendar", None)
    tz_name = calendar.time_zone if calendar is not None else "UTC"
    try:
        local = now.astimezone(_zone(tz_name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz_name = "UTC"
        local = now.astimezone(zoneinfo.ZoneInfo("UTC"))
    return FreelancerCard(
        name=user.public_name,
        headline=user.headline,
        country=user.country,
        local_time=f"{local:%a} {local:%H:%M}",
        time_zone=tz_name,
        member_since=f"{user.date_joined:%B %Y}",
    )


# The next step a freelancer can take on a project, per status: (action, label).
STATUS_ACTIONS: dict[str, list[tuple[str, str]]] = {
    ProjectStatus.DRAFT: [("publish", "Publish")],
    ProjectStatus.PENDING_REVIEW: [],
    ProjectStatus.PUBLISHED: [("pause", "Pause")],
    ProjectStatus.PAUSED: [("resume", "Resume")],
    ProjectStatus.ARCHIVED: [],
}


def project_actions(project: Project) -> list[tuple[str, str]]:
    return STATUS_ACTIONS.get(project.status, [])


def attention_reason(project: Project) -> str | None:
    """Why a project on the dashboard needs its owner, or None when all is well."""
    if project.status == ProjectStatus.DRAFT and project.review_note:
        return f"Changes requested by review: {project.review_note}"
    if project.status == ProjectStatus.DRAFT:
        return "Draft — publish it when it is ready"
    if project.status == ProjectStatus.PAUSED:
        return "Paused — clients cannot buy it"
    if project.status == ProjectStatus.PENDING_REVIEW:
        return "Waiting for an operator's review"
    if project.status == ProjectStatus.PUBLISHED and project.capacity_full:
        return "Fully booked — raise the capacity to take more work"
    return None


# --- delivery dates before paying --------------------------------------------------------


@dataclass(frozen=True)
class DeliveryDate:
    """When a purchase made now would be delivered, for one number of delivery days."""

    days: int
    at_iso: str
    local: str  # "Wed 30 Dec 18:00" in ``DeliveryTerms.time_zone``
    # "3 working days after work starts (…); Christmas Day and the weekend skipped"
    explanation: str


@dataclass(frozen=True)
class DeliveryTerms:
    """What the project page and checkout say about delivery dates, and in which zone."""

    working_days: bool
    time_zone: str
    # Whose zone that is, for the reader: "your time zone" or "the freelancer's time zone".
    zone_owner: str
    # What the dates assume about when work starts, or "" when it starts with the payment.
    assumption: str


def delivery_terms(
    *, viewer: Any, freelancer_zone: str, working_days: bool, purchase_mode: str, asks: bool
) -> DeliveryTerms:
    """How dates are shown to ``viewer`` (None when anonymous): in their own zone, or in
    the freelancer's for anonymous visitors (who have none; the freelancer's is the zone
    the working days are counted in). ``asks`` is whether the project asks required
    questions, so that work starts only when the client answers them.
    """
    calendar = getattr(viewer, "calendar", None) if viewer is not None else None
    if calendar is not None:
        zone, owner = _valid_zone(str(calendar.time_zone)), "your time zone"
    else:
        zone, owner = _valid_zone(freelancer_zone), "the freelancer's time zone"
    if purchase_mode == "request":
        assumption = "if the freelancer accepts your request now"
    elif asks:
        assumption = "if you send your requirements now"
    else:
        assumption = ""
    return DeliveryTerms(
        working_days=working_days, time_zone=zone, zone_owner=owner, assumption=assumption
    )


def delivery_date(
    *,
    spec: WorkdaySpec,
    now: datetime,
    days: int,
    terms: DeliveryTerms,
    purchase_mode: str,
    policy: Policy,
) -> DeliveryDate:
    """The date a contract bought now with ``days`` delivery days gets, by the contract's
    own rule (``contracts.deadlines.work_deadlines``), assuming work starts ``now``."""
    due = work_deadlines(
        spec=spec,
        start=now,
        delivery_days=days,
        working_days=terms.working_days,
        purchase_mode=purchase_mode,
        policy=policy,
    ).delivery
    local = due.at.astimezone(_zone(terms.time_zone))
    return DeliveryDate(
        days=days,
        at_iso=due.at.isoformat(),
        local=(
            f"{DAY_ABBR[local.weekday()]} {local.day} {MONTH_ABBR[local.month - 1]} {local:%H:%M}"
        ),
        explanation=due.explanation,
    )


#: Most sums of days the checkout precomputes delivery dates for (see below).
MAX_PRECOMPUTED_DATES = 60


def reachable_day_sums(
    *, tier_days: Iterable[int], addon_days: Sequence[int], limit: int = MAX_PRECOMPUTED_DATES
) -> list[int] | None:
    """Every sum of a tier's days and some add-ons' days (before the floor of
    ``purchase_delivery_days``), or None when there are more than ``limit``.

    The checkout's live preview adds the days of what is ticked, as it adds prices, and
    looks that sum up in what the server computed for it (the days after the floor and
    the date), so it never shows a date of its own making; with too many sums it asks
    for the page to be refreshed instead.
    """
    sums = {0}
    for extra in addon_days:
        sums |= {s + extra for s in sums}
        if len(sums) > limit:
            return None
    totals = {days + s for days in tier_days for s in sums}
    return sorted(totals) if len(totals) <= limit else None


def _valid_zone(name: str) -> str:
    try:
        _zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


@dataclass(frozen=True)
class TimeOffLine:
    text: str  # "Mon 28 Dec to Fri 1 Jan"
    away: bool  # purchases are paused then


def time_off_lines(ranges: Iterable[Any]) -> list[TimeOffLine]:
    """Booked time off as the project page lists it (``TimeOff`` rows, soonest first)."""
    lines = []
    for t in ranges:
        first, last = t.start_date, t.end_date
        text = format_day(first) if first == last else f"{format_day(first)} to {format_day(last)}"
        lines.append(TimeOffLine(text=text, away=bool(t.away)))
    return lines
