"""Request-body limits per route (issue 11, item 20).

The attack: Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts only a form's fields, so a
30 MB file posted to any form (or API endpoint) was streamed to a temporary file on disk
before a view could refuse it; a few clients doing that in a loop fill the disk and keep
workers busy. Now the declared ``Content-Length`` is judged first, per route.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve

from fairlance.accounts.models import User
from fairlance.api.main import api as ninja_api
from fairlance.files.models import Upload
from fairlance.limits import FILE_ROUTES, RequestBodyLimitMiddleware
from tests.conftest import assert_problem
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
FIELDS = 2 * MB  # DATA_UPLOAD_MAX_MEMORY_SIZE: every route's allowance for form fields


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the request body was read")

    readline = read


def post_declared(client: Client, path: str, length: int, **headers: str) -> Any:
    """POST declaring ``length`` bytes of multipart body, none of which may be read."""
    return client.generic(
        "POST",
        path,
        headers=headers,
        CONTENT_LENGTH=str(length),
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        **{"wsgi.input": Unreadable()},
    )


@pytest.fixture
def spooled(monkeypatch: Any) -> list[int]:
    """Sizes of the chunks Django's upload handler wrote to temporary files."""
    chunks: list[int] = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def spy(self: Any, raw_data: bytes, start: int) -> Any:
        chunks.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", spy)
    return chunks


def test_a_30_mb_file_posted_to_a_form_without_files_is_refused_before_it_is_spooled(
    client_user: User, spooled: list[int]
) -> None:
    # given a signed-in person posting a 30 MB file to their profile form
    body = {"display_name": "Mallory", "junk": SimpleUploadedFile("big.bin", b"\0" * (30 * MB))}

    # when it arrives
    response = login(client_user).post("/settings/profile/", body)

    # then it is refused with a page, nothing was written to disk and nothing changed
    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1" in html and "up to 2 MB" in html
    assert spooled == []
    client_user.refresh_from_db()
    assert client_user.display_name != "Mallory"


def test_a_30_mb_body_is_refused_unread_on_pages_and_the_api(api: Any, client_user: User) -> None:
    # A page, anonymous: the refusal comes before the CSRF check would parse the form.
    response = post_declared(Client(enforce_csrf_checks=True), "/accounts/login/", 30 * MB)
    assert response.status_code == 413
    assert b"up to 2 MB" in response.content

    # The API, signed in: a problem document saying the limit.
    c = api(client_user)
    response = post_declared(c.client, "/api/v1/me/time-off", 30 * MB, **c.headers)
    body = assert_problem(response, 413, "payload_too_large")
    assert body["max_bytes"] == FIELDS
    assert "2 MB" in body["detail"]

    # An upload route refuses what is beyond its own limit the same way.
    response = post_declared(c.client, "/api/v1/uploads", 600 * MB, **c.headers)
    assert assert_problem(response, 413, "payload_too_large")["max_bytes"] == 500 * MB + FIELDS


def test_a_30_mb_delivery_file_is_accepted_by_the_upload_route(api: Any, freelancer: User) -> None:
    c = api(freelancer)
    video = SimpleUploadedFile("cut.mp4", b"\0" * (30 * MB), content_type="video/mp4")

    response = c.client.post(
        "/api/v1/uploads", {"file": video, "purpose": "delivery"}, headers=c.headers
    )

    assert response.status_code == 201, response.content[:500]
    assert Upload.objects.get().size == 30 * MB


# Every route that takes files, with the most it accepts: its files as documented in
# fairlance/files/kinds.py and catalog/images.py, plus the ordinary form fields.
ROUTE_LIMITS = {
    "/api/v1/uploads": 500 * MB,  # one file; delivery files are the largest
    "/api/v1/contracts/1/deliveries": 10 * 500 * MB,  # up to 10 delivery files
    "/contracts/1/deliver/": 10 * 500 * MB,
    "/contracts/1/requirements/": 15 * 200 * MB,  # one file per question, 15 questions
    "/projects/1/checkout/": 15 * 200 * MB,  # a request to buy asks the same questions
    "/api/v1/projects/1/gallery": 5 * MB,
    "/my/projects/1/gallery/": 5 * MB,
    # Everything else: form fields only.
    "/settings/profile/": 0,
    "/api/v1/projects": 0,
    "/api/v1/projects/1/purchase": 0,  # answers files by upload id, not by content
    "/no/such/route/": 0,
}


@pytest.mark.parametrize(("path", "files"), ROUTE_LIMITS.items())
def test_each_route_accepts_exactly_its_limit(path: str, files: int) -> None:
    # The limit logic with a declared length only (nobody sends 5 GB in a test).
    passed: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        passed.append(request)
        return HttpResponse("ok")

    middleware = RequestBodyLimitMiddleware(view)
    limit = files + FIELDS
    at_limit = RequestFactory().post(path, CONTENT_LENGTH=str(limit), content_type="text/plain")
    over = RequestFactory().post(path, CONTENT_LENGTH=str(limit + 1), content_type="text/plain")

    assert middleware(at_limit).status_code == 200
    assert middleware(over).status_code == 413
    assert passed == [at_limit]


@pytest.mark.parametrize("length", ["", "abc", "-5"])
def test_a_missing_or_garbled_length_is_no_body(length: str) -> None:
    # Django reads no body without a usable Content-Length, so there is nothing to refuse.
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().post("/settings/profile/", content_type="text/plain")
    request.META["CONTENT_LENGTH"] = length
    assert middleware(request).status_code == 200


def test_every_api_endpoint_that_takes_files_has_a_limit() -> None:
    # A new multipart endpoint missing from FILE_ROUTES would refuse every file over 2 MB.
    schema = ninja_api.get_openapi_schema()
    multipart = set()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                concrete = path.replace("{contract_id}", "1").replace("{project_id}", "1")
                multipart.add(resolve(concrete).view_name)
    assert multipart == {name for name in FILE_ROUTES if name.startswith("api:")}
