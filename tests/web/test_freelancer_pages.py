"""My projects, the project editor and the gallery: owner, stranger, anonymous, operator."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fairlance.catalog.models import GalleryImage, Project, ProjectStatus
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


def editor_data(**overrides: Any) -> dict[str, Any]:
    """A complete editor submission: two tiers, one add-on, one question, one FAQ entry."""
    data: dict[str, Any] = {
        "title": "Watercolour pet portrait",
        "category_slug": "design",
        "description": "Your pet in **watercolour**.",
        "tags": "pet, portrait",
        "purchase_mode": "request",
        "capacity": "5",
        "tiers-TOTAL_FORMS": "2",
        "tiers-INITIAL_FORMS": "0",
        "tiers-0-name": "Small",
        "tiers-0-price": "80",
        "tiers-0-delivery_days": "5",
        "tiers-0-revisions": "1",
        "tiers-0-deliverables": "A5 painting\nScan",
        "tiers-1-name": "Large",
        "tiers-1-price": "150.50",
        "tiers-1-delivery_days": "10",
        "tiers-1-revisions": "2",
        "tiers-1-deliverables": "A3 painting",
        "addons-TOTAL_FORMS": "2",
        "addons-INITIAL_FORMS": "0",
        "addons-0-title": "Frame",
        "addons-0-price": "25",
        "addons-0-extra_delivery_days": "2",
        "addons-1-title": "",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-0-prompt": "Send a photo of your pet",
        "questions-0-kind": "text",
        "questions-0-required": "on",
        "faq-TOTAL_FORMS": "1",
        "faq-INITIAL_FORMS": "0",
        "faq-0-question": "Do you paint cats?",
        "faq-0-answer": "Yes.",
    }
    data.update(overrides)
    return data


# ---- access ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/my/projects/", "/my/projects/new/", "/dashboard/"])
def test_private_pages_send_anonymous_visitors_to_login(db, path):
    response = login(None).get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_editing_another_freelancers_project_is_404(freelancer, stranger, operator):
    project = make_project(freelancer)
    for who in (stranger, operator):
        client = login(who)
        assert client.get(f"/my/projects/{project.pk}/edit/").status_code == 404
        assert client.post(f"/my/projects/{project.pk}/edit/", editor_data()).status_code == 404
        assert client.post(f"/my/projects/{project.pk}/pause/").status_code == 404
        assert (
            client.post(f"/my/projects/{project.pk}/gallery/remove/", {"image_id": 1}).status_code
            == 404
        )
    project.refresh_from_db()
    assert project.title == "Hand-drawn logo"
    assert project.status == ProjectStatus.PUBLISHED


def test_anonymous_post_to_editor_writes_nothing(freelancer):
    project = make_project(freelancer)
    response = login(None).post(f"/my/projects/{project.pk}/edit/", editor_data())
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Hand-drawn logo"


# ---- my projects -----------------------------------------------------------------------


def test_my_projects_lists_only_mine_with_status_badges(freelancer, stranger):
    make_project(freelancer, title="Mine, a published one")
    make_project(freelancer, title="Mine, a draft project", publish=False)
    make_project(stranger, title="Not mine at all, sorry")
    html = login(freelancer).get("/my/projects/").content.decode()
    assert "Mine, a published one" in html and "Mine, a draft project" in html
    assert "Not mine at all" not in html
    assert 'badge-published">Published' in html and 'badge-draft">Draft' in html


def test_publish_pause_resume_buttons(freelancer):
    project = make_project(freelancer, publish=False)
    client = login(freelancer)
    assert client.post(f"/my/projects/{project.pk}/publish/").status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLISHED
    client.post(f"/my/projects/{project.pk}/pause/")
    project.refresh_from_db()
    assert project.status == ProjectStatus.PAUSED
    client.post(f"/my/projects/{project.pk}/resume/")
    project.refresh_from_db()
    assert project.status == ProjectStatus.PUBLISHED


def test_publishing_says_when_the_project_shows_in_search(freelancer, settings):
    settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 10
    project = make_project(freelancer, publish=False)
    client = login(freelancer)
    page = client.post(f"/my/projects/{project.pk}/publish/", follow=True).content.decode()
    assert "is published. It shows in search results within 10 seconds." in page
    page = client.post(f"/my/projects/{project.pk}/pause/", follow=True).content.decode()
    assert "is paused: nobody can buy it until you resume it." in page
    assert "within 10 seconds" not in page
    page = client.post(f"/my/projects/{project.pk}/resume/", follow=True).content.decode()
    assert "is back on sale. It shows in search results within 10 seconds." in page


def test_status_action_in_wrong_state_shows_message_not_500(freelancer):
    project = make_project(freelancer, publish=False)
    response = login(freelancer).post(f"/my/projects/{project.pk}/pause/", follow=True)
    assert response.status_code == 200
    assert b"message-error" in response.content
    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT


def test_status_actions_need_post_and_a_known_action(freelancer):
    project = make_project(freelancer)
    client = login(freelancer)
    assert client.get(f"/my/projects/{project.pk}/pause/").status_code == 405
    assert client.post(f"/my/projects/{project.pk}/explode/").status_code == 404


# ---- editor ----------------------------------------------------------------------------


def test_create_project_through_the_editor(freelancer):
    response = login(freelancer).post("/my/projects/new/", editor_data())
    project = Project.objects.get(freelancer=freelancer)
    assert response.status_code == 302
    assert response["Location"] == f"/my/projects/{project.pk}/edit/"
    assert project.status == ProjectStatus.DRAFT
    assert project.purchase_mode == "request"
    assert project.capacity == 5
    tiers = list(project.tiers.values_list("name", "price_minor", "delivery_days", "deliverables"))
    assert tiers == [
        ("Small", 8000, 5, ["A5 painting", "Scan"]),
        ("Large", 15050, 10, ["A3 painting"]),
    ]
    assert list(project.addons.values_list("title", "price_minor")) == [("Frame", 2500)]
    assert list(project.questions.values_list("prompt", flat=True)) == ["Send a photo of your pet"]
    assert list(project.faq.values_list("question", flat=True)) == ["Do you paint cats?"]
    assert project.tags == ["pet", "portrait"]


def test_edit_form_is_prefilled_and_saving_replaces_lists(freelancer):
    project = make_project(freelancer)
    client = login(freelancer)
    html = client.get(f"/my/projects/{project.pk}/edit/").content.decode()
    assert 'value="Hand-drawn logo"' in html and 'value="300.00"' in html
    response = client.post(
        f"/my/projects/{project.pk}/edit/",
        editor_data(**{"tiers-TOTAL_FORMS": "1", "title": "Renamed portrait"}),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Renamed portrait"
    assert list(project.tiers.values_list("name", flat=True)) == ["Small"]
    assert project.from_price_minor == 8000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required"),
        ({"category_slug": "nope"}, "Select a valid choice"),
        ({"tiers-0-price": "12.345"}, "Enter an amount between $1 and $1,000,000."),
        ({"tiers-0-price": "0"}, "Enter an amount between $1 and $1,000,000."),
        ({"tiers-0-price": "abc"}, "Enter an amount between $1 and $1,000,000."),
        ({"tiers-1-name": "Small"}, "Tier names must be different"),
        (
            {
                "tiers-0-name": "",
                "tiers-0-price": "",
                "tiers-0-delivery_days": "",
                "tiers-1-name": "",
                "tiers-1-price": "",
                "tiers-1-delivery_days": "",
            },
            "tiers",
        ),
        ({"tiers-TOTAL_FORMS": "9"}, "3"),
        ({"capacity": "0"}, "greater than or equal to 1"),
        ({"purchase_mode": "barter"}, "Select a valid choice"),
    ],
)
def test_bad_editor_input_rerenders_with_errors_and_writes_nothing(freelancer, overrides, message):
    response = login(freelancer).post("/my/projects/new/", editor_data(**overrides))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Please fix the highlighted fields" in html
    assert message in html
    assert not Project.objects.exists()


def test_service_errors_land_next_to_the_tier_field(freelancer):
    # A deliverable longer than 200 characters passes the form but the catalog rules refuse it.
    response = login(freelancer).post(
        "/my/projects/new/", editor_data(**{"tiers-1-deliverables": "x" * 201})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_tiers-1-deliverables_errors"' in html
    assert not Project.objects.exists()


def test_add_another_row_grows_the_form_without_saving(freelancer):
    response = login(freelancer).post("/my/projects/new/", editor_data(more="addons"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="addons-2-title"' in html
    assert 'value="Watercolour pet portrait"' in html
    assert "Please fix" not in html
    assert not Project.objects.exists()


# ---- gallery ---------------------------------------------------------------------------


def png_upload(name: str = "cat.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_gallery_upload_and_remove(freelancer):
    project = make_project(freelancer)
    client = login(freelancer)
    response = client.post(
        f"/my/projects/{project.pk}/gallery/", {"upload": png_upload(), "alt_text": "A cat"}
    )
    assert response.status_code == 302
    image = GalleryImage.objects.get(project=project)
    assert image.alt_text == "A cat"
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'alt="A cat"' in html
    client.post(f"/my/projects/{project.pk}/gallery/remove/", {"image_id": image.pk})
    assert not GalleryImage.objects.filter(project=project).exists()


def test_gallery_rejects_a_non_image(freelancer, stranger):
    project = make_project(freelancer)
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = login(freelancer).post(f"/my/projects/{project.pk}/gallery/", {"upload": bad})
    assert response.status_code == 422
    assert b"field-errors" in response.content
    assert not GalleryImage.objects.exists()
    # A stranger cannot upload to it at all
    response = login(stranger).post(f"/my/projects/{project.pk}/gallery/", {"upload": png_upload()})
    assert response.status_code == 404
    assert not GalleryImage.objects.exists()


def test_removing_unknown_image_is_404(freelancer):
    project = make_project(freelancer)
    client = login(freelancer)
    assert (
        client.post(f"/my/projects/{project.pk}/gallery/remove/", {"image_id": "99999"}).status_code
        == 404
    )
    assert (
        client.post(f"/my/projects/{project.pk}/gallery/remove/", {"image_id": "abc"}).status_code
        == 404
    )
