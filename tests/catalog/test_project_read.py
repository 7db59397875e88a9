"""The project page and API: one fresh row per request, the rest cached by version (issue 4).

Every test here runs with the project cache on (the rest of the suite turns it off) and
warms it first, then changes something the way the product changes it and reads the page
and the API again: the change must show on the very next request.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder
from PIL import Image

from fairlance.accounts.models import User
from fairlance.accounts.services import (
    calendar_update,
    profile_update,
    time_off_add,
    time_off_remove,
)
from fairlance.api.catalog import ProjectOut
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput
from fairlance.catalog.models import Project
from fairlance.catalog.selectors import project_read_availability, project_read_for_viewer
from fairlance.catalog.services import (
    gallery_image_add,
    gallery_image_remove,
    project_archive,
    project_pause,
    project_resume,
    project_update,
)
from fairlance.contracts.services import contract_purchase
from fairlance.core.models import PolicyVersion
from fairlance.core.policy import DEFAULT_POLICY
from tests.catalog.factories import make_published, tier

CARD = "4242424242424242"


@pytest.fixture(autouse=True)
def _project_cache_on(settings: Any) -> Any:
    settings.FAIRLANCE_PROJECT_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page(project: Project, user: User | None = None) -> tuple[int, str]:
    response = _client(user).get(f"/projects/{project.pk}/")
    return response.status_code, response.content.decode()


def api(project: Project, user: User | None = None) -> tuple[int, dict[str, Any]]:
    response = _client(user).get(f"/api/v1/projects/{project.pk}")
    return response.status_code, response.json()


def warm(project: Project, user: User | None = None) -> None:
    """Read the page and the API once, so the next reads could come from the cache."""
    assert page(project, user)[0] == 200
    assert api(project, user)[0] == 200


def png(name: str = "cat.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- the cache is used ----------------------------------------------------------------------


def test_a_second_read_is_one_query_for_the_page_and_the_api(
    freelancer: User, django_assert_num_queries: Any
) -> None:
    project = make_published(freelancer)
    # Given a cold cache, the page reads the live row and the parts (2 statements)
    with django_assert_num_queries(2):
        assert page(project)[0] == 200
    # When the page and the API are read again, then only the live row is read
    with django_assert_num_queries(1):
        status, html = page(project)
    assert status == 200 and "Source files" in html
    with django_assert_num_queries(1):
        status, body = api(project)
    assert status == 200 and body["addons"][0]["title"] == "Source files"


# --- catalog edits --------------------------------------------------------------------------


def test_edits_of_the_project_and_all_its_parts_show_on_the_next_request(
    freelancer: User,
) -> None:
    project = make_published(freelancer)
    warm(project)
    # When the owner replaces the title, tiers, add-ons, questions and FAQ
    project_update(
        project=project,
        actor=freelancer,
        title="Vintage badges, drawn by hand",
        description="Now with **badges**.",
        tiers=[tier("Solo", 7_700, 2, deliverables=("Pencil sketch",))],
        addons=[AddOnInput(title="Rush job", price_minor=3_300)],
        questions=[QuestionInput(prompt="Favourite colour?", required=False)],
        faq=[FaqInput(question="Refunds?", answer="Always.")],
    )
    # Then the page shows the new offer and nothing of the old one
    status, html = page(project)
    assert status == 200
    assert "Vintage badges, drawn by hand" in html and "<strong>badges</strong>" in html
    assert "Solo" in html and "$77" in html and "Pencil sketch" in html
    assert "Rush job" in html and "+$33" in html
    assert "Favourite colour?" in html and "Refunds?" in html
    for old in ("Standard", "Source files", "Your brand name?", "Do you do mascots?"):
        assert old not in html
    # And so does the API
    status, body = api(project)
    assert body["title"] == "Vintage badges, drawn by hand"
    assert [(t["name"], t["price_minor"], t["deliverables"]) for t in body["tiers"]] == [
        ("Solo", 7_700, ["Pencil sketch"])
    ]
    assert [a["title"] for a in body["addons"]] == ["Rush job"]
    assert [(q["prompt"], q["required"]) for q in body["questions"]] == [
        ("Favourite colour?", False)
    ]
    assert [f["question"] for f in body["faq"]] == ["Refunds?"]
    assert body["from_price_minor"] == 7_700


def test_gallery_images_show_and_go_on_the_next_request(freelancer: User) -> None:
    project = make_published(freelancer)
    warm(project)
    image = gallery_image_add(project=project, actor=freelancer, upload=png(), alt_text="A cat")
    status, html = page(project)
    assert f'src="{image.image.url}"' in html and 'alt="A cat"' in html
    status, body = api(project)
    assert [(g["id"], g["alt_text"]) for g in body["gallery"]] == [(image.pk, "A cat")]
    assert body["gallery"][0]["url"] == f"http://testserver{image.image.url}"
    assert body["cover_image"] == body["gallery"][0]
    gallery_image_remove(project=project, actor=freelancer, image_id=image.pk)
    assert 'alt="A cat"' not in page(project)[1]
    assert api(project)[1]["gallery"] == []


def test_pausing_resuming_and_archiving_show_on_the_next_request(
    freelancer: User, stranger: User
) -> None:
    project = make_published(freelancer)
    warm(project)
    project_pause(project=project, actor=freelancer)
    # A paused project disappears for everyone but its owner
    assert page(project)[0] == 404 and api(project, stranger)[0] == 404
    status, html = page(project, freelancer)
    assert status == 200 and "Paused" in html and "/checkout/" not in html
    assert api(project, freelancer)[1]["availability"]["reason_code"] == "not_published"
    project_resume(project=project, actor=freelancer)
    status, html = page(project)
    assert status == 200 and f"/projects/{project.pk}/checkout/" in html
    assert api(project)[1]["availability"]["purchasable"] is True
    project_archive(project=project, actor=freelancer)
    assert page(project)[0] == 404 and api(project)[0] == 404


# --- changes outside the catalog ------------------------------------------------------------


def test_the_freelancers_profile_time_zone_and_suspension_show_on_the_next_request(
    freelancer: User, operator: User
) -> None:
    project = make_published(freelancer)
    warm(project)
    profile_update(user=freelancer, display_name="Francesca Ink", headline="Letterer")
    calendar_update(
        user=freelancer,
        time_zone="Asia/Tokyo",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=datetime(2026, 1, 1, 9).time(),
        work_end=datetime(2026, 1, 1, 17).time(),
        holiday_country=None,
        holiday_subdivision=None,
    )
    status, html = page(project)
    assert "Francesca Ink" in html and "Letterer" in html and "Asia/Tokyo" in html
    freelancer_out = api(project)[1]["freelancer"]
    assert freelancer_out["display_name"] == "Francesca Ink"
    assert freelancer_out["time_zone"] == "Asia/Tokyo"
    # A suspension (an operator's action) hides the project from the public at once
    User.objects.filter(pk=freelancer.pk).update(is_suspended=True)
    assert page(project)[0] == 404 and api(project)[0] == 404
    status, body = api(project, operator)
    assert status == 200 and body["availability"]["reason_code"] == "freelancer_suspended"


def test_capacity_and_ratings_show_on_the_next_request(freelancer: User, client_user: User) -> None:
    project = make_published(freelancer, capacity=1)
    warm(project)
    # When the only slot is bought
    contract_purchase(
        client=client_user,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,  # type: ignore[union-attr]
        card_number=CARD,
    ).contract
    # Then the page and the API say it is fully booked
    status, html = page(project)
    assert "Fully booked" in html and "/checkout/" not in html
    assert api(project)[1]["availability"]["reason_code"] == "capacity_full"
    # And raising the capacity opens it again
    project_update(project=project, actor=freelancer, capacity=2)
    assert f"/projects/{project.pk}/checkout/" in page(project)[1]
    assert api(project)[1]["availability"]["purchasable"] is True
    # Ratings are written by the trust layer, not the catalog: still fresh
    Project.objects.filter(pk=project.pk).update(rating_x100=450, rating_count=7)
    assert "4.5" in page(project)[1]
    assert api(project)[1]["rating_x100"] == 450


def test_away_mode_shows_and_goes_on_the_next_request(freelancer: User) -> None:
    project = make_published(freelancer)
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=True):
        warm(project)
        # When the freelancer goes away Tuesday to Friday (it is Wednesday)
        away = time_off_add(user=freelancer, start_date=date(2026, 3, 3), end_date=date(2026, 3, 6))
        status, html = page(project)
        assert "Away — back on Mon 9 Mar" in html and "/checkout/" not in html
        availability = api(project)[1]["availability"]
        assert availability["reason_code"] == "freelancer_away"
        assert availability["back_on"] == "2026-03-09"
        # And when they remove it, they are available again
        time_off_remove(user=freelancer, time_off_id=away.pk)
        assert f"/projects/{project.pk}/checkout/" in page(project)[1]
        assert api(project)[1]["availability"]["purchasable"] is True


def test_a_new_policy_changes_the_fees_on_the_next_request(freelancer: User) -> None:
    project = make_published(freelancer)
    status, html = page(project)
    assert "$45" in html  # the freelancer receives $50 - 10%
    values = {**DEFAULT_POLICY.values(), "client_fee_bp": 500, "freelancer_fee_bp": 1500}
    PolicyVersion.objects.create(version=2, values=values, note="fees")
    status, html = page(project)
    # $50 tier: the client pays $52.50, the freelancer receives $42.50
    assert "$52.50" in html and "$42.50" in html
    assert "a 5% marketplace fee" in html and "a 15% service fee" in html


# --- the read itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "away"),
    [("Pacific/Kiritimati", True), ("UTC", False), ("Pacific/Pago_Pago", False)],
)
def test_away_is_decided_in_the_freelancers_own_date(freelancer: User, zone: str, away: bool):
    # Given time off on Thursday 5 and Friday 6 March and the instant Wed 4 March 12:00 UTC,
    # which is already Thursday at UTC+14 but still Wednesday at UTC and UTC-11
    project = make_published(freelancer)
    calendar = freelancer.calendar
    calendar.time_zone = zone
    calendar.save()
    time_off_add(user=freelancer, start_date=date(2026, 3, 5), end_date=date(2026, 3, 6))
    now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    # When the project is read
    read = project_read_for_viewer(viewer=None, project_id=project.pk, now=now)
    availability = project_read_availability(read=read, now=now)
    # Then only the freelancer whose own date is inside the range is away
    assert read.away_possible  # every zone's date is within a day of UTC's
    assert availability.purchasable is (not away)
    if away:
        assert availability.back_on == date(2026, 3, 9)


def test_a_far_away_range_costs_no_time_off_query(
    freelancer: User, django_assert_num_queries: Any
) -> None:
    project = make_published(freelancer)
    today = timezone.now().date()
    time_off_add(
        user=freelancer, start_date=today + timedelta(days=10), end_date=today + timedelta(days=12)
    )
    with django_assert_num_queries(1):
        read = project_read_for_viewer(viewer=None, project_id=project.pk, now=timezone.now())
        availability = project_read_availability(read=read, now=timezone.now())
    assert not read.away_possible and availability.purchasable


def test_a_freelancer_without_a_calendar_reads_as_utc(db: None) -> None:
    owner = User.objects.create_user(email="nocal@example.com", password="x" * 12)
    project = make_published(owner)
    status, body = api(project)
    assert status == 200 and body["freelancer"]["time_zone"] == "UTC"
    assert page(project)[0] == 200


@pytest.mark.parametrize("who", ["anonymous", "owner", "operator"])
def test_the_api_body_is_exactly_what_the_schema_would_render(
    freelancer: User, operator: User, who: str
) -> None:
    # Given a project with every kind of part, an image and a sale
    project = make_published(freelancer)
    gallery_image_add(project=project, actor=freelancer, upload=png(), alt_text="Ünïcode ✓")
    viewer = {"anonymous": None, "owner": freelancer, "operator": operator}[who]
    # When the detail is read (cold, then warm)
    bodies = [api(project, viewer)[1] for _ in range(2)]
    # Then it is the body ninja renders after validating it against ProjectOut, key for key
    validated = ProjectOut.model_validate(bodies[0]).model_dump()
    assert json.loads(json.dumps(validated, cls=NinjaJSONEncoder)) == bodies[0] == bodies[1]
    assert (bodies[0]["active_contracts"] is None) is (who == "anonymous")
    assert bodies[0]["questions"][1]["choices"] == ["Flat", "Vintage"]


def test_consecutive_edits_each_get_a_new_version(
    freelancer: User,
) -> None:
    # Two edits in the same instant would share a version; the services always stamp a new
    # updated_at, so check that consecutive edits never reuse one.
    project = make_published(freelancer)
    stamps = {Project.objects.get(pk=project.pk).updated_at}
    for price in (6_000, 7_000, 8_000):
        project_update(project=project, actor=freelancer, tiers=[tier("Basic", price, 3)])
        stamps.add(Project.objects.get(pk=project.pk).updated_at)
        assert f"${price // 100}" in page(project)[1]
    assert len(stamps) == 4


@pytest.mark.parametrize("prepared", [True, False])
def test_reads_work_with_and_without_prepared_statements(
    freelancer: User, settings: Any, prepared: bool, django_assert_num_queries: Any
) -> None:
    # PostgreSQL prepares the two statements once per connection unless told not to (a
    # transaction-pooling PgBouncer); SQLite runs them as they are either way.
    settings.FAIRLANCE_PREPARED_READS = prepared
    settings.FAIRLANCE_PROJECT_CACHE_SECONDS = 0
    project = make_published(freelancer)
    before = _prepared_statements()
    for _ in range(2):
        # The PREPARE itself goes straight to the driver, so every read counts the same.
        with django_assert_num_queries(2):
            status, body = api(project)
        assert status == 200 and [t["name"] for t in body["tiers"]] == ["Basic", "Standard"]
    if connection.vendor == "postgresql":
        # The live read names the away check's table, the parts read the FAQ's. (Another
        # test on this connection may have prepared them already.)
        after = _prepared_statements()
        if prepared:
            assert '"accounts_timeoff"' in after and '"catalog_faqentry"' in after
        else:
            assert after == before


def _prepared_statements() -> str:
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY name")
        return " ".join(row[0] for row in cursor.fetchall())
