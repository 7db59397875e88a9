"""Files on a quote request (issue 12 item 1: "what they need, budget, wished date,
attachments"): uploaded with purpose ``quote``, attached when the request is made, served
to the request's two people (and operators) only, and the contract's once an offer is
accepted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fairlance.accounts.models import User
from fairlance.contracts.models import Contract
from fairlance.files.models import Upload
from fairlance.quotes.models import QuoteRequest
from tests.conftest import assert_problem
from tests.contracts.conftest import GOOD_CARD
from tests.quotes.conftest import ask, make_project, offer_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    api: Any, freelancer: User, client_user: User, stranger: User, operator: User, clock: Any
) -> dict[str, Any]:
    return {
        "project": make_project(freelancer, questions=False),
        "freelancer": api(freelancer),
        "client": api(client_user),
        "stranger": api(stranger),
        "operator": api(operator),
        "anonymous": api(),
    }


def upload(c: Any, name: str = "brief.pdf", purpose: str = "quote") -> str:
    body = {"file": SimpleUploadedFile(name, b"%PDF-1.4 brief"), "purpose": purpose}
    r = c.client.post("/api/v1/uploads", body, headers=c.headers)
    assert r.status_code == 201, r.content
    return str(r.json()["id"])


def test_a_quote_request_carries_its_files_to_both_sides_and_to_the_contract(
    world: dict[str, Any],
) -> None:
    # Given a client who uploads two files and asks for a quote with them
    ids = [upload(world["client"]), upload(world["client"], "logo.png")]
    r = ask(world["client"], world["project"].pk, files=ids)
    assert r.status_code == 201, r.content
    body = r.json()
    # Then the request lists them, in order, each with a download address
    assert [f["id"] for f in body["files"]] == ids
    assert [f["name"] for f in body["files"]] == ["brief.pdf", "logo.png"]
    url = body["files"][0]["url"]
    assert url == f"/api/v1/quote-requests/{body['id']}/files/{ids[0]}"
    # And the freelancer and an operator can download them; the client too
    for who in ("client", "freelancer", "operator"):
        got = world[who].client.get(url, headers=world[who].headers)
        assert got.status_code == 200, who
        assert b"".join(got.streaming_content) == b"%PDF-1.4 brief"
        assert got["Content-Disposition"].startswith("attachment")
    # When the freelancer offers and the client accepts
    offer = world["freelancer"].post(f"quote-requests/{body['id']}/offers", offer_body()).json()
    r = world["client"].post(
        f"offers/{offer['id']}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "f1"}
    )
    assert r.status_code == 201, r.content
    contract = Contract.objects.get()
    # Then the files are the contract's requirement files: listed in its snapshot and
    # served through the contract's own file door to both parties
    detail = world["freelancer"].get(f"contracts/{contract.pk}").json()
    assert detail["snapshot"]["offer"]["files"] == ids
    for who in ("client", "freelancer"):
        got = world[who].get(f"contracts/{contract.pk}/files/{ids[1]}")
        assert got.status_code == 200, who
    assert world["stranger"].get(f"contracts/{contract.pk}/files/{ids[1]}").status_code == 404
    # And the request's page still serves them
    assert world["client"].client.get(url, headers=world["client"].headers).status_code == 200


def test_strangers_and_anonymous_callers_get_404_for_a_request_file(
    world: dict[str, Any],
) -> None:
    file_id = upload(world["client"])
    qr_id = ask(world["client"], world["project"].pk, files=[file_id]).json()["id"]
    url = f"quote-requests/{qr_id}/files/{file_id}"
    assert_problem(world["stranger"].get(url), 404)
    assert world["anonymous"].get(url).status_code == 401
    # A malformed id and an id of another request's file are the same 404
    assert_problem(world["client"].get(f"quote-requests/{qr_id}/files/not-a-uuid"), 404)
    other = ask(world["client"], world["project"].pk).json()["id"]
    assert_problem(world["client"].get(f"quote-requests/{other}/files/{file_id}"), 404)


@pytest.mark.parametrize(
    "case, code",
    [
        ("someone_elses", "unknown_upload"),
        ("not_an_id", "unknown_upload"),
        ("wrong_purpose", "wrong_purpose"),
        ("already_used", "already_attached"),
    ],
)
def test_files_that_are_not_the_clients_usable_quote_uploads_are_refused_and_nothing_is_made(
    world: dict[str, Any], case: str, code: str
) -> None:
    if case == "someone_elses":
        ref = upload(world["stranger"])
    elif case == "not_an_id":
        ref = "../../etc/passwd"
    elif case == "wrong_purpose":
        ref = upload(world["client"], purpose="requirement")
    else:
        ref = upload(world["client"])
        assert ask(world["client"], world["project"].pk, files=[ref]).status_code == 201
    before = QuoteRequest.objects.count()
    body = assert_problem(ask(world["client"], world["project"].pk, files=[ref]), 422)
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("files.0", code)}
    assert QuoteRequest.objects.count() == before
    if case == "someone_elses":
        # The stranger's upload stays theirs and unattached
        assert Upload.objects.get(public_id=ref).quote_request_id is None


def test_at_most_five_files(world: dict[str, Any]) -> None:
    ids = [upload(world["client"], f"page{i}.pdf") for i in range(6)]
    r = ask(world["client"], world["project"].pk, files=ids)
    assert r.status_code == 422
    assert QuoteRequest.objects.count() == 0
    assert Upload.objects.filter(quote_request__isnull=False).count() == 0
