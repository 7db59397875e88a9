from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from fairlance.accounts.services import time_off_add
from fairlance.catalog.models import (
    AddOn,
    FaqEntry,
    GalleryImage,
    Project,
    RequirementQuestion,
    Tier,
)
from fairlance.core.models import AuditEntry, PolicyVersion
from fairlance.core.money import MAX_PRICE_MINOR
from fairlance.core.policy import DEFAULT_POLICY
from tests.catalog.factories import make_project, make_published, project_json
from tests.conftest import assert_problem


def counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count()
        for m in (Project, Tier, AddOn, RequirementQuestion, FaqEntry, GalleryImage)
    )


def jpeg_bytes(size: tuple[int, int] = (320, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def post_image(client, project_id: int, data: bytes, name: str = "p.jpg", **form):
    return client.client.post(
        f"/api/v1/projects/{project_id}/gallery",
        {"upload": io.BytesIO(data), **form} if data is not None else form,
        headers=client.headers,
    )


# --- categories and reading ---------------------------------------------------------------


def test_categories_are_public(api, db):
    response = api().get("categories")
    assert response.status_code == 200
    assert {"slug": "design", "name": "Design & illustration"}.items() <= response.json()[0].items()


def test_published_project_is_public_with_availability(api, freelancer):
    project = make_published(freelancer)
    body = api().get(f"projects/{project.pk}").json()
    assert body["status"] == "published"
    assert body["currency"] == "USD"
    assert body["from_price_minor"] == 5_000
    assert [t["price_minor"] for t in body["tiers"]] == [5_000, 12_000]
    assert body["addons"][0]["price_minor"] == 2_000
    assert body["questions"][1]["choices"] == ["Flat", "Vintage"]
    assert body["faq"][0]["question"] == "Do you do mascots?"
    assert body["freelancer"]["display_name"] == "Fran"
    assert body["availability"] == {
        "purchasable": True,
        "reason_code": None,
        "message": "Available now.",
        "back_on": None,
    }
    # owner-only fields stay hidden from the public
    assert body["review_note"] is None
    assert body["active_contracts"] is None


@pytest.mark.parametrize("who", ["owner", "operator", "stranger", "anonymous"])
def test_draft_is_visible_to_owner_and_operator_only(api, freelancer, stranger, operator, who):
    project = make_project(freelancer)
    user = {"owner": freelancer, "operator": operator, "stranger": stranger, "anonymous": None}[who]
    response = api(user).get(f"projects/{project.pk}")
    if who in {"owner", "operator"}:
        assert response.status_code == 200
        assert response.json()["status"] == "draft"
        assert response.json()["active_contracts"] == 0
    else:
        assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("path", ["projects/987654", "projects/0", "projects/99999999999999999999"])
def test_unknown_ids_are_404(api, db, path):
    assert_problem(api().get(path), 404, "not_found")


def test_away_freelancer_page_says_when_back(api, freelancer):
    project = make_published(freelancer)
    # Given the freelancer is away from Tuesday to Friday and it is Wednesday
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        time_off_add(user=freelancer, start_date=date(2026, 3, 3), end_date=date(2026, 3, 6))
        availability = api().get(f"projects/{project.pk}").json()["availability"]
    assert availability["purchasable"] is False
    assert availability["reason_code"] == "freelancer_away"
    # Then they are back on their next working day: Monday, not Saturday
    assert availability["back_on"] == "2026-03-09"


# --- create ---------------------------------------------------------------------------------


def test_create_draft(api, freelancer):
    response = api(freelancer).post("projects", project_json())
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["tags"] == ["wordpress", "landing page"]
    assert body["from_price_minor"] == 15_000
    assert body["min_delivery_days"] == 7
    assert Project.objects.get(pk=body["id"]).freelancer == freelancer


def test_create_needs_authentication(api, db):
    before = counts()
    assert_problem(api().post("projects", project_json()), 401, "not_authenticated")
    assert counts() == before


def test_unicode_title_round_trips(api, freelancer):
    title = "Tradução técnica 日本語 → português ✓"
    body = api(freelancer).post("projects", project_json(title=title)).json()
    assert api(freelancer).get(f"projects/{body['id']}").json()["title"] == title


def test_xss_in_description_is_stripped(api, freelancer):
    # given a description full of injection attempts
    description = (
        "Hi <script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n"
        '<a href="https://x.example" onclick="steal()">x</a>\n\n<img src=x onerror=alert(3)>'
    )
    # when created
    body = api(freelancer).post("projects", project_json(description=description)).json()
    # then the rendered HTML holds no live markup: raw HTML became text, the link is dropped
    html = body["description_html"]
    assert "<script" not in html
    assert "<img" not in html
    assert "<a " not in html
    assert "&lt;script&gt;" in html
    # and the source the owner wrote is kept for editing
    assert body["description"] == description


BAD_BODIES = [
    ("wrong type title", {"title": 123}, "title"),
    (
        "price as string",
        {"tiers": [{"name": "A", "price_minor": "5000", "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    (
        "fractional price",
        {"tiers": [{"name": "A", "price_minor": 50.5, "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    (
        "negative price",
        {"tiers": [{"name": "A", "price_minor": -100, "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    (
        "absurd price",
        {"tiers": [{"name": "A", "price_minor": MAX_PRICE_MINOR + 1, "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    (
        "huge int price",
        {"tiers": [{"name": "A", "price_minor": 10**30, "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    (
        "boolean price",
        {"tiers": [{"name": "A", "price_minor": True, "delivery_days": 3}]},
        "tiers.0.price_minor",
    ),
    ("no tiers", {"tiers": []}, "tiers"),
    (
        "four tiers",
        {"tiers": [{"name": f"T{i}", "price_minor": 500, "delivery_days": 1} for i in range(4)]},
        "tiers",
    ),
    ("title too short", {"title": "short"}, "title"),
    ("title too long", {"title": "t" * 121}, "title"),
    ("unknown category", {"category": "astrology"}, "category"),
    ("bad purchase mode", {"purchase_mode": "auction"}, "purchase_mode"),
    ("capacity as string", {"capacity": "5"}, "capacity"),
    ("capacity too big", {"capacity": 1000}, "capacity"),
    ("too many tags", {"tags": [f"t{i}" for i in range(11)]}, "tags"),
    (
        "choice without choices",
        {"questions": [{"prompt": "Pick", "kind": "single"}]},
        "questions.0.choices",
    ),
    ("unknown field", {"price": 5}, "price"),
    ("NUL in title", {"title": "A very fine\u0000 title"}, "title"),
    ("tags not a list", {"tags": "logo"}, "tags"),
]


@pytest.mark.parametrize(("label", "change", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_create_bodies_are_422_and_write_nothing(api, freelancer, label, change, field):
    before = counts()
    body = assert_problem(api(freelancer).post("projects", project_json(**change)), 422)
    assert field in {e["field"] for e in body["errors"]}, body
    assert counts() == before


def test_missing_required_fields_are_listed(api, freelancer):
    body = assert_problem(api(freelancer).post("projects", {}), 422, "invalid_input")
    assert {"title", "category", "tiers"} <= {e["field"] for e in body["errors"]}


def test_malformed_json_is_400(api, freelancer):
    client = api(freelancer)
    before = counts()
    response = client.client.post(
        "/api/v1/projects", "{not json", content_type="application/json", headers=client.headers
    )
    assert_problem(response, 400, "bad_request")
    assert counts() == before


def test_a_json_array_body_is_422(api, freelancer):
    assert_problem(api(freelancer).post("projects", [1, 2]), 422)


def test_ten_megabyte_string_is_413(api, freelancer):
    before = counts()
    response = api(freelancer).post("projects", project_json(description="x" * (10 * 1024 * 1024)))
    assert_problem(response, 413, "payload_too_large")
    assert counts() == before


# --- update ---------------------------------------------------------------------------------


def test_owner_patches_only_sent_fields(api, freelancer):
    project = make_project(freelancer)
    response = api(freelancer).patch(
        f"projects/{project.pk}",
        {
            "title": "A brand new title here",
            "tiers": [{"name": "One", "price_minor": 900, "delivery_days": 2}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "A brand new title here"
    assert [t["name"] for t in body["tiers"]] == ["One"]
    assert body["from_price_minor"] == 900
    assert body["description"] == project.description
    assert len(body["addons"]) == 1


@pytest.mark.parametrize("who", ["stranger", "operator"])
def test_others_cannot_patch(api, freelancer, stranger, operator, who):
    project = make_published(freelancer)
    user = stranger if who == "stranger" else operator
    response = api(user).patch(f"projects/{project.pk}", {"title": "Hijacked title text"})
    assert_problem(response, 404, "not_found")
    assert Project.objects.get(pk=project.pk).title == project.title


def test_anonymous_patch_is_401(api, freelancer):
    project = make_project(freelancer)
    assert_problem(api().patch(f"projects/{project.pk}", {"title": "Hijacked title text"}), 401)


def test_bad_patch_changes_nothing(api, freelancer):
    project = make_project(freelancer)
    before = counts()
    response = api(freelancer).patch(
        f"projects/{project.pk}",
        {
            "title": "A valid new title",
            "tiers": [{"name": "A", "price_minor": 1, "delivery_days": 1}],
        },
    )
    body = assert_problem(response, 422, "invalid_input")
    assert "tiers.0.price_minor" in {e["field"] for e in body["errors"]}
    assert counts() == before
    assert Project.objects.get(pk=project.pk).title == project.title


def test_null_in_patch_is_refused(api, freelancer):
    project = make_project(freelancer)
    body = assert_problem(api(freelancer).patch(f"projects/{project.pk}", {"title": None}), 422)
    assert body["errors"][0]["field"] == "title"


# --- status actions -----------------------------------------------------------------------------


def test_owner_publishes_pauses_resumes_archives(api, freelancer):
    project = make_project(freelancer)
    client = api(freelancer)
    assert client.post(f"projects/{project.pk}/publish").json()["status"] == "published"
    assert api().get(f"projects/{project.pk}").status_code == 200
    paused = client.post(f"projects/{project.pk}/pause").json()
    assert paused["status"] == "paused"
    assert paused["availability"]["reason_code"] == "not_published"
    assert client.post(f"projects/{project.pk}/resume").json()["status"] == "published"
    assert client.post(f"projects/{project.pk}/archive").json()["status"] == "archived"
    assert_problem(api().get(f"projects/{project.pk}"), 404)
    assert_problem(client.post(f"projects/{project.pk}/resume"), 409, "invalid_project_status")


@pytest.mark.parametrize("action", ["publish", "pause", "resume", "archive"])
@pytest.mark.parametrize("who", ["stranger", "operator", "anonymous"])
def test_status_actions_are_owner_only(api, freelancer, stranger, operator, action, who):
    project = make_published(freelancer)
    user = {"stranger": stranger, "operator": operator, "anonymous": None}[who]
    response = api(user).post(f"projects/{project.pk}/{action}")
    if who == "anonymous":
        assert_problem(response, 401)
    else:
        assert_problem(response, 404, "not_found")
    assert Project.objects.get(pk=project.pk).status == "published"


# --- review flow ----------------------------------------------------------------------------------


@pytest.fixture
def review_required(db):
    PolicyVersion.objects.create(
        version=2, values={**DEFAULT_POLICY.values(), "publish_requires_review": True}
    )


def test_review_flow_through_the_api(api, freelancer, operator, review_required):
    # given the review policy and a published-by-freelancer project
    project = make_project(freelancer)
    assert (
        api(freelancer).post(f"projects/{project.pk}/publish").json()["status"] == "pending_review"
    )
    # then the public cannot see it yet, and operators find it in the queue
    assert_problem(api().get(f"projects/{project.pk}"), 404)
    queue = api(operator).get("operator/review-queue").json()["items"]
    assert [item["id"] for item in queue] == [project.pk]
    # when the operator rejects with a note
    rejected = api(operator).post(
        f"operator/projects/{project.pk}/reject", {"note": "Samples look copied."}
    )
    # then it is a draft with the note the owner can read
    assert rejected.status_code == 200
    owner_view = api(freelancer).get(f"projects/{project.pk}").json()
    assert (owner_view["status"], owner_view["review_note"]) == ("draft", "Samples look copied.")
    # when resubmitted and approved
    api(freelancer).post(f"projects/{project.pk}/publish")
    approved = api(operator).post(f"operator/projects/{project.pk}/approve", {})
    # then it is public and both decisions are audited
    assert approved.json()["status"] == "published"
    assert api().get(f"projects/{project.pk}").status_code == 200
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "project_reject",
        "project_approve",
    }


def test_reject_without_note_is_422(api, freelancer, operator, review_required):
    project = make_project(freelancer)
    api(freelancer).post(f"projects/{project.pk}/publish")
    assert_problem(api(operator).post(f"operator/projects/{project.pk}/reject", {}), 422)
    assert Project.objects.get(pk=project.pk).status == "pending_review"


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_non_operators_cannot_review(api, freelancer, stranger, review_required, who):
    project = make_project(freelancer)
    api(freelancer).post(f"projects/{project.pk}/publish")
    user = freelancer if who == "owner" else stranger
    assert_problem(api(user).post(f"operator/projects/{project.pk}/approve", {}), 403)
    assert_problem(api(user).get("operator/review-queue"), 403)
    assert_problem(api().post(f"operator/projects/{project.pk}/approve", {}), 401)
    assert Project.objects.get(pk=project.pk).status == "pending_review"
    assert AuditEntry.objects.count() == 0


def test_approving_unknown_or_not_pending_projects(api, freelancer, operator):
    project = make_project(freelancer)
    assert_problem(api(operator).post("operator/projects/424242/approve", {}), 404)
    assert_problem(api(operator).post(f"operator/projects/{project.pk}/approve", {}), 409)


# --- gallery ------------------------------------------------------------------------------------


def test_owner_uploads_and_removes_an_image(api, freelancer):
    project = make_published(freelancer)
    client = api(freelancer)
    response = post_image(client, project.pk, jpeg_bytes((2000, 1000)), alt_text="Sample logo")
    assert response.status_code == 201, response.content
    image = response.json()
    assert (image["width"], image["height"], image["alt_text"]) == (1600, 800, "Sample logo")
    assert image["url"].startswith("http://testserver/media/gallery/")
    page = api().get(f"projects/{project.pk}").json()
    assert [g["id"] for g in page["gallery"]] == [image["id"]]
    assert page["cover_image"]["id"] == image["id"]
    # when removed
    assert client.delete(f"projects/{project.pk}/gallery/{image['id']}").status_code == 204
    assert api().get(f"projects/{project.pk}").json()["gallery"] == []


def test_bad_upload_is_422_and_writes_nothing(api, freelancer):
    project = make_project(freelancer)
    before = counts()
    response = post_image(api(freelancer), project.pk, b"GIF89a not really")
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "upload"
    assert counts() == before


def test_too_long_alt_text_is_422_and_writes_nothing(api, freelancer):
    project = make_project(freelancer)
    response = post_image(api(freelancer), project.pk, jpeg_bytes(), alt_text="a" * 201)
    assert assert_problem(response, 422)["errors"][0]["field"] == "alt_text"
    assert GalleryImage.objects.count() == 0


def test_upload_without_file_is_422(api, freelancer):
    project = make_project(freelancer)
    assert_problem(post_image(api(freelancer), project.pk, None, alt_text="x"), 422)


@pytest.mark.parametrize("who", ["stranger", "operator", "anonymous"])
def test_gallery_is_owner_only(api, freelancer, stranger, operator, who):
    project = make_published(freelancer)
    image = post_image(api(freelancer), project.pk, jpeg_bytes()).json()
    user = {"stranger": stranger, "operator": operator, "anonymous": None}[who]
    upload = post_image(api(user), project.pk, jpeg_bytes())
    remove = api(user).delete(f"projects/{project.pk}/gallery/{image['id']}")
    expected = 401 if who == "anonymous" else 404
    assert_problem(upload, expected)
    assert_problem(remove, expected)
    assert GalleryImage.objects.filter(project=project).count() == 1


def test_removing_an_image_of_another_project_is_404(api, freelancer):
    first = make_project(freelancer)
    second = make_project(freelancer, title="Second project title")
    image = post_image(api(freelancer), first.pk, jpeg_bytes()).json()
    assert_problem(api(freelancer).delete(f"projects/{second.pk}/gallery/{image['id']}"), 404)
    assert GalleryImage.objects.count() == 1


# --- browse ---------------------------------------------------------------------------------------


def test_browse_lists_published_projects_only(api, freelancer):
    public = make_published(freelancer, title="Watercolour pet portraits")
    make_project(freelancer, title="Secret draft project")
    response = api().get("projects", {"q": "watercolour"})
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [public.pk]
    assert body["items"][0]["currency"] == "USD"
    assert body["next_cursor"] is None


def test_a_search_item_is_the_summary_of_the_project_page(api, freelancer):
    # Given a published project with two images (the first is the cover)
    project = make_published(freelancer, title="Watercolour pet portraits", tags=["pets"])
    owner = api(freelancer)
    first = post_image(owner, project.pk, jpeg_bytes(), alt_text="Cover").json()
    post_image(owner, project.pk, jpeg_bytes(), alt_text="Second")
    # When it is found by search and read on its own
    (item,) = api().get("projects", {"q": "watercolour"}).json()["items"]
    page = api().get(f"projects/{project.pk}").json()
    # Then the search item holds the summary fields of the page, with the same values
    search_only = {"away_until", "fully_booked", "snippet_html"}
    assert {k: v for k, v in item.items() if k not in search_only} == {
        key: page[key] for key in item if key not in search_only
    }
    assert item["cover_image"]["id"] == first["id"]
    # and what only a result card shows: availability and the highlighted snippet
    assert (item["away_until"], item["fully_booked"]) == (None, False)
    assert set(item) - search_only == {
        "id", "title", "category", "tags", "status", "purchase_mode", "currency",
        "from_price_minor", "min_delivery_days", "rating_x100", "rating_count", "freelancer_score",
        "freelancer",
        "cover_image", "published_at", "updated_at", "delivery_in_working_days",
    }  # fmt: skip


def test_browse_paginates_with_a_cursor(api, freelancer):
    ids = {make_published(freelancer, title=f"Logo design package {i}").pk for i in range(3)}
    first = api().get("projects", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api().get("projects", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert {i["id"] for i in first["items"] + second["items"]} == ids


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 51},
        {"limit": 0},
        {"min_price": "abc"},
        {"sort": "random"},
        {"min_rating": 501},
        {"cursor": "garbage!"},
    ],
)
def test_bad_browse_parameters_are_422(api, db, params):
    assert_problem(api().get("projects", params), 422)


def test_browse_available_filter_hides_away_freelancers(api, freelancer, stranger):
    mine = make_published(freelancer, title="Portrait drawing service")
    theirs = make_published(stranger, title="Portrait painting service")
    today = timezone.now().date()
    time_off_add(user=freelancer, start_date=today, end_date=today + timedelta(days=1))
    items = api().get("projects", {"available": "true"}).json()["items"]
    assert [i["id"] for i in items] == [theirs.pk]
    assert mine.pk not in [i["id"] for i in items]
