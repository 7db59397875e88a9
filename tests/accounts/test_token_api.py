from __future__ import annotations

from tests.conftest import PASSWORD, assert_problem


def test_token_is_issued_for_right_password_and_authenticates(api, freelancer):
    response = api().post("auth/token", {"email": "FRAN@example.com", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("flt_")


def test_wrong_password_gets_401_problem(api, freelancer):
    response = api().post("auth/token", {"email": "fran@example.com", "password": "nope"})
    assert_problem(response, 401, "invalid_credentials")


def test_missing_fields_list_each_field(api, db):
    body = assert_problem(api().post("auth/token", {"email": 3}), 422, "invalid_input")
    fields = {e["field"] for e in body["errors"]}
    assert {"email", "password"} <= fields
