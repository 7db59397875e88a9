"""Reads on the catalog: who may see which project, and whether it can be bought now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet

from fairlance.accounts.models import TimeOff, User
from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import Category, Project, ProjectStatus
from fairlance.core.errors import NotFound
from fairlance.core.workdays import next_working_day


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
    if project is None:
        raise NotFound()
    if project.status == ProjectStatus.PUBLISHED and not project.freelancer.is_suspended:
        return project
    authenticated = viewer is not None and getattr(viewer, "is_authenticated", False)
    if authenticated and (viewer.pk == project.freelancer_id or viewer.is_operator):
        return project
    raise NotFound()


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
        .select_related("category", "freelancer")
        .order_by("updated_at", "id")
    )


def categories_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "name")


# --- availability --------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    purchasable: bool
    reason_code: str | None
    message: str
    back_on: date | None = None


def project_availability(*, project: Project, now: datetime) -> Availability:
    """Whether ``project`` can be bought at ``now``, and if not, why (in words for people)."""
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
    last_away = away_until(user=freelancer, today=user_local_today(user=freelancer, now=now))
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
