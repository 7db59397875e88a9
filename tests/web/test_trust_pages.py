"""The trust pages (issue 13): feedback in the contract room, public profiles, the own score
page and the operators' feedback reports.

Contracts are bought and ended through the HTTP API and the worker (``tests.contracts.endings``);
feedback is left through the room's own forms, as people do.
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import re
from collections.abc import Iterator
from datetime import date, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from fairlance.accounts.services import calendar_update, time_off_add
from fairlance.reviews.models import Feedback, FeedbackRemoval, FeedbackReport, ReportStatus
from fairlance.web import trust_presenters as tp
from fairlance.web.contract_presenters import client_card_view
from tests.conftest import make_user
from tests.contracts.conftest import START
from tests.contracts.endings import Parties, reach, worker
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

PUBLIC_BY_CLIENT = "Fran drew a lovely logo, quick and careful."
PRIVATE_BY_CLIENT = "PRIVATE-CLIENT-NOTE: slightly slow replies"
PUBLIC_BY_FREELANCER = "Carla gave clear requirements."
PRIVATE_BY_FREELANCER = "PRIVATE-FREELANCER-NOTE: paid on time"


@pytest.fixture
def parties(api, client_user, freelancer, operator) -> Iterator[Parties]:
    with time_machine.travel(START, tick=False) as clock:
        yield Parties(api, client_user, freelancer, operator, clock)


def text_of(response: Any) -> str:
    return html_lib.unescape(response.content.decode())


def leave(user: Any, cid: int, *, rating: int = 5, public: str = "", private: str = "") -> Any:
    return login(user).post(
        f"/contracts/{cid}/feedback/",
        {
            "rating": str(rating),
            "public_text": public,
            "private_rating": "4",
            "private_text": private,
        },
    )


def both_wrote(p: Parties, cid: int) -> None:
    assert (
        leave(p.client, cid, public=PUBLIC_BY_CLIENT, private=PRIVATE_BY_CLIENT).status_code == 302
    )
    assert (
        leave(
            p.freelancer, cid, rating=4, public=PUBLIC_BY_FREELANCER, private=PRIVATE_BY_FREELANCER
        ).status_code
        == 302
    )


def pages_everyone_sees(p: Parties, cid: int) -> list[str]:
    return [
        text_of(login(p.client).get(f"/contracts/{cid}/")),
        text_of(login(p.freelancer).get(f"/contracts/{cid}/")),
        text_of(login(p.operator).get(f"/contracts/{cid}/")),
        text_of(login(None).get(f"/freelancers/{p.freelancer.pk}/")),
        text_of(login(p.freelancer).get("/me/score/")),
    ]


# --- the room's feedback panel -----------------------------------------------------------------


def test_room_feedback_panel_for_each_viewer(parties, stranger) -> None:
    # Given a completed contract
    cid = reach("approve", parties)
    url = f"/contracts/{cid}/"
    # Then both sides get the feedback form with star choices and both text fields
    for user in (parties.client, parties.freelancer):
        page = text_of(login(user).get(url))
        assert 'id="feedback-form"' in page
        assert 'name="rating" value="5"' in page and 'name="private_rating" value="1"' in page
        assert 'name="public_text"' in page and 'name="private_text"' in page
        # And the window's close date in their zone (14 days after the ending, UTC here)
        assert "18 March 2026 at" in page
    # And the operator reads the panel without a form
    page = text_of(login(parties.operator).get(url))
    assert 'id="feedback"' in page and 'id="feedback-form"' not in page
    assert "No published feedback yet" in page
    # And strangers get 404, anonymous visitors the login page, for the room and its forms
    assert login(stranger).get(url).status_code == 404
    assert leave(stranger, cid).status_code == 404
    assert login(None).get(url).status_code == 302
    response = login(None).post(f"/contracts/{cid}/feedback/", {"rating": "5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Feedback.objects.exists()


def test_a_running_contract_has_no_feedback_panel(parties) -> None:
    # Given a contract in progress
    from tests.contracts.endings import _started

    _, _, cid = _started(parties)
    # Then the room shows no feedback and the form posts are refused, with the reason
    assert 'id="feedback"' not in text_of(login(parties.client).get(f"/contracts/{cid}/"))
    response = leave(parties.client, cid, public="Too early")
    assert response.status_code == 409
    assert "Feedback opens when the contract ends" in text_of(response)
    assert not Feedback.objects.exists()


def test_double_blind_until_both_wrote(parties) -> None:
    # Given a completed contract
    cid = reach("approve", parties)
    # When the client leaves feedback through the room
    response = leave(parties.client, cid, public=PUBLIC_BY_CLIENT, private=PRIVATE_BY_CLIENT)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/contracts/{cid}/#feedback"
    )
    # Then the client reads their own, sealed until the freelancer writes or the window closes
    mine = text_of(login(parties.client).get(f"/contracts/{cid}/"))
    assert (
        "Your feedback is sealed until Fran writes theirs or the window closes on 18 March 2026"
        in mine
    )
    assert PUBLIC_BY_CLIENT in mine and 'id="feedback-form"' not in mine
    # And the freelancer learns that the client wrote, but not a word of it
    theirs = text_of(login(parties.freelancer).get(f"/contracts/{cid}/"))
    assert "Carla has left feedback" in theirs and 'id="feedback-form"' in theirs
    assert PUBLIC_BY_CLIENT not in theirs
    # And nothing of it is public yet
    for page in pages_everyone_sees(parties, cid):
        assert PRIVATE_BY_CLIENT not in page
    assert PUBLIC_BY_CLIENT not in text_of(
        login(None).get(f"/freelancers/{parties.freelancer.pk}/")
    )
    assert PUBLIC_BY_CLIENT not in text_of(login(parties.operator).get(f"/contracts/{cid}/"))

    # When the freelancer writes theirs
    assert (
        leave(
            parties.freelancer,
            cid,
            rating=4,
            public=PUBLIC_BY_FREELANCER,
            private=PRIVATE_BY_FREELANCER,
        ).status_code
        == 302
    )
    # Then both are published: each side reads the other's public words
    client_page = text_of(login(parties.client).get(f"/contracts/{cid}/"))
    freelancer_page = text_of(login(parties.freelancer).get(f"/contracts/{cid}/"))
    assert PUBLIC_BY_FREELANCER in client_page and PUBLIC_BY_CLIENT in freelancer_page
    assert "sealed" not in client_page.split('id="feedback"')[1].split("</section>")[0].lower()
    # And the profile shows the client's feedback under the contract
    profile = text_of(login(None).get(f"/freelancers/{parties.freelancer.pk}/"))
    assert PUBLIC_BY_CLIENT in profile
    # And private feedback never appears on any page, not even its author's
    for page in pages_everyone_sees(parties, cid):
        assert PRIVATE_BY_CLIENT not in page and PRIVATE_BY_FREELANCER not in page


def test_the_window_closing_publishes_what_was_written(parties) -> None:
    # Given a completed contract where only the client wrote
    cid = reach("approve", parties)
    leave(parties.client, cid, public=PUBLIC_BY_CLIENT)
    # When the window passes and the worker runs
    parties.clock.shift(timedelta(days=15))
    worker()
    # Then the freelancer reads it, can no longer write, and is told the window closed
    page = text_of(login(parties.freelancer).get(f"/contracts/{cid}/"))
    assert PUBLIC_BY_CLIENT in page and 'id="feedback-form"' not in page
    assert "The feedback window closed on 18 March 2026" in page and "you left none" in page
    # And a late form post is refused with the reason, changing nothing
    response = leave(parties.freelancer, cid, public="Late words")
    assert response.status_code == 409 and "window of this contract has closed" in text_of(response)
    assert Feedback.objects.count() == 1


def test_bad_feedback_input_is_a_4xx_with_the_reason_and_what_was_typed(parties) -> None:
    cid = reach("approve", parties)
    # When the client sends no rating
    response = login(parties.client).post(
        f"/contracts/{cid}/feedback/",
        {"rating": "", "public_text": "Typed words", "private_rating": "9"},
    )
    # Then the room comes back with the reason and what was typed, nothing stored
    page = text_of(response)
    assert response.status_code == 422
    assert 'id="feedback-error"' in page and "Give 1 to 5 stars." in page
    assert "Typed words</textarea>" in page
    assert not Feedback.objects.exists()
    # And the operator (no side of the contract) is refused, as is a second feedback
    assert leave(parties.operator, cid).status_code == 403
    assert leave(parties.client, cid).status_code == 302
    again = leave(parties.client, cid, public="Changed my mind")
    assert again.status_code == 409 and "cannot be changed" in text_of(again)
    assert Feedback.objects.count() == 1
    # And a GET on the form's address is not allowed
    assert login(parties.client).get(f"/contracts/{cid}/feedback/").status_code == 405


def test_ending_that_does_not_count_says_why_there_is_no_feedback(parties) -> None:
    cid = reach("decline_in_grace", parties)
    for user in (parties.client, parties.freelancer, parties.operator):
        page = text_of(login(user).get(f"/contracts/{cid}/"))
        assert "No feedback on this contract: declined in the grace window" in page
        assert 'id="feedback-form"' not in page
    assert leave(parties.client, cid).status_code == 409


def test_one_public_reply_by_the_reviewed_party(parties, stranger) -> None:
    cid = reach("approve", parties)
    both_wrote(parties, cid)
    url = f"/contracts/{cid}/feedback/reply/"
    # A stranger cannot reply
    assert login(stranger).post(url, {"text": "Hi"}).status_code == 404
    # An empty reply is refused with the reason
    empty = login(parties.freelancer).post(url, {"text": "  "})
    assert empty.status_code == 422 and 'id="feedback-error"' in text_of(empty)
    # When the freelancer replies
    assert login(parties.freelancer).post(url, {"text": "Thank you, Carla!"}).status_code == 302
    # Then the reply is under the feedback in both rooms and on the profile
    for user in (parties.client, parties.freelancer):
        assert "Thank you, Carla!" in text_of(login(user).get(f"/contracts/{cid}/"))
    assert "Thank you, Carla!" in text_of(login(None).get(f"/freelancers/{parties.freelancer.pk}/"))
    # And the form is gone; a second reply is refused
    assert f'action="/contracts/{cid}/feedback/reply/"' not in text_of(
        login(parties.freelancer).get(f"/contracts/{cid}/")
    )
    again = login(parties.freelancer).post(url, {"text": "Once more"})
    assert again.status_code == 409 and "already replied" in text_of(again)


def test_removal_shows_the_quota_and_a_refused_removal_the_date(parties) -> None:
    # Given two completed contracts whose feedback is published
    first, second = reach("approve", parties), reach("approve", parties)
    both_wrote(parties, first)
    both_wrote(parties, second)
    room = text_of(login(parties.freelancer).get(f"/contracts/{first}/"))
    # Then the freelancer sees the button and how many removals are left
    assert "Remove from my profile" in room and "1 removal left this month" in room
    # And the client gets no such button
    assert "Remove from my profile" not in text_of(
        login(parties.client).get(f"/contracts/{first}/")
    )
    assert login(parties.client).post(f"/contracts/{first}/feedback/remove/").status_code == 403
    # When the freelancer removes the first
    response = login(parties.freelancer).post(f"/contracts/{first}/feedback/remove/", follow=True)
    page = text_of(response)
    # Then it says so, with when the next removal frees up (1 April in their zone)
    assert "next removal frees up on 1 April 2026" in page
    assert "You removed Carla's feedback from your profile and score." in page
    assert FeedbackRemoval.objects.count() == 1
    # And the profile no longer shows it (the contract stays in the work history)
    profile = text_of(login(None).get(f"/freelancers/{parties.freelancer.pk}/"))
    assert f'id="history-{first}"' in profile
    assert profile.count(PUBLIC_BY_CLIENT) == 1
    # When they try to remove the second in the same month
    refused = login(parties.freelancer).post(f"/contracts/{second}/feedback/remove/")
    # Then it is refused with the date, and nothing changed
    assert refused.status_code == 409
    assert "the next one frees up on 1 April 2026" in text_of(refused)
    assert FeedbackRemoval.objects.count() == 1
    assert (
        text_of(login(None).get(f"/freelancers/{parties.freelancer.pk}/")).count(PUBLIC_BY_CLIENT)
        == 1
    )


def test_report_then_an_operator_hides_it_from_the_profile(parties, stranger) -> None:
    cid = reach("approve", parties)
    both_wrote(parties, cid)
    feedback = Feedback.objects.get(contract_id=cid, author_role="client")
    report_url = f"/contracts/{cid}/feedback/report/"
    # Each side may report the other side's published feedback from the room
    assert "Report this feedback</summary>" in text_of(
        login(parties.freelancer).get(f"/contracts/{cid}/")
    )
    # A stranger cannot, and an empty reason is refused with the reason
    assert (
        login(stranger).post(report_url, {"feedback": feedback.pk, "reason": "x"}).status_code
        == 404
    )
    empty = login(parties.freelancer).post(report_url, {"feedback": feedback.pk, "reason": ""})
    assert empty.status_code == 422 and not FeedbackReport.objects.exists()
    # When the freelancer reports it
    response = login(parties.freelancer).post(
        report_url, {"feedback": feedback.pk, "reason": "It names my family."}
    )
    assert response.status_code == 302
    report = FeedbackReport.objects.get()
    # Then only operators see the queue, with the feedback and the reason
    queue = "/operator/feedback-reports/"
    for user in (parties.client, parties.freelancer, stranger):
        assert login(user).get(queue).status_code == 404
        assert (
            login(user).post(f"{queue}{report.pk}/", {"decision": "hide", "note": "x"}).status_code
            == 404
        )
    assert login(None).get(queue).status_code == 302
    page = text_of(login(parties.operator).get(queue))
    assert PUBLIC_BY_CLIENT in page and "It names my family." in page
    assert PRIVATE_BY_CLIENT not in page
    # A decision without a note is refused with the reason; the report stays open
    no_note = login(parties.operator).post(f"{queue}{report.pk}/", {"decision": "hide", "note": ""})
    assert no_note.status_code == 422 and f'id="report-error-{report.pk}"' in text_of(no_note)
    assert FeedbackReport.objects.get().status == ReportStatus.OPEN
    # When the operator hides it
    done = login(parties.operator).post(
        f"{queue}{report.pk}/", {"decision": "hide", "note": "Personal details."}, follow=True
    )
    assert "No open reports." in text_of(done)
    assert FeedbackReport.objects.get().status == ReportStatus.HIDDEN
    # Then the profile no longer shows it, and the room says an operator hid it
    assert PUBLIC_BY_CLIENT not in text_of(
        login(None).get(f"/freelancers/{parties.freelancer.pk}/")
    )
    room = text_of(login(parties.freelancer).get(f"/contracts/{cid}/"))
    assert "An operator hid Carla's feedback" in room and PUBLIC_BY_CLIENT not in room
    # And deciding again (or an unknown report) changes nothing
    again = login(parties.operator).post(
        f"{queue}{report.pk}/", {"decision": "dismiss", "note": "x"}
    )
    assert again.status_code == 302
    assert (
        login(parties.operator)
        .post(f"{queue}999999/", {"decision": "hide", "note": "x"})
        .status_code
        == 404
    )


def test_dismissing_a_report_keeps_the_feedback(parties) -> None:
    cid = reach("approve", parties)
    both_wrote(parties, cid)
    feedback = Feedback.objects.get(contract_id=cid, author_role="freelancer")
    login(parties.client).post(
        f"/contracts/{cid}/feedback/report/", {"feedback": feedback.pk, "reason": "Unfair."}
    )
    report = FeedbackReport.objects.get()
    bad = login(parties.operator).post(f"/operator/feedback-reports/{report.pk}/", {"note": "ok"})
    assert bad.status_code == 422
    login(parties.operator).post(
        f"/operator/feedback-reports/{report.pk}/", {"decision": "dismiss", "note": "Fair words."}
    )
    assert FeedbackReport.objects.get().status == ReportStatus.DISMISSED
    assert PUBLIC_BY_FREELANCER in text_of(login(parties.client).get(f"/contracts/{cid}/"))


# --- public profiles ------------------------------------------------------------------------------


def test_profile_is_public_for_freelancers_only(parties, stranger) -> None:
    # Given a freelancer with a bio, a calendar in Lisbon and time off (away)
    fran = parties.freelancer
    fran.bio = "I draw logos by hand."
    fran.save(update_fields=["bio"])
    calendar_update(
        user=fran,
        time_zone="Europe/Lisbon",
        working_weekdays=[0, 1, 2, 3],
        work_start=time(8, 0),
        work_end=time(16, 0),
        holiday_country=None,
        holiday_subdivision=None,
    )
    paid = reach("approve", parties)
    unpaid = reach("decline_in_grace", parties)
    time_off_add(
        user=fran,
        start_date=date(2026, 3, 4),
        end_date=date(2026, 3, 9),
        away=True,
        note="",
        today=date(2026, 3, 4),
    )
    url = f"/freelancers/{fran.pk}/"
    # Then anyone may read the profile: name, bio, calendar summary, away, projects
    for viewer in (None, stranger, parties.client, parties.operator, fran):
        response = login(viewer).get(url)
        assert response.status_code == 200
    page = text_of(login(None).get(url))
    assert "<h1" in page and "Fran</h1>" in page
    assert "I draw logos by hand." in page
    assert "Europe/Lisbon" in page and "Mon–Thu, 08:00–16:00" in page
    assert "Away until Mon 9 Mar" in page
    assert "A hand-drawn logo" in page and 'class="card project-card"' in page
    # And the work history lists only the contract where money was paid
    assert f'id="history-{paid}"' in page and f'id="history-{unpaid}"' not in page
    # And the score is hidden below two clients
    assert "New — fewer than 2 clients" in page
    # And a client's id, an operator's and an unknown one are not found
    for other in (parties.client.pk, parties.operator.pk, 999999):
        assert login(None).get(f"/freelancers/{other}/").status_code == 404


def test_freelancer_name_links_to_the_profile(parties, published) -> None:
    profile = f'href="/freelancers/{published.freelancer_id}/"'
    assert profile in text_of(login(None).get(f"/projects/{published.pk}/"))
    assert profile in text_of(login(None).get("/search/"))
    cid = reach("approve", parties)
    assert profile in text_of(login(parties.client).get(f"/contracts/{cid}/"))


# --- the own score page -------------------------------------------------------------------------


def test_score_page_lists_counted_and_excluded_contracts_with_a_chart(parties, stranger) -> None:
    # Given a freelancer with work for two clients and one grace-window decline
    second = make_user("dora@example.com")
    counted = reach("approve", parties)
    other = dataclasses.replace(parties, client=second)
    counted_2 = reach("approve", other)
    both_wrote(parties, counted)
    excluded = reach("decline_in_grace", parties)
    # (the tests' transactions never commit, so the worker recomputes the dirty score)
    worker()
    # Then anonymous visitors are sent to log in; clients, strangers and operators get 404
    assert login(None).get("/me/score/").status_code == 302
    for user in (parties.client, stranger, parties.operator):
        assert login(user).get("/me/score/").status_code == 404
    # And the freelancer sees the score, each counted contract and each excluded one
    response = login(parties.freelancer).get("/me/score/")
    page = text_of(response)
    assert response.status_code == 200
    assert re.search(r'id="score-now".*?<strong>\d+</strong>', page, re.S)
    assert f'id="counted-{counted}"' in page and f'id="counted-{counted_2}"' in page
    assert f'id="excluded-{excluded}"' in page
    assert "Declined in the grace window: not counted" in page
    # And private ratings are one pooled line, never a column: one client rated privately
    assert "Private rating</th>" not in page
    assert "Private feedback from clients: left out until 3 clients have rated privately" in page
    # And a history chart drawn on the server, with a point per day
    assert '<svg class="score-chart"' in page and "<circle" in page
    assert "docs/success-score.md" in page
    # And the public profile shows the score once two clients count
    profile = text_of(login(None).get(f"/freelancers/{parties.freelancer.pk}/"))
    assert re.search(r'class="score-big"><strong>\d+</strong>', profile)
    assert "fewer than 2 clients" not in profile
    # And the dashboard links to it
    assert 'href="/me/score/"' in text_of(login(parties.freelancer).get("/dashboard/"))


def test_the_pooled_private_line_in_words() -> None:
    used = {"ratings": 4, "clients": 3, "min_clients": 3, "used": True, "contribution": "12.19"}
    assert tp.private_words({"private": used}) == (
        "Private feedback from clients: counted together over 4 ratings, adds 12.19 points."
    )
    left_out = {**used, "ratings": 2, "clients": 2, "used": False, "contribution": "0.00"}
    assert tp.private_words({"private": left_out}) == (
        "Private feedback from clients: left out until 3 clients have rated privately."
    )
    # A breakdown stored before pooling has no such line
    assert tp.private_words({"counted": []}) == ""


def test_chart_has_a_gap_where_the_score_was_hidden() -> None:
    svg = tp.score_chart_svg(
        [
            (date(2026, 1, 1), 80),
            (date(2026, 1, 2), 85),
            (date(2026, 1, 3), None),
            (date(2026, 1, 4), 70),
            (date(2026, 1, 5), 90),
        ]
    )
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4
    assert "<title>85 on 2 January 2026</title>" in svg
    empty = tp.score_chart_svg([])
    assert "No score yet" in empty and "<circle" not in empty


# --- the client card's ratings ------------------------------------------------------------------


def test_client_card_shows_ratings_when_the_card_has_them(parties) -> None:
    from fairlance.contracts.selectors import client_card

    card = client_card(client_id=parties.client.pk)
    # Before the card carries ratings it says there are none
    assert client_card_view(card).ratings == "No ratings yet"

    class WithRatings:
        """The card as it reads once ``ClientCard`` carries the feedback numbers."""

        def __getattr__(self, name: str) -> Any:
            return getattr(card, name)

    rich: Any = WithRatings()
    rich.ratings_given_count = 5
    rich.ratings_received_count = 3
    rich.average_rating_given = 4.6
    rich.average_rating_received = 4.8
    rich.recent_feedback = tuple(
        SimpleNamespace(
            rating=5, text=f"Great client {i}", published_at=START, project_title="Logo"
        )
        for i in range(4)
    )
    view = client_card_view(rich)
    assert view.ratings_given == "Rates freelancers 4.6 ★ on average (5)"
    assert view.ratings_received == "Rated 4.8 ★ by freelancers (3)"
    assert [q.text for q in view.recent_feedback] == [
        "Great client 0",
        "Great client 1",
        "Great client 2",
    ]
    assert view.ratings == ""
    # And the card's template shows them
    html = html_lib.unescape(render_to_string("contracts/client_card.html", {"card": view}))
    assert "Rates freelancers 4.6 ★ on average (5)" in html and "Great client 2" in html
    assert "Great client 3" not in html and "No ratings yet" not in html


# --- what the panel costs -------------------------------------------------------------------------


def _queries(user: Any, url: str) -> int:
    client = login(user)
    client.get(url)  # policies and sessions warmed, as on a running server
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_feedback_panel_adds_a_bounded_number_of_queries(parties) -> None:
    from tests.contracts.endings import _delivered

    # Given a delivered contract still running, and one approved with both feedbacks published
    _, _, running = _delivered(parties)
    ended = reach("approve", parties)
    both_wrote(parties, ended)
    # Then the client's room of the ended contract reads the feedback once more
    assert _queries(parties.client, f"/contracts/{ended}/") == (
        _queries(parties.client, f"/contracts/{running}/") + 1
    )
    # And the freelancer's, who may remove the client's feedback, also reads the removal
    # quota (``reviews.services.removal_quota``: their zone, this month's removals, the
    # policy in force): four more, whatever the number of contracts or feedback.
    assert _queries(parties.freelancer, f"/contracts/{ended}/") == (
        _queries(parties.freelancer, f"/contracts/{running}/") + 4
    )
