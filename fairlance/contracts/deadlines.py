"""Every clock of a contract: its UTC instant and why it falls there (SPEC section 3).

Clocks that wait on the freelancer (request window, grace window, delivery when the project
counts working days, as projects do by default) use the freelancer's working calendar;
clocks that wait on the client (requirements, review, late grace) count calendar days. Each
explanation reads in the time zone of the side its clock waits on; the API adds the
viewer's local time next to every instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fairlance.core.workdays import (
    Deadline,
    WorkdaySpec,
    explained_calendar_days_after,
    explained_working_days_after,
    format_local,
    format_local_day,
)

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract, Timer
    from fairlance.core.policy import Policy


def calendar_spec(user: object) -> WorkdaySpec:
    """``user``'s working calendar (with their time off, as loaded on ``user``)."""
    calendar = getattr(user, "calendar", None)
    if calendar is None:  # every user gets a calendar at sign-up; be safe for raw rows
        return WorkdaySpec()
    return calendar.as_spec()


def freelancer_spec(contract: Contract) -> WorkdaySpec:
    return calendar_spec(contract.freelancer)


def _zone_of(user: object) -> str:
    calendar = getattr(user, "calendar", None)
    return str(calendar.time_zone) if calendar is not None else "UTC"


def client_zone(contract: Contract) -> str:
    """Clocks that wait on the client are explained in the client's own time zone."""
    return _zone_of(contract.client)


def request_deadline(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    d = explained_working_days_after(
        freelancer_spec(contract),
        anchor,
        policy.request_window_working_days,
        anchor_label="the request",
    )
    return Deadline(d.at, f"The freelancer answers within {d.explanation}")


def requirements_deadline(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    d = explained_calendar_days_after(
        anchor,
        policy.requirements_window_days,
        viewer_tz=client_zone(contract),
        anchor_label="purchase",
    )
    return Deadline(d.at, f"The client sends requirements within {d.explanation}")


# --- when work is due: one rule for the contract's clocks and the estimate before paying ---


@dataclass(frozen=True)
class WorkDeadlines:
    """The clocks that start with the work: until when the freelancer may decline without
    fault (instant purchases only; None in request mode) and when the delivery is due.
    Explanations have no subject ("3 working days after work starts (…); …"): the
    contract's notes and the checkout each put their own words in front.
    """

    grace: Deadline | None
    delivery: Deadline


def purchase_delivery_days(*, tier_days: int, addon_days: Iterable[int]) -> int:
    """The delivery days a purchase gets: the tier's plus every add-on's (add-ons that
    shorten delivery carry negative days), never fewer than 1 day of the project's kind
    (1 working day for working-day projects)."""
    return max(1, tier_days + sum(addon_days))


def work_deadlines(
    *,
    spec: WorkdaySpec,
    start: datetime,
    delivery_days: int,
    working_days: bool,
    purchase_mode: str,
    policy: Policy,
) -> WorkDeadlines:
    """When work starting at ``start`` is due, for the freelancer calendar ``spec``.

    This is the one rule behind the contract's clocks (``actions.start_delivery_clock`` and
    ``start_grace_window``) and the date a client is shown before paying:

    * The grace window (instant purchases) is always the policy's full window of working
      days after work starts; nothing cuts it short.
    * Delivery counts ``delivery_days`` working days in the freelancer's calendar, or
      calendar days when the project says so.
    * The delivery is never due before the grace window ends: a freelancer who may still
      decline without fault cannot already be late. When the count would end earlier, the
      due moves to the grace window's end and the explanation says so.

    Precondition: ``delivery_days >= 1`` (``purchase_delivery_days`` ensures it).
    """
    grace: Deadline | None = None
    if purchase_mode == "instant":
        grace = explained_working_days_after(
            spec, start, policy.grace_window_working_days, anchor_label="work starts"
        )
    if working_days:
        delivery = explained_working_days_after(
            spec, start, delivery_days, anchor_label="work starts"
        )
    else:
        delivery = explained_calendar_days_after(
            start, delivery_days, viewer_tz=spec.time_zone, anchor_label="work starts"
        )
    if grace is not None and delivery.at < grace.at:
        window = policy.grace_window_working_days
        delivery = Deadline(
            grace.at,
            f"{delivery.explanation}; that is before the freelancer's "
            f"{window} working day{'' if window == 1 else 's'} to decline without fault are "
            f"over, so it moves to the end of that window "
            f"({format_local_day(grace.at, spec.time_zone)})",
        )
    return WorkDeadlines(grace=grace, delivery=delivery)


def contract_work_deadlines(contract: Contract, policy: Policy, start: datetime) -> WorkDeadlines:
    """``work_deadlines`` for a contract whose work starts at ``start``, from its snapshot."""
    return work_deadlines(
        spec=freelancer_spec(contract),
        start=start,
        delivery_days=contract.delivery_days,
        working_days=bool(contract.snapshot.get("delivery_in_working_days")),
        purchase_mode=contract.purchase_mode,
        policy=policy,
    )


def delivery_timer_due(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    """The ``mark_late`` timer fires at the stored delivery due (shifted by disputes)."""
    at = contract.delivery_due_at or anchor
    return Deadline(at, str(contract.clock_notes.get("delivery_due", "Delivery due")))


def review_deadline(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    d = explained_calendar_days_after(
        anchor,
        policy.review_window_days,
        viewer_tz=client_zone(contract),
        anchor_label="the latest delivery",
    )
    return Deadline(d.at, f"Approved automatically {d.explanation}")


def late_grace_deadline(contract: Contract, policy: Policy) -> Deadline:
    due = contract.delivery_due_at
    assert due is not None, "late grace needs a delivery due instant"
    d = explained_calendar_days_after(
        due,
        policy.late_grace_days,
        viewer_tz=client_zone(contract),
        anchor_label="the delivery due",
    )
    return Deadline(d.at, f"The client may cancel a late contract {d.explanation}")


def shifted(deadline: Deadline, by: timedelta) -> Deadline:
    if not by:
        return deadline
    hours = round(by.total_seconds() / 3600, 1)
    return Deadline(deadline.at + by, f"{deadline.explanation}; extended by {hours} h of dispute")


# --- what a contract page shows -------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    name: str
    at: datetime
    explanation: str
    local: str  # the instant in the viewer's zone, e.g. "Mon 18:00 Europe/Lisbon"
    # Frozen while a cancellation proposal is open: the instant moves by however long the
    # proposal stays open, so it is shown without a countdown.
    paused: bool = False


def open_clocks(
    contract: Contract, *, viewer_tz: str, now: datetime, pending: list[Timer] | None = None
) -> list[Clock]:
    """The clocks running for ``contract`` right now, soonest first.

    ``pending`` is the contract's pending timers when the caller has them (a purchase
    just armed them); otherwise they are read.
    """
    from fairlance.contracts.models import TimerStatus
    from fairlance.core.policy import policy_for_version

    found: dict[str, tuple[datetime, str]] = {}
    timers = (
        sorted(pending, key=lambda t: t.fire_at)
        if pending is not None
        # A subject's clock (a proposal's answer window) is shown with its subject.
        else contract.timers.filter(status=TimerStatus.PENDING, subject_type="").order_by("fire_at")
    )
    from fairlance.contracts import disputes

    for timer in timers:
        if timer.clock.endswith("_reminder"):
            continue
        if timer.clock == disputes.ANSWER_CLOCK and not disputes.answer_open(contract, now):
            # Answered: its timer stays pending until it fires and finds nothing to do.
            continue
        found.setdefault(timer.clock, (timer.fire_at, timer.explanation))
    if contract.state == "in_progress":
        if (
            contract.grace_ends_at
            and contract.purchase_mode == "instant"
            and now < contract.grace_ends_at
        ):
            found["grace"] = (contract.grace_ends_at, str(contract.clock_notes.get("grace", "")))
        if contract.delivery_due_at:
            found["delivery_due"] = (
                contract.delivery_due_at,
                str(contract.clock_notes.get("delivery_due", "")),
            )
        if contract.late and contract.delivery_due_at:
            late = late_grace_deadline(contract, policy_for_version(contract.policy_version))
            found["late_grace"] = (late.at, late.explanation)
    paused = contract.clocks_paused_at is not None
    clocks = [
        Clock(name, at, explanation, _local(at, viewer_tz), paused=paused)
        for name, (at, explanation) in found.items()
    ]
    return sorted(clocks, key=lambda c: c.at)


def _local(at: datetime, tz: str) -> str:
    try:
        return format_local(at, tz)
    except Exception:  # an unknown zone from a cookie: fall back to UTC
        return format_local(at, "UTC")


def feedback_deadline(contract: Contract, policy: Policy, anchor: datetime) -> Deadline:
    """The feedback window closes ``feedback_window_days`` calendar days after the ending
    (``anchor``: entering the final state); double-blind feedback is published then."""
    d = explained_calendar_days_after(
        anchor,
        policy.feedback_window_days,
        viewer_tz=client_zone(contract),
        anchor_label="the contract ended",
    )
    return Deadline(d.at, f"Feedback closes {d.explanation}")
