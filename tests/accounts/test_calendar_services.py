"""Account services behind the calendar: away mode and the calendar feeding the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from fairlance.accounts.models import User
from fairlance.accounts.services import (
    away_until,
    calendar_update,
    profile_update,
    time_off_add,
    time_off_remove,
)
from fairlance.core.errors import InvalidInput, NotFound
from fairlance.core.workdays import working_days_after

LISBON = ZoneInfo("Europe/Lisbon")


def test_stored_calendar_and_time_off_drive_working_day_clocks(freelancer):
    # Given a Lisbon calendar with Portuguese holidays and a day off on Monday 23 Nov
    calendar_update(
        user=freelancer,
        time_zone="Europe/Lisbon",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country="PT",
        holiday_subdivision=None,
    )
    time_off_add(user=freelancer, start_date=date(2026, 11, 23), end_date=date(2026, 11, 23))
    spec = User.objects.get(pk=freelancer.pk).calendar.as_spec()
    # When six working days are added to Friday 18:00
    due = working_days_after(spec, datetime(2026, 11, 20, 18, tzinfo=LISBON), 6)
    # Then two weekends, the day off and the 1 December holiday are skipped
    # (Tue 24, Wed 25, Thu 26, Fri 27, Mon 30, Wed 2)
    assert due == datetime(2026, 12, 2, 18, tzinfo=LISBON)
    assert due.tzinfo == UTC


def test_away_until_merges_touching_away_ranges_and_ignores_plain_time_off(freelancer):
    time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    time_off_add(user=freelancer, start_date=date(2026, 8, 6), end_date=date(2026, 8, 9))
    time_off_add(
        user=freelancer, start_date=date(2026, 8, 10), end_date=date(2026, 8, 20), away=False
    )
    assert away_until(user=freelancer, today=date(2026, 8, 2)) == date(2026, 8, 9)
    assert away_until(user=freelancer, today=date(2026, 8, 12)) is None
    assert away_until(user=freelancer, today=date(2026, 7, 31)) is None


def test_away_until_uses_prefetched_time_off(freelancer, django_assert_num_queries):
    time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    user = User.objects.prefetch_related("time_off").get(pk=freelancer.pk)
    with django_assert_num_queries(0):
        assert away_until(user=user, today=date(2026, 8, 3)) == date(2026, 8, 5)


def test_profile_update_with_nothing_leaves_the_profile(freelancer):
    profile_update(user=freelancer)
    freelancer.refresh_from_db()
    assert (freelancer.display_name, freelancer.headline) == ("Fran", "Illustrator")


def test_calendar_without_weekdays_is_refused(freelancer):
    with pytest.raises(InvalidInput) as caught:
        calendar_update(
            user=freelancer,
            time_zone="UTC",
            working_weekdays=[],
            work_start=time(9),
            work_end=time(17),
            holiday_country=None,
            holiday_subdivision=None,
        )
    assert [e["field"] for e in caught.value.errors] == ["working_weekdays"]
    assert freelancer.calendar.working_weekdays == [0, 1, 2, 3, 4]


def test_time_off_remove_refuses_other_peoples_rows(freelancer, stranger):
    row = time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    with pytest.raises(NotFound):
        time_off_remove(user=stranger, time_off_id=row.pk)
    time_off_remove(user=freelancer, time_off_id=row.pk)
    assert not freelancer.time_off.exists()
