"""Contract files through the API: uploads named by id, one access door, safe downloads.

Issue 11, item 15 was a path traversal: a file answer was any string, and
``requirements/new-<client>/../../requirements/5/<name>`` served another client's brief.
Issue 10, items 7 and 8: SVG deliveries were refused, the API accepted an empty delivery
and its file URLs were 404.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fairlance.accounts.models import User
from fairlance.catalog.inputs import QuestionInput, TierInput
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_create, project_publish
from fairlance.contracts.models import Contract, ContractEvent, Delivery
from fairlance.files.models import Upload
from fairlance.payments.models import PaymentAttempt
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import GOOD_CARD
from tests.files.conftest import stored_files
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'


def file_project(freelancer: User, *, mode: str = "instant") -> Project:
    """A logo project asking for the client's brief as a file."""
    project = project_create(
        freelancer=freelancer,
        title="Final logo in SVG",
        category_slug="design",
        description="A logo, delivered as SVG.",
        purchase_mode=mode,
        tiers=[TierInput(name="Basic", price_minor=10_000, delivery_days=5, revisions=1)],
        questions=[QuestionInput(prompt="Your brief", kind="file")],
    )
    return project_publish(project=project, actor=freelancer)


def upload(c: Any, name: str, body: bytes, purpose: str) -> str:
    resp = c.client.post(
        "/api/v1/uploads",
        {"file": SimpleUploadedFile(name, body), "purpose": purpose},
        headers=c.headers,
    )
    assert resp.status_code == 201, resp.content
    return str(resp.json()["id"])


def question(project: Project) -> str:
    return str(project.questions.get().pk)


def bought(c: Any, project: Project) -> int:
    resp = c.post(
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.get().pk, "card_number": GOOD_CARD},
    )
    assert resp.status_code == 201, resp.content
    return int(resp.json()["id"])


def briefed(c: Any, project: Project, name: str = "brief.pdf", body: bytes = b"%PDF secret") -> int:
    """A contract whose client sent a brief file: in progress."""
    cid = bought(c, project)
    brief = upload(c, name, body, "requirement")
    resp = c.post(f"contracts/{cid}/submit_requirements", {"answers": {question(project): brief}})
    assert resp.status_code == 200, resp.content
    return cid


@pytest.fixture
def victim(db: None) -> User:
    return make_user("victim@example.com")


def test_a_file_answer_must_be_the_clients_own_unused_requirement_upload(
    api, freelancer, client_user, victim
):
    # Given a victim's contract holding their private brief, and the attacker's own
    # contract on the same project, waiting for requirements
    project = file_project(freelancer)
    v = api(victim)
    victims = briefed(v, project)
    brief = v.get(f"contracts/{victims}").json()["requirement_files"][question(project)]
    attacker = api(client_user)
    mine = bought(attacker, project)
    spare = upload(v, "spare.pdf", b"%PDF unused", "requirement")
    wrong_purpose = upload(attacker, "logo.svg", SVG, "delivery")
    before = (Upload.objects.filter(contract=None).count(), ContractEvent.objects.count())

    # When the attacker answers with a path into the victim's files, with the victim's
    # attached brief, with the victim's unused upload, or with their own delivery upload
    for answer, code in [
        (
            f"requirements/new-{client_user.pk}/../../requirements/{victims}/brief.pdf",
            "unknown_upload",
        ),
        (brief["id"], "unknown_upload"),
        (spare, "unknown_upload"),
        (wrong_purpose, "wrong_purpose"),
    ]:
        resp = attacker.post(
            f"contracts/{mine}/submit_requirements", {"answers": {question(project): answer}}
        )

        # Then each is refused naming the answer, and nothing is written
        body = assert_problem(resp, 422, "invalid_input")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [
            (f"answers.{question(project)}", code)
        ], answer
    contract = Contract.objects.get(pk=mine)
    assert contract.state == "awaiting_requirements" and contract.answers == {}
    assert (Upload.objects.filter(contract=None).count(), ContractEvent.objects.count()) == before
    # And the victim's brief is not reachable through the attacker's contract
    assert_problem(attacker.get(f"contracts/{mine}/files/{brief['id']}"), 404, "not_found")
    assert login(client_user).get(f"/contracts/{mine}/files/{brief['id']}/").status_code == 404


def test_an_upload_is_attached_once(api, freelancer, client_user):
    # Given a brief the client already sent with one contract
    project = file_project(freelancer)
    c = api(client_user)
    first = bought(c, project)
    brief = upload(c, "brief.pdf", b"%PDF", "requirement")
    answers = {"answers": {question(project): brief}}
    assert c.post(f"contracts/{first}/submit_requirements", answers).status_code == 200

    # When the same id answers the question of a second contract
    second = bought(c, project)
    resp = c.post(f"contracts/{second}/submit_requirements", answers)

    # Then it is refused: upload once more to send the same file again
    body = assert_problem(resp, 422)
    assert body["errors"][0]["code"] == "already_attached"
    assert Upload.objects.get(public_id=brief).contract_id == first


def test_a_request_purchase_attaches_its_brief_and_refuses_a_path_before_charging(
    api, freelancer, client_user
):
    project = file_project(freelancer, mode="request")
    c = api(client_user)
    tier = project.tiers.get().pk
    # A path answer is refused before the card is charged
    resp = c.post(
        f"projects/{project.pk}/purchase",
        {
            "tier_id": tier,
            "card_number": GOOD_CARD,
            "answers": {question(project): "requirements/new-1/../../requirements/1/a.pdf"},
        },
    )
    assert assert_problem(resp, 422)["errors"][0]["field"] == f"answers.{question(project)}"
    assert not PaymentAttempt.objects.exists() and not Contract.objects.exists()
    # An upload id is the answer, and the purchase attaches the upload to the contract
    brief = upload(c, "brief.pdf", b"%PDF", "requirement")
    resp = c.post(
        f"projects/{project.pk}/purchase",
        {"tier_id": tier, "card_number": GOOD_CARD, "answers": {question(project): brief}},
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["answers"] == {question(project): brief}
    assert Upload.objects.get(public_id=brief).contract_id == resp.json()["id"]
    # And the freelancer reads it before accepting
    url = resp.json()["requirement_files"][question(project)]["url"]
    assert api(freelancer).get(url).getvalue() == b"%PDF"


def test_one_door_to_a_file_for_each_viewer(api, freelancer, client_user, stranger, operator):
    # Given a contract with the client's brief
    project = file_project(freelancer)
    c = api(client_user)
    cid = briefed(c, project)
    brief = c.get(f"contracts/{cid}").json()["requirement_files"][question(project)]
    api_url = f"/api/v1/contracts/{cid}/files/{brief['id']}"
    web_url = f"/contracts/{cid}/files/{brief['id']}/"
    assert brief["url"] == api_url

    # Then the client, the freelancer and an operator download it, through both doors
    for user in (client_user, freelancer, operator):
        assert api(user).get(api_url).getvalue() == b"%PDF secret"
        assert login(user).get(web_url).getvalue() == b"%PDF secret"
    # And a stranger, an anonymous visitor, a malformed or unknown id all look the same
    assert_problem(api(stranger).get(api_url), 404, "not_found")
    assert login(stranger).get(web_url).status_code == 404
    assert login(None).get(web_url).status_code == 404
    assert_problem(api().get(api_url), 401, "not_authenticated")
    assert_problem(c.get(f"contracts/{cid}/files/not-a-uuid"), 404, "not_found")
    assert_problem(c.get(f"contracts/{cid}/files/{'0' * 32}"), 404, "not_found")
    assert (
        login(client_user)
        .get(f"/contracts/{cid}/files/{'0' * 8}-0000-0000-0000-{'0' * 12}/")
        .status_code
        == 404
    )


def test_an_svg_delivery_is_served_as_a_download_nothing_can_run(api, freelancer, client_user):
    # Given a contract in progress (the "Final logo in SVG" project)
    project = file_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = briefed(c, project)

    # When the freelancer delivers an SVG (multipart)
    resp = f.client.post(
        f"/api/v1/contracts/{cid}/deliveries",
        {"note": "Final logo", "files": [SimpleUploadedFile("logo.svg", SVG, "image/svg+xml")]},
        headers=f.headers,
    )

    # Then it is delivered, and the client's contract lists it with a working URL
    assert resp.status_code == 200, resp.content
    (delivered,) = c.get(f"contracts/{cid}").json()["deliveries"][0]["files"]
    assert (delivered["name"], delivered["size"]) == ("logo.svg", len(SVG))
    download = c.get(delivered["url"])
    assert download.status_code == 200 and download.getvalue() == SVG
    # As an attachment, never rendered: bytes, not sniffed, sandboxed
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    # The web room links to the same file, served the same way
    web = login(client_user).get(f"/contracts/{cid}/files/{delivered['id']}/")
    assert web.getvalue() == SVG
    for header in ("Content-Type", "Content-Disposition", "Content-Security-Policy"):
        assert web[header] == download[header]


def test_deliver_by_upload_ids_through_the_json_endpoint(api, freelancer, client_user):
    project = file_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = briefed(c, project)
    font = upload(f, "Brand.woff2", b"wOF2", "delivery")
    video = upload(f, "promo.mp4", b"\x00\x00\x00\x18ftypmp42", "delivery")

    resp = f.post(f"contracts/{cid}/deliver", {"files": [font, video]})

    assert resp.status_code == 200, resp.content
    files = resp.json()["deliveries"][0]["files"]
    assert [(x["id"], x["name"]) for x in files] == [(font, "Brand.woff2"), (video, "promo.mp4")]
    assert c.get(files[1]["url"])["Content-Type"] == "video/mp4"
    # The client's own upload is not the freelancer's to deliver
    c.post(f"contracts/{cid}/request_revision", {"note": "Bolder"})
    theirs = upload(c, "mine.pdf", b"%PDF", "delivery")
    body = assert_problem(f.post(f"contracts/{cid}/deliver", {"files": [theirs]}), 422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("files.0", "unknown_upload")]


def test_an_empty_delivery_is_refused_by_the_api_as_by_the_web(api, freelancer, client_user):
    project = file_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = briefed(c, project)

    for resp in (
        f.post(f"contracts/{cid}/deliver", {}),
        f.post(f"contracts/{cid}/deliver", {"note": "   ", "files": []}),
        f.client.post(f"/api/v1/contracts/{cid}/deliveries", {"note": ""}, headers=f.headers),
    ):
        body = assert_problem(resp, 422, "invalid_input")
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("note", "required")]
    assert Contract.objects.get(pk=cid).state == "in_progress"
    assert not Delivery.objects.exists()


def test_a_multipart_delivery_is_all_or_nothing(api, freelancer, client_user):
    project = file_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = briefed(c, project)
    stored_before = set(Upload.objects.values_list("file", flat=True))

    # When one of two files is refused
    resp = f.client.post(
        f"/api/v1/contracts/{cid}/deliveries",
        {"files": [SimpleUploadedFile("logo.svg", SVG), SimpleUploadedFile("run.exe", b"MZ")]},
        headers=f.headers,
    )
    body = assert_problem(resp, 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("files.1", "file_type")]
    # And when the client tries to deliver (the transition refuses them)
    resp = c.client.post(
        f"/api/v1/contracts/{cid}/deliveries",
        {"files": [SimpleUploadedFile("logo.svg", SVG)]},
        headers=c.headers,
    )
    assert_problem(resp, 403, "not_your_transition")

    # Then neither request left an upload behind, in the database or in storage
    assert set(Upload.objects.values_list("file", flat=True)) == stored_before
    assert stored_files() == stored_before
    assert Contract.objects.get(pk=cid).state == "in_progress"
