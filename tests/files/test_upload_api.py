"""POST /api/v1/uploads: the one way an API client hands the platform a file."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fairlance.files import kinds
from fairlance.files.models import Upload
from tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


def post_upload(
    c: Any, name: str, body: bytes = b"<svg/>", purpose: str | None = "delivery"
) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, body, content_type="image/svg+xml")}
    if purpose is not None:
        data["purpose"] = purpose
    return c.client.post("/api/v1/uploads", data, headers=c.headers)


def test_an_upload_answers_with_the_id_to_use_it_by(api, freelancer):
    resp = post_upload(api(freelancer), "logo.svg")

    assert resp.status_code == 201, resp.content
    body = resp.json()
    upload = Upload.objects.get()
    assert body == {
        "id": str(upload.public_id),
        "name": "logo.svg",
        "size": 6,
        "content_type": "application/octet-stream",
        "purpose": "delivery",
    }
    assert upload.uploader == freelancer and upload.contract is None


def test_type_size_and_purpose_are_problem_documents_naming_the_field(api, freelancer, monkeypatch):
    c = api(freelancer)
    # A type nobody sells as a deliverable
    body = assert_problem(post_upload(c, "page.html", b"<script>"), 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("file", "file_type")]
    # A purpose that does not exist, or none at all
    body = assert_problem(post_upload(c, "logo.svg", purpose="avatar"), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["purpose"]
    body = assert_problem(post_upload(c, "logo.svg", purpose=None), 422, "invalid_input")
    assert [e["field"] for e in body["errors"]] == ["purpose"]
    # No file
    resp = c.client.post("/api/v1/uploads", {"purpose": "delivery"}, headers=c.headers)
    assert [e["field"] for e in assert_problem(resp, 422)["errors"]] == ["file"]
    # Too big for the purpose (a limit small enough to test; the real one is 500 MB)
    small = dataclasses.replace(kinds.RULES[kinds.Purpose.DELIVERY], max_bytes=5)
    monkeypatch.setattr(kinds, "RULES", {**kinds.RULES, kinds.Purpose.DELIVERY: small})
    body = assert_problem(post_upload(c, "logo.svg", b"123456"), 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("file", "file_too_large")]
    # Nothing was stored
    assert not Upload.objects.exists()


def test_too_many_unused_uploads_is_a_409(api, freelancer, monkeypatch):
    monkeypatch.setattr(kinds, "MAX_PENDING_UPLOADS", 1)
    c = api(freelancer)
    assert post_upload(c, "a.svg").status_code == 201
    assert_problem(post_upload(c, "b.svg"), 409, "upload_limit")


def test_anonymous_callers_get_401_and_store_nothing(api):
    assert_problem(post_upload(api(), "logo.svg"), 401, "not_authenticated")
    assert not Upload.objects.exists()


def test_the_schema_declares_the_purposes_and_the_limits():
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/uploads"]["post"]
    limits = operation["x-upload-limits"]
    assert limits["delivery"]["max_bytes"] == 500 * 1024 * 1024
    assert ".svg" in limits["delivery"]["extensions"] and ".mkv" in limits["delivery"]["extensions"]
    assert limits["requirement"]["max_bytes"] == 200 * 1024 * 1024
    assert "500 MB" in operation["description"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    purpose = form["properties"]["purpose"]
    assert sorted(purpose["enum"]) == sorted(p.value for p in kinds.Purpose)
    assert set(form["required"]) == {"file", "purpose"}
