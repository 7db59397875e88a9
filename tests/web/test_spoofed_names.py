"""Names that show nothing or display as something else are refused, by API and web alike.

Issue 11, item 21: an audit created a project titled with zero-width spaces only (an
empty-looking listing) and names holding a right-to-left override, which makes
"Logo \\u202egnp.exe" display as "Logo exe.png". Every short human-facing name goes
through ``fairlance.core.text``; these tests go through the HTTP API and the pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from tests.conftest import PASSWORD, assert_problem
from tests.web.conftest import login, make_project
from tests.web.test_freelancer_pages import editor_data

pytestmark = pytest.mark.django_db

ZWSP_TITLE = "\u200b" * 12
RLO_NAME = "Logo \u202egnp.exe"


def project_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "A hand-drawn logo",
        "category": "design",
        "tiers": [{"name": "Basic", "price_minor": 10_000, "delivery_days": 3}],
        "addons": [{"title": "Express", "price_minor": 1_000}],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"title": ZWSP_TITLE}, "title", "required"),
        (
            {"title": "\u2060\u00ad\ufeff \u200c\u200d\u3164\u2800 \u200b\u200b"},
            "title",
            "required",
        ),
        ({"title": f"Invoice design {RLO_NAME}"}, "title", "bidi_control"),
        (
            {"tiers": [{"name": "\u2066Gold\u2069", "price_minor": 10_000, "delivery_days": 3}]},
            "tiers.0.name",
            "bidi_control",
        ),
        ({"addons": [{"title": "\u200b", "price_minor": 1_000}]}, "addons.0.title", "required"),
        ({"tags": ["\u202dlogo"]}, "tags.0", "bidi_control"),
        ({"title": "A hand-drawn\x07 logo"}, "title", "invalid_character"),
    ],
)
def test_the_api_refuses_invisible_and_bidi_spoofed_project_names(
    api: Any, freelancer: User, overrides: dict[str, Any], field: str, code: str
) -> None:
    # When a freelancer creates a project whose name shows nothing or lies about itself
    resp = api(freelancer).post("projects", project_body(**overrides))

    # Then the name is refused with its field and code, and no project exists
    body = assert_problem(resp, 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert not Project.objects.exists()


def test_the_api_refuses_a_spoofed_rename_and_keeps_the_old_title(
    api: Any, freelancer: User
) -> None:
    project = make_project(freelancer)

    resp = api(freelancer).patch(f"projects/{project.pk}", {"title": ZWSP_TITLE})

    assert_problem(resp, 422, "invalid_input")
    project.refresh_from_db()
    assert project.title == "Hand-drawn logo"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("display_name", "\u200b\u200b", "required"),
        ("display_name", "Chlo\u00e9 \u202eM", "bidi_control"),
        ("headline", "Designer \u2067\u2069", "bidi_control"),
    ],
)
def test_the_api_refuses_spoofed_profile_names(
    api: Any, client_user: User, field: str, value: str, code: str
) -> None:
    resp = api(client_user).patch("me", {field: value})

    body = assert_problem(resp, 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    client_user.refresh_from_db()
    assert client_user.display_name == "Carla"
    assert client_user.headline == ""


def test_a_visible_name_with_a_joiner_inside_is_kept(api: Any, freelancer: User) -> None:
    # Invisible characters inside a visible name are spelling (Persian, emoji): kept.
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 design"
    resp = api(freelancer).post("projects", project_body(title=name))

    assert resp.status_code == 201, resp.content
    assert resp.json()["title"] == name


def test_the_editor_page_refuses_a_zero_width_title_and_keeps_the_input(freelancer: User) -> None:
    response = login(freelancer).post("/my/projects/new/", editor_data(title=ZWSP_TITLE))

    assert response.status_code == 422
    html = response.content.decode()
    assert "field-errors" in html
    assert "Do you paint cats?" in html  # the rest of the form is kept
    assert not Project.objects.exists()


def test_the_editor_page_refuses_a_bidi_tier_name(freelancer: User) -> None:
    response = login(freelancer).post(
        "/my/projects/new/", editor_data(**{"tiers-0-name": RLO_NAME})
    )

    assert response.status_code == 422
    assert "direction" in response.content.decode()
    assert not Project.objects.exists()


def test_the_profile_page_refuses_a_bidi_display_name(freelancer: User) -> None:
    response = login(freelancer).post(
        "/settings/profile/", {"display_name": RLO_NAME, "country": "PT"}
    )

    assert response.status_code == 422
    freelancer.refresh_from_db()
    assert freelancer.display_name == "Fran"


@pytest.mark.parametrize("name", [RLO_NAME, "\u200b\u2060"])
def test_sign_up_refuses_a_spoofed_display_name(db: None, name: str) -> None:
    response = login(None).post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": name,
        },
    )

    assert response.status_code == 200
    assert b"field-errors" in response.content
    assert not User.objects.filter(email="new@example.com").exists()
