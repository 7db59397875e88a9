"""Proposals in a real browser: a mutual cancellation with a 30/70 split, and an extension
the client leaves unanswered until it expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from fairlance.contracts.engine import fire_due_timers
from fairlance.contracts.models import Contract, Proposal
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.selectors import balance
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project
from tests.web.test_contract_pages import started

pytestmark = pytest.mark.e2e


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _people(page: Any, second_page: Any, live_server: Any) -> tuple[Any, Any, Contract]:
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    carla = make_user("carla@example.com", country="US")
    contract = started(carla, make_project(fran, title="Hand-drawn logo for your brand"))
    log_in(page, live_server.url, "carla@example.com", PASSWORD)
    log_in(second_page, live_server.url, "fran@example.com", PASSWORD)
    return page, second_page, contract


def _propose(freelancer: Any, url: str, kind: str, **fields: str) -> None:
    freelancer.goto(url)
    freelancer.locator("details.propose summary").click()
    freelancer.get_by_label("Change to propose").select_option(label=kind)
    for label, value in fields.items():
        freelancer.get_by_label(label).fill(value)
    freelancer.get_by_role("button", name="Send the proposal").click()
    freelancer.get_by_text("Your proposal is on its way").wait_for()


def test_a_mutual_cancellation_with_a_30_70_split(
    page: Any, second_page: Any, live_server: Any
) -> None:
    client, freelancer, contract = _people(page, second_page, live_server)
    room = f"{live_server.url}/contracts/{contract.pk}/"
    # When the freelancer proposes to end the contract, 30% to them
    _propose(
        freelancer,
        room,
        "End the contract by agreement",
        **{"% of the price to the freelancer (end by agreement)": "30", "Note (why)": "We part."},
    )
    assert "You proposed" in freelancer.locator("#proposals").inner_text()
    # Then the client sees it with its deadline and accepts
    client.goto(room)
    card = client.locator("#proposals")
    assert "30% of the price to the freelancer" in card.inner_text()
    assert "Answer by" in card.inner_text()
    axe_check(client)
    shot(client, "contract_room_proposal")
    client.get_by_role("button", name="Accept").click()
    client.get_by_text("Accepted: the change applies.").wait_for()
    # And the contract ended with the split: 30% of the price less the fee to the freelancer
    ended = Contract.objects.get(pk=contract.pk)
    assert (ended.state, ended.ending, ended.fault) == ("cancelled", "cancel_by_agreement", "none")
    price = ended.price_minor
    share = price * 30 // 100
    assert balance(freelancer_pending(ended.freelancer_id)) == share - share // 10
    assert ended.refunded_minor == price - share
    assert balance(escrow(ended.pk)) == 0


def test_an_extension_left_unanswered_expires(
    page: Any, second_page: Any, live_server: Any
) -> None:
    client, freelancer, contract = _people(page, second_page, live_server)
    room = f"{live_server.url}/contracts/{contract.pk}/"
    _propose(
        freelancer,
        room,
        "Extend the deadline",
        **{"Days more (extend the deadline)": "2", "Note (why)": "The fonts are late."},
    )
    proposal = Proposal.objects.get()
    client.goto(room)
    assert client.get_by_role("button", name="Decline").count() == 1
    # When the client says nothing until the window closes and the worker runs
    fire_due_timers(now=proposal.expires_at + timedelta(seconds=1))
    # Then the proposal expired: no card any more, the terms as they were, an event
    client.reload()
    assert client.get_by_role("button", name="Decline").count() == 0
    assert Proposal.objects.get().status == "expired"
    assert Contract.objects.get(pk=contract.pk).delivery_due_at == contract.delivery_due_at
    assert "A proposal expired unanswered" in client.locator(".timeline").inner_text()
