"""Issue 10 items 3 and 14 in the pages: the client card in the room and on the dashboard,
questions before refunds and declines, clickable links in notes, the tier table's columns,
the phone's buy bar and the dashboard's order."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from fairlance.catalog.inputs import TierInput
from fairlance.catalog.services import project_pause
from tests.web.conftest import login, make_project
from tests.web.test_contract_pages import _answers, buy, fire, request_project, started

pytestmark = pytest.mark.django_db

# A Wednesday morning: the grace window (1 working day) ends Thursday morning.
WEDNESDAY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(WEDNESDAY, tick=False) as traveller:
        yield traveller


def position(html: str, text: str) -> int:
    at = html.find(text)
    assert at >= 0, text
    return at


# --- the client card ------------------------------------------------------------------------


def test_the_freelancer_sees_the_client_card_on_an_instant_purchase_first_while_in_grace(
    clock, published, client_user, freelancer, operator
) -> None:
    # Given an instant purchase whose work started: the grace window is open
    contract = started(client_user, published)
    room = f"/contracts/{contract.pk}/"

    # Then the freelancer reads the client card first, before the deadlines
    html = login(freelancer).get(room).content.decode()
    assert "client-card-prominent" in html
    assert position(html, 'id="client-card"') < position(html, 'id="clocks-title"')
    assert 'id="cc-contracts">1 contract<' in html and 'id="cc-verified">Yes<' in html

    # When the grace window has passed, the card moves beside the contract
    clock.shift(timedelta(days=1, minutes=1))
    html = login(freelancer).get(room).content.decode()
    assert 'id="client-card"' in html and "client-card-prominent" not in html
    # An operator reads it too; the client does not get a card about themself
    assert 'id="client-card"' in login(operator).get(room).content.decode()
    assert 'id="client-card"' not in login(client_user).get(room).content.decode()


def test_a_request_shows_the_card_first_and_on_the_dashboard(
    clock, freelancer, client_user
) -> None:
    project = request_project(freelancer)
    contract = buy(client_user, project, answers=_answers(project))

    room = login(freelancer).get(f"/contracts/{contract.pk}/").content.decode()
    assert "client-card-prominent" in room

    dashboard = login(freelancer).get("/dashboard/").content.decode()
    assert "Carla: 0 contracts · no completions or cancellations yet · $0 spent" in dashboard


# --- asking before refunds and declines -----------------------------------------------------


def _form_of(html: str, action: str) -> str:
    match = re.search(rf'<form[^>]*action="[^"]*/do/{action}/"[^>]*>(.*?)</form>', html, re.S)
    assert match, action
    return match.group(1)


def test_decline_asks_first_with_its_message_and_the_amount(clock, freelancer, client_user) -> None:
    project = request_project(freelancer)
    contract = buy(client_user, project, answers=_answers(project))

    html = login(freelancer).get(f"/contracts/{contract.pk}/").content.decode()

    # The decline button opens a step (no script needed) with its consequence, its own
    # message box and the button that does it
    assert re.search(r'<details class="action-confirm">\s*<summary[^>]*>Decline</summary>', html)
    step = _form_of(html, "decline")
    assert 'name="note"' in step and "Message to the client" in step
    assert "Declining never counts against you." in step
    # (a request only holds the card: declining releases the hold, nothing is refunded)
    assert ">Yes, decline</button>" in step
    # Accept stays one click
    assert ">Accept and start</button>" in _form_of(html, "accept")


def test_refunds_ask_first_and_still_work_without_script(
    clock, published, client_user, freelancer
) -> None:
    contract = started(client_user, published)

    html = login(freelancer).get(f"/contracts/{contract.pk}/").content.decode()

    assert ">Yes, refund $120</button>" in _form_of(html, "refund")
    assert ">Yes, refund this amount</button>" in _form_of(html, "partial_refund")
    assert ">Yes, decline and refund $120</button>" in _form_of(html, "decline_in_grace")
    # The confirming button posts the form like any other
    response = login(freelancer).post(f"/contracts/{contract.pk}/do/refund/", {"note": "Sorry"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "cancelled"


# --- links in notes -----------------------------------------------------------------------


def test_links_in_notes_are_clickable_and_nothing_else_is_markup(
    clock, published, client_user, freelancer
) -> None:
    contract = started(client_user, published)
    fire(contract, "deliver", freelancer, note="Files: https://example.com/logo <b>bold</b>")
    fire(contract, "request_revision", client_user, note="See www.example.org/brief please")

    html = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()

    link = '<a href="https://example.com/logo" rel="nofollow noopener">https://example.com/logo</a>'
    assert html.count(link) == 2  # in the delivery and in the timeline
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert '<a href="http://www.example.org/brief" rel="nofollow noopener">' in html


# --- the project page ---------------------------------------------------------------------


def test_each_tier_lists_its_own_deliverables_in_its_column(freelancer, client_user) -> None:
    project = make_project(
        freelancer,
        tiers=(
            TierInput(
                name="Basic", price_minor=12_000, delivery_days=3, deliverables=("1 concept",)
            ),
            TierInput(
                name="Premium",
                price_minor=30_000,
                delivery_days=7,
                deliverables=("5 concepts", "Vector source"),
            ),
        ),
    )

    html = login(client_user).get(f"/projects/{project.pk}/").content.decode()

    row = re.search(r'<tr class="tier-includes-row">(.*?)</tr>', html, re.S)
    assert row, "no deliverables row"
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    items = [re.findall(r"<li>(.*?)</li>", cell) for cell in cells]
    assert items == [["1 concept"], ["5 concepts", "Vector source"]]
    # No row per deliverable with ticks and dashes any more
    assert "Not included" not in html


def test_the_phone_buy_bar_is_there_for_buyers_only(freelancer, client_user) -> None:
    project = make_project(freelancer)
    url = f"/projects/{project.pk}/"

    bar = 'id="buy-bar"'
    assert bar in login(client_user).get(url).content.decode()
    assert bar in login(None).get(url).content.decode()
    assert f'href="/projects/{project.pk}/checkout/"' in login(None).get(url).content.decode()
    assert bar not in login(freelancer).get(url).content.decode()
    project_pause(project=project, actor=freelancer)
    assert bar not in login(client_user).get(url).content.decode()


# --- the dashboard ------------------------------------------------------------------------


def test_what_needs_the_freelancer_is_sorted_by_due_date(clock, freelancer, client_user) -> None:
    # Given work bought first with the longest delivery, then a shorter one, then a request
    long = make_project(
        freelancer,
        title="A long illustration job",
        tiers=(TierInput(name="Basic", price_minor=12_000, delivery_days=20),),
    )
    short = make_project(
        freelancer,
        title="A quick icon job",
        tiers=(TierInput(name="Basic", price_minor=12_000, delivery_days=5),),
    )
    late_due = started(client_user, long)
    soon_due = started(client_user, short)
    project = request_project(freelancer)
    asked = buy(client_user, project, answers=_answers(project))

    html = login(freelancer).get("/dashboard/").content.decode()
    section = html.split('id="contracts-needing-action"', 1)[1]

    # Then the soonest due comes first: the request (2 working days), 5 days, 20 days
    order = [int(n) for n in re.findall(r'href="/contracts/(\d+)/"', section)]
    assert order[:3] == [asked.pk, soon_due.pk, late_due.pk]
