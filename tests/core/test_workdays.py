"""Working-day arithmetic (SPEC section 3): pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fairlance.core.workdays import (
    END_OF_DAY,
    WorkdaySpec,
    calendar_days_after,
    explained_calendar_days_after,
    explained_working_days_after,
    is_working_day,
    local_date,
    merged_range_end,
    next_working_moment,
    working_days_after,
)

LISBON = ZoneInfo("Europe/Lisbon")
NEW_YORK = ZoneInfo("America/New_York")
MON_FRI = frozenset({0, 1, 2, 3, 4})


def lisbon_spec(**kw) -> WorkdaySpec:
    return WorkdaySpec(time_zone="Europe/Lisbon", **kw)


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


# --- The examples from the spec ----------------------------------------------------------


def test_friday_evening_plus_one_working_day_is_monday_same_time():
    # Given Friday 18:00 in Lisbon, a Mon-Fri calendar
    friday = at(LISBON, 2026, 11, 20, 18, 0)
    # When one working day is added
    due = working_days_after(lisbon_spec(), friday, 1)
    # Then it is Monday 18:00 Lisbon, returned in UTC
    assert due == at(LISBON, 2026, 11, 23, 18, 0)
    assert due.tzinfo == UTC


def test_saturday_start_runs_to_the_end_of_monday():
    saturday = at(LISBON, 2026, 11, 21, 10, 0)
    due = working_days_after(lisbon_spec(), saturday, 1)
    assert due == at(LISBON, 2026, 11, 23, 23, 59, 59)


def test_saturday_start_plus_two_is_end_of_tuesday():
    saturday = at(LISBON, 2026, 11, 21, 10, 0)
    due = working_days_after(lisbon_spec(), saturday, 2)
    assert due == at(LISBON, 2026, 11, 24, 23, 59, 59)


def test_local_date_decides_not_utc_date():
    # Given Friday 23:30 in New York, which is already Saturday in UTC
    friday_night = at(NEW_YORK, 2026, 11, 20, 23, 30)
    assert friday_night.astimezone(UTC).weekday() == 5
    # Then it counts as a working-day anchor: Monday 23:30 New York
    spec = WorkdaySpec(time_zone="America/New_York")
    assert working_days_after(spec, friday_night, 1) == at(NEW_YORK, 2026, 11, 23, 23, 30)


def test_zero_working_days_is_the_instant_itself_even_on_a_weekend():
    saturday = at(LISBON, 2026, 11, 21, 10, 0)
    assert working_days_after(lisbon_spec(), saturday, 0) == saturday


def test_negative_n_and_naive_instants_are_refused():
    with pytest.raises(ValueError):
        working_days_after(lisbon_spec(), at(LISBON, 2026, 11, 20, 18), -1)
    with pytest.raises(ValueError):
        working_days_after(lisbon_spec(), datetime(2026, 11, 20, 18), 1)


# --- Holidays and time off ---------------------------------------------------------------


def test_us_independence_day_is_skipped_when_opted_in():
    # Given Wednesday 1 July 2020, 10:00 in New York; 4 July 2020 was a Saturday, so the
    # observed holiday is Friday 3 July
    spec = WorkdaySpec(time_zone="America/New_York", holiday_country="US")
    wednesday = at(NEW_YORK, 2020, 7, 1, 10, 0)
    # When two working days are added
    due = working_days_after(spec, wednesday, 2)
    # Then Friday (observed holiday) and the weekend are skipped: Monday 6 July 10:00
    assert due == at(NEW_YORK, 2020, 7, 6, 10, 0)
    # And without holidays it would have been Friday
    plain = WorkdaySpec(time_zone="America/New_York")
    assert working_days_after(plain, wednesday, 2) == at(NEW_YORK, 2020, 7, 3, 10, 0)


def test_holiday_eve_skips_the_holiday_and_explains_it_by_name():
    # Given the eve of Portugal's Restoration of Independence (Tue 1 Dec 2026)
    spec = lisbon_spec(holiday_country="PT")
    eve = at(LISBON, 2026, 11, 30, 15, 0)
    # When one working day is added
    deadline = explained_working_days_after(spec, eve, 1, anchor_label="requirements")
    # Then Wednesday, with the holiday named
    assert deadline.at == at(LISBON, 2026, 12, 2, 15, 0)
    assert "Restoration of Independence Day" in deadline.explanation
    assert deadline.explanation == (
        "1 working day after requirements (Mon 30 Nov 15:00 Europe/Lisbon); "
        "Restoration of Independence Day skipped"
    )


def test_holidays_are_opt_in():
    assert is_working_day(lisbon_spec(), date(2026, 12, 1))
    assert not is_working_day(lisbon_spec(holiday_country="PT"), date(2026, 12, 1))


def test_subdivision_holidays_apply_only_to_that_subdivision():
    # Cesar Chavez Day (31 March) is a California state holiday, not a federal one.
    california = WorkdaySpec(holiday_country="US", holiday_subdivision="CA")
    federal = WorkdaySpec(holiday_country="US")
    assert not is_working_day(california, date(2026, 3, 31))
    assert is_working_day(federal, date(2026, 3, 31))


def test_time_off_extends_the_deadline_and_is_explained():
    # Given time off Monday 23 to Wednesday 25 November
    spec = lisbon_spec(time_off=((date(2026, 11, 23), date(2026, 11, 25)),))
    friday = at(LISBON, 2026, 11, 20, 18, 0)
    # When one working day is added from Friday
    deadline = explained_working_days_after(spec, friday, 1, anchor_label="requirements")
    # Then Thursday 18:00, and the explanation names both reasons
    assert deadline.at == at(LISBON, 2026, 11, 26, 18, 0)
    assert deadline.explanation.endswith(
        "; the weekend and time off from Mon 23 Nov to Wed 25 Nov skipped"
    )


def test_explanation_for_the_friday_example():
    deadline = explained_working_days_after(
        lisbon_spec(), at(LISBON, 2026, 11, 20, 18, 0), 1, anchor_label="requirements"
    )
    assert deadline.explanation == (
        "1 working day after requirements (Fri 20 Nov 18:00 Europe/Lisbon); the weekend skipped"
    )


def test_explanation_says_why_a_weekend_start_runs_to_end_of_day():
    deadline = explained_working_days_after(lisbon_spec(), at(LISBON, 2026, 11, 21, 10, 0), 1)
    assert deadline.explanation == (
        "1 working day after the start (Sat 21 Nov 10:00 Europe/Lisbon); Sat 21 Nov is not a "
        "working day, so the count runs to the end of the 1st working day (23:59:59); "
        "the weekend skipped"
    )


def test_explanation_without_skips_has_no_skip_phrase():
    deadline = explained_working_days_after(lisbon_spec(), at(LISBON, 2026, 11, 17, 9, 0), 2)
    assert deadline.at == at(LISBON, 2026, 11, 19, 9, 0)
    assert "skipped" not in deadline.explanation


def test_christmas_reads_as_a_person_would_say_it():
    # Given Thu 24 Dec 18:00 in Lisbon with Portuguese holidays
    spec = lisbon_spec(holiday_country="PT")
    eve = at(LISBON, 2026, 12, 24, 18, 0)
    # When three working days are counted
    deadline = explained_working_days_after(spec, eve, 3, anchor_label="work starts")
    # Then Wed 30 Dec 18:00, with what was skipped in the order it came
    assert deadline.at == at(LISBON, 2026, 12, 30, 18, 0)
    assert deadline.explanation == (
        "3 working days after work starts (Thu 24 Dec 18:00 Europe/Lisbon); "
        "Christmas Day and the weekend skipped"
    )


def test_several_weekends_are_counted_and_a_holiday_is_named_once():
    spec = lisbon_spec(holiday_country="PT")
    deadline = explained_working_days_after(spec, at(LISBON, 2026, 12, 24, 18, 0), 6)
    assert deadline.explanation.endswith("; Christmas Day, 2 weekends and New Year's Day skipped")


def test_time_off_across_a_weekend_reads_as_one_range():
    # Given two weeks off, Mon 4 to Fri 15 January
    spec = lisbon_spec(time_off=((date(2027, 1, 4), date(2027, 1, 15)),))
    deadline = explained_working_days_after(spec, at(LISBON, 2026, 12, 31, 10, 0), 2)
    # Then the weekends inside it do not split it in two
    assert deadline.at == at(LISBON, 2027, 1, 18, 10, 0)
    assert deadline.explanation.endswith(
        "; 3 weekends and time off from Mon 4 Jan to Fri 15 Jan skipped"
    )


def test_separate_time_off_ranges_are_each_given():
    spec = lisbon_spec(
        time_off=(
            (date(2026, 11, 17), date(2026, 11, 17)),
            (date(2026, 11, 19), date(2026, 11, 19)),
        )
    )
    deadline = explained_working_days_after(spec, at(LISBON, 2026, 11, 16, 10, 0), 2)
    assert deadline.at == at(LISBON, 2026, 11, 20, 10, 0)
    assert deadline.explanation.endswith("; time off on Tue 17 Nov and on Thu 19 Nov skipped")


def test_a_four_day_week_names_its_days_off():
    # Given a Monday-to-Thursday freelancer and a Thursday start
    spec = lisbon_spec(working_weekdays=frozenset({0, 1, 2, 3}))
    deadline = explained_working_days_after(spec, at(LISBON, 2026, 11, 19, 10, 0), 1)
    assert deadline.at == at(LISBON, 2026, 11, 23, 10, 0)
    assert deadline.explanation.endswith("; the weekly days off (Fri, Sat and Sun) skipped")


# --- Daylight-saving time ----------------------------------------------------------------


def test_dst_spring_forward_keeps_the_local_time():
    # Given Friday 6 March 2026 10:00 New York (EST); clocks go forward on Sunday 8 March
    spec = WorkdaySpec(time_zone="America/New_York")
    friday = at(NEW_YORK, 2026, 3, 6, 10, 0)
    # When one working day is added
    due = working_days_after(spec, friday, 1)
    # Then Monday 10:00 local, now EDT: 23 hours less than 3 x 24 h in UTC terms
    assert due.astimezone(NEW_YORK).time() == time(10, 0)
    assert due - friday == timedelta(days=3) - timedelta(hours=1)


def test_dst_fall_back_keeps_the_local_time():
    # Clocks go back on Sunday 1 November 2026
    spec = WorkdaySpec(time_zone="America/New_York")
    friday = at(NEW_YORK, 2026, 10, 30, 10, 0)
    due = working_days_after(spec, friday, 1)
    assert due.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 11, 2, 10, 0)
    assert due - friday == timedelta(days=3) + timedelta(hours=1)


def test_non_existent_local_time_moves_forward_by_the_gap():
    # Given a seven-day calendar and Saturday 02:30; Sunday 8 March 2026 has no 02:30
    spec = WorkdaySpec(time_zone="America/New_York", working_weekdays=frozenset(range(7)))
    saturday = at(NEW_YORK, 2026, 3, 7, 2, 30)
    deadline = explained_working_days_after(spec, saturday, 1)
    # Then 03:30 EDT on Sunday, and the explanation says so
    assert deadline.at.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)
    assert deadline.at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert "clocks go forward" in deadline.explanation


def test_ambiguous_local_time_takes_the_first_occurrence():
    # Sunday 1 November 2026 01:30 happens twice in New York: first EDT (05:30 UTC)
    spec = WorkdaySpec(time_zone="America/New_York", working_weekdays=frozenset(range(7)))
    saturday = at(NEW_YORK, 2026, 10, 31, 1, 30)
    assert working_days_after(spec, saturday, 1) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_calendar_days_are_whole_24_hours_and_the_explanation_notes_the_clock_change():
    start = at(NEW_YORK, 2026, 3, 6, 10, 0)
    deadline = explained_calendar_days_after(
        start, 7, viewer_tz="America/New_York", anchor_label="delivery"
    )
    assert deadline.at == calendar_days_after(start, 7)
    assert deadline.at - start == timedelta(days=7)  # elapsed time, not wall clock
    assert deadline.explanation == (
        "7 calendar days after delivery (Fri 6 Mar 10:00 America/New_York); the clock change "
        "in America/New_York moves it to Fri 13 Mar 11:00 America/New_York"
    )


def test_calendar_days_without_clock_change_have_a_plain_explanation():
    deadline = explained_calendar_days_after(at(LISBON, 2026, 11, 20, 18, 0), 1)
    assert deadline.explanation == "1 calendar day after the start (Fri 20 Nov 18:00 UTC)"


# --- Custom weeks and guards -------------------------------------------------------------


def test_sunday_to_thursday_week():
    # Given a Sun-Thu calendar (Friday and Saturday off) in Dubai
    dubai = ZoneInfo("Asia/Dubai")
    spec = WorkdaySpec(time_zone="Asia/Dubai", working_weekdays=frozenset({6, 0, 1, 2, 3}))
    thursday = at(dubai, 2026, 11, 19, 11, 0)
    # When one working day is added
    deadline = explained_working_days_after(spec, thursday, 1)
    # Then Sunday 11:00, with Friday and Saturday named as skipped
    assert deadline.at == at(dubai, 2026, 11, 22, 11, 0)
    assert deadline.explanation.endswith("; the weekly days off (Fri and Sat) skipped")


def test_a_calendar_without_working_days_raises_instead_of_looping():
    spec = WorkdaySpec(working_weekdays=frozenset())
    with pytest.raises(ValueError):
        working_days_after(spec, datetime(2026, 1, 1, tzinfo=UTC), 1)


def test_time_off_covering_everything_raises_instead_of_looping():
    spec = WorkdaySpec(time_off=((date(2026, 1, 1), date(2040, 1, 1)),))
    with pytest.raises(ValueError):
        working_days_after(spec, datetime(2026, 1, 1, tzinfo=UTC), 1)


# --- Quiet hours -------------------------------------------------------------------------


def test_next_working_moment_inside_hours_is_now():
    tuesday_noon = at(LISBON, 2026, 11, 17, 12, 0)
    assert next_working_moment(lisbon_spec(), tuesday_noon) == tuesday_noon


def test_next_working_moment_before_start_is_start_of_the_same_day():
    early = at(LISBON, 2026, 11, 17, 7, 0)
    assert next_working_moment(lisbon_spec(), early) == at(LISBON, 2026, 11, 17, 9, 0)


def test_next_working_moment_after_hours_on_friday_is_monday_start():
    friday_evening = at(LISBON, 2026, 11, 20, 17, 0)  # work_end itself is outside
    assert next_working_moment(lisbon_spec(), friday_evening) == at(LISBON, 2026, 11, 23, 9, 0)


def test_next_working_moment_skips_holidays():
    spec = lisbon_spec(holiday_country="PT", work_start=time(8, 30))
    holiday = at(LISBON, 2026, 12, 1, 10, 0)
    assert next_working_moment(spec, holiday) == at(LISBON, 2026, 12, 2, 8, 30)


# --- Away ranges -------------------------------------------------------------------------


def test_merged_range_end_follows_touching_and_overlapping_ranges():
    ranges = [
        (date(2026, 8, 10), date(2026, 8, 12)),
        (date(2026, 8, 1), date(2026, 8, 5)),
        (date(2026, 8, 6), date(2026, 8, 8)),  # touches the first
        (date(2026, 8, 7), date(2026, 8, 9)),  # overlaps, and touches 10..12
        (date(2026, 9, 1), date(2026, 9, 2)),  # separate
    ]
    assert merged_range_end(ranges, date(2026, 8, 3)) == date(2026, 8, 12)
    assert merged_range_end(ranges, date(2026, 8, 12)) == date(2026, 8, 12)
    assert merged_range_end(ranges, date(2026, 8, 13)) is None
    assert merged_range_end(ranges, date(2026, 9, 1)) == date(2026, 9, 2)
    assert merged_range_end([], date(2026, 9, 1)) is None


# --- Properties --------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Auckland",
]

instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2034, 12, 31), timezones=st.just(UTC)
)


@st.composite
def specs(draw: st.DrawFn) -> WorkdaySpec:
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    country = draw(st.sampled_from([None, "US", "PT", "DE", "JP"]))
    ranges = draw(
        st.lists(
            st.tuples(
                st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1)),
                st.integers(0, 30),
            ),
            max_size=4,
        )
    )
    return WorkdaySpec(
        time_zone=draw(st.sampled_from(ZONES)),
        working_weekdays=weekdays,
        holiday_country=country,
        time_off=tuple((first, first + timedelta(days=length)) for first, length in ranges),
    )


def _working_days_between(spec: WorkdaySpec, after: date, through: date) -> int:
    """Working days d with after < d <= through."""
    return sum(
        is_working_day(spec, after + timedelta(days=i))
        for i in range(1, (through - after).days + 1)
    )


@given(spec=specs(), instant=instants, n=st.integers(1, 15))
def test_property_deadline_lands_on_the_nth_working_day(spec, instant, n):
    due = working_days_after(spec, instant, n)
    anchor_day = local_date(spec.time_zone, instant)
    due_day = local_date(spec.time_zone, due)
    # Then the deadline is later, on a working day, exactly n working days on
    assert due > instant
    assert is_working_day(spec, due_day)
    assert _working_days_between(spec, anchor_day, due_day) == n
    # And it keeps the anchor's wall-clock time (or the end of day), up to a DST gap
    local_due = due.astimezone(spec.zone)
    expected = (
        instant.astimezone(spec.zone).time() if is_working_day(spec, anchor_day) else END_OF_DAY
    )
    shift = datetime.combine(due_day, local_due.time()) - datetime.combine(due_day, expected)
    assert timedelta(0) <= shift <= timedelta(hours=1)


@given(spec=specs(), instant=instants, n=st.integers(0, 10))
def test_property_monotonic_in_n(spec, instant, n):
    assert working_days_after(spec, instant, n) < working_days_after(spec, instant, n + 1)


@given(spec=specs(), instant=instants, n=st.integers(1, 5))
def test_property_explained_deadline_matches_the_plain_one(spec, instant, n):
    deadline = explained_working_days_after(spec, instant, n, anchor_label="x")
    assert deadline.at == working_days_after(spec, instant, n)
    assert deadline.explanation.startswith(f"{n} working day")


@given(spec=specs(), instant=instants)
def test_property_next_working_moment_is_inside_working_hours(spec, instant):
    assume(spec.work_start < spec.work_end)
    moment = next_working_moment(spec, instant)
    local = moment.astimezone(spec.zone)
    assert moment >= instant
    assert is_working_day(spec, local.date())
    # Allow a DST gap to push the start of work a little later.
    assert spec.work_start <= local.time().replace(tzinfo=None) < spec.work_end
