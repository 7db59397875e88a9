"""Feedback races with real threads on PostgreSQL (committed transactions): the window's timer
publishes once however many workers fire it, the second writer and the timer publish once
between them, and two removals at once cannot both pass a quota of one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fairlance.contracts.engine import fire_due_timers
from fairlance.contracts.models import ContractEvent, Timer
from fairlance.reviews import services
from fairlance.reviews.models import Feedback, FeedbackRemoval, Side
from tests.concurrency import run_in_threads
from tests.conftest import is_postgres
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import both_wrote, leave, reach

clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback restores the seeded categories that a flush would remove.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


def _window_timer(cid: int) -> Timer:
    return Timer.objects.get(contract_id=cid, transition="close_feedback")


def test_two_workers_fire_the_window_timer_at_once_and_publish_once(parties: Any) -> None:
    # Given a contract where only the client wrote, and the window closed
    p = parties
    cid = reach("approve", p)
    leave(p.api(p.client), cid, rating=4)
    later = _window_timer(cid).fire_at + timedelta(minutes=1)

    # When two workers fire due timers at the same instant
    run_in_threads(2, lambda i: fire_due_timers(now=later))

    # Then the feedback is published once, by one close_feedback event
    fb = Feedback.objects.get(contract_id=cid)
    assert fb.published_at == later
    assert ContractEvent.objects.filter(contract_id=cid, name="close_feedback").count() == 1
    assert _window_timer(cid).status == "fired"


def test_the_second_writer_and_the_timer_race_and_publication_happens_once(parties: Any) -> None:
    # Given the client wrote, and the window is about to close
    p = parties
    cid = reach("approve", p)
    leave(p.api(p.client), cid, rating=4)
    fire_at = _window_timer(cid).fire_at
    p.clock.move_to(fire_at - timedelta(seconds=1))

    # When the freelancer writes while the worker fires the closing timer
    def write() -> Any:
        return services.feedback_leave(
            user=p.freelancer, contract_id=cid, rating=5, private_rating=5
        )

    results = run_in_threads(
        2, lambda i: write() if i == 0 else fire_due_timers(now=fire_at + timedelta(seconds=1))
    )

    # Then the client's feedback is published, and at most one close_feedback event exists
    client_fb = Feedback.objects.get(contract_id=cid, author_role=Side.CLIENT)
    assert client_fb.published_at is not None
    closes = ContractEvent.objects.filter(contract_id=cid, name="close_feedback").count()
    assert closes <= 1
    written = Feedback.objects.filter(contract_id=cid, author_role=Side.FREELANCER).first()
    if isinstance(results[0], Exception):
        # The timer won and closed the window first: the writer got a clean refusal.
        assert getattr(results[0], "code", None) in (
            "feedback_window_closed",
            "transition_not_available",
        ), results[0]
        assert written is None
    else:
        # The writer's feedback is published too; if the writer came first, it published
        # both and the timer found nothing left (or was skipped).
        assert written is not None and written.published_at is not None
        if closes == 0:
            assert written.published_at == client_fb.published_at
    assert not Feedback.objects.filter(contract_id=cid, published_at__isnull=True).exists()
    assert ContractEvent.objects.filter(contract_id=cid, name="leave_feedback").count() == (
        1 if isinstance(results[0], Exception) else 2
    )


def test_two_removals_at_once_against_a_quota_of_one(parties: Any) -> None:
    # Given two contracts with published client feedback and one removal left
    p = parties
    cids = [reach("approve", p), reach("approve", p)]
    for cid in cids:
        both_wrote(p, cid)
    assert services.removal_quota(user_id=p.freelancer.pk).left == 1

    # When the freelancer removes both at the same moment
    results = run_in_threads(
        2, lambda i: services.feedback_remove(user=p.freelancer, contract_id=cids[i])
    )

    # Then exactly one removal went through; the other is refused with the quota's problem
    won = [r for r in results if isinstance(r, Feedback)]
    lost = [r for r in results if not isinstance(r, Feedback)]
    assert len(won) == 1 and len(lost) == 1
    assert getattr(lost[0], "code", None) == "removal_quota_used", lost[0]
    assert FeedbackRemoval.objects.count() == 1
    assert Feedback.objects.filter(removed_at__isnull=False).count() == 1
