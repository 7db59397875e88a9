"""The client card's trust data (issue 13 item 5): ratings given and received, recent
public feedback from freelancers, who may read the card, and what reading cards costs."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from fairlance.contracts.selectors import client_cards
from fairlance.reviews import services
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import (
    buy,
    clock,  # noqa: F401 - the frozen clock fixture
    make_project,
)
from tests.contracts.endings import NO_FAULT_CANCELLATIONS, Parties, ok, reach
from tests.quotes.conftest import ask
from tests.reviews.trust_setup import another_client, feedback

pytestmark = pytest.mark.django_db

PRIVATE = "PRIVATE-WORDS-FOR-THE-PLATFORM"


@pytest.fixture
def parties(api, client_user, freelancer, operator, clock) -> Parties:  # noqa: F811
    return Parties(api, client_user, freelancer, operator, clock)


def card(p: Parties, viewer: Any = None) -> dict[str, Any]:
    return ok(p.api(viewer or p.freelancer).get(f"clients/{p.client.pk}/card"))


def exchange(p: Parties, cid: int, *, by_client: int, by_freelancer: int, text: str) -> None:
    """Both sides leave feedback (published when the second writes)."""
    ok(feedback(p, p.client, cid, by_client, private_rating=1, private_text=PRIVATE))
    ok(feedback(p, p.freelancer, cid, by_freelancer, public_text=text, private_text=PRIVATE))


def test_averages_and_recent_feedback_come_from_published_feedback(parties: Parties) -> None:
    p = parties
    # Given four approved contracts with feedback both ways, a day apart
    ids = []
    for n, (given, received) in enumerate([(5, 2), (4, 3), (3, 4), (4, 5)]):
        cid = reach("approve", p)
        p.clock.shift(timedelta(days=1))
        exchange(p, cid, by_client=given, by_freelancer=received, text=f"Words {n}")
        ids.append(cid)
    # And one more where only the client wrote: double-blind, nothing is published yet
    unpublished = reach("approve", p)
    ok(feedback(p, p.client, unpublished, 1))

    body = card(p)

    # Then the averages are of the published public ratings
    assert (body["average_rating_given"], body["ratings_given_count"]) == (4.0, 4)
    assert (body["average_rating_received"], body["ratings_received_count"]) == (3.5, 4)
    # And the three latest public texts freelancers wrote about the client, newest first
    recent = body["recent_feedback"]
    assert [(f["rating"], f["text"]) for f in recent] == [
        (5, "Words 3"),
        (4, "Words 2"),
        (3, "Words 1"),
    ]
    assert all(f["project_title"] == "A hand-drawn logo" for f in recent)
    assert recent[0]["published_at"] > recent[1]["published_at"]
    # And private feedback is not on the card, whoever reads it
    for viewer in (p.freelancer, p.client, p.operator):
        assert PRIVATE not in json.dumps(card(p, viewer))


def test_hidden_feedback_leaves_the_card_and_a_removal_does_not(parties: Parties) -> None:
    p = parties
    first, second = reach("approve", p), reach("approve", p)
    exchange(p, first, by_client=1, by_freelancer=1, text="Rude and late to pay.")
    exchange(p, second, by_client=5, by_freelancer=5, text="A pleasure.")
    assert card(p)["average_rating_received"] == 3.0

    # When an operator hides the freelancer's feedback about the client after a report
    about_client = p.client.feedback_received.get(contract_id=first)
    report = services.feedback_report(user=p.client, feedback_id=about_client.pk, reason="Abuse")
    services.report_decide(operator=p.operator, report_id=report.pk, hide=True, note="Abusive")
    # And the freelancer removes the client's 1-star about them from their own profile
    ok(p.api(p.freelancer).post(f"contracts/{first}/feedback/remove"))

    body = card(p)
    # Then the hidden one no longer counts or shows
    assert (body["average_rating_received"], body["ratings_received_count"]) == (5.0, 1)
    assert [f["text"] for f in body["recent_feedback"]] == ["A pleasure."]
    # But what the client gave is unchanged: removal is the freelancer's choice about their
    # own profile, not a change to what the client gave
    assert (body["average_rating_given"], body["ratings_given_count"]) == (3.0, 2)


@pytest.mark.parametrize("ending", NO_FAULT_CANCELLATIONS)
def test_a_no_fault_ending_leaves_the_ratings_alone(parties: Parties, ending: str) -> None:
    p = parties
    # Given a client with one rated contract
    rated = reach("approve", p)
    exchange(p, rated, by_client=4, by_freelancer=2, text="Slow answers.")
    before = card(p)

    # When another contract ends without money paid or fault
    cid = reach(ending, p)

    # Then neither side may rate it, and the card's trust data is what it was
    for side in (p.client, p.freelancer):
        assert_problem(feedback(p, side, cid, 1), 409, "feedback_not_allowed")
    after = card(p)
    for field in (
        "average_rating_given",
        "average_rating_received",
        "ratings_given_count",
        "ratings_received_count",
        "recent_feedback",
        "completions",
        "client_caused_endings",
    ):
        assert after[field] == before[field], field


def test_who_may_read_the_card(parties: Parties, api: Any, stranger: Any) -> None:
    p = parties
    url = f"clients/{p.client.pk}/card"
    # Given a freelancer the client only asked for a quote, and one the client bought from
    asked = make_user("quinn@example.com")
    ok(ask(api(p.client), make_project(asked).pk))
    ok(buy(api(p.client), make_project(p.freelancer, questions=False)))
    # And a freelancer with a project the client never touched
    untouched = make_user("uma@example.com")
    make_project(untouched)

    # Then the client, both freelancers concerned and operators read it, the same card
    bodies = [ok(api(viewer).get(url)) for viewer in (p.client, asked, p.freelancer, p.operator)]
    assert all(b == bodies[0] for b in bodies)
    assert "recent_feedback" in bodies[0]
    # And nobody else learns anything, not even that the client exists
    for viewer in (stranger, untouched):
        assert_problem(api(viewer).get(url), 404)
        assert_problem(api(viewer).get("clients/999999/card"), 404)
    assert_problem(api().get(url), 401)
    # A quote request or a contract does not open the card the other way round
    assert_problem(api(p.client).get(f"clients/{asked.pk}/card"), 404)
    assert_problem(api(p.client).get(f"clients/{p.freelancer.pk}/card"), 404)


def test_cards_cost_the_same_queries_for_one_client_or_many(
    parties: Parties, django_assert_max_num_queries: Any
) -> None:
    p = parties
    # Given three clients, each with rated contracts both ways
    others = [another_client(p) for _ in range(3)]
    for q in others:
        for rating in (3, 5):
            cid = reach("approve", q)
            ok(feedback(q, q.client, cid, rating))
            ok(feedback(q, q.freelancer, cid, rating, public_text="Fine."))

    # When their cards are read together, the queries do not grow with them
    with django_assert_max_num_queries(4):
        one = client_cards(client_ids=[others[0].client.pk])
    with django_assert_max_num_queries(4):
        cards = client_cards(client_ids=[q.client.pk for q in others])

    assert one[others[0].client.pk] == cards[others[0].client.pk]
    for q in others:
        c = cards[q.client.pk]
        assert (c.average_rating_given, c.average_rating_received) == (4.0, 4.0)
        assert (c.ratings_given_count, c.ratings_received_count) == (2, 2)
        # (the same instant: the later feedback first)
        assert [f.rating for f in c.recent_feedback] == [5, 3]
