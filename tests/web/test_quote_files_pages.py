"""Files on the "Ask for a quote" form: sent with the request, listed and served on the
request's page to its two people (and operators), shown in the contract room once an offer
is accepted; a refused file keeps nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.contracts.models import Contract
from fairlance.files.models import Upload
from fairlance.quotes import services
from fairlance.quotes.models import QuoteRequest
from tests.contracts.conftest import GOOD_CARD
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


def _ask_with_file(client_user: User, freelancer: User) -> tuple[QuoteRequest, Upload]:
    project = make_project(freelancer)
    r = login(client_user).post(
        f"/projects/{project.pk}/quote/",
        {"need": "50 pages", "files": [SimpleUploadedFile("brief.pdf", b"%PDF brief")]},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    qr = QuoteRequest.objects.get()
    return qr, Upload.objects.get(quote_request=qr)


def test_the_form_offers_a_file_input_with_the_rules(freelancer: User, client_user: User) -> None:
    project = make_project(freelancer)
    page = login(client_user).get(f"/projects/{project.pk}/quote/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" id="id_files" name="files" multiple' in page
    assert "Up to 5 files, 200 MB each" in page


@pytest.mark.parametrize("role", ["client", "freelancer", "stranger", "anonymous", "operator"])
def test_the_request_page_lists_the_file_and_serves_it_only_to_who_may_see_it(
    freelancer: User, client_user: User, stranger: User, operator: User, role: str
) -> None:
    qr, upload = _ask_with_file(client_user, freelancer)
    people = {
        "client": client_user,
        "freelancer": freelancer,
        "stranger": stranger,
        "operator": operator,
        "anonymous": None,
    }
    browser = login(people[role])
    url = f"/quotes/{qr.pk}/files/{upload.public_id}/"
    r = browser.get(url)
    if role in ("stranger", "anonymous"):
        assert r.status_code == 404
        return
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"%PDF brief"
    assert r["Content-Disposition"].startswith("attachment")
    page = browser.get(f"/quotes/{qr.pk}/").content.decode()
    assert f'href="{url}"' in page and "brief.pdf" in page


def test_a_refused_file_type_makes_no_request_and_keeps_nothing(
    freelancer: User, client_user: User
) -> None:
    project = make_project(freelancer)
    r = login(client_user).post(
        f"/projects/{project.pk}/quote/",
        {"need": "50 pages", "files": [SimpleUploadedFile("run.exe", b"MZ")]},
    )
    assert r.status_code == 400
    assert "files of type .exe are not accepted" in r.content.decode()
    assert QuoteRequest.objects.count() == 0
    assert Upload.objects.count() == 0


def test_a_refused_request_discards_the_files_it_uploaded(
    freelancer: User, client_user: User
) -> None:
    project = make_project(freelancer)
    # The need is empty: the service refuses the request after the file was uploaded
    r = login(client_user).post(
        f"/projects/{project.pk}/quote/",
        {"need": "", "files": [SimpleUploadedFile("brief.pdf", b"%PDF")]},
    )
    assert r.status_code == 422
    assert QuoteRequest.objects.count() == 0
    assert Upload.objects.count() == 0


def test_the_contract_room_shows_the_quote_requests_text_and_files(
    freelancer: User, client_user: User, stranger: User
) -> None:
    qr, upload = _ask_with_file(client_user, freelancer)
    offer = services.offer_send(
        freelancer=freelancer,
        request_id=qr.pk,
        scope="All 50 pages",
        price_minor=50_000,
        delivery_days=5,
        revisions=1,
        expires_at=timezone.now() + timedelta(days=3),
    )
    services.offer_accept(client=client_user, offer_id=offer.pk, card_number=GOOD_CARD)
    contract = Contract.objects.get()
    url = f"/contracts/{contract.pk}/files/{upload.public_id}/"
    for viewer in (client_user, freelancer):
        page = login(viewer).get(f"/contracts/{contract.pk}/").content.decode()
        assert "What the client asked for" in page and "50 pages" in page
        assert f'href="{url}"' in page
        assert login(viewer).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 404
