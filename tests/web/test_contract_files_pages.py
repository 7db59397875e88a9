"""Files in the web forms: uploads by id, nothing typed is lost, nothing half-kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from fairlance.accounts.models import User
from fairlance.catalog.inputs import QuestionInput
from fairlance.catalog.models import Project
from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.models import Contract, Delivery
from fairlance.contracts.services import contract_purchase
from fairlance.files.models import Upload
from fairlance.files.services import upload_create
from fairlance.payments.provider import CARD_DECLINED, CARD_SUCCESS
from tests.conftest import make_user
from tests.files.conftest import stored_files
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def brief_project(freelancer: User, *, mode: str = "instant") -> Project:
    return make_project(
        freelancer,
        purchase_mode=mode,
        questions=(
            QuestionInput(prompt="Brand name?"),
            QuestionInput(prompt="Your brief", kind="file"),
        ),
    )


def buy(client: User, project: Project) -> Contract:
    return contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=project.tiers.get(name="Basic").pk,
        card_number=CARD_SUCCESS,
    ).contract


def in_progress(client: User, project: Project) -> Contract:
    contract = buy(client, project)
    text, _ = project.questions.all()
    brief = upload_create(
        uploader=client, purpose="requirement", content=ContentFile(b"%PDF", name="brief.pdf")
    )
    file_q = project.questions.get(kind="file")
    return apply_transition(
        contract_id=contract.pk,
        name="submit_requirements",
        actor=Actor("client", client),
        payload={"answers": {str(text.pk): "Acme", str(file_q.pk): str(brief.public_id)}},
    )


def offered_ids(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([0-9a-f-]{{36}})" checked', html)


def test_the_requirements_form_refuses_another_clients_file_and_never_shows_its_name(
    freelancer, client_user
):
    # Given a victim's unused brief, and the attacker's contract waiting for requirements
    project = brief_project(freelancer)
    victim = make_user("victim@example.com")
    secret = upload_create(
        uploader=victim,
        purpose="requirement",
        content=ContentFile(b"%PDF secret", name="merger-plans.pdf"),
    )
    contract = buy(client_user, project)
    text, file_q = project.questions.order_by("position", "id")
    url = f"/contracts/{contract.pk}/requirements/"

    # When the attacker sends the victim's upload id (or a path) as the "kept" file
    for forged in (str(secret.public_id), f"requirements/new-{client_user.pk}/../x.pdf"):
        response = login(client_user).post(
            url, {f"q_{text.pk}": "Acme", f"q_{file_q.pk}_upload": forged}
        )

        # Then the form is shown again with the error on the file question
        html = response.content.decode()
        assert response.status_code == 422
        assert "This file is not available: upload it again." in html
        assert "merger-plans.pdf" not in html and str(secret.public_id) not in html
        # And the text answer is kept
        assert "Acme</textarea>" in html
    contract.refresh_from_db()
    assert contract.state == "awaiting_requirements" and contract.answers == {}
    assert Upload.objects.get(pk=secret.pk).contract is None


def test_the_requirements_form_keeps_answers_and_the_file_when_something_else_is_wrong(
    freelancer, client_user
):
    project = brief_project(freelancer)
    contract = buy(client_user, project)
    text, file_q = project.questions.order_by("position", "id")
    url = f"/contracts/{contract.pk}/requirements/"
    brief = SimpleUploadedFile("brief.pdf", b"%PDF brief")

    # When the client attaches the brief but forgets the brand name
    response = login(client_user).post(url, {f"q_{text.pk}": "", f"q_{file_q.pk}": brief})

    # Then the form says what is missing and offers the brief back as attached
    html = response.content.decode()
    assert response.status_code == 400
    assert "Attached: brief.pdf" in html
    (kept,) = offered_ids(html, f"q_{file_q.pk}_upload")

    # When they fill in the name and send the form again, without choosing the file again
    response = login(client_user).post(url, {f"q_{text.pk}": "Acme", f"q_{file_q.pk}_upload": kept})

    # Then the work starts with the brief they sent the first time
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert contract.answers[str(file_q.pk)] == kept
    assert Upload.objects.get(public_id=kept).contract == contract


def test_a_refused_delivery_keeps_the_note_and_the_files_that_were_accepted(
    freelancer, client_user
):
    contract = in_progress(client_user, brief_project(freelancer))
    url = f"/contracts/{contract.pk}/deliver/"

    # When the freelancer delivers a note, an SVG and an .exe
    response = login(freelancer).post(
        url,
        {
            "note": "Final logo & source <3",
            "files": [SimpleUploadedFile("logo.svg", SVG), SimpleUploadedFile("run.exe", b"MZ")],
        },
    )

    # Then the .exe is refused, the note is as typed and the SVG is attached already
    html = response.content.decode()
    assert response.status_code == 422
    assert "run.exe: files of type .exe are not accepted" in html
    assert "Final logo &amp; source &lt;3</textarea>" in html
    assert "Attached: logo.svg" in html
    (kept,) = offered_ids(html, "upload")
    assert not Delivery.objects.exists()

    # When they send the form again as shown (note, the kept SVG), it is delivered
    response = login(freelancer).post(url, {"note": "Final logo", "upload": kept})
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert [f.upload.name for f in delivery.files.all()] == ["logo.svg"]

    # And the client downloads it from the room as a file nothing can run
    room = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()
    link = f"/contracts/{contract.pk}/files/{kept}/"
    assert f'href="{link}" download>logo.svg</a>' in room
    download = login(client_user).get(link)
    assert download.getvalue() == SVG
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="logo.svg"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_uploads_made_for_a_delivery_that_fails_are_removed(freelancer, client_user):
    contract = in_progress(client_user, brief_project(freelancer))
    url = f"/contracts/{contract.pk}/deliver/"
    # Given a file kept from an earlier refused attempt
    earlier = upload_create(
        uploader=freelancer, purpose="delivery", content=ContentFile(SVG, name="logo.svg")
    )

    # When the freelancer sends more files than a delivery takes
    files = [SimpleUploadedFile(f"page{i}.pdf", b"%PDF") for i in range(10)]
    response = login(freelancer).post(
        url, {"note": "All pages", "files": files, "upload": str(earlier.public_id)}
    )

    # Then the delivery is refused, the note kept, and the ten new uploads are gone from
    # the database and from storage; the earlier one is still offered
    html = response.content.decode()
    assert response.status_code == 422
    assert "At most 10 files per delivery." in html and "All pages</textarea>" in html
    assert offered_ids(html, "upload") == [str(earlier.public_id)]
    assert list(Upload.objects.filter(purpose="delivery")) == [earlier]
    assert stored_files() == set(Upload.objects.values_list("file", flat=True))
    assert not Delivery.objects.exists()


def test_a_request_checkout_uploads_the_brief_and_forgets_it_when_the_card_fails(
    freelancer, client_user
):
    project = brief_project(freelancer, mode="request")
    text, file_q = project.questions.order_by("position", "id")
    url = f"/projects/{project.pk}/checkout/"

    def checkout(card: str) -> Any:
        return login(client_user).post(
            url,
            {
                "buy": "1",
                "tier": project.tiers.get(name="Basic").pk,
                "card_number": card,
                f"q_{text.pk}": "Acme",
                f"q_{file_q.pk}": SimpleUploadedFile("brief.pdf", b"%PDF brief"),
            },
        )

    # A declined card: nothing bought, the brief not kept
    response = checkout(CARD_DECLINED)
    assert response.status_code == 402
    assert not Contract.objects.exists() and not Upload.objects.exists()
    assert "Acme</textarea>" in response.content.decode()
    # A good card: the request carries the brief, attached to the new contract
    response = checkout(CARD_SUCCESS)
    assert response.status_code == 302
    contract = Contract.objects.get()
    upload = Upload.objects.get()
    assert contract.answers[str(file_q.pk)] == str(upload.public_id)
    assert (upload.contract, upload.name) == (contract, "brief.pdf")
