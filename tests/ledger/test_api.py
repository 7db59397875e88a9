"""GET /me/balance, POST /me/payouts, GET /operator/ledger/balances|check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount
from fairlance.ledger.selectors import balances_for_user
from fairlance.ledger.services import clearance_schedule
from tests.conftest import assert_problem
from tests.ledger.conftest import complete_contract, fund_escrow, give_available

pytestmark = pytest.mark.django_db


def test_balance_shows_pending_available_and_upcoming_clearances(api, freelancer) -> None:
    # given 900 pending (clearing in 5 days) and 500 available
    fund_escrow(1, 1_000)
    complete_contract(1, freelancer.pk, 1_000, 100)
    clearance_schedule(
        user_id=freelancer.pk,
        amount=900,
        available_at=timezone.now() + timedelta(days=5),
        reference="complete:contract:1",
    )
    give_available(freelancer.pk, 500)

    # when the freelancer asks
    resp = api(freelancer).get("me/balance")

    # then
    assert resp.status_code == 200
    body = resp.json()
    assert (body["pending"], body["available"], body["currency"]) == (900, 500, "USD")
    assert body["available_display"] == "$5"
    assert [c["amount"] for c in body["upcoming_clearances"]] == [900]


def test_balance_of_a_new_user_is_zero(api, stranger) -> None:
    body = api(stranger).get("me/balance").json()
    assert (body["pending"], body["available"], body["upcoming_clearances"]) == (0, 0, [])


def test_balance_needs_authentication(api) -> None:
    assert_problem(api().get("me/balance"), 401, "not_authenticated")


def test_payout_moves_money_and_answers_201(api, freelancer) -> None:
    give_available(freelancer.pk, 5_000)

    resp = api(freelancer).post("me/payouts", {"amount": 2_000})

    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["amount"], body["available"]) == (2_000, 3_000)
    assert JournalEntry.objects.filter(reference=body["reference"]).exists()
    assert balances_for_user(freelancer.pk)["available"] == 3_000


def test_payout_only_touches_the_callers_money(api, freelancer, stranger) -> None:
    # given the freelancer has money and the stranger has none
    give_available(freelancer.pk, 5_000)

    # when the stranger asks for a payout
    resp = api(stranger).post("me/payouts", {"amount": 1})

    # then it is refused and the freelancer's money is untouched
    assert_problem(resp, 409, "insufficient_funds")
    assert balances_for_user(freelancer.pk)["available"] == 5_000


def test_payout_needs_authentication(api) -> None:
    assert_problem(api().post("me/payouts", {"amount": 1}), 401, "not_authenticated")


@pytest.mark.parametrize(
    "payload",
    [{}, {"amount": "ten"}, {"amount": 1.5}, {"amount": None}, {"amount": 0}, {"amount": -5}],
)
def test_payout_bad_input_is_422_and_writes_nothing(api, freelancer, payload) -> None:
    give_available(freelancer.pk, 5_000)
    entries = JournalEntry.objects.count()

    resp = api(freelancer).post("me/payouts", payload)

    body = assert_problem(resp, 422, "invalid_input")
    assert body["errors"][0]["field"] == "amount"
    assert JournalEntry.objects.count() == entries


def test_payout_above_available_is_409(api, freelancer) -> None:
    give_available(freelancer.pk, 500)

    body = assert_problem(api(freelancer).post("me/payouts", {"amount": 501}), 409)

    assert body["code"] == "insufficient_funds"
    assert body["available"] == 500


def test_payout_with_idempotency_key_replays_the_first_response(api, freelancer) -> None:
    # given 5000 available
    give_available(freelancer.pk, 5_000)
    client = api(freelancer)

    # when the same payout is sent twice with one key
    first = client.post("me/payouts", {"amount": 1_000}, **{"Idempotency-Key": "k-1"})
    second = client.post("me/payouts", {"amount": 1_000}, **{"Idempotency-Key": "k-1"})

    # then the money moved once and the replay is marked
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert balances_for_user(freelancer.pk)["available"] == 4_000
    # and a different amount with the same key is refused
    reused = client.post("me/payouts", {"amount": 2_000}, **{"Idempotency-Key": "k-1"})
    assert_problem(reused, 422, "idempotency_key_reused")
    assert balances_for_user(freelancer.pk)["available"] == 4_000


def test_refused_payout_replays_as_refused(api, freelancer) -> None:
    # given a payout refused for lack of funds
    client = api(freelancer)
    first = client.post("me/payouts", {"amount": 100}, **{"Idempotency-Key": "k"})
    assert_problem(first, 409, "insufficient_funds")

    # when money arrives and the same request is retried with the same key
    give_available(freelancer.pk, 5_000)
    again = client.post("me/payouts", {"amount": 100}, **{"Idempotency-Key": "k"})

    # then the stored refusal is replayed (a new attempt needs a new key)
    assert_problem(again, 409, "insufficient_funds")
    assert again["Idempotent-Replayed"] == "true"
    assert balances_for_user(freelancer.pk)["available"] == 5_000


def test_operator_sees_balances_page_by_page(api, operator, freelancer) -> None:
    # given five accounts
    fund_escrow(1, 100)
    fund_escrow(2, 200)
    complete_contract(2, freelancer.pk, 200, 20)
    client = api(operator)

    # when reading two at a time
    first = client.get("operator/ledger/balances", {"limit": 2}).json()
    second = client.get(
        "operator/ledger/balances", {"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    third = client.get(
        "operator/ledger/balances", {"limit": 2, "cursor": second["next_cursor"]}
    ).json()

    # then every account appears once, in name order
    seen = [a["name"] for page in (first, second, third) for a in page["results"]]
    assert seen == sorted(LedgerAccount.objects.values_list("name", flat=True))
    assert third["next_cursor"] is None
    by_name = {a["name"]: a for page in (first, second, third) for a in page["results"]}
    assert by_name[names.freelancer_pending(freelancer.pk)]["user_id"] == freelancer.pk
    assert by_name[names.escrow(1)]["balance"] == 100


def test_operator_ledger_check(api, operator) -> None:
    fund_escrow(1, 100)
    client = api(operator)
    assert client.get("operator/ledger/check").json() == {"ok": True, "problems": []}

    LedgerAccount.objects.filter(name=names.escrow(1)).update(balance=99)
    body = client.get("operator/ledger/check").json()

    assert body["ok"] is False
    assert any("stored balance 99" in p for p in body["problems"])


@pytest.mark.parametrize("path", ["operator/ledger/balances", "operator/ledger/check"])
def test_operator_pages_refuse_others(api, freelancer, path) -> None:
    assert_problem(api(freelancer).get(path), 403, "permission_denied")
    assert_problem(api().get(path), 401, "not_authenticated")


def test_operator_balances_bad_query_is_422(api, operator) -> None:
    assert_problem(api(operator).get("operator/ledger/balances", {"limit": 0}), 422)
    assert_problem(api(operator).get("operator/ledger/balances", {"limit": "x"}), 422)
