"""Quote pages: ask from the project page, answer on the request page, accept on the offer
page; every page for client, freelancer, stranger, anonymous and operator."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.accounts.models import User
from fairlance.contracts.models import Contract
from fairlance.quotes.models import Offer, QuoteRequest
from tests.contracts.conftest import BAD_CARD, GOOD_CARD
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(freelancer: User, client_user: User, stranger: User, operator: User) -> dict[str, Any]:
    return {
        "freelancer": freelancer,
        "client": client_user,
        "stranger": stranger,
        "operator": operator,
        "anonymous": None,
    }


def _flow(people: dict[str, Any]) -> tuple[Any, QuoteRequest, Offer]:
    project = make_project(people["freelancer"])
    client = login(people["client"])
    page = client.get(f"/projects/{project.pk}/")
    assert f'href="/projects/{project.pk}/quote/"' in page.content.decode()
    r = client.post(f"/projects/{project.pk}/quote/", {"need": "50 pages", "budget": "400"})
    assert r.status_code == 302
    qr = QuoteRequest.objects.get()
    fr = login(people["freelancer"])
    r = fr.post(
        f"/quotes/{qr.pk}/",
        {
            "action": "offer",
            "scope": "50 pages, two drafts",
            "price": "500",
            "delivery_days": "10",
            "revisions": "2",
            "expires_in_days": "7",
            "milestones": "Pages 1-25 | 200 | 5\nPages 26-50 | 300 | 5",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    return project, qr, Offer.objects.get()


def test_ask_offer_accept_through_the_pages(people: dict[str, Any]) -> None:
    _, qr, offer = _flow(people)
    assert [m["amount_minor"] for m in offer.milestones] == [20_000, 30_000]
    client = login(people["client"])
    page = client.get(f"/offers/{offer.pk}/").content.decode()
    assert 'id="accept-form"' in page
    # A declined card shows the error and charges nothing
    r = client.post(f"/offers/{offer.pk}/", {"action": "accept", "card_number": BAD_CARD})
    assert r.status_code == 402
    assert "Nothing was charged" in r.content.decode()
    assert Contract.objects.count() == 0
    r = client.post(f"/offers/{offer.pk}/", {"action": "accept", "card_number": GOOD_CARD})
    contract = Contract.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/contracts/{contract.pk}/"
    assert contract.state == "in_progress"


def test_the_freelancer_sees_the_client_card_and_can_decline(people: dict[str, Any]) -> None:
    project = make_project(people["freelancer"])
    login(people["client"]).post(f"/projects/{project.pk}/quote/", {"need": "50 pages"})
    qr = QuoteRequest.objects.get()
    fr = login(people["freelancer"])
    page = fr.get(f"/quotes/{qr.pk}/").content.decode()
    assert 'id="client-card"' in page and 'id="offer-form"' in page
    r = fr.post(f"/quotes/{qr.pk}/", {"action": "decline", "reason": ""})
    assert r.status_code == 422
    r = fr.post(f"/quotes/{qr.pk}/", {"action": "decline", "reason": "Booked."})
    assert r.status_code == 302
    assert QuoteRequest.objects.get().status == "declined"


def test_the_owner_gets_no_quote_button(people: dict[str, Any]) -> None:
    project = make_project(people["freelancer"])
    page = login(people["freelancer"]).get(f"/projects/{project.pk}/").content.decode()
    assert "/quote/" not in page


@pytest.mark.parametrize("role", ["client", "freelancer", "stranger", "anonymous", "operator"])
def test_pages_by_role(people: dict[str, Any], role: str) -> None:
    _, qr, offer = _flow(people)
    browser = login(people[role])
    for path in (f"/quotes/{qr.pk}/", f"/offers/{offer.pk}/"):
        r = browser.get(path)
        if role == "anonymous":
            assert r.status_code == 302 and "/login" in r["Location"]
        elif role == "stranger":
            assert r.status_code == 404
        else:
            assert r.status_code == 200
    page = browser.get(f"/offers/{offer.pk}/").content.decode() if role != "anonymous" else ""
    assert ('id="accept-form"' in page) == (role == "client")
    assert ('id="withdraw-form"' in page) == (role == "freelancer")
    # Posting someone else's action changes nothing
    if role in ("stranger", "operator", "freelancer"):
        r = browser.post(f"/offers/{offer.pk}/", {"action": "accept", "card_number": GOOD_CARD})
        assert r.status_code in (403, 404)
    if role in ("stranger", "operator", "client"):
        r = browser.post(f"/offers/{offer.pk}/", {"action": "withdraw"})
        assert r.status_code in (403, 404)
    assert Offer.objects.get().status == "open"
    assert Contract.objects.count() == 0
