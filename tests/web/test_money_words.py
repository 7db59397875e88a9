"""Money in people's words (issue 10 item 9): errors say dollars with the bounds the server
enforces, and the inputs carry the same bounds as HTML min and max."""

from __future__ import annotations

import re

import pytest

from tests.catalog.factories import project_json
from tests.conftest import assert_problem
from tests.ledger.conftest import give_available
from tests.web.conftest import login, make_project
from tests.web.test_contract_pages import started

pytestmark = pytest.mark.django_db


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


# --- partial refund -------------------------------------------------------------------------


def test_partial_refund_input_offers_exactly_what_the_domain_accepts(
    published, client_user, freelancer
) -> None:
    # Given a $120 contract in progress
    contract = started(client_user, published)

    html = login(freelancer).get(f"/contracts/{contract.pk}/").content.decode()

    # Then the amount input goes from a cent to a cent less than the price
    tag = input_tag(html, "amount")
    assert (attr(tag, "type"), attr(tag, "step")) == ("number", "0.01")
    assert (attr(tag, "min"), attr(tag, "max")) == ("0.01", "119.99")


@pytest.mark.parametrize("typed", ["12,5O", "120", "0", "abc", "-3"])
def test_a_wrong_partial_refund_says_the_range_in_dollars_and_keeps_the_typing(
    published, client_user, freelancer, typed
) -> None:
    contract = started(client_user, published)

    response = login(freelancer).post(
        f"/contracts/{contract.pk}/do/partial_refund/", {"amount": typed}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter an amount between $0.01 and $119.99" in html
    assert "minor unit" not in html
    # The amount stays where it was typed, with the step that asks for it open
    assert attr(input_tag(html, "amount"), "value") == typed
    assert '<details class="action-confirm" open>' in html
    assert '<details class="panel more-actions" open>' in html
    contract.refresh_from_db()
    assert contract.price_minor == 12_000 and contract.refunded_minor == 0


def test_the_partial_refund_api_error_speaks_in_dollars(
    api, published, client_user, freelancer
) -> None:
    contract = started(client_user, published)

    resp = api(freelancer).post(f"contracts/{contract.pk}/partial-refund", {"amount_minor": 12_000})

    body = assert_problem(resp, 422, "invalid_input")
    assert body["errors"][0]["message"] == (
        "Enter an amount between $0.01 and $119.99; to give everything back, refund in full."
    )


# --- payouts ------------------------------------------------------------------------------


def test_payout_input_offers_a_cent_up_to_the_available_balance(freelancer) -> None:
    give_available(freelancer.pk, 50_999)

    html = login(freelancer).get("/balance/").content.decode()

    tag = input_tag(html, "amount")
    assert (attr(tag, "min"), attr(tag, "max")) == ("0.01", "509.99")


@pytest.mark.parametrize("typed", ["0", "510", "abc", "1.234"])
def test_a_wrong_payout_says_the_range_in_dollars(freelancer, typed) -> None:
    give_available(freelancer.pk, 50_999)

    response = login(freelancer).post("/balance/", {"amount": typed})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter an amount between $0.01 and $509.99." in html


def test_the_payout_api_error_speaks_in_dollars(api, freelancer) -> None:
    give_available(freelancer.pk, 5_000)

    body = assert_problem(api(freelancer).post("me/payouts", {"amount": 0}), 422)

    assert body["errors"][0]["message"] == "Enter an amount between $0.01 and $100,000,000."


# --- catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [0, 99, 100_000_001])
def test_catalog_price_errors_speak_in_dollars(api, freelancer, price) -> None:
    tiers = [{"name": "A", "price_minor": price, "delivery_days": 3}]

    body = assert_problem(api(freelancer).post("projects", project_json(tiers=tiers)), 422)

    [error] = [e for e in body["errors"] if e["field"] == "tiers.0.price_minor"]
    assert error["message"] == "Enter an amount between $1 and $1,000,000."


def test_editor_inputs_carry_the_catalog_rules(freelancer) -> None:
    project = make_project(freelancer)

    html = login(freelancer).get(f"/my/projects/{project.pk}/edit/").content.decode()

    price = input_tag(html, "tiers-0-price")
    assert (attr(price, "min"), attr(price, "max")) == ("1.00", "1000000.00")
    days = input_tag(html, "tiers-0-delivery_days")
    assert (attr(days, "min"), attr(days, "max")) == ("1", "365")
    revisions = input_tag(html, "tiers-0-revisions")
    assert (attr(revisions, "min"), attr(revisions, "max")) == ("0", "20")
    capacity = input_tag(html, "capacity")
    assert (attr(capacity, "min"), attr(capacity, "max")) == ("1", "100")
    addon_price = input_tag(html, "addons-0-price")
    assert attr(addon_price, "min") == "1.00"


def test_a_zero_day_tier_is_refused_by_the_form_in_words(freelancer) -> None:
    from tests.web.test_freelancer_pages import editor_data

    response = login(freelancer).post(
        "/my/projects/new/", editor_data(**{"tiers-0-delivery_days": "0"})
    )

    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
