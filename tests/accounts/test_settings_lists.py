"""Settings people can fill in: curated time zones, real countries, holiday regions,
time off that does not overlap, and away controls only for people who sell.

Each rule is checked through the API and the settings pages: both call the same service.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from fairlance.accounts.models import TimeOff, WorkingCalendar
from fairlance.accounts.services import time_off_add
from tests.conftest import assert_problem
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db

CALENDAR = {
    "time_zone": "Europe/Lisbon",
    "working_weekdays": [0, 1, 2, 3, 4],
    "work_start": "09:00",
    "work_end": "17:00",
    "holiday_country": "PT",
    "holiday_subdivision": None,
}
ALIASES = ["localtime", "W-SU", "Zulu", "Etc/GMT+3", "US/Pacific", "Asia/Calcutta", "GMT"]


def _calendar_form(**overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "time_zone": "Europe/Lisbon",
        "working_weekdays": ["0", "1", "2", "3", "4"],
        "work_start": "09:00",
        "work_end": "17:00",
        "holiday_country": "PT",
        "holiday_subdivision": "",
    }
    data.update(overrides)
    return data


# --- time zones -------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ALIASES)
def test_the_api_refuses_time_zone_aliases_the_form_does_not_offer(api, freelancer, zone):
    body = assert_problem(
        api(freelancer).put("me/calendar", {**CALENDAR, "time_zone": zone}), 422, "invalid_input"
    )
    assert [e["field"] for e in body["errors"]] == ["time_zone"]
    assert WorkingCalendar.objects.get(user=freelancer).time_zone == "UTC"


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires"])
def test_the_api_takes_the_zones_the_form_offers(api, freelancer, zone):
    response = api(freelancer).put("me/calendar", {**CALENDAR, "time_zone": zone})
    assert response.status_code == 200, response.content
    html = login(freelancer).get("/settings/calendar/").content.decode()
    assert f'<option value="{zone}" selected>' in html


def test_the_calendar_page_offers_places_grouped_by_region(freelancer):
    html = login(freelancer).get("/settings/calendar/").content.decode()
    assert '<optgroup label="Europe">' in html and '<optgroup label="Asia">' in html
    assert '<option value="Europe/Lisbon">Lisbon (Portugal)</option>' in html
    assert '<option value="Asia/Tokyo">Tokyo (Japan)</option>' in html
    for alias in ALIASES:
        assert f'value="{alias}"' not in html


@pytest.mark.parametrize("zone", ["W-SU", "localtime"])
def test_the_calendar_form_refuses_an_alias_and_keeps_the_rest(freelancer, zone):
    response = login(freelancer).post("/settings/calendar/", _calendar_form(time_zone=zone))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose a time zone from the list" in html
    assert '<option value="PT" selected>' in html  # what else was chosen is kept
    assert WorkingCalendar.objects.get(user=freelancer).time_zone == "UTC"


# --- countries --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ZZ", "XX", "EU", "UK"])
def test_the_api_refuses_a_profile_country_that_is_not_one(api, freelancer, code):
    body = assert_problem(api(freelancer).patch("me", {"country": code}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "country"
    freelancer.refresh_from_db()
    assert freelancer.country == "PT"


def test_the_profile_page_offers_named_countries_and_refuses_others(freelancer):
    client = login(freelancer)
    html = client.get("/settings/profile/").content.decode()
    assert '<option value="PT" selected>Portugal</option>' in html
    assert '<option value="JP">Japan</option>' in html
    assert 'value="ZZ"' not in html
    # When a made-up code is posted, the page says so and keeps what was typed
    response = client.post(
        "/settings/profile/", {"display_name": "Fran Silva", "headline": "", "country": "ZZ"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose a country from the list" in html
    assert 'value="Fran Silva"' in html
    freelancer.refresh_from_db()
    assert (freelancer.display_name, freelancer.country) == ("Fran", "PT")


@pytest.mark.parametrize("code", ["UK", "ZZ"])
def test_the_api_refuses_holiday_countries_without_a_calendar(api, freelancer, code):
    body = assert_problem(
        api(freelancer).put("me/calendar", {**CALENDAR, "holiday_country": code}),
        422,
        "invalid_input",
    )
    assert [e["field"] for e in body["errors"]] == ["holiday_country"]


def test_a_region_is_chosen_from_its_countrys_list_on_the_page_and_in_the_api(api, freelancer):
    client = login(freelancer)
    html = client.get("/settings/calendar/").content.decode()
    assert '<option value="PT-11">Lisboa</option>' in html
    assert '<option value="US-CA">California</option>' in html
    # When the page sends Lisbon's region, the calendar stores Portugal's code for it
    response = client.post("/settings/calendar/", _calendar_form(holiday_subdivision="PT-11"))
    assert response.status_code == 302
    calendar = WorkingCalendar.objects.get(user=freelancer)
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("PT", "11")
    assert '<option value="PT-11" selected>' in client.get("/settings/calendar/").content.decode()
    # and the API reads and takes the bare code as before
    assert api(freelancer).get("me/calendar").json()["holiday_subdivision"] == "11"


def test_a_region_of_another_country_is_refused_by_name(api, freelancer):
    response = login(freelancer).post(
        "/settings/calendar/", _calendar_form(holiday_subdivision="ES-AN")
    )
    assert response.status_code == 422
    assert "That region is in Spain, not in Portugal" in response.content.decode()
    body = assert_problem(
        api(freelancer).put("me/calendar", {**CALENDAR, "holiday_subdivision": "ES-AN"}),
        422,
        "invalid_input",
    )
    assert body["errors"][0]["code"] == "other_country"
    assert WorkingCalendar.objects.get(user=freelancer).holiday_country == ""


# --- time off ---------------------------------------------------------------------------------

TODAY = "2026-07-20 10:00:00+00:00"


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("start", "end"),
    [("2026-08-01", "2026-08-05"), ("2026-08-05", "2026-08-09"), ("2026-07-30", "2026-08-01"),
     ("2026-08-02", "2026-08-03"), ("2026-07-25", "2026-08-20")],
)  # fmt: skip
def test_the_api_refuses_time_off_overlapping_a_declared_range(api, freelancer, start, end):
    # Given time off from Saturday 1 to Wednesday 5 August
    time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    # When another range sharing a day (or the same range again) is sent
    body = assert_problem(
        api(freelancer).post("me/time-off", {"start_date": start, "end_date": end}),
        409,
        "conflicting_input",
    )
    # Then it is refused with a message naming the existing range, and nothing is added
    (error,) = body["errors"]
    assert error["code"] == "overlaps"
    assert "Sat 1 Aug 2026 to Wed 5 Aug 2026" in error["message"]
    assert TimeOff.objects.filter(user=freelancer).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_time_off_right_after_another_is_fine(api, freelancer):
    time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    response = api(freelancer).post(
        "me/time-off", {"start_date": "2026-08-06", "end_date": "2026-08-09"}
    )
    assert response.status_code == 201, response.content


@time_machine.travel(TODAY, tick=False)
def test_the_page_refuses_overlapping_time_off_and_keeps_the_dates(freelancer):
    make_project(freelancer)
    time_off_add(user=freelancer, start_date=date(2026, 8, 1), end_date=date(2026, 8, 5))
    response = login(freelancer).post(
        "/settings/calendar/time-off/",
        {"start_date": "2026-08-04", "end_date": "2026-08-12", "away": "on", "note": "Porto"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This overlaps your time off Sat 1 Aug 2026 to Wed 5 Aug 2026" in html
    assert 'value="2026-08-04"' in html and 'value="2026-08-12"' in html and 'value="Porto"' in html
    assert TimeOff.objects.filter(user=freelancer).count() == 1


def test_other_peoples_time_off_never_counts_as_an_overlap(api, freelancer, client_user):
    time_off_add(user=freelancer, start_date=date(2030, 8, 1), end_date=date(2030, 8, 5))
    response = api(client_user).post(
        "me/time-off", {"start_date": "2030-08-01", "end_date": "2030-08-05"}
    )
    assert response.status_code == 201, response.content


# --- away controls only for people who sell ---------------------------------------------------

EXPLANATION = "Away mode pauses your projects; it appears once you offer one."


def test_someone_without_projects_sees_why_there_is_no_away_mode(client_user):
    html = login(client_user).get("/settings/calendar/").content.decode()
    assert EXPLANATION in html
    assert "Add time off" not in html and 'name="away"' not in html
    # The working calendar itself (their time zone) is still theirs to set
    assert 'name="time_zone"' in html


def test_a_freelancer_with_a_project_gets_the_away_controls(freelancer):
    make_project(freelancer, publish=False)
    html = login(freelancer).get("/settings/calendar/").content.decode()
    assert EXPLANATION not in html
    assert "Add time off" in html and 'name="away"' in html


@time_machine.travel(TODAY, tick=False)
def test_the_api_keeps_working_for_someone_without_projects(api, client_user):
    response = api(client_user).post(
        "me/time-off", {"start_date": "2026-08-01", "end_date": "2026-08-02", "away": True}
    )
    assert response.status_code == 201, response.content
    # and the page then lists it, so it can be removed
    html = login(client_user).get("/settings/calendar/").content.decode()
    assert "Sat 1 Aug" in html and "Remove" in html
