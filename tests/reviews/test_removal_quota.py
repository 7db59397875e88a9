"""Feedback removal within the policy's quota: one per calendar month *in the freelancer's time
zone* by default, 0 switches removals off; removed feedback leaves the public lists and the
stored score, and the removal is logged for operators (SPEC section 6)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from fairlance.accounts.services import calendar_update
from fairlance.reviews import selectors
from fairlance.reviews.models import Feedback, FeedbackRemoval, FreelancerScore, Side
from tests.conftest import assert_problem, make_user
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import Parties, both_wrote, ok, reach, set_policy

clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = pytest.mark.django_db

EARLY_JANUARY = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
# 01:00 on 1 February in Tokyo (UTC+9), 11:00 on 31 January in New York (UTC-5).
BOUNDARY = datetime(2027, 1, 31, 16, 0, tzinfo=UTC)


def _in_zone(user: Any, zone: str) -> None:
    calendar_update(
        user=user,
        time_zone=zone,
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country=None,
        holiday_subdivision=None,
    )


def _two_published(p: Parties) -> list[int]:
    """Two contracts of ``p.freelancer`` with both sides' feedback published."""
    cids = [reach("approve", p), reach("approve", p)]
    for cid in cids:
        both_wrote(p, cid)
    return cids


def _remove(p: Parties, user: Any, cid: int) -> Any:
    return p.api(user).post(f"contracts/{cid}/feedback/remove")


def test_the_month_is_the_freelancers_own_tokyo_has_freed_new_york_has_not(parties, api):
    # Given a freelancer in Tokyo and one in New York, each with two published feedbacks
    tokyo = parties
    new_york = Parties(
        api=api,
        client=tokyo.client,
        freelancer=make_user("nora@example.com"),
        operator=tokyo.operator,
        clock=tokyo.clock,
    )
    _in_zone(tokyo.freelancer, "Asia/Tokyo")
    _in_zone(new_york.freelancer, "America/New_York")
    tokyo_cids = _two_published(tokyo)
    ny_cids = _two_published(new_york)

    # ...who each used January's removal early in January
    tokyo.clock.move_to(EARLY_JANUARY)
    for p, cids in ((tokyo, tokyo_cids), (new_york, ny_cids)):
        ok(_remove(p, p.freelancer, cids[0]))
        quota = ok(api(p.freelancer).get("me/feedback-removals"))
        assert (quota["month"], quota["removals_left"]) == ("2027-01", 0)

    # When both try again at 16:00 UTC on 31 January
    tokyo.clock.move_to(BOUNDARY)

    # Then Tokyo, already in February, has a removal again
    quota = ok(api(tokyo.freelancer).get("me/feedback-removals"))
    assert quota["month"] == "2027-02"
    assert quota["removals_left"] == 1 and quota["next_removal_at"] is None
    assert quota["time_zone"] == "Asia/Tokyo"
    ok(_remove(tokyo, tokyo.freelancer, tokyo_cids[1]))

    # ...while New York, still in January, does not: the quota says when it frees up, in
    # New York's time
    quota = ok(api(new_york.freelancer).get("me/feedback-removals"))
    assert quota["month"] == "2027-01" and quota["removals_left"] == 0
    assert quota["next_removal_at"] == "2027-02-01T00:00:00-05:00"
    assert quota["next_removal_date"] == "2027-02-01"
    refused = assert_problem(_remove(new_york, new_york.freelancer, ny_cids[1]), 409)
    assert refused["code"] == "removal_quota_used"
    assert refused["removals_left"] == 0
    assert refused["next_removal_at"] == "2027-02-01T00:00:00-05:00"
    assert refused["next_removal_date"] == "2027-02-01"
    assert "1 February 2027" in refused["detail"]
    assert Feedback.objects.get(contract_id=ny_cids[1], author_role=Side.CLIENT).removed_at is None

    # Tokyo's own next removal frees up at midnight on 1 March in Tokyo.
    quota = ok(api(tokyo.freelancer).get("me/feedback-removals"))
    assert quota["next_removal_at"] == "2027-03-01T00:00:00+09:00"

    # And once New York reaches February, it frees up there too.
    tokyo.clock.move_to(datetime(2027, 2, 1, 5, 0, tzinfo=UTC))  # 00:00 in New York
    ok(_remove(new_york, new_york.freelancer, ny_cids[1]))
    assert FeedbackRemoval.objects.filter(freelancer=new_york.freelancer).count() == 2


def test_quota_zero_switches_removals_off(parties):
    p = parties
    (cid, _) = _two_published(p)
    set_policy(feedback_removals_per_month=0)

    quota = ok(p.api(p.freelancer).get("me/feedback-removals"))
    assert quota["per_month"] == 0 and quota["removals_left"] == 0
    assert quota["next_removal_at"] is None
    body = assert_problem(_remove(p, p.freelancer, cid), 409, "removals_disabled")
    assert body["next_removal_at"] is None
    assert not FeedbackRemoval.objects.exists()
    assert not Feedback.objects.filter(removed_at__isnull=False).exists()


def test_a_larger_quota_allows_that_many(parties):
    p = parties
    cids = _two_published(p) + [reach("approve", p)]
    both_wrote(p, cids[2])
    set_policy(feedback_removals_per_month=2)

    ok(_remove(p, p.freelancer, cids[0]))
    ok(_remove(p, p.freelancer, cids[1]))
    assert_problem(_remove(p, p.freelancer, cids[2]), 409, "removal_quota_used")


def test_removed_feedback_leaves_public_lists_and_the_score_and_is_logged(
    parties, api, django_capture_on_commit_callbacks
):
    # Given two published client feedbacks, 5 and 1 stars (the test's transaction never
    # commits: the commit hooks that recompute the score are run by hand)
    p = parties
    cids = [reach("approve", p), reach("approve", p)]
    for cid, stars in zip(cids, (5, 1), strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            feedback_helpers.leave(p.api(p.client), cid, rating=stars, public_text=f"{stars} stars")
            feedback_helpers.leave(p.api(p.freelancer), cid, rating=5)
    score = FreelancerScore.objects.get(user=p.freelancer)
    assert (score.rating_count, score.rating_x100) == (2, 300)
    assert score.dirty is False
    assert selectors.feedback_received(user_id=p.freelancer.pk).count() == 2

    # When the freelancer removes the 1-star feedback
    with django_capture_on_commit_callbacks(execute=True):
        out = ok(_remove(p, p.freelancer, cids[1]))
    assert out["removal_quota"]["removals_left"] == 0

    # Then it is gone from the public list and the stored score, recomputed
    removed = Feedback.objects.get(contract_id=cids[1], author_role=Side.CLIENT)
    assert removed.removed_at is not None
    assert list(selectors.feedback_received(user_id=p.freelancer.pk)) == [
        Feedback.objects.get(contract_id=cids[0], author_role=Side.CLIENT)
    ]
    score.refresh_from_db()
    assert (score.rating_count, score.rating_x100) == (1, 500)
    assert score.dirty is False
    # The breakdown says why the contract's ratings no longer count.
    assert "feedback removed by you" in str(score.breakdown)
    # ...the client's own "given" list still has it (removal is about the freelancer's profile)
    assert selectors.feedback_given(user_id=p.client.pk).filter(pk=removed.pk).exists()
    # ...and the other side no longer sees it as shown
    view = ok(p.api(p.client).get(f"contracts/{cids[1]}/feedback"))
    assert view["mine"]["removed"] is True

    # And the removal is logged where operators read it
    log = ok(api(p.operator).get("operator/feedback-removals"))["results"]
    assert [(r["freelancer"]["id"], r["feedback"]["id"]) for r in log] == [
        (p.freelancer.pk, removed.pk)
    ]
    assert log[0]["removed_at"] is not None and log[0]["local_month"] == "2026-03"
    assert list(selectors.removal_log()) == list(FeedbackRemoval.objects.all())
