"""The public face of trust: profile, score, feedback received and work history (SPEC 6).

The score's breakdown is its owner's only; the score is hidden under two clients; the
history has a point per day; work history lists contracts where money was paid; private
feedback is never returned; ids that name no freelancer are 404 like unknown ones.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import assert_problem
from tests.contracts.conftest import (
    START,
    clock,  # noqa: F401 - the frozen clock fixture
    make_project,
)
from tests.contracts.endings import Parties, ok, reach
from tests.reviews.trust_setup import another_client, both_leave_feedback, stored, with_a_score

pytestmark = pytest.mark.django_db

PRIVATE = "PRIVATE-WORDS-FOR-THE-PLATFORM"


@pytest.fixture
def parties(api, client_user, freelancer, operator, clock) -> Parties:  # noqa: F811
    return Parties(api, client_user, freelancer, operator, clock)


def get(p: Parties, path: str, viewer: Any = None, **params: Any) -> dict[str, Any]:
    return ok(p.api(viewer).get(path, params))


def test_the_breakdown_is_shown_to_its_owner_only(parties: Parties, stranger: Any) -> None:
    p = parties
    # Given a freelancer with a shown score and a contract declined in the grace window
    with_a_score(p)
    declined = reach("decline_in_grace", p)
    stored(p.freelancer)
    url = f"freelancers/{p.freelancer.pk}/score"

    # When the freelancer reads their score, they see every contract and why
    mine = get(p, url, p.freelancer)
    assert mine["score"] == 100 and mine["counted_contracts"] == 2
    breakdown = mine["breakdown"]
    assert len(breakdown["counted"]) == 2
    assert all(c["contribution"] == "50.00" for c in breakdown["counted"])
    assert breakdown["excluded"] == [
        {
            "contract_id": declined,
            "title": breakdown["excluded"][0]["title"],
            "ended_at": breakdown["excluded"][0]["ended_at"],
            "ending": "decline_in_grace",
            "reason": "declined in the grace window: not counted",
        }
    ]

    # Then everyone else gets the same public part, without the breakdown
    for viewer in (p.client, stranger, None, p.operator):
        theirs = get(p, url, viewer)
        assert "breakdown" not in theirs, viewer
        assert {k: v for k, v in mine.items() if k != "breakdown"} == theirs


def test_the_score_is_hidden_under_two_clients(parties: Parties) -> None:
    p = parties
    # Given two perfect contracts, both from the same client
    reach("approve", p)
    reach("approve", p)
    stored(p.freelancer)

    # Then no score is shown, anywhere, though the contracts are counted
    body = get(p, f"freelancers/{p.freelancer.pk}/score")
    assert (body["score"], body["clients_count"], body["counted_contracts"]) == (None, 1, 2)
    assert body["history"] == [] and body["badges"] == []
    assert get(p, f"freelancers/{p.freelancer.pk}")["score"] is None
    # ... the freelancer sees why: the breakdown is there, the score not yet
    mine = get(p, f"freelancers/{p.freelancer.pk}/score", p.freelancer)["breakdown"]
    assert (mine["score"], mine["clients"], mine["min_clients"]) == (None, 1, 2)

    # When a second client's contract counts, the score appears
    reach("approve", another_client(p))
    stored(p.freelancer)
    assert get(p, f"freelancers/{p.freelancer.pk}")["score"] == 100


def test_the_profile_shows_the_stored_numbers_and_the_calendar(parties: Parties) -> None:
    p = parties
    with_a_score(p)
    cid = reach("approve", p)
    both_leave_feedback(p, cid, client_rating=4)
    stored(p.freelancer)

    body = get(p, f"freelancers/{p.freelancer.pk}")

    assert body["rating"] == {"x100": 400, "count": 1, "display": "4.0 (1)"}
    assert body["clients_count"] == 2 and body["jobs_count"] == 3
    assert isinstance(body["score"], int) and 80 <= body["score"] < 100
    assert [b["slug"] for b in body["badges"]] == ["rising_talent"]
    assert body["working_weekdays"] == [0, 1, 2, 3, 4]
    assert body["time_zone"] and "away_until" in body


def test_a_freelancer_without_history_has_no_numbers(parties: Parties) -> None:
    make_project(parties.freelancer)
    body = get(parties, f"freelancers/{parties.freelancer.pk}/score", parties.freelancer)
    assert (body["score"], body["counted_contracts"], body["history"]) == (None, 0, [])
    assert body["rating"] == {"x100": None, "count": 0, "display": "No ratings yet"}
    assert body["breakdown"] is None


def test_the_history_keeps_one_point_per_day(parties: Parties) -> None:
    p = parties
    # Given a score of 100 today
    with_a_score(p)
    # When a later contract ends by the freelancer's fault (days later: the clock moves)
    reach("cancel_late", p)
    after = stored(p.freelancer)

    points = get(p, f"freelancers/{p.freelancer.pk}/score")["history"]
    # Then the chart has the old value on its day and the new one on the day it changed
    assert len(points) >= 2
    assert points[0]["score"] == 100 and points[-1]["score"] == after.score < 100
    days = [pt["date"] for pt in points]
    assert days == sorted(set(days))
    # (approvals do not move the clock: the first point is the day the test starts)
    assert days[0] == START.date().isoformat()


def test_work_history_lists_only_contracts_where_money_was_paid(parties: Parties) -> None:
    p = parties
    # Given an approved contract with feedback from both, a split and three that paid nothing
    approved = reach("approve", p)
    both_leave_feedback(p, approved, text="Lovely logo.")
    split = reach("resolve_dispute_30", p)
    for ending in ("refund", "decline", "cancel_late"):
        reach(ending, p)

    body = get(p, f"freelancers/{p.freelancer.pk}/work-history")

    # Then only the two that paid are listed, newest first
    assert [r["contract_id"] for r in body["results"]] == [split, approved]
    assert body["next_cursor"] is None
    row = body["results"][1]
    assert row["project_title"] == "A hand-drawn logo"
    assert row["amount_band"]["display"] == "$50 to $250"
    assert row["client_feedback"]["public_text"] == "Lovely logo."
    assert row["freelancer_feedback"]["public_text"] == "A clear brief."
    assert row["ended_month"] == row["client_feedback"]["published_at"][:7]
    # And the split's band is that of what was paid (30% of $100)
    assert body["results"][0]["amount_band"]["display"] == "Under $50"
    assert body["results"][0]["client_feedback"] is None


def test_feedback_is_listed_newest_first_page_by_page_and_never_privately(
    parties: Parties,
) -> None:
    p = parties
    # Given three contracts with published feedback, a day apart
    ids = []
    for n in range(3):
        cid = reach("approve", p)
        p.clock.shift(timedelta(days=1))
        ok(
            p.api(p.client).post(
                f"contracts/{cid}/feedback",
                {
                    "rating": 5 - n,
                    "public_text": f"Feedback {n}",
                    "private_rating": 1,
                    "private_text": PRIVATE,
                },
            )
        )
        ok(
            p.api(p.freelancer).post(
                f"contracts/{cid}/feedback", {"rating": 5, "private_rating": 5}
            )
        )
        ids.append(cid)
    ok(p.api(p.freelancer).post(f"contracts/{ids[0]}/feedback/reply", {"text": "Thank you!"}))
    url = f"freelancers/{p.freelancer.pk}/feedback"

    # When the list is read two at a time
    first = get(p, url, limit=2)
    second = get(p, url, limit=2, cursor=first["next_cursor"])

    # Then it is newest first, across pages, with the reply, and ends
    assert [f["contract_id"] for f in first["results"]] == [ids[2], ids[1]]
    assert [f["contract_id"] for f in second["results"]] == [ids[0]]
    assert second["next_cursor"] is None
    assert second["results"][0]["reply"]["text"] == "Thank you!"
    assert {f["author_role"] for f in first["results"] + second["results"]} == {"client"}
    # And nothing private leaves the platform: not in the list, the history or the profile
    for path in (url, f"freelancers/{p.freelancer.pk}/work-history"):
        for viewer in (None, p.freelancer, p.operator):
            text = json.dumps(get(p, path, viewer))
            assert PRIVATE not in text and "private" not in text

    # When the freelancer removes one, it leaves the list
    ok(p.api(p.freelancer).post(f"contracts/{ids[1]}/feedback/remove"))
    assert [f["contract_id"] for f in get(p, url)["results"]] == [ids[2], ids[0]]

    # And a cursor that is not one of ours is refused, changing nothing
    assert_problem(p.api().get(url, {"cursor": "yesterday"}), 422)
    assert_problem(p.api().get(url, {"cursor": f"{10**20}.1"}), 422)
    assert_problem(p.api().get(url, {"limit": 0}), 422)


@pytest.mark.parametrize("suffix", ["", "/score", "/feedback", "/work-history"])
def test_ids_that_name_no_freelancer_are_not_found(
    parties: Parties, stranger: Any, suffix: str
) -> None:
    p = parties
    reach("approve", p)
    # A client's id, an operator's, one that names nobody, one too big for the database
    # (people may read their own: the operator's own id is theirs)
    for user_id in (p.client.pk, p.operator.pk, 999_999, 2**63):
        for viewer in (None, stranger, p.operator, p.freelancer):
            if viewer is not None and viewer.pk == user_id:
                continue
            assert_problem(p.api(viewer).get(f"freelancers/{user_id}{suffix}"), 404)
    # ... while the freelancer's own id answers
    assert p.api().get(f"freelancers/{p.freelancer.pk}{suffix}").status_code == 200
