"""Fixes found by walking the demo as its users: error pages, words, dashboards, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import get_template
from django.test import Client

from fairlance.accounts.models import User
from fairlance.contracts import process
from fairlance.contracts.models import Contract
from fairlance.demo.load import demo_load
from fairlance.web import contract_presenters as cp
from tests.conftest import PASSWORD
from tests.web.conftest import login, make_project
from tests.web.test_contract_pages import _answers, buy, fire, request_project, started

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


# --- error pages ---------------------------------------------------------------------------


def test_unknown_page_is_a_branded_404_with_a_way_on(client_user):
    # When anyone opens a page that does not exist
    anonymous = login(None).get("/no-such-page/")
    signed_in = login(client_user).get("/contracts/999999/")
    # Then they get a 404 in the site's layout, not the server's bare text, with links onward
    assert anonymous.status_code == 404 and signed_in.status_code == 404
    html = anonymous.content.decode()
    assert "We could not find that page" in html and 'class="site-header"' in html
    assert 'href="/search/"' in html and "Home page" in html
    assert "Your dashboard" in signed_in.content.decode()


def test_server_error_page_renders_without_a_request_context():
    # Given the 500 template, which Django renders with an empty context when things broke

    # When it is rendered with nothing at all
    html = get_template("500.html").render({})
    # Then it still explains what happened in the site's look
    assert "Something went wrong on our side" in html and "app.css" in html
    # And so does the 400 page, which Django also renders without a request
    assert "Nothing was changed" in get_template("400.html").render({})


# --- relative times ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=12, hours=23, minutes=59), "in 12 days 23 hours"),
        (timedelta(days=13), "in 13 days"),
        (timedelta(days=1, hours=1), "in 1 day 1 hour"),
        (timedelta(hours=5, minutes=3), "in 5 hours 3 minutes"),
        (timedelta(hours=2), "in 2 hours"),
        (timedelta(minutes=7, seconds=30), "in 7 minutes"),
        (timedelta(seconds=20), "now"),
        (-timedelta(days=2, hours=4), "2 days 4 hours ago"),
    ],
)
def test_relative_uses_the_same_two_units_as_the_live_countdown(delta, words):
    # A header said "in 12 days" while the countdown below said "in 13 days 0 hours"
    assert cp.relative(T0 + delta, T0) == words


# --- contract room -------------------------------------------------------------------------


def test_room_flash_says_what_happened_and_revisions_left_are_shown(
    published, freelancer, client_user
):
    # Given a delivered contract
    contract = started(client_user, published)
    fire(contract, "deliver", freelancer, note="First version")
    client = login(client_user)
    # When the client opens the room, the revision button says how many revisions are left
    html = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "1 revision left." in html
    # And when the client approves, the message tells the outcome rather than "Done: approve"
    response = client.post(f"/contracts/{contract.pk}/do/approve/", follow=True)
    html = response.content.decode()
    assert "Delivery approved. The payment was released to the freelancer." in html
    assert "Done:" not in html


def test_room_lists_what_the_package_includes_and_unanswered_optional_questions(
    published, client_user
):
    # Given a contract whose package has deliverables
    contract = started(client_user, published)
    # When the client opens it
    html = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()
    # Then the deliverables sit under a label instead of floating below the facts
    assert "<dt>Includes</dt>" in html and "<li>PNG file</li>" in html


def test_every_person_action_has_an_outcome_message():
    for t in process.TRANSITIONS:
        if t.by_person and t.look is not None and t.look.label:
            assert not cp.done_message(t.name).startswith("Done"), t.name


# --- dashboard -----------------------------------------------------------------------------


def test_client_without_projects_is_not_shown_empty_seller_stats(published, client_user):
    # Given a client who bought but sells nothing
    buy(client_user, published)
    # When she opens her dashboard
    html = login(client_user).get("/dashboard/").content.decode()
    # Then she sees her contracts, and no "0 projects on sale" or seller to-do list
    assert "All contracts" in html and published.title in html
    assert "projects on sale" not in html and 'id="attn-title"' not in html
    assert 'class="table-stack"' in html


def test_freelancer_dashboard_counts_projects_inside_the_projects_panel(freelancer):
    make_project(freelancer, title="Live logo project")
    make_project(freelancer, title="Draft logo project", publish=False)
    html = login(freelancer).get("/dashboard/").content.decode()
    assert "1 of 2 projects on sale." in html
    assert "Draft logo project" in html and 'href="/my/projects/"' in html


# --- settings and operator ------------------------------------------------------------------


def test_password_change_page_uses_the_settings_layout(freelancer):
    client = login(freelancer)
    # When a user opens the password page from the settings menu
    html = client.get("/accounts/password/change/").content.decode()
    # Then it sits in the settings layout with the menu item marked as current
    assert "Change your password" in html
    assert 'href="/accounts/password/change/" aria-current="page"' in html
    assert 'href="/settings/profile/"' in html
    # And an empty submission shows errors in place and changes nothing
    response = client.post("/accounts/password/change/", {})
    assert response.status_code == 200
    assert "Please fix the highlighted fields." in response.content.decode()
    freelancer.refresh_from_db()
    assert freelancer.check_password(PASSWORD)


def test_empty_review_queue_says_review_is_switched_off(operator):
    # Given the default policy, where publishing needs no review
    html = login(operator).get("/operator/review/").content.decode()
    # Then the empty queue explains why it is empty
    assert "Review before publishing is switched off" in html


def test_cancelled_room_says_why_from_each_side_and_shows_no_fee_taken(freelancer, client_user):
    # Given a request the freelancer declined

    project = request_project(freelancer)
    contract = buy(client_user, project, answers=_answers(project))
    fire(contract, "decline", freelancer, note="Fully booked")
    room = f"/contracts/{contract.pk}/"
    # When each side opens the room
    as_client = login(client_user).get(room).content.decode()
    as_freelancer = login(freelancer).get(room).content.decode()
    # Then the header says who ended it and where the money went, in the viewer's words
    assert (
        "Cancelled — Fran declined the request; nothing was charged; no one is at fault"
        in as_client
    )
    assert (
        "Cancelled — you declined the request; nothing was charged; no one is at fault"
        in as_freelancer
    )
    # And no fee is listed, because none was taken
    assert "Freelancer service fee" not in as_client
    assert 'id="money-released">$0<' in as_client and 'id="money-fees">$0<' in as_client


def test_demo_requirement_file_links_download(settings):
    # Given the demo marketplace (file answers used to be bare names, so links gave 404)

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load(images=False)
    chloe = User.objects.get(email="chloe@demo.fairlance.dev")
    client = login(chloe)
    # When Chloé opens every file answer linked from her contract rooms
    links = 0
    for contract in Contract.objects.filter(client=chloe):
        for q in contract.snapshot.get("questions", []):
            if q.get("kind") == "file" and str(q["id"]) in contract.answers:
                links += 1
                file_id = contract.answers[str(q["id"])]
                response = client.get(f"/contracts/{contract.pk}/files/{file_id}/")
                # Then each one downloads
                assert response.status_code == 200, contract.pk
    assert links >= 2


def test_expired_form_explains_that_nothing_happened(published, client_user):
    # Given a browser whose form lost its CSRF token (an old tab, a cleared cookie)

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    # When it posts a purchase
    response = browser.post(f"/projects/{published.pk}/checkout/", {"buy": "1"})
    # Then it gets a branded page saying nothing changed, and no contract exists

    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html and "no money moved" in html
    assert "Your dashboard" in html
    assert not Contract.objects.exists()


def test_disputed_room_says_who_opened_the_dispute(published, freelancer, client_user):
    # Given an in-progress contract the client disputes
    contract = started(client_user, published)
    fire(contract, "open_dispute", client_user, reason="No news for two weeks")
    room = f"/contracts/{contract.pk}/"
    # Then each side reads who opened it, in their own words
    assert "In dispute — you opened it;" in login(client_user).get(room).content.decode()
    assert "In dispute — Carla opened it;" in login(freelancer).get(room).content.decode()


def test_requirements_page_says_by_when_and_what_happens_otherwise(published, client_user):
    # Given a paid instant purchase waiting for requirements
    contract = buy(client_user, published)
    # When the client opens the requirements page
    html = login(client_user).get(f"/contracts/{contract.pk}/requirements/").content.decode()
    # Then it gives the deadline with its instant and the consequence of missing it
    assert "Send them by <time datetime=" in html
    assert "the order is cancelled and you are refunded in full" in html
    assert "3 calendar days" in html
