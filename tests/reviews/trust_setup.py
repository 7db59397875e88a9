"""Helpers for the trust tests: contracts ended through the API, stored scores refreshed.

Contracts are bought and ended with ``tests.contracts.endings`` (the HTTP API, the frozen
clock and ``worker --once``); the worker also recomputes scores an ending marked dirty (a
test transaction never runs the commit hook that would do it at once).
"""

from __future__ import annotations

from typing import Any

from fairlance.payments.provider import CARD_EXPIRED_HOLD
from fairlance.reviews.models import FreelancerScore
from tests.conftest import make_user
from tests.contracts.conftest import answers_for, buy, make_project
from tests.contracts.endings import Parties, _resolve, _started, ok, reach, worker

_other_clients = 0


def another_client(p: Parties) -> Parties:
    """The same freelancer with a new client (a fresh user)."""
    global _other_clients
    _other_clients += 1
    buyer = make_user(f"client{_other_clients}-{p.freelancer.pk}@example.com")
    return Parties(p.api, buyer, p.freelancer, p.operator, p.clock)


def stored(freelancer: Any) -> FreelancerScore:
    worker()
    return FreelancerScore.objects.get(user=freelancer)


def with_a_score(p: Parties) -> FreelancerScore:
    """Two approved contracts from two clients: the freelancer's score is shown (100)."""
    reach("approve", p)
    reach("approve", another_client(p))
    score = stored(p.freelancer)
    assert (score.score, score.clients, score.counted) == (100, 2, 2)
    return score


def feedback(p: Parties, user: Any, cid: int, rating: int = 5, **extra: Any) -> Any:
    body = {"rating": rating, "private_rating": extra.pop("private_rating", rating), **extra}
    return p.api(user).post(f"contracts/{cid}/feedback", body)


def both_leave_feedback(p: Parties, cid: int, *, client_rating: int = 5, text: str = "") -> None:
    ok(feedback(p, p.client, cid, client_rating, public_text=text or "Great work."))
    ok(feedback(p, p.freelancer, cid, 5, public_text="A clear brief."))


def mutual_cancel(p: Parties, percent: int) -> int:
    """A contract in progress cancelled by agreement, ``percent`` of it to the freelancer."""
    c, f, cid = _started(p)
    body = {"kind": "cancel", "percent_to_freelancer": percent, "note": "We part as friends."}
    proposal = ok(f.post(f"contracts/{cid}/proposals", body))
    ok(c.post(f"proposals/{proposal['id']}/accept"))
    return cid


def expired_hold(p: Parties) -> int:
    """A request whose card hold lapsed: accepting it ends it (``expire_hold``)."""
    project = make_project(p.freelancer, mode="request")
    c = p.api(p.client)
    cid = int(ok(buy(c, project, answers=answers_for(project), card=CARD_EXPIRED_HOLD))["id"])
    refused = p.api(p.freelancer).post(f"contracts/{cid}/accept", {})
    assert refused.status_code == 409 and refused.json()["code"] == "hold_expired"
    return cid


def dispute_refunded_in_full(p: Parties) -> int:
    return _resolve(p, 0, "none")
