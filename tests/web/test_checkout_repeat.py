"""No accidental second purchase (issue 10 item 5): a checkout visit buys once, and a new
purchase of the same project within a day is asked about before anything is charged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from fairlance.catalog.models import Project
from fairlance.contracts.models import Contract
from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import CARD_SUCCESS
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def page_key(html: str) -> str:
    return html.split('name="purchase_key" value="', 1)[1].split('"', 1)[0]


def card_input(html: str) -> str:
    match = re.search(r'<input[^>]*name="card_number"[^>]*>', html)
    assert match, "no card input"
    return match.group(0)


def checkout(browser: Client, project: Project) -> tuple[str, Any]:
    response = browser.get(f"/projects/{project.pk}/checkout/")
    assert response.status_code == 200
    return page_key(response.content.decode()), response


def pay(browser: Client, project: Project, key: str, **extra: str) -> Any:
    form = {
        "tier": project.tiers.get(name="Basic").pk,
        "card_number": CARD_SUCCESS,
        "buy": "1",
        "purchase_key": key,
        **extra,
    }
    return browser.post(f"/projects/{project.pk}/checkout/", form)


def test_back_after_buying_and_buying_again_replays_the_first_purchase(
    clock, published, client_user
) -> None:
    # Given a client who bought through checkout
    browser = login(client_user)
    key, first_page = checkout(browser, published)
    assert "no-store" in first_page["Cache-Control"]
    assert pay(browser, published, key).status_code == 302
    contract = Contract.objects.get()

    # When they press Back: the browser fetches the checkout again (it may not be cached)
    key_again, back = checkout(browser, published)
    html = back.content.decode()

    # Then it is the same visit, with no card number filled in and the purchase mentioned
    assert key_again == key
    assert 'autocomplete="cc-number"' in card_input(html) and "value=" not in card_input(html)
    assert "You bought this just now" in html and f"/contracts/{contract.pk}/" in html

    # When they press Buy again on that page
    clock.shift(timedelta(minutes=1))
    response = pay(browser, published, key_again)

    # Then they land in the first contract's room and nothing more was charged
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert Contract.objects.count() == 1
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1


def test_a_new_visit_asks_before_charging_and_confirming_buys(
    clock, published, client_user
) -> None:
    # Given a client who bought the project 3 minutes ago
    browser = login(client_user)
    key, _ = checkout(browser, published)
    pay(browser, published, key)
    first = Contract.objects.get()
    clock.shift(timedelta(minutes=3))

    # When they come back through the project page and buy it again
    browser.get(f"/projects/{published.pk}/")
    new_key, _ = checkout(browser, published)
    assert new_key != key
    asked = pay(browser, published, new_key)

    # Then they are asked first, and nothing was charged
    html = asked.content.decode()
    assert asked.status_code == 409
    assert "You bought this 3 minutes ago — buy again?" in html
    assert f'name="repeat_of" value="{first.pk}"' in html
    assert "Yes, buy again" in html
    assert Contract.objects.count() == 1
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1

    # When they confirm
    bought = pay(browser, published, page_key(html), repeat_of=str(first.pk))

    # Then a second contract is bought and paid
    assert bought.status_code == 302
    assert Contract.objects.count() == 2
    second = Contract.objects.exclude(pk=first.pk).get()
    assert bought["Location"] == f"/contracts/{second.pk}/requirements/"
    # And submitting the confirmation again (Back, Buy) does not buy a third
    again = pay(browser, published, page_key(html), repeat_of=str(first.pk))
    assert again["Location"] == f"/contracts/{second.pk}/"
    assert Contract.objects.count() == 2


def test_back_then_another_tier_is_a_new_purchase_and_asks_first(
    clock, published, client_user
) -> None:
    # Given a client who bought Basic
    browser = login(client_user)
    key, _ = checkout(browser, published)
    pay(browser, published, key)

    # When they go Back and buy Premium on the same page
    form = {
        "tier": published.tiers.get(name="Premium").pk,
        "card_number": CARD_SUCCESS,
        "buy": "1",
        "purchase_key": key,
    }
    asked = browser.post(f"/projects/{published.pk}/checkout/", form)

    # Then they are asked first, with a key of their own for the new purchase
    html = asked.content.decode()
    assert asked.status_code == 409 and "buy again?" in html
    assert page_key(html) != key
    assert Contract.objects.count() == 1


def test_a_purchase_more_than_a_day_ago_is_not_asked_about(clock, published, client_user) -> None:
    browser = login(client_user)
    key, _ = checkout(browser, published)
    pay(browser, published, key)
    clock.shift(timedelta(hours=24, minutes=1))

    browser.get(f"/projects/{published.pk}/")
    new_key, _ = checkout(browser, published)
    response = pay(browser, published, new_key)

    assert response.status_code == 302
    assert Contract.objects.count() == 2


def test_another_clients_purchase_is_not_asked_about(
    clock, published, client_user, stranger
) -> None:
    key, _ = checkout(login(client_user), published)
    pay(login(client_user), published, key)

    browser = login(stranger)
    other_key, response = checkout(browser, published)

    assert "You bought this" not in response.content.decode()
    assert pay(browser, published, other_key).status_code == 302
    assert Contract.objects.count() == 2
