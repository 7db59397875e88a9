"""Hostile and malformed input: every answer is a 4xx problem document, nothing is written.

Each case here was found by fuzzing the demo (schemathesis) or by hand-probing it; the
tests go through Django's test client, so an unhandled exception fails them outright.
Strings are sent through ``json.dumps`` so that NUL and unpaired surrogates travel as the
JSON escapes ``\\u0000`` / ``\\ud800`` a hostile client would send.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from fairlance.accounts.models import ApiToken, TimeOff, User
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_pause
from fairlance.contracts.models import Contract
from fairlance.ledger.models import JournalEntry
from tests.conftest import assert_problem
from tests.contracts.conftest import GOOD_CARD, answers_for, make_project

pytestmark = pytest.mark.django_db

NUL = "\u0000"
SURROGATE = "\ud800"


def send_json(api_client: Any, method: str, path: str, body: Any) -> Any:
    return getattr(api_client.client, method)(
        api_client._url(path),
        json.dumps(body),
        content_type="application/json",
        headers=api_client.headers,
    )


# --- text that no database can store --------------------------------------------------


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_unstorable_text_in_profile_patch_is_422_and_changes_nothing(
    api: Any, client_user: User, bad: str
) -> None:
    # Given a client with a headline
    before = User.objects.get(pk=client_user.pk).headline

    # When they send a headline with a character no database can store
    resp = send_json(api(client_user), "patch", "me", {"headline": "Hi" + bad})

    # Then the field is named in a 422 problem and nothing changed
    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["headline"]
    assert User.objects.get(pk=client_user.pk).headline == before


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize("field", ["email", "password", "name"])
def test_unstorable_text_in_token_request_is_422_and_issues_no_token(
    api: Any, client_user: User, field: str, bad: str
) -> None:
    # Given a correct email and password with one field poisoned
    body = {"email": "carla@example.com", "password": "correct horse battery staple", "name": "x"}
    body[field] += bad

    # When a token is requested
    resp = send_json(api(), "post", "auth/token", body)

    # Then it is refused with the field named, and no token exists
    problem = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in problem["errors"]] == [field]
    assert not ApiToken.objects.exists()


def test_surrogate_in_time_off_note_is_422_and_writes_nothing(api: Any, freelancer: User) -> None:
    resp = send_json(
        api(freelancer),
        "post",
        "me/time-off",
        {"start_date": "2030-01-07", "end_date": "2030-01-08", "note": SURROGATE},
    )

    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["note"]
    assert not TimeOff.objects.exists()


def test_nul_in_project_category_is_422_and_creates_no_project(api: Any, freelancer: User) -> None:
    resp = send_json(
        api(freelancer),
        "post",
        "projects",
        {
            "title": "A hand-drawn logo",
            "category": "design" + NUL,
            "tiers": [{"name": "Basic", "price_minor": 1000, "delivery_days": 3}],
        },
    )

    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["category"]
    assert not Project.objects.exists()


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_unstorable_requirement_answer_is_422_and_charges_nothing(
    api: Any, client_user: User, freelancer: User, bad: str
) -> None:
    # Given a request-mode project whose question is answered up front
    project = make_project(freelancer, mode="request")
    answers = {key: "Acme" + bad for key in answers_for(project)}

    # When the client buys with an answer that cannot be stored
    resp = send_json(
        api(client_user),
        "post",
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.get().pk, "card_number": GOOD_CARD, "answers": answers},
    )

    # Then the answer's field is named, no contract exists and no money moved
    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == [f"answers.{key}" for key in answers]
    assert not Contract.objects.exists()
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("contracts", {"state": NUL}),
        ("operator/ledger/balances", {"prefix": NUL}),
        ("operator/ledger/balances", {"cursor": "a" + NUL}),
        ("projects", {"q": "logo" + NUL}),
    ],
)
def test_nul_in_a_query_parameter_is_422(
    api: Any, operator: User, path: str, params: dict[str, str]
) -> None:
    resp = api(operator).get(path, params)

    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == list(params)


@pytest.mark.parametrize("path", ["projects/{}/purchase", "contracts/{}/submit_requirements"])
def test_deeply_nested_json_is_422_and_charges_nothing(
    api: Any, client_user: User, freelancer: User, path: str
) -> None:
    # Given answers nested 50 levels deep. Around 900 levels pydantic could not even
    # serialise them back (a 500); the API refuses anything deeper than 16.
    project = make_project(freelancer)
    nested: Any = "Acme"
    for _ in range(50):
        nested = [nested]
    body = {"tier_id": project.tiers.get().pk, "card_number": GOOD_CARD, "answers": {"1": nested}}
    target = path.format(project.pk)
    if path.startswith("contracts/"):
        contract = send_json(
            api(client_user),
            "post",
            f"projects/{project.pk}/purchase",
            {"tier_id": project.tiers.get().pk, "card_number": GOOD_CARD},
        ).json()
        target = path.format(contract["id"])
    contracts_before = Contract.objects.count()

    # When it is sent
    resp = send_json(api(client_user), "post", target, body)

    # Then it is refused where the nesting goes too deep, and nothing was written
    problem = assert_problem(resp, 422, "invalid_input")
    assert problem["errors"][0]["field"].startswith("answers.1.0.0")
    assert problem["errors"][0]["code"] == "too_deep"
    assert Contract.objects.count() == contracts_before


@pytest.mark.parametrize("cursor", ["\u00b2", "\uff11", "12a", "-1", " 1"])
def test_a_contract_cursor_of_anything_but_ascii_digits_is_422(
    api: Any, client_user: User, cursor: str
) -> None:
    # "²" passes str.isdigit() yet int() refuses it: it used to be a 500.
    resp = api(client_user).get("contracts", {"cursor": cursor})

    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["cursor"]


@pytest.mark.parametrize("card", ["42424242424242\u00b2", "\uff14" * 16], ids=["super", "wide"])
def test_a_card_number_with_non_ascii_digits_is_422_and_charges_nothing(
    api: Any, client_user: User, freelancer: User, card: str
) -> None:
    # "²" passes str.isdigit() and then broke the Luhn check's int(): a 500.
    project = make_project(freelancer, questions=False)

    resp = send_json(
        api(client_user),
        "post",
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.get().pk, "card_number": card},
    )

    body = assert_problem(resp, 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["card_number"]
    assert not Contract.objects.exists()
    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_forged_search_cursor_at_the_end_of_time_is_422(
    api: Any, freelancer: User, moment: str
) -> None:
    # Cursors are opaque base64 JSON, so anyone can forge one; converting these instants
    # to UTC overflows the datetime range (it was a 500).
    make_project(freelancer, questions=False)
    payload = json.dumps({"s": "newest", "k": [moment, 1]}).encode()
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")

    resp = api().get("projects", {"sort": "newest", "cursor": cursor})

    assert_problem(resp, 422, "invalid_cursor")


# --- bodies that are not what the endpoint reads ----------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [("projects/1/gallery", "upload"), ("contracts/1/deliveries", "files")],
)
def test_multipart_without_a_boundary_is_a_400_problem(
    api: Any, freelancer: User, path: str, field: str
) -> None:
    # A multipart content type without a boundary cannot be parsed at all; Django answered
    # with its HTML 400 page instead of a problem document.
    c = api(freelancer)
    resp = c.client.post(c._url(path), b"xx", content_type="multipart/form-data", headers=c.headers)

    assert_problem(resp, 400, "bad_request")


def test_malformed_json_is_a_400_problem_and_changes_nothing(api: Any, client_user: User) -> None:
    c = api(client_user)
    resp = c.client.patch(
        c._url("me"), b'{"headline": ', content_type="application/json", headers=c.headers
    )

    body = assert_problem(resp, 400, "bad_request")
    assert "JSON" in body["detail"]
    assert User.objects.get(pk=client_user.pk).headline == client_user.headline


def test_a_body_in_another_media_type_is_415(api: Any, client_user: User) -> None:
    c = api(client_user)
    resp = c.client.patch(
        c._url("me"),
        b"headline=Hello",
        content_type="application/x-www-form-urlencoded",
        headers=c.headers,
    )

    body = assert_problem(resp, 415, "unsupported_media_type")
    assert "application/json" in body["detail"]
    assert User.objects.get(pk=client_user.pk).headline == client_user.headline


@pytest.mark.parametrize("body", [[1, 2], "text", 12, None], ids=["array", "string", "int", "null"])
def test_a_json_body_that_is_not_an_object_is_422(api: Any, client_user: User, body: Any) -> None:
    resp = send_json(api(client_user), "patch", "me", body)

    assert_problem(resp, 422, "invalid_input")
    assert User.objects.get(pk=client_user.pk).headline == client_user.headline


def test_a_body_over_the_size_limit_is_413(api: Any, client_user: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    resp = send_json(api(client_user), "patch", "me", {"bio": "x" * 2000})

    assert_problem(resp, 413, "payload_too_large")
    assert User.objects.get(pk=client_user.pk).bio == client_user.bio


# --- ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["0", "-1", "9223372036854775808", "99999999999999999999999"])
@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "projects/{}"),
        ("get", "contracts/{}"),
        ("get", "contracts/{}/events"),
        ("post", "contracts/{}/approve"),
        ("post", "projects/{}/purchase"),
        ("get", "freelancers/{}"),
        ("delete", "me/time-off/{}"),
    ],
)
def test_out_of_range_ids_are_404(
    api: Any, client_user: User, method: str, template: str, bad_id: str
) -> None:
    c = api(client_user)
    path = template.format(bad_id)
    if method == "post":
        body = {"tier_id": 1, "card_number": GOOD_CARD} if "purchase" in path else {}
        resp = c.post(path, body)
    else:
        resp = getattr(c, method)(path)

    assert_problem(resp, 404, None)


def test_out_of_range_tier_and_addon_ids_are_refused_without_a_charge(
    api: Any, client_user: User, freelancer: User
) -> None:
    project = make_project(freelancer, questions=False)
    c = api(client_user)

    huge_tier = c.post(
        f"projects/{project.pk}/purchase", {"tier_id": 2**63, "card_number": GOOD_CARD}
    )
    huge_addon = c.post(
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.get().pk, "addon_ids": [2**63], "card_number": GOOD_CARD},
    )

    assert huge_tier.status_code in (404, 422), huge_tier.content
    assert_problem(huge_tier, huge_tier.status_code)
    assert huge_addon.status_code in (404, 422), huge_addon.content
    assert_problem(huge_addon, huge_addon.status_code)
    assert not Contract.objects.exists()


# --- authentication headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer a b", "Bearer " + "x" * 5000],
    ids=["missing", "no-token", "empty-token", "basic", "spaces", "huge"],
)
def test_missing_or_malformed_authorization_is_401_problem(
    api: Any, db: None, header: str | None
) -> None:
    c = api()
    headers = {"Authorization": header} if header is not None else {}
    resp = c.get("me", **headers)

    assert_problem(resp, 401, "not_authenticated")
    assert resp["WWW-Authenticate"].startswith("Bearer")


# --- routing errors -------------------------------------------------------------------------


def test_a_method_the_path_does_not_serve_is_a_405_problem(api: Any, freelancer: User) -> None:
    resp = api(freelancer).delete("projects/1")

    assert_problem(resp, 405, "method_not_allowed")
    assert set(resp["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/projects/1/nope/2", "/api/v1/"])
def test_an_unknown_api_path_is_a_404_problem(api: Any, freelancer: User, path: str) -> None:
    c = api(freelancer)

    assert_problem(c.get(path), 404, "not_found")
    assert_problem(c.post(path, {}), 404, "not_found")


# --- the OpenAPI document declares the problems ------------------------------------------


def _operations(api: Any) -> list[tuple[str, str, dict[str, Any]]]:
    schema = api().get("openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_openapi_declares_a_problem_schema_for_every_error_response(api: Any, db: None) -> None:
    schema = api().get("openapi.json").json()
    assert {"type", "title", "status", "code", "detail"} <= set(
        schema["components"]["schemas"]["Problem"]["required"]
    )
    for method, path, operation in _operations(api):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)


def test_openapi_declares_the_errors_each_kind_of_endpoint_can_give(api: Any, db: None) -> None:
    for method, path, operation in _operations(api):
        statuses = {int(s) for s in operation["responses"]}
        where = (method, path)
        if operation.get("security"):
            assert 401 in statuses, where
        if "{" in path:
            assert 404 in statuses, where
        if "requestBody" in operation:
            assert {400, 413, 422} <= statuses, where


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "projects/{project}/purchase", 409),
        ("post", "contracts/{contract}/approve", 409),
        ("post", "operator/projects/{project}/approve", 403),
        ("post", "me/payouts", 409),
    ],
)
def test_domain_errors_are_declared_where_they_happen(
    api: Any,
    client_user: User,
    freelancer: User,
    method: str,
    path: str,
    status: int,
) -> None:
    # Given a live contract, each request below fails with a domain error...
    project = make_project(freelancer, questions=False)
    contract = send_json(
        api(client_user),
        "post",
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.get().pk, "card_number": GOOD_CARD},
    ).json()
    project_pause(project=project, actor=freelancer)
    concrete = path.format(project=project.pk, contract=contract["id"])
    bodies = {
        "me/payouts": {"amount": 100},
        "projects/{project}/purchase": {"tier_id": 1, "card_number": GOOD_CARD},
    }
    body = bodies.get(path, {})

    resp = send_json(api(client_user), method, concrete, body)

    # ...which is a problem document, and the OpenAPI document declares that status there.
    assert_problem(resp, status)
    template = "/api/v1/" + path.replace("{project}", "{project_id}").replace(
        "{contract}/approve", "{contract_id}/{transition}"
    )
    declared = {
        int(s)
        for m, p, op in _operations(api)
        if (m, p) == ("POST", template)
        for s in op["responses"]
    }
    assert status in declared


# --- sessions and CSRF ------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token"], ids=["none", "bad-token"])
def test_a_write_without_valid_credentials_is_401_not_a_csrf_403(
    db: None, authorization: str | None
) -> None:
    # Given a program (it enforces no CSRF exemption, like a real client) with no session
    program = Client(enforce_csrf_checks=True)
    headers = {"Authorization": authorization} if authorization else {}

    # When it writes without valid credentials
    resp = program.post(
        "/api/v1/me/payouts", {"amount": 100}, content_type="application/json", headers=headers
    )

    # Then it is told to authenticate, not that a CSRF token is missing
    assert_problem(resp, 401, "not_authenticated")
    assert not JournalEntry.objects.exists()


def test_a_session_write_without_the_csrf_token_is_a_403_problem(client_user: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)

    resp = browser.patch("/api/v1/me", {"headline": "Hacked"}, content_type="application/json")

    body = assert_problem(resp, 403, "permission_denied")
    assert "CSRF" in body["detail"]
    assert User.objects.get(pk=client_user.pk).headline == client_user.headline


# --- the last resort --------------------------------------------------------------------


def test_an_unexpected_error_is_a_logged_500_problem(
    api: Any, client_user: User, monkeypatch: Any, caplog: Any
) -> None:
    # Given a bug somewhere below a handler
    def broken(user: User) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("fairlance.api.accounts._me_out", broken)
    c = api(client_user)
    c.client.raise_request_exception = False

    # When it is hit
    resp = c.get("me")

    # Then the client still gets a problem document, and the error is logged for us
    body = assert_problem(resp, 500, "server_error")
    assert "a bug" not in resp.content.decode()
    assert body["detail"]
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
