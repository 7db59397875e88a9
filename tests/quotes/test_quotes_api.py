"""Quote requests and custom offers through the API (issue 12 item 1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.accounts.models import User
from fairlance.accounts.services import time_off_add
from fairlance.catalog.models import Project
from fairlance.contracts.models import Contract, Milestone, PurchaseAttempt
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.notifications.models import Notification
from fairlance.payments.models import PaymentAttempt
from fairlance.quotes.models import Offer, QuoteRequest
from tests.conftest import assert_problem
from tests.contracts.conftest import BAD_CARD, GOOD_CARD, START
from tests.quotes.conftest import OFFER_PRICE, ask, make_project, offer_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    api: Any, freelancer: User, client_user: User, stranger: User, operator: User, clock: Any
) -> dict[str, Any]:
    project = make_project(freelancer, questions=False)
    return {
        "project": project,
        "freelancer": api(freelancer),
        "client": api(client_user),
        "stranger": api(stranger),
        "operator": api(operator),
        "anonymous": api(),
        "users": {"freelancer": freelancer, "client": client_user},
    }


def _request(world: dict[str, Any]) -> int:
    r = ask(world["client"], world["project"].pk)
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def _offer(world: dict[str, Any], request_id: int, **extra: Any) -> int:
    r = world["freelancer"].post(f"quote-requests/{request_id}/offers", offer_body(**extra))
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


# --- the whole flow --------------------------------------------------------------------------


def test_ask_offer_accept_pay_makes_a_running_contract_with_the_offers_milestones(
    world: dict[str, Any],
) -> None:
    # Given a client who asks for a quote
    request_id = _request(world)
    freelancer = world["users"]["freelancer"]
    assert Notification.objects.filter(user=freelancer, kind="quote_requested").count() == 1
    # And the freelancer who sees it with the client card and sends a two-milestone offer
    seen = world["freelancer"].get(f"quote-requests/{request_id}").json()
    assert seen["need"].startswith("A 50-page document")
    assert seen["client_card"]["contracts"] == 0
    offer_id = _offer(world, request_id)
    client = world["users"]["client"]
    assert Notification.objects.filter(user=client, kind="offer_received").count() == 1
    offer = world["client"].get(f"offers/{offer_id}").json()
    assert offer["status"] == "open"
    assert offer["available_actions"] == ["accept", "decline"]

    # When the client accepts and pays
    r = world["client"].post(
        f"offers/{offer_id}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "k1"}
    )

    # Then a contract runs at once (no grace window, no requirements step), paid into escrow
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "in_progress"
    assert body["purchase_mode"] == "offer"
    assert body["revisions_left"] == 2
    assert body["snapshot"]["offer"]["scope"] == "50 pages, two drafts."
    assert body["snapshot"]["requirements"].startswith("A 50-page document")
    assert body["delivery_due_at"] is not None
    assert [d["name"] for d in body["deadlines"]] == ["delivery_due"]
    assert body["money"]["paid_in"]["minor"] == OFFER_PRICE
    contract = Contract.objects.get(pk=body["id"])
    assert contract.grace_ends_at is None
    assert balance(escrow(contract.pk)) == OFFER_PRICE
    assert list(
        Milestone.objects.filter(contract=contract).values_list("title", "amount_minor")
    ) == [
        ("First 25 pages", 20_000),
        ("Last 25 pages", 30_000),
    ]
    # And the offer, the request and the project's slot say so
    assert Offer.objects.get(pk=offer_id).contract_id == contract.pk
    assert world["client"].get(f"offers/{offer_id}").json()["status"] == "accepted"
    assert QuoteRequest.objects.get(pk=request_id).status == "closed"
    assert Project.objects.get(pk=world["project"].pk).active_contracts == 1
    # And the freelancer was told
    assert Notification.objects.filter(user=freelancer, title__startswith="Offer accepted").exists()
    # And the contract follows the same lifecycle, milestone by milestone: the first
    # approval releases the first milestone only and starts the second's clock
    world["freelancer"].post(f"contracts/{contract.pk}/deliver", {"note": "Pages 1-25."})
    r = world["client"].post(f"contracts/{contract.pk}/approve", {})
    assert r.json()["state"] == "in_progress"
    assert balance(escrow(contract.pk)) == 30_000
    assert [m["state"] for m in r.json()["milestones"]] == ["released", "in_progress"]
    # And the second approval releases the rest and completes the contract
    world["freelancer"].post(f"contracts/{contract.pk}/deliver", {"note": "Pages 26-50."})
    r = world["client"].post(f"contracts/{contract.pk}/approve", {})
    assert r.json()["state"] == "completed"
    assert balance(escrow(contract.pk)) == 0
    assert ledger_check() == []
    assert Project.objects.get(pk=world["project"].pk).active_contracts == 0


def test_accept_replayed_with_the_same_key_returns_the_same_contract(
    world: dict[str, Any],
) -> None:
    offer_id = _offer(world, _request(world))
    first = world["client"].post(
        f"offers/{offer_id}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "same"}
    )
    again = world["client"].post(
        f"offers/{offer_id}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "same"}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Contract.objects.count() == 1
    assert PaymentAttempt.objects.filter(kind="charge", ok=True).count() == 1
    # A second accept with another key is refused before any card is charged
    other = world["client"].post(
        f"offers/{offer_id}/accept", {"card_number": GOOD_CARD}, **{"Idempotency-Key": "other"}
    )
    assert_problem(other, 409, "offer_accepted")
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1


def test_a_declined_card_changes_nothing(world: dict[str, Any]) -> None:
    offer_id = _offer(world, _request(world))
    r = world["client"].post(f"offers/{offer_id}/accept", {"card_number": BAD_CARD})
    assert_problem(r, 402, "card_declined")
    assert Contract.objects.count() == 0
    assert Offer.objects.get(pk=offer_id).status == "open"
    assert Project.objects.get(pk=world["project"].pk).active_contracts == 0
    assert list(PurchaseAttempt.objects.values_list("state", flat=True)) == ["given_back"]
    assert ledger_check() == []
    # And the offer can still be accepted with a good card
    r = world["client"].post(f"offers/{offer_id}/accept", {"card_number": GOOD_CARD})
    assert r.status_code == 201


def test_an_offer_past_its_expiry_cannot_be_accepted(world: dict[str, Any], clock: Any) -> None:
    offer_id = _offer(world, _request(world))
    clock.shift(timedelta(days=3, seconds=1))
    call_command("worker", "--once")  # nothing to run: expiry is read, not fired
    assert world["client"].get(f"offers/{offer_id}").json()["status"] == "expired"
    r = world["client"].post(f"offers/{offer_id}/accept", {"card_number": GOOD_CARD})
    assert_problem(r, 409, "offer_expired")
    assert PaymentAttempt.objects.count() == 0
    assert_problem(world["freelancer"].post(f"offers/{offer_id}/withdraw"), 409, "offer_expired")


def test_a_withdrawn_or_declined_offer_cannot_be_accepted(world: dict[str, Any]) -> None:
    request_id = _request(world)
    withdrawn = _offer(world, request_id)
    r = world["freelancer"].post(f"offers/{withdrawn}/withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert_problem(
        world["client"].post(f"offers/{withdrawn}/accept", {"card_number": GOOD_CARD}),
        409,
        "offer_withdrawn",
    )
    declined = _offer(world, request_id)
    r = world["client"].post(f"offers/{declined}/decline", {"reason": "Too dear."})
    assert r.json()["status"] == "declined"
    freelancer = world["users"]["freelancer"]
    assert Notification.objects.filter(user=freelancer, kind="offer_declined").count() == 1
    assert_problem(
        world["client"].post(f"offers/{declined}/accept", {"card_number": GOOD_CARD}),
        409,
        "offer_declined",
    )
    assert PaymentAttempt.objects.count() == 0


def test_the_freelancer_declines_a_request_with_a_reason(world: dict[str, Any]) -> None:
    request_id = _request(world)
    assert_problem(
        world["freelancer"].post(f"quote-requests/{request_id}/decline", {"reason": ""}), 422
    )
    r = world["freelancer"].post(f"quote-requests/{request_id}/decline", {"reason": "Booked."})
    assert r.json()["status"] == "declined"
    client = world["users"]["client"]
    assert Notification.objects.filter(user=client, kind="quote_declined").count() == 1
    assert_problem(
        world["freelancer"].post(f"quote-requests/{request_id}/offers", offer_body()),
        409,
        "quote_request_closed",
    )


def test_an_away_or_suspended_freelancer_cannot_send_an_offer(world: dict[str, Any]) -> None:
    request_id = _request(world)
    freelancer = world["users"]["freelancer"]
    time_off_add(user=freelancer, start_date=START.date(), end_date=START.date() + timedelta(2))
    r = world["freelancer"].post(f"quote-requests/{request_id}/offers", offer_body())
    assert_problem(r, 409, "freelancer_away")
    User.objects.filter(pk=freelancer.pk).update(is_suspended=True)
    r = world["freelancer"].post(f"quote-requests/{request_id}/offers", offer_body())
    assert_problem(r, 409, "freelancer_suspended")
    assert Offer.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"price_minor": 0}, "price_minor"),
        ({"delivery_days": 0}, "delivery_days"),
        ({"scope": ""}, "scope"),
        (
            {"milestones": [{"title": "All", "amount_minor": 1, "delivery_days": 1}]},
            "milestones",
        ),
        ({"expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
    ],
)
def test_bad_offers_are_422_and_change_nothing(
    world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    request_id = _request(world)
    r = world["freelancer"].post(f"quote-requests/{request_id}/offers", offer_body(**body))
    problem = assert_problem(r, 422)
    assert any(
        e.get("field", "").startswith(field) or field in str(e.get("loc", ""))
        for e in problem.get("errors", [])
    ), problem
    assert Offer.objects.count() == 0
    assert QuoteRequest.objects.get(pk=request_id).status == "open"


def test_bad_quote_requests_are_refused(world: dict[str, Any]) -> None:
    project = world["project"]
    assert_problem(ask(world["client"], project.pk, need=""), 422)
    assert_problem(ask(world["client"], project.pk, wished_date="2020-01-01"), 422)
    assert_problem(ask(world["freelancer"], project.pk), 409, "own_project")
    assert_problem(ask(world["client"], 999_999), 404)
    assert QuoteRequest.objects.count() == 0


# --- who may do what ---------------------------------------------------------------------------

ROLES = ("client", "freelancer", "stranger", "anonymous", "operator")


def _expected(allowed: str, role: str) -> int:
    if role == "anonymous":
        return 401
    if role == "stranger":
        return 404
    if role == allowed:
        return 0
    return 403


@pytest.mark.parametrize("role", ROLES)
def test_reads_are_for_both_sides_and_operators(world: dict[str, Any], role: str) -> None:
    request_id = _request(world)
    offer_id = _offer(world, request_id)
    for path in (f"quote-requests/{request_id}", f"offers/{offer_id}"):
        r = world[role].get(path)
        if role == "anonymous":
            assert_problem(r, 401)
        elif role == "stranger":
            assert_problem(r, 404)
        else:
            assert r.status_code == 200
    listed = world[role].get("quote-requests")
    if role == "anonymous":
        assert_problem(listed, 401)
    else:
        ids = [q["id"] for q in listed.json()["results"]]
        assert ids == ([request_id] if role in ("client", "freelancer") else [])
    card = world[role].get(f"quote-requests/{request_id}")
    if role in ("freelancer", "operator"):
        assert "client_card" in card.json()
    elif role == "client":
        assert "client_card" not in card.json()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("offers", "freelancer"),
        ("decline_request", "freelancer"),
        ("accept", "client"),
        ("decline", "client"),
        ("withdraw", "freelancer"),
    ],
)
def test_each_write_is_for_one_side_only(
    world: dict[str, Any], role: str, action: str, allowed: str
) -> None:
    request_id = _request(world)
    offer_id = _offer(world, request_id)
    path, body = {
        "offers": (f"quote-requests/{request_id}/offers", offer_body()),
        "decline_request": (f"quote-requests/{request_id}/decline", {"reason": "No."}),
        "accept": (f"offers/{offer_id}/accept", {"card_number": GOOD_CARD}),
        "decline": (f"offers/{offer_id}/decline", {"reason": "No."}),
        "withdraw": (f"offers/{offer_id}/withdraw", {}),
    }[action]
    before = (
        Offer.objects.count(),
        list(Offer.objects.values_list("status", flat=True)),
        QuoteRequest.objects.get(pk=request_id).status,
        Contract.objects.count(),
    )
    r = world[role].post(path, body)
    expected = _expected(allowed, role)
    if expected == 0:
        assert r.status_code in (200, 201), r.content
        return
    assert_problem(r, expected)
    after = (
        Offer.objects.count(),
        list(Offer.objects.values_list("status", flat=True)),
        QuoteRequest.objects.get(pk=request_id).status,
        Contract.objects.count(),
    )
    assert after == before
    assert PaymentAttempt.objects.count() == 0
