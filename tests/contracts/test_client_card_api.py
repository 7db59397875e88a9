"""The client card (issue 10 item 3): its counts after every ending, and who may read it."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.contracts.selectors import client_cards
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import PRICE, buy, make_project
from tests.contracts.endings import NO_FAULT_CANCELLATIONS, Parties, ok, reach

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties(api, client_user, freelancer, operator, clock) -> Parties:
    return Parties(api, client_user, freelancer, operator, clock)


def card(p: Parties, viewer: Any = None) -> dict[str, Any]:
    return ok(p.api(viewer or p.freelancer).get(f"clients/{p.client.pk}/card"))


@pytest.mark.parametrize("ending", NO_FAULT_CANCELLATIONS)
def test_a_no_fault_ending_is_neither_a_completion_nor_a_cancellation(parties, ending) -> None:
    # Given a contract that ended without anyone's fault (timer endings by `worker --once`)
    cid = reach(ending, parties)

    # When the freelancer reads the client's card
    body = card(parties)

    # Then nothing counts against the client, and nothing was spent
    assert (body["completions"], body["client_caused_endings"]) == (0, 0)
    assert body["completion_rate_percent"] is None
    assert body["cancellation_rate_percent"] is None
    assert body["total_spent"]["minor"] == 0
    # And only a contract whose work began counts as a contract
    began = ending in ("decline_in_grace", "refund")
    assert body["contracts"] == (1 if began else 0)
    # And the card in the contract is the same card
    assert ok(parties.api(parties.freelancer).get(f"contracts/{cid}"))["client_card"] == body


def test_a_client_fault_decision_counts_as_a_cancellation(parties) -> None:
    # Given an operator's decision that found the client at fault (the freelancer paid in full)
    reach("resolve_dispute_client_fault", parties)
    # And an approved contract
    reach("approve", parties)

    body = card(parties)

    # Then one of the two endings counts against the client
    assert (body["contracts"], body["completions"], body["client_caused_endings"]) == (2, 1, 1)
    assert (body["completion_rate_percent"], body["cancellation_rate_percent"]) == (50, 50)
    # And both prices reached the freelancer's side
    assert body["total_spent"]["minor"] == 2 * PRICE


def test_a_split_counts_only_the_released_part_as_spent(parties) -> None:
    # Given a dispute split 30% to the freelancer, no one at fault
    reach("resolve_dispute_30", parties)

    body = card(parties)

    # Then 30% of the price counts as spent (the freelancer's part and its fee), the rest
    # went back to the client and counts nothing
    assert body["total_spent"]["minor"] == PRICE * 30 // 100
    assert body["total_spent"]["display"] == "$30"
    assert (body["completions"], body["completion_rate_percent"]) == (1, 100)


def test_a_freelancer_fault_ending_does_not_count_for_or_against_the_client(parties) -> None:
    reach("cancel_late", parties)
    reach("resolve_dispute_30_freelancer_fault", parties)

    body = card(parties)

    assert (body["contracts"], body["completions"], body["client_caused_endings"]) == (2, 0, 0)
    assert body["completion_rate_percent"] is None
    assert body["total_spent"]["minor"] == PRICE * 30 // 100


def test_the_card_says_who_the_client_is(parties) -> None:
    # Given a client from the US who has not bought anything yet
    before = card(parties, viewer=parties.client)
    assert before["payment_verified"] is False
    assert (before["country"], before["country_name"]) == ("US", "United States")
    assert before["member_since"] == parties.client.date_joined.date().isoformat()
    assert before["average_rating_given"] is None and before["average_rating_received"] is None

    # When their first payment is captured
    ok(buy(parties.api(parties.client), make_project(parties.freelancer)))

    # Then the card says their payment is verified
    assert card(parties)["payment_verified"] is True


def test_who_may_read_a_client_card(parties, api, stranger) -> None:
    # Given a request the freelancer has not answered yet
    project = make_project(parties.freelancer, mode="request", questions=False)
    ok(buy(api(parties.client), project))
    url = f"clients/{parties.client.pk}/card"

    # The client, the freelancer asked (a contract in any state) and operators may read it
    assert api(parties.client).get(url).status_code == 200
    assert api(parties.freelancer).get(url).status_code == 200
    assert api(parties.operator).get(url).status_code == 200
    # Nobody else learns anything, not even that the client exists
    assert_problem(api(stranger).get(url), 404)
    assert_problem(api(stranger).get("clients/999999/card"), 404)
    assert_problem(api(parties.operator).get("clients/999999/card"), 404)
    assert_problem(api(parties.operator).get(f"clients/{2**63}/card"), 404)
    assert_problem(api().get(url), 401)
    # A contract does not open the card the other way round: the client cannot read the
    # freelancer's card as a client
    assert_problem(api(parties.client).get(f"clients/{parties.freelancer.pk}/card"), 404)


def test_the_contract_shows_the_card_to_the_freelancer_and_operators_only(parties, api) -> None:
    project = make_project(parties.freelancer, questions=False)
    cid = ok(buy(api(parties.client), project))["id"]

    assert "client_card" in ok(api(parties.freelancer).get(f"contracts/{cid}"))
    assert "client_card" in ok(api(parties.operator).get(f"contracts/{cid}"))
    assert "client_card" not in ok(api(parties.client).get(f"contracts/{cid}"))


def test_cards_of_many_clients_take_four_queries(parties, django_assert_num_queries: Any) -> None:
    # Given three clients with a few contracts each
    others = [make_user(f"client{i}@example.com") for i in range(3)]
    for buyer in others:
        for _ in range(2):
            ok(buy(parties.api(buyer), make_project(parties.freelancer, questions=False)))

    # When their cards are read together, the count of queries does not grow with them
    # (users with their rating averages, contract counts, ledger sums, recent feedback)
    with django_assert_num_queries(4):
        cards = client_cards(client_ids=[u.pk for u in others])

    assert [cards[u.pk].contracts for u in others] == [2, 2, 2]
    assert all(c.payment_verified for c in cards.values())
