"""Reports on feedback and operators' decisions: hide (off the profile and the score) or
dismiss (it stays); audited; refused to non-operators and to an operator who is a party."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fairlance.core.models import AuditEntry
from fairlance.reviews import selectors
from fairlance.reviews.models import Feedback, FeedbackReport, FreelancerScore, ReportStatus, Side
from tests.conftest import assert_problem, make_user
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import Parties, leave, ok, reach

clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = pytest.mark.django_db


def _published_pair(p: Parties, capture: Any) -> list[Feedback]:
    """Two contracts whose client feedback (5 and 1 stars) is published; the client's."""
    out = []
    for stars in (5, 1):
        cid = reach("approve", p)
        with capture(execute=True):
            leave(p.api(p.client), cid, rating=stars, public_text=f"{stars} stars, honestly")
            leave(p.api(p.freelancer), cid, rating=5)
        out.append(Feedback.objects.get(contract_id=cid, author_role=Side.CLIENT))
    return out


class _noop_capture:  # noqa: N801 - stands in for django_capture_on_commit_callbacks
    """Where the test does not read the score, its commit hooks need not run."""

    def __init__(self, **_: Any) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: Any) -> None:
        return None


def _report(api: Any, user: Any, feedback: Feedback, reason: str = "Insulting") -> int:
    resp = api(user).post(f"feedback/{feedback.pk}/report", {"reason": reason})
    assert resp.status_code == 201, resp.content
    return int(resp.json()["id"])


def test_the_queue_lists_open_reports_oldest_first_to_operators_only(parties, api, stranger):
    p = parties
    good, bad = _published_pair(p, _noop_capture)
    first = _report(api, p.freelancer, bad, "Rude and untrue")
    p.clock.shift(timedelta(minutes=5))
    second = _report(api, stranger, good, "Spam")

    queue = ok(api(p.operator).get("operator/feedback-reports"))
    assert [r["id"] for r in queue["results"]] == [first, second]
    row = queue["results"][0]
    assert row["reason"] == "Rude and untrue"
    assert row["reporter"]["id"] == p.freelancer.pk
    assert row["feedback"]["id"] == bad.pk
    assert row["feedback"]["contract_id"] == bad.contract_id
    assert (row["feedback"]["rating"], row["feedback"]["public_text"]) == (1, "1 stars, honestly")
    assert queue["next_cursor"] is None
    assert list(selectors.open_reports().values_list("pk", flat=True)) == [first, second]

    # Paged: one at a time, then the rest; a malformed cursor is a problem.
    page = ok(api(p.operator).get("operator/feedback-reports", {"limit": 1}))
    assert [r["id"] for r in page["results"]] == [first]
    rest = ok(
        api(p.operator).get(
            "operator/feedback-reports", {"limit": 1, "cursor": page["next_cursor"]}
        )
    )
    assert [r["id"] for r in rest["results"]] == [second] and rest["next_cursor"] is None
    for bad_cursor in ("x", "1.x", "9" * 40):
        resp = api(p.operator).get("operator/feedback-reports", {"cursor": bad_cursor})
        assert_problem(resp, 422)
    assert_problem(api(p.operator).get("operator/feedback-reports", {"limit": 0}), 422)

    # Everyone else: the operator endpoints' usual answers.
    for user in (p.client, p.freelancer, stranger):
        assert_problem(api(user).get("operator/feedback-reports"), 403, "permission_denied")
        assert_problem(api(user).get("operator/feedback-removals"), 403, "permission_denied")
    assert_problem(api().get("operator/feedback-reports"), 401)
    assert_problem(api().get("operator/feedback-removals"), 401)


def test_hiding_takes_feedback_off_the_profile_and_the_score(
    parties, api, stranger, django_capture_on_commit_callbacks
):
    # Given a 1-star feedback reported twice
    p = parties
    good, bad = _published_pair(p, django_capture_on_commit_callbacks)
    score = FreelancerScore.objects.get(user=p.freelancer)
    assert (score.rating_count, score.rating_x100) == (2, 300)
    report_id = _report(api, p.freelancer, bad)
    other_id = _report(api, stranger, bad, "Abusive")

    # When an operator hides it
    with django_capture_on_commit_callbacks(execute=True):
        out = ok(
            api(p.operator).post(
                f"operator/feedback-reports/{report_id}/hide", {"note": "Breaks rule 3."}
            )
        )

    # Then the report and the other open report of the same feedback are decided
    assert out["status"] == "hidden" and out["decision_note"] == "Breaks rule 3."
    assert out["decided_by"] == p.operator.pk
    assert FeedbackReport.objects.get(pk=other_id).status == ReportStatus.HIDDEN
    assert ok(api(p.operator).get("operator/feedback-reports"))["results"] == []
    # ...the feedback leaves the public list and the stored score
    bad.refresh_from_db()
    assert bad.hidden_at is not None
    assert list(selectors.feedback_received(user_id=p.freelancer.pk)) == [good]
    score.refresh_from_db()
    assert (score.rating_count, score.rating_x100) == (1, 500)
    assert "hidden by an operator" in str(score.breakdown)
    # ...the reviewed party sees it as hidden, and it is audited
    view = ok(api(p.freelancer).get(f"contracts/{bad.contract_id}/feedback"))
    assert view["theirs"] is None and view["theirs_state"] == "hidden"
    entry = AuditEntry.objects.get(action="feedback_hide")
    assert (entry.actor_id, entry.target_id, entry.note) == (
        p.operator.pk,
        str(bad.pk),
        "Breaks rule 3.",
    )

    # Deciding again is a conflict and changes nothing.
    again = api(p.operator).post(f"operator/feedback-reports/{report_id}/dismiss", {"note": "x"})
    assert_problem(again, 409, "report_decided")
    assert FeedbackReport.objects.get(pk=report_id).status == ReportStatus.HIDDEN


def test_dismissing_leaves_the_feedback_where_it_was(
    parties, api, stranger, django_capture_on_commit_callbacks
):
    p = parties
    good, bad = _published_pair(p, django_capture_on_commit_callbacks)
    report_id = _report(api, p.freelancer, bad)

    with django_capture_on_commit_callbacks(execute=True):
        out = ok(
            api(p.operator).post(
                f"operator/feedback-reports/{report_id}/dismiss", {"note": "Harsh but fair."}
            )
        )

    assert out["status"] == "dismissed"
    bad.refresh_from_db()
    assert bad.hidden_at is None and bad.shown
    assert set(selectors.feedback_received(user_id=p.freelancer.pk)) == {good, bad}
    score = FreelancerScore.objects.get(user=p.freelancer)
    assert (score.rating_count, score.rating_x100) == (2, 300)
    assert AuditEntry.objects.filter(action="feedback_report_dismiss").count() == 1
    # The reporter has had their answer: reporting the same feedback again is refused.
    assert_problem(
        api(p.freelancer).post(f"feedback/{bad.pk}/report", {"reason": "Again"}),
        409,
        "already_reported",
    )


def test_decisions_are_refused_to_everyone_but_an_uninvolved_operator(parties, api, stranger):
    p = parties
    _, bad = _published_pair(p, _noop_capture)
    report_id = _report(api, stranger, bad)

    for user in (p.client, p.freelancer, stranger):
        for action in ("hide", "dismiss"):
            resp = api(user).post(f"operator/feedback-reports/{report_id}/{action}", {"note": "x"})
            assert_problem(resp, 403, "permission_denied")
    assert_problem(api().post(f"operator/feedback-reports/{report_id}/hide", {"note": "x"}), 401)
    # Bad input and unknown reports: problems, nothing decided.
    op = api(p.operator)
    assert_problem(op.post(f"operator/feedback-reports/{report_id}/hide", {}), 422)
    assert_problem(op.post(f"operator/feedback-reports/{report_id}/hide", {"note": ""}), 422)
    assert_problem(op.post("operator/feedback-reports/999999/hide", {"note": "x"}), 404)
    assert_problem(op.post("operator/feedback-reports/0/hide", {"note": "x"}), 422)
    assert FeedbackReport.objects.get(pk=report_id).status == ReportStatus.OPEN
    bad.refresh_from_db()
    assert bad.hidden_at is None
    assert not AuditEntry.objects.filter(action__startswith="feedback").exists()


def test_an_operator_who_is_a_party_cannot_decide(parties, api, stranger):
    # Given an operator who bought from the freelancer, and feedback on that contract
    p = parties
    buyer = make_user("otto@example.com", is_operator=True, is_staff=True)
    as_client = Parties(
        api=api, client=buyer, freelancer=p.freelancer, operator=p.operator, clock=p.clock
    )
    (feedback,) = [f for f in _published_pair(as_client, _noop_capture) if f.rating == 1]
    report_id = _report(api, stranger, feedback)

    # Then that operator may not decide it, either way
    for action in ("hide", "dismiss"):
        resp = api(buyer).post(f"operator/feedback-reports/{report_id}/{action}", {"note": "x"})
        assert_problem(resp, 403, "operator_is_a_party")
    assert FeedbackReport.objects.get(pk=report_id).status == ReportStatus.OPEN
    # ...another operator may.
    ok(api(p.operator).post(f"operator/feedback-reports/{report_id}/dismiss", {"note": "Fair."}))


def test_the_removal_log_pages_newest_first(parties, api):
    p = parties
    from tests.reviews.feedback_helpers import set_policy

    set_policy(feedback_removals_per_month=5)
    cids = [reach("approve", p) for _ in range(3)]
    for cid in cids:
        feedback_helpers.both_wrote(p, cid)
    for cid in cids:
        ok(p.api(p.freelancer).post(f"contracts/{cid}/feedback/remove"))
        p.clock.shift(timedelta(hours=1))

    first = ok(api(p.operator).get("operator/feedback-removals", {"limit": 2}))
    rest = ok(
        api(p.operator).get(
            "operator/feedback-removals", {"limit": 2, "cursor": first["next_cursor"]}
        )
    )
    contracts = [r["feedback"]["contract_id"] for r in first["results"] + rest["results"]]
    assert contracts == list(reversed(cids))
    assert rest["next_cursor"] is None
    assert all(r["freelancer"]["id"] == p.freelancer.pk for r in first["results"])
