"""Working-day arithmetic: the clocks that wait on a freelancer (SPEC section 3).

Everything here is pure: a ``WorkdaySpec`` value in, an aware datetime out, no database.
``WorkingCalendar.as_spec()`` builds the spec from the rows.

The rules
---------
* A day is a *working day* when its weekday is in ``working_weekdays``, it is not a
  public holiday of ``holiday_country``/``holiday_subdivision`` (opt-in, from the
  ``holidays`` package) and it is not inside a time-off range. Days are local dates in
  the spec's time zone.
* "N working days after T": when T's local date is a working day, the deadline is the
  same local wall-clock time on the Nth following working day. When T's local date is
  not a working day, the next working day counts as the first one and the deadline is
  the *end* of the Nth working day, where "end of day" means 23:59:59 local time (the
  last whole second of that date; a deadline is "before the day is over").
* ``n == 0`` means "now": the instant itself, whatever day it falls on.
* Wall-clock times are turned into instants with ``zoneinfo``. A local time that does
  not exist (inside a spring-forward gap) is moved forward by the length of the gap
  (02:30 on the day New York skips 02:00-03:00 becomes 03:30 EDT); an ambiguous local
  time (inside a fall-back overlap) takes its first occurrence (the earlier instant).
  Both follow from ``fold=0`` and are what people expect from "the same time".
* A spec where no day can ever be a working day would loop for ever; the search gives
  up with ``ValueError`` after ``MAX_SEARCH_DAYS`` days. The account services refuse
  to store a calendar without working weekdays, so users never see that error.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import holidays

#: How far the search for working days goes before it declares the spec hopeless.
MAX_SEARCH_DAYS = 3660
#: The local time at which a day ends for "end of the Nth working day" deadlines.
END_OF_DAY = time(23, 59, 59)

DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKEND = frozenset({5, 6})


@dataclass(frozen=True)
class WorkdaySpec:
    """When someone works. ``time_off`` holds inclusive (first, last) local dates."""

    time_zone: str = "UTC"
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    work_start: time = time(9, 0)
    work_end: time = time(17, 0)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    time_off: tuple[tuple[date, date], ...] = field(default=())

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class Deadline:
    """An instant (aware, UTC) and, for people, why it falls there."""

    at: datetime
    explanation: str


# --- Days -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _holidays_of_year(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    # English names where the country provides them, so explanations read the same for
    # everyone; otherwise the package's default language.
    cls = type(holidays.country_holidays(country, subdiv=subdivision, years=()))
    languages = getattr(cls, "supported_languages", ())
    language = "en_US" if "en_US" in languages else None
    found = holidays.country_holidays(country, subdiv=subdivision, years=year, language=language)
    return dict(found.items())


def holiday_name(spec: WorkdaySpec, day: date) -> str | None:
    """The public holiday's name when ``day`` is one in the spec's country, else None."""
    if not spec.holiday_country:
        return None
    try:
        table = _holidays_of_year(spec.holiday_country, spec.holiday_subdivision, day.year)
    except NotImplementedError as exc:
        raise ValueError(f"unsupported holiday country {spec.holiday_country!r}") from exc
    return table.get(day)


def _in_time_off(spec: WorkdaySpec, day: date) -> bool:
    return any(first <= day <= last for first, last in spec.time_off)


def non_working_reason(spec: WorkdaySpec, day: date) -> tuple[str, str] | None:
    """Why ``day`` is not a working day: ``(kind, label)`` or None for a working day.

    ``kind`` is ``weekday`` (not one of the working weekdays), ``holiday`` (label is the
    holiday's name) or ``time_off``. A holiday that falls on a weekend is reported as the
    weekend: the weekday rule alone already skips it.
    """
    if day.weekday() not in spec.working_weekdays:
        return ("weekday", DAY_NAMES[day.weekday()])
    name = holiday_name(spec, day)
    if name is not None:
        return ("holiday", name)
    if _in_time_off(spec, day):
        return ("time_off", "time off")
    return None


def is_working_day(spec: WorkdaySpec, day: date) -> bool:
    return non_working_reason(spec, day) is None


def local_date(time_zone: str, instant: datetime) -> date:
    """The calendar date of ``instant`` in ``time_zone`` ("today" for that person)."""
    return _require_aware(instant).astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def next_working_day(spec: WorkdaySpec, day: date) -> date:
    """The first working day strictly after ``day`` (when someone away is back)."""
    return _next_working_day(spec, day)


def _next_working_day(spec: WorkdaySpec, day: date) -> date:
    """The first working day strictly after ``day``."""
    for offset in range(1, MAX_SEARCH_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_working_day(spec, candidate):
            return candidate
    raise ValueError(f"no working day within {MAX_SEARCH_DAYS} days after {day}")


def _nth_working_day(spec: WorkdaySpec, day: date, n: int) -> date:
    """The Nth working day strictly after ``day`` (n >= 1)."""
    current = day
    for _ in range(n):
        current = _next_working_day(spec, current)
        if (current - day).days > MAX_SEARCH_DAYS:
            raise ValueError(f"no {n} working days within {MAX_SEARCH_DAYS} days after {day}")
    return current


# --- Instants ---------------------------------------------------------------------------


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be an aware datetime")
    return instant


def _at_local(zone: zoneinfo.ZoneInfo, day: date, wall: time) -> datetime:
    """``day`` at wall-clock ``wall`` in ``zone``, as UTC (gap: forward; overlap: first)."""
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def _working_days_target(spec: WorkdaySpec, instant: datetime, n: int) -> tuple[datetime, date]:
    """(deadline in UTC, the local date of the working day it lands on)."""
    if n < 0:
        raise ValueError("n must not be negative")
    instant = _require_aware(instant)
    if n == 0:
        return instant.astimezone(UTC), local_date(spec.time_zone, instant)
    zone = spec.zone
    local = instant.astimezone(zone)
    start_day = local.date()
    target_day = _nth_working_day(spec, start_day, n)
    on_working_day = is_working_day(spec, start_day)
    wall = local.time().replace(tzinfo=None) if on_working_day else END_OF_DAY
    return _at_local(zone, target_day, wall), target_day


def working_days_after(spec: WorkdaySpec, instant: datetime, n: int) -> datetime:
    """The deadline N working days after ``instant`` (aware UTC); see the module rules."""
    return _working_days_target(spec, instant, n)[0]


def calendar_days_after(instant: datetime, n: int) -> datetime:
    """N calendar days after ``instant``: exactly ``n`` * 24 hours, in UTC.

    Clocks that wait on the client count calendar days. Adding whole days to the UTC
    instant gives both sides the same deadline whatever their zones; across a
    daylight-saving change the local wall-clock time therefore moves by the shift.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    return _require_aware(instant).astimezone(UTC) + timedelta(days=n)


def next_working_moment(spec: WorkdaySpec, instant: datetime) -> datetime:
    """For quiet hours: ``instant`` itself when it is inside working hours on a working
    day, else the start of the next working period (``work_start`` on the same or the
    next working day), in UTC. Assumes ``work_start < work_end`` (the services enforce it).
    """
    instant = _require_aware(instant)
    zone = spec.zone
    local = instant.astimezone(zone)
    today = local.date()
    wall = local.time().replace(tzinfo=None)
    if is_working_day(spec, today):
        if spec.work_start <= wall < spec.work_end:
            return instant.astimezone(UTC)
        if wall < spec.work_start:
            start = _at_local(zone, today, spec.work_start)
            # A work_start inside a spring-forward gap can land before the instant.
            if start > instant:
                return start
            return instant.astimezone(UTC)
    return _at_local(zone, _next_working_day(spec, today), spec.work_start)


# --- Explanations -----------------------------------------------------------------------
#
# Explanations are read by people on both sides of a contract, so they are written the way
# a person would say it: "3 working days after work starts (Thu 24 Dec 18:00 Europe/Lisbon);
# Christmas Day and the weekend skipped". The anchor carries its date, because a count of
# days only makes sense from a day the reader can see; what was skipped is listed in the
# order it happened, one phrase per reason.


def format_local(instant: datetime, time_zone: str) -> str:
    """ "Fri 18:00 Europe/Lisbon": a deadline's instant in a zone, without its date."""
    local = _require_aware(instant).astimezone(zoneinfo.ZoneInfo(time_zone))
    return f"{DAY_ABBR[local.weekday()]} {local:%H:%M} {time_zone}"


def format_local_day(instant: datetime, time_zone: str) -> str:
    """ "Thu 24 Dec 18:00 Europe/Lisbon": how an anchor or a moved deadline reads in an
    explanation (with its date, so a count of days can be followed)."""
    local = _require_aware(instant).astimezone(zoneinfo.ZoneInfo(time_zone))
    return f"{format_day(local.date())} {local:%H:%M} {time_zone}"


def format_day(day: date) -> str:
    """ "Fri 25 Dec": a date as the explanations write it."""
    return f"{DAY_ABBR[day.weekday()]} {day.day} {MONTH_ABBR[day.month - 1]}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _join(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _runs(days: Iterable[date]) -> list[list[date]]:
    """Consecutive days grouped: [Sat, Sun, Sat, Sun] of two weeks is two runs."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _bridged(runs: list[list[date]], spec: WorkdaySpec) -> list[list[date]]:
    """Runs of time off joined across days that were off anyway: two weeks off around a
    weekend read "from Mon 28 Dec to Fri 8 Jan", not as two ranges."""
    out: list[list[date]] = []
    for run in runs:
        if out:
            gap = (out[-1][-1] + timedelta(days=i) for i in range(1, (run[0] - out[-1][-1]).days))
            if not any(is_working_day(spec, day) for day in gap):
                out[-1] = [out[-1][0], run[-1]]
                continue
        out.append(run)
    return out


def _format_run(run: list[date]) -> str:
    if len(run) == 1:
        return f"on {format_day(run[0])}"
    return f"from {format_day(run[0])} to {format_day(run[-1])}"


def _weekly_days_off_phrase(spec: WorkdaySpec, days: list[date]) -> str:
    """ "the weekend", "2 weekends", or the weekdays this person never works on."""
    weekdays = {day.weekday() for day in days}
    if weekdays <= WEEKEND and not (WEEKEND & spec.working_weekdays):
        weekends = len(_runs(days))
        return "the weekend" if weekends == 1 else f"{weekends} weekends"
    # A week other than Monday to Friday: name the days, in the order they came.
    names = list(dict.fromkeys(DAY_ABBR[day.weekday()] for day in sorted(days)))
    return f"the weekly days off ({_join(names)})"


def skipped_phrase(spec: WorkdaySpec, days: Iterable[date]) -> str | None:
    """What a working-day count skipped among ``days``, in words, or None if nothing.

    One phrase per reason, in the order they came: "Christmas Day and the weekend
    skipped", "the weekend, time off from Mon 28 Dec to Thu 31 Dec and New Year's Day
    skipped". A holiday is named (once, however many days it covers); time off gives its
    dates, because only the freelancer knew them.
    """
    weekly: list[date] = []
    holiday_first: dict[str, date] = {}
    time_off: list[date] = []
    for day in days:
        reason = non_working_reason(spec, day)
        if reason is None:
            continue
        kind, label = reason
        if kind == "weekday":
            weekly.append(day)
        elif kind == "holiday":
            holiday_first.setdefault(label, day)
        else:
            time_off.append(day)
    phrases: list[tuple[date, str]] = [(first, name) for name, first in holiday_first.items()]
    if weekly:
        phrases.append((min(weekly), _weekly_days_off_phrase(spec, weekly)))
    if time_off:
        runs = _bridged(_runs(time_off), spec)
        phrases.append((runs[0][0], "time off " + _join([_format_run(r) for r in runs])))
    if not phrases:
        return None
    return f"{_join([text for _, text in sorted(phrases)])} skipped"


def explained_working_days_after(
    spec: WorkdaySpec, instant: datetime, n: int, *, anchor_label: str = "the start"
) -> Deadline:
    """``working_days_after`` with a sentence saying why the deadline falls there, e.g.
    "1 working day after requirements (Fri 20 Nov 18:00 Europe/Lisbon); the weekend skipped".
    """
    at, target_day = _working_days_target(spec, instant, n)
    anchor_day = local_date(spec.time_zone, instant)
    parts = [
        f"{_plural(n, 'working day')} after {anchor_label} "
        f"({format_local_day(instant, spec.time_zone)})"
    ]
    if n > 0:
        anchor_off = non_working_reason(spec, anchor_day) is not None
        if anchor_off:
            parts.append(
                f"{format_day(anchor_day)} is not a working day, so the count runs to the end "
                f"of the {_ordinal(n)} working day ({END_OF_DAY:%H:%M:%S})"
            )
        between = (anchor_day + timedelta(days=i) for i in range((target_day - anchor_day).days))
        skipped = skipped_phrase(spec, between)
        if skipped:
            parts.append(skipped)
        intended = END_OF_DAY if anchor_off else instant.astimezone(spec.zone).time()
        actual = at.astimezone(spec.zone).time()
        if actual.replace(tzinfo=None) != intended.replace(tzinfo=None):
            parts.append(
                f"{intended:%H:%M} does not exist on {format_day(target_day)} in "
                f"{spec.time_zone} (clocks go forward), so it is {actual:%H:%M}"
            )
    return Deadline(at=at, explanation="; ".join(parts))


def explained_calendar_days_after(
    instant: datetime,
    n: int,
    *,
    viewer_tz: str = "UTC",
    anchor_label: str = "the start",
) -> Deadline:
    """``calendar_days_after`` with its explanation, anchor shown in the viewer's zone."""
    at = calendar_days_after(instant, n)
    parts = [
        f"{_plural(n, 'calendar day')} after {anchor_label} "
        f"({format_local_day(instant, viewer_tz)})"
    ]
    zone = zoneinfo.ZoneInfo(viewer_tz)
    before = _require_aware(instant).astimezone(zone).utcoffset()
    after = at.astimezone(zone).utcoffset()
    if before != after:
        parts.append(
            f"the clock change in {viewer_tz} moves it to {format_local_day(at, viewer_tz)}"
        )
    return Deadline(at=at, explanation="; ".join(parts))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- Away ranges ------------------------------------------------------------------------


def merged_range_end(ranges: Iterable[tuple[date, date]], day: date) -> date | None:
    """The last day of the range covering ``day``, following ranges that overlap or
    touch it (a range ending on the 5th and one starting on the 6th are one absence).
    None when no range covers ``day``.
    """
    ordered = sorted(ranges)
    end: date | None = None
    for first, last in ordered:
        if end is None:
            if first <= day <= last:
                end = last
        elif first <= end + timedelta(days=1):
            end = max(end, last)
    return end
