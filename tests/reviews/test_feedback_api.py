"""The feedback API's access matrix and its refusals (SPEC section 6, issue 13).

Every contract is bought and ended through the API (``tests.contracts.endings.reach``);
feedback is left, replied to, removed and reported through the API too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fairlance.contracts.models import ContractEvent
from fairlance.reviews.models import Feedback, FeedbackReport, Side
from tests.conftest import assert_problem
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import WINDOW, body, both_wrote, leave, ok, reach, worker

# The package's fixtures (see ``feedback_helpers``).
clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = pytest.mark.django_db


# --- GET /contracts/{id}/feedback ---------------------------------------------------------------


def test_each_party_reads_the_view_strangers_and_anonymous_learn_nothing(parties, api, stranger):
    p = parties
    cid = reach("approve", p)

    for user in (p.client, p.freelancer):
        view = ok(api(user).get(f"contracts/{cid}/feedback"))
        assert view["allowed"] is True and view["can_write"] is True and view["window_open"]
        assert view["mine"] is None and view["theirs"] is None
    # The operator reads it, but writes nothing: they are not a side of the contract.
    op = ok(api(p.operator).get(f"contracts/{cid}/feedback"))
    assert op["can_write"] is False and op["both"] == []
    # A stranger gets the 404 of an id that names nothing; anonymous callers a 401.
    missing = assert_problem(api(stranger).get(f"contracts/{cid}/feedback"), 404)
    assert assert_problem(api(stranger).get("contracts/999999/feedback"), 404) == missing
    assert_problem(api().get(f"contracts/{cid}/feedback"), 401)


# --- POST /contracts/{id}/feedback ----------------------------------------------------------------


def test_strangers_operators_and_anonymous_cannot_leave_feedback(parties, api, stranger):
    p = parties
    cid = reach("approve", p)

    assert_problem(api(stranger).post(f"contracts/{cid}/feedback", body()), 404)
    assert_problem(api(p.operator).post(f"contracts/{cid}/feedback", body()), 403, "not_a_party")
    assert_problem(api().post(f"contracts/{cid}/feedback", body()), 401)
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": "x"},
        {"rating": 4.5},
        {"rating": True},
        {"private_rating": 0},
        {"private_rating": 6},
        {"private_rating": None},
        {"public_text": "x" * 5001},
        {"private_text": "x" * 5001},
        {"public_text": 42},
        {"unknown": "field"},
    ],
)
def test_bad_input_is_a_problem_and_stores_nothing(parties, bad):
    p = parties
    cid = reach("approve", p)
    events = ContractEvent.objects.filter(contract_id=cid).count()

    resp = p.api(p.client).post(f"contracts/{cid}/feedback", {**body(), **bad})

    assert_problem(resp, 422)
    assert not Feedback.objects.exists()
    assert ContractEvent.objects.filter(contract_id=cid).count() == events


@pytest.mark.parametrize("missing", ["rating", "private_rating"])
def test_missing_ratings_are_refused(parties, missing):
    p = parties
    cid = reach("approve", p)
    data = body()
    del data[missing]

    assert_problem(p.api(p.freelancer).post(f"contracts/{cid}/feedback", data), 422)
    assert not Feedback.objects.exists()


def test_a_body_that_is_not_json_is_a_problem(parties):
    p = parties
    cid = reach("approve", p)
    resp = p.api(p.client).client.post(
        f"/api/v1/contracts/{cid}/feedback",
        "rating=5",
        content_type="application/json",
        headers=p.api(p.client).headers,
    )
    assert 400 <= resp.status_code < 500
    assert resp["Content-Type"].startswith("application/problem+json")
    assert not Feedback.objects.exists()


def test_writing_twice_is_a_conflict_and_the_first_stays(parties):
    p = parties
    cid = reach("approve", p)
    c = p.api(p.client)
    leave(c, cid, rating=3, public_text="First words.")

    resp = c.post(f"contracts/{cid}/feedback", body(rating=5, public_text="Second words."))

    assert_problem(resp, 409, "feedback_already_left")
    f = Feedback.objects.get()
    assert (f.rating, f.public_text) == (3, "First words.")


def test_no_edit_after_publication(parties):
    p = parties
    cid = reach("approve", p)
    client_fb, _ = both_wrote(p, cid)
    assert client_fb.published_at is not None

    resp = p.api(p.client).post(f"contracts/{cid}/feedback", body(rating=1))

    assert_problem(resp, 409, "feedback_already_left")
    client_fb.refresh_from_db()
    assert client_fb.rating == 4
    # There is no other way to change it: the feedback routes take no PUT, PATCH or DELETE.
    c = p.api(p.client)
    for call in (c.put, c.patch):
        assert call(f"contracts/{cid}/feedback", body(rating=1)).status_code == 405
    assert c.delete(f"contracts/{cid}/feedback").status_code == 405
    client_fb.refresh_from_db()
    assert client_fb.rating == 4


def test_feedback_before_the_contract_ends_is_refused(parties):
    p = parties
    from tests.contracts.endings import _started

    _, _, cid = _started(p)
    resp = p.api(p.client).post(f"contracts/{cid}/feedback", body())
    assert_problem(resp, 409, "feedback_not_open")
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("ending", ["decline", "decline_in_grace", "expire_request", "refund"])
def test_an_ending_that_does_not_count_takes_no_feedback(parties, ending):
    p = parties
    cid = reach(ending, p)

    for user in (p.client, p.freelancer):
        view = ok(p.api(user).get(f"contracts/{cid}/feedback"))
        assert view["allowed"] is False and view["can_write"] is False
        resp = p.api(user).post(f"contracts/{cid}/feedback", body())
        assert_problem(resp, 409, "feedback_not_allowed")
    assert not Feedback.objects.exists()


def test_an_ending_with_a_fault_takes_feedback(parties):
    # Nothing paid, but the freelancer was at fault: it counts, so it takes feedback.
    p = parties
    cid = reach("cancel_late", p)
    leave(p.api(p.client), cid, rating=1)
    assert Feedback.objects.filter(contract_id=cid).count() == 1


def test_after_the_window_feedback_is_refused(parties):
    p = parties
    cid = reach("approve", p)
    p.clock.shift(WINDOW + timedelta(days=1))
    worker()

    for user in (p.client, p.freelancer):
        view = ok(p.api(user).get(f"contracts/{cid}/feedback"))
        assert view["window_open"] is False and view["can_write"] is False
        resp = p.api(user).post(f"contracts/{cid}/feedback", body())
        assert_problem(resp, 409, "feedback_window_closed")
    assert not Feedback.objects.exists()


# --- replies --------------------------------------------------------------------------------------


def test_reply_only_after_publication_only_by_the_reviewed_party_only_once(parties, api, stranger):
    p = parties
    cid = reach("approve", p)
    c, f = p.api(p.client), p.api(p.freelancer)
    leave(c, cid)

    # Not yet published: nothing to reply to, for either side.
    assert_problem(
        f.post(f"contracts/{cid}/feedback/reply", {"text": "Thanks"}), 404, "no_feedback"
    )

    leave(f, cid)
    # Others cannot reply to the freelancer's feedback in the client's place.
    assert_problem(api(stranger).post(f"contracts/{cid}/feedback/reply", {"text": "x"}), 404)
    assert_problem(api().post(f"contracts/{cid}/feedback/reply", {"text": "x"}), 401)
    assert_problem(
        api(p.operator).post(f"contracts/{cid}/feedback/reply", {"text": "x"}), 404, "no_feedback"
    )
    # Bad input stores nothing.
    assert_problem(f.post(f"contracts/{cid}/feedback/reply", {"text": ""}), 422)
    assert_problem(f.post(f"contracts/{cid}/feedback/reply", {"text": "x" * 2001}), 422)
    assert_problem(f.post(f"contracts/{cid}/feedback/reply", {}), 422)
    assert not Feedback.objects.filter(replied_at__isnull=False).exists()

    view = ok(f.post(f"contracts/{cid}/feedback/reply", {"text": "Thank you, Carla."}))
    assert view["theirs"]["reply"]["text"] == "Thank you, Carla."
    assert view["can_reply"] is False
    # The reply is on the feedback about the freelancer, the client's.
    about_f = Feedback.objects.get(contract_id=cid, author_role=Side.CLIENT)
    assert about_f.reply_text == "Thank you, Carla."
    # The client sees the reply on their own feedback.
    assert ok(c.get(f"contracts/{cid}/feedback"))["mine"]["reply"]["text"] == "Thank you, Carla."

    again = f.post(f"contracts/{cid}/feedback/reply", {"text": "And again."})
    assert_problem(again, 409, "already_replied")
    about_f.refresh_from_db()
    assert about_f.reply_text == "Thank you, Carla."

    # The client replies to the freelancer's feedback about them, separately.
    ok(c.post(f"contracts/{cid}/feedback/reply", {"text": "A pleasure."}))
    assert Feedback.objects.get(author_role=Side.FREELANCER).reply_text == "A pleasure."


# --- removals -------------------------------------------------------------------------------------


def test_only_the_freelancer_removes_feedback(parties, api, stranger):
    p = parties
    cid = reach("approve", p)
    both_wrote(p, cid)

    assert_problem(
        p.api(p.client).post(f"contracts/{cid}/feedback/remove"), 403, "not_the_freelancer"
    )
    assert_problem(
        api(p.operator).post(f"contracts/{cid}/feedback/remove"), 403, "not_the_freelancer"
    )
    assert_problem(api(stranger).post(f"contracts/{cid}/feedback/remove"), 404)
    assert_problem(api().post(f"contracts/{cid}/feedback/remove"), 401)
    assert not Feedback.objects.filter(removed_at__isnull=False).exists()

    out = ok(p.api(p.freelancer).post(f"contracts/{cid}/feedback/remove"))
    assert out["theirs_state"] == "removed" and out["theirs"] is None
    assert out["removal_quota"]["removals_left"] == 0
    assert_problem(
        p.api(p.freelancer).post(f"contracts/{cid}/feedback/remove"), 409, "already_removed"
    )


def test_unpublished_feedback_cannot_be_removed(parties):
    p = parties
    cid = reach("approve", p)
    leave(p.api(p.client), cid)
    resp = p.api(p.freelancer).post(f"contracts/{cid}/feedback/remove")
    assert_problem(resp, 404, "no_feedback")
    assert Feedback.objects.get().removed_at is None


# --- reports --------------------------------------------------------------------------------------


def _published(p: Any) -> tuple[int, Feedback, Feedback]:
    cid = reach("approve", p)
    client_fb, freelancer_fb = both_wrote(p, cid)
    return cid, client_fb, freelancer_fb


def test_anyone_signed_in_reports_public_feedback_once(parties, api, stranger):
    p = parties
    _, client_fb, _ = _published(p)
    url = f"feedback/{client_fb.pk}/report"

    # The reviewed freelancer, a stranger and an operator may each report it.
    for user in (p.freelancer, stranger, p.operator):
        resp = api(user).post(url, {"reason": "Insults, not a review."})
        assert resp.status_code == 201, resp.content
        assert resp.json()["status"] == "open"
    assert FeedbackReport.objects.filter(feedback=client_fb).count() == 3

    # Once each.
    assert_problem(api(stranger).post(url, {"reason": "Again"}), 409, "already_reported")
    # Not by its author; not anonymously.
    assert_problem(api(p.client).post(url, {"reason": "Mine"}), 403, "own_feedback")
    assert_problem(api().post(url, {"reason": "x"}), 401)
    assert FeedbackReport.objects.count() == 3


@pytest.mark.parametrize(
    "bad", [{}, {"reason": ""}, {"reason": "x" * 2001}, {"reason": 7}, {"reason": "ok", "x": 1}]
)
def test_a_report_with_bad_input_is_a_problem(parties, api, stranger, bad):
    p = parties
    _, client_fb, _ = _published(p)
    assert_problem(api(stranger).post(f"feedback/{client_fb.pk}/report", bad), 422)
    assert not FeedbackReport.objects.exists()


def test_feedback_that_is_not_public_cannot_be_reported(parties, api, stranger):
    p = parties
    cid = reach("approve", p)
    leave(p.api(p.client), cid)
    unpublished = Feedback.objects.get()

    # Unpublished: even the other side, who knows it was written, gets a 404.
    for user in (stranger, p.freelancer):
        body_ = assert_problem(
            api(user).post(f"feedback/{unpublished.pk}/report", {"reason": "x"}), 404
        )
    nothing = assert_problem(api(stranger).post("feedback/99999/report", {"reason": "x"}), 404)
    assert body_["detail"] == nothing["detail"]
    assert_problem(api(stranger).post("feedback/0/report", {"reason": "x"}), 422)

    # Removed by the freelancer: no longer public either.
    leave(p.api(p.freelancer), cid)
    ok(p.api(p.freelancer).post(f"contracts/{cid}/feedback/remove"))
    assert_problem(api(stranger).post(f"feedback/{unpublished.pk}/report", {"reason": "x"}), 404)
    assert not FeedbackReport.objects.exists()


def test_hidden_feedback_cannot_be_reported(parties, api, stranger):
    p = parties
    _, client_fb, _ = _published(p)
    r = ok(api(stranger).post(f"feedback/{client_fb.pk}/report", {"reason": "Abuse"}))
    ok(api(p.operator).post(f"operator/feedback-reports/{r['id']}/hide", {"note": "Abusive."}))

    resp = api(p.freelancer).post(f"feedback/{client_fb.pk}/report", {"reason": "Abuse"})
    assert_problem(resp, 404)
    assert FeedbackReport.objects.count() == 1
