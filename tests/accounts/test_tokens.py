"""Issue 11, item 17: API tokens die with the password, and people can see and revoke them.

Before the fix a token made with a password kept working after that password was changed
or reset (the usual reaction to a leak), and nobody could list or revoke tokens.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from fairlance.accounts.models import ApiToken, User
from fairlance.accounts.services import token_create, user_set_password
from tests.conftest import PASSWORD, assert_problem, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 7"


def signed_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


# --- Revoked with the password -----------------------------------------------------------


def test_changing_the_password_on_the_website_revokes_every_token(api: Any, freelancer: User):
    # Given two tokens in use
    first = api(freelancer)
    _, second_raw = token_create(user=freelancer, name="backup script")
    assert first.get("me").status_code == 200

    # When the owner changes the password on the website
    browser = signed_in(freelancer)
    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

    # Then neither token works any more, and the page says so
    assert_problem(first.get("me"), 401, "not_authenticated")
    assert_problem(api().get("me", **bearer(second_raw)), 401, "not_authenticated")
    assert not ApiToken.objects.filter(user=freelancer).exists()
    page = browser.get(response["Location"]).content.decode()
    assert "2 API tokens were revoked" in page
    # And the session that changed it stays signed in
    assert browser.get("/dashboard/").status_code == 200


def test_resetting_the_password_by_email_revokes_every_token(api: Any, freelancer: User):
    caller = api(freelancer)
    Client().post("/accounts/password/reset/", {"email": freelancer.email})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", message.body)
    assert link is not None

    browser = Client()
    form = browser.get(link.group(1), follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert_problem(caller.get("me"), 401, "not_authenticated")
    assert (
        api().post("auth/token", {"email": freelancer.email, "password": NEW_PASSWORD}).status_code
        == 201
    )


def test_the_admins_password_form_is_the_sites(freelancer: User):
    # The admin's own password change form would set a password without revoking tokens;
    # it sends people to the site's page instead.
    User.objects.filter(pk=freelancer.pk).update(is_staff=True)
    response = signed_in(freelancer).get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/change/"


def test_setting_a_password_in_code_revokes_the_tokens_of_that_user_only(api: Any):
    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    owner_api, other_api = api(owner), api(other)

    assert user_set_password(user=owner, password=NEW_PASSWORD) == 1

    assert_problem(owner_api.get("me"), 401, "not_authenticated")
    assert other_api.get("me").status_code == 200


# --- GET /auth/tokens --------------------------------------------------------------------


def test_the_list_shows_the_callers_tokens_without_secrets(api: Any, freelancer, stranger):
    caller = api(freelancer)  # a token named "" made by the fixture
    named, _ = token_create(user=freelancer, name="invoice script")
    token_create(user=stranger, name="someone else's")

    response = caller.get("auth/tokens")

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body["results"]] == ["invoice script", ""]
    assert body["next_cursor"] is None
    assert set(body["results"][0]) == {"id", "name", "created_at", "last_used_at"}
    assert body["results"][0]["id"] == named.pk
    assert body["results"][1]["last_used_at"] is not None  # the one making this call
    assert "flt_" not in response.content.decode()


def test_the_list_pages_with_a_cursor(api: Any, freelancer: User):
    caller = api(freelancer)
    for i in range(55):
        token_create(user=freelancer, name=f"t{i}")
    first = caller.get("auth/tokens").json()
    assert len(first["results"]) == 50
    second = caller.get("auth/tokens", {"cursor": first["next_cursor"]}).json()
    assert len(second["results"]) == 6 and second["next_cursor"] is None
    ids = [t["id"] for t in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 56
    assert_problem(caller.get("auth/tokens", {"cursor": "１２"}), 422, "invalid_input")


def test_anonymous_callers_get_no_list(api: Any, db: None):
    assert_problem(api().get("auth/tokens"), 401, "not_authenticated")


# --- POST /auth/tokens -------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_works(api: Any, freelancer: User):
    response = api(freelancer).post("auth/tokens", {"name": "deploy script"})

    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "deploy script" and created["token"].startswith("flt_")
    assert created["token_type"] == "Bearer"
    assert api().get("me", **bearer(created["token"])).json()["id"] == freelancer.pk
    # Only a digest is kept: the list can never show the secret again
    assert created["token"] not in api(freelancer).get("auth/tokens").content.decode()
    assert not ApiToken.objects.filter(digest=created["token"]).exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 81},
        {"name": "bell\x07"},
        {"name": "a", "x": 1},
    ],
)
def test_a_token_needs_a_sensible_label(api: Any, freelancer: User, body: dict[str, Any]):
    caller = api(freelancer)
    before = ApiToken.objects.count()
    assert_problem(caller.post("auth/tokens", body), 422)
    assert ApiToken.objects.count() == before


def test_anonymous_callers_cannot_create_tokens(api: Any, db: None):
    assert_problem(api().post("auth/tokens", {"name": "x"}), 401, "not_authenticated")
    assert not ApiToken.objects.exists()


def test_a_session_caller_needs_the_csrf_token(freelancer: User):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(freelancer)
    response = browser.post("/api/v1/auth/tokens", {"name": "x"}, content_type="application/json")
    assert_problem(response, 403, "permission_denied")


# --- DELETE /auth/tokens/{id} ------------------------------------------------------------


def test_the_owner_revokes_a_token(api: Any, freelancer: User):
    token, raw = token_create(user=freelancer, name="old laptop")

    response = api(freelancer).delete(f"auth/tokens/{token.pk}")

    assert response.status_code == 204
    assert_problem(api().get("me", **bearer(raw)), 401, "not_authenticated")


@pytest.mark.parametrize("who", ["stranger", "operator", "anonymous"])
def test_nobody_else_revokes_a_token(api: Any, freelancer, stranger, operator, who: str):
    token, raw = token_create(user=freelancer, name="mine")
    caller = {"stranger": api(stranger), "operator": api(operator), "anonymous": api()}[who]

    response = caller.delete(f"auth/tokens/{token.pk}")

    if who == "anonymous":
        assert_problem(response, 401, "not_authenticated")
    else:
        # The same answer as for an id that does not exist: ids of others are not hinted at
        assert_problem(response, 404, "not_found")
        assert_problem(caller.delete("auth/tokens/999999"), 404, "not_found")
    assert api().get("me", **bearer(raw)).status_code == 200


@pytest.mark.parametrize("token_id", ["0", "-1", str(2**63)])
def test_out_of_range_ids_are_not_found(api: Any, freelancer: User, token_id: str):
    response = api(freelancer).delete(f"auth/tokens/{token_id}")
    assert response.status_code in {404, 422}
    assert response["Content-Type"].startswith("application/problem+json")


# --- The settings page -------------------------------------------------------------------


def test_the_page_lists_creates_once_and_revokes(freelancer: User, stranger: User):
    token_create(user=stranger, name="stranger's token")
    browser = signed_in(freelancer)

    page = browser.get("/settings/tokens/")
    html = page.content.decode()
    assert page.status_code == 200 and "You have no API tokens." in html
    assert "stranger" not in html

    created = browser.post("/settings/tokens/", {"name": "laptop"})
    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    raw = re.search(r'value="(flt_[^"]+)"', created.content.decode())
    assert raw is not None
    assert (
        Client().get("/api/v1/me", **{"HTTP_AUTHORIZATION": f"Bearer {raw.group(1)}"}).json()["id"]
        == freelancer.pk
    )

    again = browser.get("/settings/tokens/").content.decode()
    assert "laptop" in again and raw.group(1) not in again

    token = ApiToken.objects.get(user=freelancer)
    revoked = browser.post("/settings/tokens/revoke/", {"token_id": token.pk}, follow=True)
    assert "Token revoked" in revoked.content.decode()
    assert not ApiToken.objects.filter(user=freelancer).exists()


def test_the_page_keeps_a_bad_label_and_says_why(freelancer: User):
    response = signed_in(freelancer).post("/settings/tokens/", {"name": "x" * 81})
    assert response.status_code == 422
    assert "x" * 81 in response.content.decode()
    assert b"field-errors" in response.content
    assert not ApiToken.objects.exists()


def test_nobody_revokes_anothers_token_on_the_page(freelancer: User, stranger, operator):
    token, _ = token_create(user=freelancer, name="mine")
    for other in (stranger, operator):
        response = signed_in(other).post("/settings/tokens/revoke/", {"token_id": token.pk})
        assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_page_is_for_signed_in_people_only(db: None):
    assert Client().get("/settings/tokens/")["Location"].startswith("/accounts/login/")
    assert Client().post("/settings/tokens/", {"name": "x"}).status_code == 302
    assert not ApiToken.objects.exists()
