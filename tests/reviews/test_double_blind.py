"""Double-blind feedback (SPEC section 6): neither side sees the other's words before both have
written or the window closed; the window's timer publishes exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.reviews import selectors
from fairlance.reviews.models import Feedback, Side
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import WINDOW, leave, ok, reach, worker

clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = pytest.mark.django_db

CLIENT_WORDS = "Carla-public-7f3a"
CLIENT_PRIVATE = "Carla-private-91bc"


def _everything_the_freelancer_reads(p, cid) -> str:
    f = p.api(p.freelancer)
    pages = [
        f.get(f"contracts/{cid}/feedback"),
        f.get(f"contracts/{cid}"),
        f.get(f"contracts/{cid}/events"),
        f.get(f"freelancers/{p.freelancer.pk}"),
        p.api().get(f"freelancers/{p.freelancer.pk}"),
    ]
    for resp in pages:
        assert resp.status_code == 200, resp.content[:500]
    return "".join(r.content.decode() for r in pages)


def test_neither_sees_the_other_before_both_wrote_then_both_are_published(parties):
    p = parties
    cid = reach("approve", p)
    c, f = p.api(p.client), p.api(p.freelancer)

    # Given the client wrote
    leave(c, cid, rating=2, public_text=CLIENT_WORDS, private_text=CLIENT_PRIVATE)

    # Then the freelancer learns that the client wrote, and nothing of what
    view = ok(f.get(f"contracts/{cid}/feedback"))
    assert view["theirs_written"] is True
    assert view["theirs"] is None and view["theirs_state"] is None
    seen = _everything_the_freelancer_reads(p, cid)
    assert CLIENT_WORDS not in seen and CLIENT_PRIVATE not in seen
    # ...the client sees their own, unpublished
    mine = ok(c.get(f"contracts/{cid}/feedback"))
    assert mine["mine"]["public_text"] == CLIENT_WORDS
    assert mine["mine"]["published_at"] is None
    assert mine["theirs"] is None and mine["theirs_written"] is False
    # ...and nothing is public
    assert not selectors.feedback_received(user_id=p.freelancer.pk).exists()
    assert not selectors.feedback_given(user_id=p.client.pk).exists()
    assert not selectors.shown(Feedback.objects.all()).exists()

    # When the freelancer writes too
    leave(f, cid, rating=5, public_text="Frances-public-22aa")

    # Then both are published at the same instant, and each side sees the other's
    client_fb = Feedback.objects.get(contract_id=cid, author_role=Side.CLIENT)
    freelancer_fb = Feedback.objects.get(contract_id=cid, author_role=Side.FREELANCER)
    assert client_fb.published_at is not None
    assert client_fb.published_at == freelancer_fb.published_at
    assert ok(f.get(f"contracts/{cid}/feedback"))["theirs"]["public_text"] == CLIENT_WORDS
    assert ok(c.get(f"contracts/{cid}/feedback"))["theirs"]["public_text"] == "Frances-public-22aa"
    assert list(selectors.feedback_received(user_id=p.freelancer.pk)) == [client_fb]
    assert list(selectors.feedback_received(user_id=p.client.pk, by=Side.FREELANCER.value)) == [
        freelancer_fb
    ]
    # The private words stay private, published or not.
    assert CLIENT_PRIVATE not in _everything_the_freelancer_reads(p, cid)
    # Publication by the second writer leaves the timer nothing to do: it publishes no more.
    published_at = client_fb.published_at
    p.clock.shift(WINDOW + timedelta(days=1))
    worker()
    client_fb.refresh_from_db()
    assert client_fb.published_at == published_at


def test_only_one_writes_the_window_closes_and_the_worker_publishes_once(parties):
    p = parties
    cid = reach("approve", p)
    c = p.api(p.client)
    leave(c, cid, rating=4, public_text=CLIENT_WORDS)
    closes = ok(c.get(f"contracts/{cid}/feedback"))["window_closes_at"]
    assert closes is not None
    timer = Timer.objects.get(contract_id=cid, transition="close_feedback")

    # The window is 14 calendar days (not working days), whatever the calendar.
    contract = Contract.objects.get(pk=cid)
    assert timer.fire_at - contract.ended_at >= timedelta(days=14)
    assert timer.fire_at - contract.ended_at < timedelta(days=15)

    # Just before: the worker publishes nothing.
    p.clock.move_to(timer.fire_at - timedelta(minutes=1))
    worker()
    assert Feedback.objects.get().published_at is None
    assert not ContractEvent.objects.filter(contract_id=cid, name="close_feedback").exists()

    # When the window has closed and the worker runs
    p.clock.move_to(timer.fire_at + timedelta(minutes=1))
    worker()

    # Then the one feedback is published, once, with one event in the log
    fb = Feedback.objects.get()
    assert fb.published_at is not None
    assert ContractEvent.objects.filter(contract_id=cid, name="close_feedback").count() == 1
    assert ok(p.api(p.freelancer).get(f"contracts/{cid}/feedback"))["theirs"]["public_text"] == (
        CLIENT_WORDS
    )
    assert list(selectors.feedback_received(user_id=p.freelancer.pk)) == [fb]

    # A second run changes nothing.
    first = fb.published_at
    p.clock.shift(timedelta(days=1))
    worker()
    fb.refresh_from_db()
    assert fb.published_at == first
    assert ContractEvent.objects.filter(contract_id=cid, name="close_feedback").count() == 1
    # The late side can no longer write.
    resp = p.api(p.freelancer).post(f"contracts/{cid}/feedback", feedback_helpers.body(rating=1))
    assert resp.status_code == 409
    assert Feedback.objects.count() == 1


def test_what_people_wrote_never_enters_the_event_log(parties):
    p = parties
    cid = reach("approve", p)
    leave(p.api(p.client), cid, public_text=CLIENT_WORDS, private_text=CLIENT_PRIVATE)

    event = ContractEvent.objects.get(contract_id=cid, name="leave_feedback")
    stored = json.dumps(event.data)
    assert CLIENT_WORDS not in stored and CLIENT_PRIVATE not in stored
    assert "rating" not in (event.data or {})


def test_an_ending_that_does_not_count_arms_no_window(parties):
    p = parties
    cid = reach("decline_in_grace", p)
    assert not Timer.objects.filter(contract_id=cid, transition="close_feedback").exists()


def test_once_both_wrote_the_window_leaves_the_deadlines_and_never_fires(parties):
    p = parties
    cid = reach("approve", p)
    c, f = p.api(p.client), p.api(p.freelancer)
    leave(c, cid, rating=5)
    # While one side may still write, the window is a deadline both see
    assert "feedback_window" in {d["name"] for d in ok(f.get(f"contracts/{cid}"))["deadlines"]}

    # When the other side writes too (both are published at once)
    leave(f, cid, rating=4)

    # Then the window is no longer a deadline of the contract, for either side
    for who in (c, f):
        clocks = {d["name"] for d in ok(who.get(f"contracts/{cid}"))["deadlines"]}
        assert "feedback_window" not in clocks
    # ...and when its instant passes, the worker has nothing to fire
    p.clock.shift(WINDOW + timedelta(days=1))
    worker()
    assert not ContractEvent.objects.filter(contract_id=cid, name="close_feedback").exists()
    assert Feedback.objects.filter(published_at__isnull=True).count() == 0
