"""The dashboard's "Quotes and offers" section: each side leads with what waits for it,
and nobody sees another person's quote requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.quotes import services
from fairlance.quotes.models import QuoteRequest
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


def _ask(client: User, freelancer: User, title: str, need: str = "50 pages") -> QuoteRequest:
    project = make_project(freelancer, title=title)
    return services.quote_request_create(client=client, project_id=project.pk, need=need)


def _offer(freelancer: User, qr: QuoteRequest, price: int = 50_000, days: int = 3) -> Any:
    return services.offer_send(
        freelancer=freelancer,
        request_id=qr.pk,
        scope="All 50 pages",
        price_minor=price,
        delivery_days=5,
        revisions=1,
        expires_at=timezone.now() + timedelta(days=days),
    )


def _section(html: str, part: str) -> str:
    """The viewer's column of the section (empty when they have no rows on that side)."""
    if f'id="{part}"' not in html:
        return ""
    start = html.index(f'id="{part}"')
    end = html.find('id="quotes-buying"', start) if part == "quotes-selling" else -1
    return html[start : end if end != -1 else None]


def test_the_freelancer_sees_requests_to_answer_first_then_offers_sent(
    freelancer: User, client_user: User
) -> None:
    # Given one request answered with an offer, then a newer one still waiting
    answered = _ask(client_user, freelancer, "Brand book, answered")
    offer = _offer(freelancer, answered)
    waiting = _ask(client_user, freelancer, "Annual report, waiting")
    # When the freelancer opens the dashboard
    html = login(freelancer).get("/dashboard/").content.decode()
    selling = _section(html, "quotes-selling")
    # Then the request to answer leads, linked to its page, and the offer follows with its status
    assert selling.index("Annual report, waiting") < selling.index("Brand book, answered")
    assert f'href="/quotes/{waiting.pk}/"' in selling
    assert "Quote request to answer" in selling
    assert f'href="/offers/{offer.pk}/"' in selling
    assert "Offer $500 sent, waiting for the client" in selling


def test_the_client_sees_offers_waiting_for_them_then_their_requests(
    freelancer: User, client_user: User
) -> None:
    offered = _ask(client_user, freelancer, "Brand book, offered")
    offer = _offer(freelancer, offered)
    waiting = _ask(client_user, freelancer, "Annual report, not answered")
    html = login(client_user).get("/dashboard/").content.decode()
    buying = html[html.index('id="quotes-buying"') :]
    assert buying.index("Brand book, offered") < buying.index("Annual report, not answered")
    assert f'href="/offers/{offer.pk}/"' in buying
    assert "Offer $500 to accept or decline" in buying
    assert f'href="/quotes/{waiting.pk}/"' in buying
    assert "Waiting for the freelancer&#x27;s answer" in buying
    # A client who sells nothing sees no empty freelancer column
    assert 'id="quotes-selling"' not in html and "As freelancer" not in html


def test_expired_declined_and_accepted_read_as_such(freelancer: User, client_user: User) -> None:
    declined = _ask(client_user, freelancer, "Declined request")
    services.quote_request_decline(freelancer=freelancer, request_id=declined.pk, reason="Busy")
    expiring = _ask(client_user, freelancer, "Offer that expires")
    _offer(freelancer, expiring, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client_html = login(client_user).get("/dashboard/").content.decode()
        freelancer_html = login(freelancer).get("/dashboard/").content.decode()
    assert "Declined by the freelancer" in client_html
    assert "Offer $500 expired" in client_html
    assert "to accept or decline" not in client_html
    assert "You declined" in freelancer_html
    assert "Offer $500 expired unanswered" in freelancer_html


def test_an_empty_dashboard_says_so(stranger: User) -> None:
    html = login(stranger).get("/dashboard/").content.decode()
    assert 'id="quotes-and-offers"' in html
    assert "No quote request or offer in play." in html


def test_other_peoples_quotes_never_show(
    freelancer: User, client_user: User, stranger: User, operator: User
) -> None:
    qr = _ask(client_user, freelancer, "A private brand book")
    offer = _offer(freelancer, qr)
    for viewer in (stranger, operator):
        html = login(viewer).get("/dashboard/").content.decode()
        assert "A private brand book" not in html
        assert f"/quotes/{qr.pk}/" not in html and f"/offers/{offer.pk}/" not in html
    assert login(None).get("/dashboard/").status_code == 302


def test_the_section_costs_one_query_however_many_quotes(
    freelancer: User, client_user: User
) -> None:
    def count() -> int:
        browser = login(client_user)
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get("/dashboard/").status_code == 200
        return len(ctx.captured_queries)

    _offer(freelancer, _ask(client_user, freelancer, "The first project"))
    one = count()
    for i in range(5):
        qr = _ask(client_user, freelancer, f"Another project {i}")
        _offer(freelancer, qr)
        _offer(freelancer, qr, price=60_000)
    assert count() == one
