"""Profile and calendar settings, time off and away mode."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine

from fairlance.accounts.models import TimeOff, WorkingCalendar
from fairlance.accounts.services import time_off_add
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/settings/profile/", "/settings/calendar/"])
def test_settings_need_login(db, path):
    response = login(None).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_profile_update(freelancer):
    client = login(freelancer)
    html = client.get("/settings/profile/").content.decode()
    assert 'value="Illustrator"' in html
    response = client.post(
        "/settings/profile/",
        {
            "display_name": "Fran Silva",
            "headline": "Ink and watercolour",
            "bio": "Hi.",
            "country": "es",
        },
    )
    assert response.status_code == 302
    freelancer.refresh_from_db()
    assert (freelancer.display_name, freelancer.headline, freelancer.country) == (
        "Fran Silva",
        "Ink and watercolour",
        "ES",
    )


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "", "country": "PT"},
        {"display_name": "Fran", "country": "P1"},
        {"display_name": "x" * 81},
    ],
)
def test_bad_profile_input_rerenders_and_writes_nothing(freelancer, data):
    response = login(freelancer).post("/settings/profile/", data)
    assert response.status_code == 422
    assert b"field-errors" in response.content
    freelancer.refresh_from_db()
    assert freelancer.display_name == "Fran"
    assert freelancer.country == "PT"


def calendar_data(**overrides):
    data = {
        "time_zone": "Europe/Lisbon",
        "working_weekdays": ["0", "1", "2", "3"],
        "work_start": "08:30",
        "work_end": "16:00",
        "holiday_country": "pt",
        "holiday_subdivision": "",
    }
    data.update(overrides)
    return data


def test_calendar_update(freelancer):
    client = login(freelancer)
    html = client.get("/settings/calendar/").content.decode()
    assert 'value="Europe/Lisbon"' in html and "Working days" in html
    response = client.post("/settings/calendar/", calendar_data())
    assert response.status_code == 302
    cal = WorkingCalendar.objects.get(user=freelancer)
    assert cal.time_zone == "Europe/Lisbon"
    assert sorted(cal.working_weekdays) == [0, 1, 2, 3]
    assert (cal.work_start, cal.work_end) == (time(8, 30), time(16, 0))
    assert cal.holiday_country == "PT"


@pytest.mark.parametrize(
    "overrides",
    [
        {"time_zone": "Mars/Olympus"},
        {"work_start": "17:00", "work_end": "09:00"},
        {"work_start": "25:00"},
        {"working_weekdays": ["9"]},
        {"working_weekdays": []},
        {"holiday_country": "ZZ"},
    ],
)
def test_bad_calendar_input_rerenders_and_writes_nothing(freelancer, overrides):
    response = login(freelancer).post("/settings/calendar/", calendar_data(**overrides))
    assert response.status_code == 422
    assert b"Please fix the highlighted fields" in response.content
    cal = WorkingCalendar.objects.get(user=freelancer)
    assert cal.time_zone == "UTC"
    assert sorted(cal.working_weekdays) == [0, 1, 2, 3, 4]


@time_machine.travel("2026-03-02 10:00:00+00:00", tick=False)
def test_time_off_add_shows_away_mode_and_remove(freelancer):
    client = login(freelancer)
    response = client.post(
        "/settings/calendar/time-off/",
        {"start_date": "2026-03-02", "end_date": "2026-03-06", "away": "on", "note": "Holiday"},
    )
    assert response.status_code == 302
    entry = TimeOff.objects.get(user=freelancer)
    assert (entry.start_date, entry.end_date, entry.away) == (
        date(2026, 3, 2),
        date(2026, 3, 6),
        True,
    )
    html = client.get("/settings/calendar/").content.decode()
    assert "Away mode is on until Fri 6 Mar" in html
    assert "Holiday" in html
    client.post("/settings/calendar/time-off/remove/", {"time_off_id": entry.pk})
    assert not TimeOff.objects.filter(user=freelancer).exists()


@time_machine.travel("2026-03-02 10:00:00+00:00", tick=False)
@pytest.mark.parametrize(
    "data",
    [
        {"start_date": "2026-03-06", "end_date": "2026-03-02"},
        {"start_date": "2026-02-01", "end_date": "2026-02-03"},
        {"start_date": "not a date", "end_date": "2026-03-02"},
        {"start_date": "2026-03-02"},
    ],
)
def test_bad_time_off_rerenders_and_writes_nothing(freelancer, data):
    response = login(freelancer).post("/settings/calendar/time-off/", data)
    assert response.status_code == 422
    assert b"field-errors" in response.content
    assert not TimeOff.objects.exists()


def test_cannot_remove_someone_elses_time_off(freelancer, stranger):
    entry = time_off_add(user=freelancer, start_date=date(2026, 5, 1), end_date=date(2026, 5, 2))
    response = login(stranger).post(
        "/settings/calendar/time-off/remove/", {"time_off_id": entry.pk}
    )
    assert response.status_code == 404
    assert TimeOff.objects.filter(pk=entry.pk).exists()
    assert (
        login(None)
        .post("/settings/calendar/time-off/remove/", {"time_off_id": entry.pk})
        .status_code
        == 302
    )
    assert TimeOff.objects.filter(pk=entry.pk).exists()
