"""The caller's profile, working calendar and time off; public freelancer profiles."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine

from fairlance.accounts.models import TimeOff, User, WorkingCalendar
from fairlance.accounts.services import time_off_add
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import make_project

NOW = "2026-11-20 12:00:00+00:00"

ENDPOINTS = [
    ("get", "me"),
    ("patch", "me"),
    ("get", "me/calendar"),
    ("put", "me/calendar"),
    ("post", "me/time-off"),
    ("delete", "me/time-off/1"),
]

GOOD_CALENDAR = {
    "time_zone": "Europe/Lisbon",
    "working_weekdays": [0, 1, 2, 3],
    "work_start": "08:30",
    "work_end": "16:00",
    "holiday_country": "PT",
    "holiday_subdivision": None,
}


def snapshot(user: User) -> tuple:
    """Everything these endpoints may write for ``user``, to prove a refusal wrote nothing."""
    user.refresh_from_db()
    calendar = WorkingCalendar.objects.get(user=user)
    return (
        user.display_name,
        user.headline,
        user.bio,
        user.country,
        calendar.time_zone,
        list(calendar.working_weekdays),
        calendar.work_start,
        calendar.work_end,
        calendar.holiday_country,
        calendar.holiday_subdivision,
        list(TimeOff.objects.filter(user=user).values_list("start_date", "end_date", "note")),
    )


# --- Authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_problem(api, db, method, path):
    response = getattr(api(), method)(path)
    assert_problem(response, 401, "not_authenticated")


def test_a_bad_token_gets_401(api, freelancer):
    response = api().get("me", Authorization="Bearer flt_nope")
    assert_problem(response, 401, "not_authenticated")


# --- Profile -----------------------------------------------------------------------------


def test_owner_reads_own_profile(api, freelancer):
    body = api(freelancer).get("me").json()
    assert body["email"] == "fran@example.com"
    assert body["display_name"] == "Fran"
    assert body["headline"] == "Illustrator"
    assert body["country"] == "PT"
    assert body["time_zone"] == "UTC"
    assert body["is_operator"] is False


def test_owner_changes_profile_with_unicode(api, freelancer):
    # When the owner sends a partial update with non-ASCII text
    response = api(freelancer).patch(
        "me", {"display_name": "  Françoise 李 🎨 ", "country": "fr", "bio": "Line one\nline two"}
    )
    # Then the fields sent change (trimmed, normalised) and the rest stay
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Françoise 李 🎨"
    assert body["country"] == "FR"
    assert body["headline"] == "Illustrator"
    freelancer.refresh_from_db()
    assert freelancer.display_name == "Françoise 李 🎨"
    assert freelancer.bio == "Line one\nline two"


def test_empty_string_clears_optional_fields(api, freelancer):
    response = api(freelancer).patch("me", {"headline": "", "country": ""})
    assert response.status_code == 200
    freelancer.refresh_from_db()
    assert (freelancer.headline, freelancer.country) == ("", "")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"headline": "h" * 141}, "headline"),
        ({"bio": "b" * 5001}, "bio"),
        ({"country": "PRT"}, "country"),
        ({"country": "1A"}, "country"),
        ({"display_name": "bell\x07"}, "display_name"),
        ({"display_name": 42}, "display_name"),
        ({"headline": None}, "headline"),
        ({"email": "new@example.com"}, "email"),
    ],
)
def test_bad_profile_input_is_422_with_the_field_and_writes_nothing(
    api, freelancer, payload, field
):
    before = snapshot(freelancer)
    body = assert_problem(api(freelancer).patch("me", payload), 422, "invalid_input")
    assert field in {e["field"] for e in body["errors"]}
    assert snapshot(freelancer) == before


def test_one_bad_field_blocks_the_good_ones(api, freelancer):
    before = snapshot(freelancer)
    response = api(freelancer).patch("me", {"headline": "New headline", "country": "XYZ"})
    assert_problem(response, 422, "invalid_input")
    assert snapshot(freelancer) == before


def test_a_10_mb_body_is_refused_and_writes_nothing(api, freelancer):
    before = snapshot(freelancer)
    response = api(freelancer).patch("me", {"bio": "x" * (10 * 1024 * 1024)})
    assert_problem(response, 413, "payload_too_large")
    assert snapshot(freelancer) == before


def test_malformed_json_is_a_4xx_problem(api, freelancer):
    client = api(freelancer)
    response = client.client.patch(
        "/api/v1/me", "{not json", content_type="application/json", headers=client.headers
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/problem+json")


# --- Calendar ----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_new_user_has_the_default_calendar(api, freelancer):
    body = api(freelancer).get("me/calendar").json()
    assert body == {
        "time_zone": "UTC",
        "working_weekdays": [0, 1, 2, 3, 4],
        "work_start": "09:00",
        "work_end": "17:00",
        "holiday_country": None,
        "holiday_subdivision": None,
        "time_off": [],
        "away_until": None,
        "today": "2026-11-20",
    }


@time_machine.travel(NOW, tick=False)
def test_owner_replaces_calendar(api, freelancer):
    # When the owner PUTs a full calendar
    response = api(freelancer).put("me/calendar", GOOD_CALENDAR)
    # Then it is stored and echoed back
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["time_zone"] == "Europe/Lisbon"
    assert body["working_weekdays"] == [0, 1, 2, 3]
    assert (body["work_start"], body["work_end"]) == ("08:30", "16:00")
    assert body["holiday_country"] == "PT"
    calendar = WorkingCalendar.objects.get(user=freelancer)
    assert calendar.work_start == time(8, 30)
    spec = calendar.as_spec()
    assert spec.working_weekdays == frozenset({0, 1, 2, 3})
    assert spec.holiday_country == "PT"
    # And GET /me shows the new zone
    assert api(freelancer).get("me").json()["time_zone"] == "Europe/Lisbon"


def test_subdivision_is_matched_case_insensitively_and_stored_canonically(api, freelancer):
    payload = {**GOOD_CALENDAR, "holiday_country": "us", "holiday_subdivision": "ca"}
    response = api(freelancer).put("me/calendar", payload)
    assert response.status_code == 200, response.content
    assert response.json()["holiday_country"] == "US"
    assert response.json()["holiday_subdivision"] == "CA"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "x" * 65}, "time_zone"),
        ({"working_weekdays": []}, "working_weekdays"),
        ({"working_weekdays": [0, 7]}, "working_weekdays.1"),
        ({"working_weekdays": ["mon"]}, "working_weekdays.0"),
        ({"working_weekdays": [True]}, "working_weekdays.0"),
        ({"working_weekdays": "0,1"}, "working_weekdays"),
        ({"work_start": "9am"}, "work_start"),
        ({"work_start": "24:00"}, "work_start"),
        ({"work_start": 900}, "work_start"),
        ({"work_start": "17:00", "work_end": "09:00"}, "work_end"),
        ({"work_start": "09:00", "work_end": "09:00"}, "work_end"),
        ({"holiday_country": "ZZ"}, "holiday_country"),
        ({"holiday_country": "PT", "holiday_subdivision": "99"}, "holiday_subdivision"),
        ({"holiday_country": None, "holiday_subdivision": "CA"}, "holiday_subdivision"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_calendar_is_422_with_the_field_and_writes_nothing(api, freelancer, change, field):
    before = snapshot(freelancer)
    body = assert_problem(
        api(freelancer).put("me/calendar", {**GOOD_CALENDAR, **change}), 422, "invalid_input"
    )
    assert field in {e["field"] for e in body["errors"]}, body["errors"]
    assert snapshot(freelancer) == before


def test_missing_calendar_fields_are_listed(api, freelancer):
    body = assert_problem(api(freelancer).put("me/calendar", {}), 422, "invalid_input")
    fields = {e["field"] for e in body["errors"]}
    assert {"time_zone", "working_weekdays", "work_start", "work_end"} <= fields


# --- Time off ----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_owner_adds_time_off_and_is_away_during_it(api, freelancer):
    client = api(freelancer)
    # When the owner declares time off covering today, and one touching it
    first = client.post(
        "me/time-off", {"start_date": "2026-11-18", "end_date": "2026-11-22", "note": "Férias"}
    )
    second = client.post("me/time-off", {"start_date": "2026-11-23", "end_date": "2026-11-25"})
    assert first.status_code == 201, first.content
    assert second.status_code == 201
    assert first.json()["note"] == "Férias"
    # Then the calendar lists both and says they are away until the merged end
    body = client.get("me/calendar").json()
    assert [t["start_date"] for t in body["time_off"]] == ["2026-11-18", "2026-11-23"]
    assert body["away_until"] == "2026-11-25"


@time_machine.travel(NOW, tick=False)
def test_time_off_that_is_not_away_does_not_pause(api, freelancer):
    client = api(freelancer)
    response = client.post(
        "me/time-off", {"start_date": "2026-11-20", "end_date": "2026-11-21", "away": False}
    )
    assert response.status_code == 201
    assert client.get("me/calendar").json()["away_until"] is None


@time_machine.travel(NOW, tick=False)
def test_away_uses_the_users_own_date(api, freelancer):
    # Given a freelancer in Auckland (UTC+13) whose time off starts on their tomorrow-in-UTC
    api(freelancer).put("me/calendar", {**GOOD_CALENDAR, "time_zone": "Pacific/Auckland"})
    # 12:00 UTC on 20 Nov is 01:00 on 21 Nov in Auckland
    api(freelancer).post("me/time-off", {"start_date": "2026-11-21", "end_date": "2026-11-21"})
    body = api(freelancer).get("me/calendar").json()
    assert body["today"] == "2026-11-21"
    assert body["away_until"] == "2026-11-21"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start_date": "2026-12-10", "end_date": "2026-12-09"}, "end_date"),
        ({"start_date": "2026-12-01", "end_date": "2027-12-02"}, "end_date"),
        ({"start_date": "2026-11-01", "end_date": "2026-11-19"}, "end_date"),
        ({"start_date": "2026-13-01", "end_date": "2026-12-09"}, "start_date"),
        ({"start_date": "2026-12-01"}, "end_date"),
        ({"start_date": "2026-12-01", "end_date": "2026-12-02", "away": "maybe"}, "away"),
        ({"start_date": "2026-12-01", "end_date": "2026-12-02", "note": "n" * 141}, "note"),
    ],
)
def test_bad_time_off_is_422_and_writes_nothing(api, freelancer, payload, field):
    before = snapshot(freelancer)
    body = assert_problem(api(freelancer).post("me/time-off", payload), 422, "invalid_input")
    assert field in {e["field"] for e in body["errors"]}, body["errors"]
    assert snapshot(freelancer) == before


@time_machine.travel(NOW, tick=False)
def test_a_full_year_of_time_off_is_allowed(api, freelancer):
    response = api(freelancer).post(
        "me/time-off", {"start_date": "2026-12-01", "end_date": "2027-12-01"}
    )
    assert response.status_code == 201, response.content


@time_machine.travel(NOW, tick=False)
def test_owner_removes_own_time_off(api, freelancer):
    row = time_off_add(user=freelancer, start_date=date(2026, 12, 1), end_date=date(2026, 12, 3))
    response = api(freelancer).delete(f"me/time-off/{row.pk}")
    assert response.status_code == 204
    assert not TimeOff.objects.filter(pk=row.pk).exists()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("who", ["stranger", "operator"])
def test_nobody_else_can_remove_someones_time_off(api, freelancer, request, who):
    # Given the freelancer's time off
    row = time_off_add(user=freelancer, start_date=date(2026, 12, 1), end_date=date(2026, 12, 3))
    other = request.getfixturevalue(who)
    # When another user (even an operator) deletes it through their own /me
    response = api(other).delete(f"me/time-off/{row.pk}")
    # Then it is "not found", exactly as for an id that does not exist, and it stays
    assert_problem(response, 404, "not_found")
    assert_problem(api(other).delete("me/time-off/999999"), 404, "not_found")
    assert TimeOff.objects.filter(pk=row.pk).exists()
    # And their own calendar never shows it
    assert api(other).get("me/calendar").json()["time_off"] == []


@pytest.mark.parametrize("bad_id", ["0", "-1", "99999999999999999999999", "abc"])
def test_odd_time_off_ids_are_4xx_not_500(api, freelancer, bad_id):
    response = api(freelancer).delete(f"me/time-off/{bad_id}")
    assert 400 <= response.status_code < 500


def test_operator_sees_only_own_data_on_me(api, freelancer, operator):
    body = api(operator).get("me").json()
    assert body["email"] == "olga@example.com"
    assert body["is_operator"] is True


# --- Public profile ----------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_public_profile_shows_public_fields_only(api, freelancer, client_user):
    # Given a freelancer in Lisbon, selling, who is away until 30 November
    make_project(freelancer)
    api(freelancer).put("me/calendar", GOOD_CALENDAR)
    time_off_add(user=freelancer, start_date=date(2026, 11, 19), end_date=date(2026, 11, 30))
    # When anyone looks at the profile (anonymous or another user)
    for viewer in (api(), api(client_user)):
        body = viewer.get(f"freelancers/{freelancer.pk}").json()
        # Then the public fields are there and private ones are not
        assert body["display_name"] == "Fran"
        assert body["headline"] == "Illustrator"
        assert body["country"] == "PT"
        assert body["time_zone"] == "Europe/Lisbon"
        assert body["away_until"] == "2026-11-30"
        assert body["member_since"] == freelancer.date_joined.date().isoformat()
        assert "email" not in body
        assert "is_operator" not in body


def test_public_profile_of_unknown_or_inactive_user_is_404(api, freelancer):
    gone = make_user("gone@example.com")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert_problem(api().get(f"freelancers/{gone.pk}"), 404, "not_found")
    assert_problem(api().get("freelancers/999999"), 404, "not_found")
    assert_problem(api().get("freelancers/99999999999999999999999"), 404, "not_found")


def test_suspended_profile_is_hidden_except_from_self_and_operators(
    api, freelancer, stranger, operator
):
    make_project(freelancer)
    freelancer.is_suspended = True
    freelancer.save(update_fields=["is_suspended"])
    assert_problem(api().get(f"freelancers/{freelancer.pk}"), 404, "not_found")
    assert_problem(api(stranger).get(f"freelancers/{freelancer.pk}"), 404, "not_found")
    assert api(freelancer).get(f"freelancers/{freelancer.pk}").status_code == 200
    assert api(operator).get(f"freelancers/{freelancer.pk}").status_code == 200
