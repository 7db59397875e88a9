"""Private ratings are pooled: the freelancer's breakdown never reveals one (SPEC section 6).

A client must be able to rate privately without fear of retaliation, and the freelancer
reads every per-contract figure of their breakdown. So: while fewer than
``MIN_PRIVATE_CLIENTS`` clients rated privately, the score and the whole breakdown do not
depend on the private ratings' values at all; from then on they enter as one pooled line,
and every per-contract row is the same whatever the private ratings are. The parts always
add up to the exact score.
"""

from __future__ import annotations

import dataclasses
import importlib
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from django.apps import apps as django_apps
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlance.reviews import score
from fairlance.reviews.models import FreelancerScore
from tests.conftest import make_user

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
stars = st.integers(min_value=1, max_value=5)


@st.composite
def contract_rows(
    draw: st.DrawFn, *, clients: int, rated_clients: range
) -> list[score.ContractRow]:
    """Counted contracts of ``clients`` clients, each with shown feedback (a public and a
    private rating) or none, where the clients with feedback number within
    ``rated_clients``."""
    rated = draw(st.integers(rated_clients.start, min(rated_clients.stop - 1, clients)))
    rows = []
    for client in range(clients):
        for _ in range(draw(st.integers(1, 3))):
            late = draw(st.booleans())
            at_fault = late and draw(st.booleans())  # a late cancel: nothing paid, their fault
            price = draw(st.integers(1, 500_00))
            has_feedback = client < rated and draw(st.booleans())
            rows.append(
                score.ContractRow(
                    contract_id=len(rows) + 1,
                    title=f"Contract {len(rows) + 1}",
                    client_id=100 + client,
                    ended_at=NOW - timedelta(days=draw(st.integers(0, 364))),
                    ending="cancel_late" if at_fault else "approve",
                    fault="freelancer" if at_fault else "none",
                    counts_for_trust=True,
                    paid_out_minor=0 if at_fault else price,
                    price_minor=price,
                    late=late,
                    rating=draw(stars) if has_feedback else None,
                    private_rating=draw(stars) if has_feedback else None,
                )
            )
    # Every client meant to have rated privately has at least one rated contract.
    for client in range(rated):
        if not any(r.client_id == 100 + client and r.rating for r in rows):
            i = next(i for i, r in enumerate(rows) if r.client_id == 100 + client)
            rows[i] = dataclasses.replace(rows[i], rating=draw(stars), private_rating=draw(stars))
    return rows


@st.composite
def other_private_ratings(
    draw: st.DrawFn, rows: list[score.ContractRow]
) -> list[score.ContractRow]:
    """The same contracts, every private rating redrawn (public parts unchanged)."""
    return [
        dataclasses.replace(r, private_rating=draw(stars)) if r.private_rating else r for r in rows
    ]


def _parts_add_up(breakdown: score.Breakdown) -> None:
    total = sum((c.contribution for c in breakdown.counted), breakdown.private.contribution)
    if breakdown.exact is not None:
        assert total == breakdown.exact
        assert breakdown.score == score._round_half_up(total)


def _formula(rows: list[score.ContractRow]) -> Fraction:
    """The exact score computed independently: 85 Q + 15 P, or 100 Q."""
    weights = {r.contract_id: score.weight_of(r) for r in rows}
    q = sum(
        (weights[r.contract_id] * score.quality_of(score.parts_of(r)) for r in rows), Fraction(0)
    ) / sum(weights.values())
    rated = [r for r in rows if r.private_rating is not None]
    if len({r.client_id for r in rated}) < 3:
        return 100 * q
    p = sum(
        (
            weights[r.contract_id] * Fraction(r.private_rating - 1, 4)
            for r in rated
            if r.private_rating
        ),
        Fraction(0),
    ) / sum(weights[r.contract_id] for r in rated)
    return 85 * q + 15 * p


@settings(max_examples=60, deadline=None)
@given(data=st.data(), clients=st.integers(2, 4), rated=st.sampled_from([1, 2]))
def test_with_fewer_than_three_clients_rating_privately_their_values_change_nothing(
    data: st.DataObject, clients: int, rated: int
) -> None:
    # Given contracts where only one or two clients rated privately
    rows = data.draw(contract_rows(clients=clients, rated_clients=range(rated, rated + 1)))
    other = data.draw(other_private_ratings(rows))
    # When the score is computed with their private ratings, and with any others
    first = score.compute(rows, now=NOW)
    second = score.compute(other, now=NOW)
    # Then the private ratings are left out: the score and the whole breakdown are the same
    assert first.exact == second.exact and first.score == second.score
    assert first.as_json() == second.as_json()
    assert first.as_json()["private"] == {
        "ratings": sum(1 for r in rows if r.private_rating),
        "clients": rated,
        "min_clients": 3,
        "used": False,
        "contribution": "0.00",
    }
    # ... exactly as if nobody had rated privately at all
    unrated = [dataclasses.replace(r, private_rating=None) for r in rows]
    assert score.compute(unrated, now=NOW).exact == first.exact
    _parts_add_up(first)
    assert first.exact is None or first.exact == _formula(rows)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), clients=st.integers(3, 5))
def test_from_three_clients_the_pooled_ratings_reveal_no_single_one(
    data: st.DataObject, clients: int
) -> None:
    # Given contracts where at least three clients rated privately
    rows = data.draw(contract_rows(clients=clients, rated_clients=range(3, clients + 1)))
    other = data.draw(other_private_ratings(rows))
    # When the score is computed with their private ratings, and with any others
    first, second = score.compute(rows, now=NOW), score.compute(other, now=NOW)
    mine, theirs = first.as_json(), second.as_json()
    # Then they are used, as one line
    assert mine["private"]["used"] and mine["private"]["clients"] >= 3
    # And every per-contract row is the same whatever the private ratings are: nothing in
    # it says which contracts had one, nor what it was
    assert mine["counted"] == theirs["counted"]
    assert mine["excluded"] == theirs["excluded"]
    assert all("private" not in key for c in mine["counted"] for key in c)
    # And the contributions and the private line add up to the exact score: 85 Q + 15 P
    _parts_add_up(first)
    _parts_add_up(second)
    assert first.exact == _formula(rows) and second.exact == _formula(other)


def test_three_private_ratings_from_one_client_are_still_left_out() -> None:
    # Given a freelancer whose only private ratings come from one client (and the score is
    # shown thanks to a second client without feedback)
    base = score.ContractRow(
        contract_id=1,
        title="C",
        client_id=1,
        ended_at=NOW - timedelta(days=10),
        ending="approve",
        fault="none",
        counts_for_trust=True,
        paid_out_minor=100_00,
        price_minor=100_00,
        late=False,
        rating=5,
        private_rating=1,
    )
    rows = [dataclasses.replace(base, contract_id=i, private_rating=i) for i in (1, 2, 3)] + [
        dataclasses.replace(base, contract_id=4, client_id=2, rating=None, private_rating=None)
    ]
    # Then their average (that one client's) is not pooled: the score is 100
    breakdown = score.compute(rows, now=NOW)
    assert breakdown.score == 100 and breakdown.exact == 100
    assert breakdown.as_json()["private"]["used"] is False


@pytest.mark.django_db
def test_the_migration_marks_every_stored_score_for_a_recompute() -> None:
    # Given a score stored with the old breakdown (per-contract private figures)
    user = make_user("old-score@example.com")
    old = {"counted": [{"contract_id": 1, "private_rating_used": True, "quality": "0.66"}]}
    FreelancerScore.objects.create(user=user, score=75, breakdown=old, dirty=False)
    # When the data migration runs
    migration = importlib.import_module("fairlance.reviews.migrations.0002_score_private_pooled")
    migration.mark_dirty(django_apps, None)
    # Then the row waits for the worker's recompute and shows no old figures meanwhile
    stored = FreelancerScore.objects.get(user=user)
    assert stored.dirty is True and stored.breakdown == {}
