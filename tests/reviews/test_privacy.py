"""Private feedback (``private_rating``, ``private_text``) is for the platform: no API response
carries it — not to the other side, not to the public, not to its own author, not to
operators (whose API shows the public parts only), and no notification repeats it."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.notifications.models import Notification
from fairlance.reviews.models import Feedback
from tests.conftest import assert_problem
from tests.reviews import feedback_helpers
from tests.reviews.feedback_helpers import leave, ok, reach

clock = feedback_helpers.clock
parties = feedback_helpers.parties

pytestmark = pytest.mark.django_db

SECRET_C = "client-secret-5e1d"
SECRET_F = "freelancer-secret-a77c"


def _no_private_part(resp: Any) -> None:
    assert resp.status_code < 500, resp.content[:500]
    text = resp.content.decode()
    assert SECRET_C not in text and SECRET_F not in text
    assert "private_text" not in text and "private_rating" not in text


def _responses(p: Any, api: Any, cid: int, stranger: Any) -> list[Any]:
    fid = p.freelancer.pk
    out = []
    for user in (p.client, p.freelancer, p.operator):
        a = api(user)
        out += [
            a.get(f"contracts/{cid}/feedback"),
            a.get(f"contracts/{cid}"),
            a.get(f"contracts/{cid}/events"),
            a.get("contracts"),
            a.get(f"freelancers/{fid}"),
            a.get(f"clients/{p.client.pk}/card"),
            a.get("me/feedback-removals"),
        ]
    out += [
        api(p.operator).get("operator/feedback-reports"),
        api(p.operator).get("operator/feedback-removals"),
        api(stranger).get(f"freelancers/{fid}"),
        api().get(f"freelancers/{fid}"),
        api().get("projects"),
    ]
    return out


def test_private_feedback_never_leaves_the_platform(parties, api, stranger):
    p = parties
    cid = reach("approve", p)
    c, f = api(p.client), api(p.freelancer)

    # Writing: the response to the author holds no private part either.
    first = c.post(
        f"contracts/{cid}/feedback",
        feedback_helpers.body(rating=2, private_rating=1, private_text=SECRET_C),
    )
    assert first.status_code == 201
    _no_private_part(first)
    for resp in _responses(p, api, cid, stranger):
        _no_private_part(resp)

    # Published (both wrote), replied to, reported, removed: still nowhere.
    second = f.post(
        f"contracts/{cid}/feedback",
        feedback_helpers.body(rating=5, private_rating=2, private_text=SECRET_F),
    )
    _no_private_part(second)
    _no_private_part(f.post(f"contracts/{cid}/feedback/reply", {"text": "Thanks."}))
    about_f = Feedback.objects.get(contract_id=cid, author_role="client")
    report = api(stranger).post(f"feedback/{about_f.pk}/report", {"reason": "Check it"})
    _no_private_part(report)
    _no_private_part(f.post(f"contracts/{cid}/feedback/remove"))
    for resp in _responses(p, api, cid, stranger):
        _no_private_part(resp)
    # ...and the stored private parts are really there (the test would notice a rename).
    assert about_f.private_text == SECRET_C and about_f.private_rating == 1

    # No notification (in-app or email) repeats what anyone wrote, public or private.
    notes = list(Notification.objects.filter(title__icontains="feedback"))
    assert notes, "the feedback notices were written"
    for note in Notification.objects.all():
        blob = f"{note.title} {note.body} {note.data}"
        assert SECRET_C not in blob and SECRET_F not in blob
        assert "Public words" not in blob


def test_operators_see_both_public_parts_on_the_contract_but_never_the_private(parties, api):
    p = parties
    cid = reach("approve", p)
    leave(api(p.client), cid, private_text=SECRET_C)
    # Before publication the operator's view lists nothing of either side.
    assert ok(api(p.operator).get(f"contracts/{cid}/feedback"))["both"] == []
    leave(api(p.freelancer), cid, private_text=SECRET_F)

    resp = api(p.operator).get(f"contracts/{cid}/feedback")
    _no_private_part(resp)
    assert {f["author_role"] for f in resp.json()["both"]} == {"client", "freelancer"}


def test_unpublished_feedback_is_private_to_its_author(parties, api, stranger):
    p = parties
    cid = reach("approve", p)
    leave(api(p.client), cid, public_text="Carla-words-0d0d")

    assert (
        "Carla-words-0d0d"
        not in api(p.freelancer).get(f"contracts/{cid}/feedback").content.decode()
    )
    assert_problem(api(stranger).get(f"contracts/{cid}/feedback"), 404)
    assert "Carla-words-0d0d" in api(p.client).get(f"contracts/{cid}/feedback").content.decode()
