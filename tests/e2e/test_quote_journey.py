"""A custom quote in a real browser: the client asks for 50 pages when the top tier has 30,
the freelancer answers with a two-milestone offer, the client accepts and pays, and each
milestone is delivered, approved and paid out on its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fairlance.contracts.models import Contract, Milestone
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e

GOOD_CARD = "4242424242424242"


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _deliver_and_approve(freelancer: Any, client: Any, room: str, note: str) -> None:
    freelancer.goto(room)
    freelancer.get_by_label("Note to the client").fill(note)
    freelancer.get_by_role("button", name="Deliver", exact=True).click()
    freelancer.get_by_text("Delivered. The client has been told.").wait_for()
    client.goto(room)
    client.get_by_role("button", name="Approve delivery").click()
    client.wait_for_load_state()


def test_a_50_page_quote_paid_and_released_milestone_by_milestone(
    page: Any, second_page: Any, live_server: Any
) -> None:
    client, freelancer = page, second_page
    wendy = make_user("wendy@example.com", headline="Technical writer", country="GB")
    make_user("cleo@example.com", country="US")
    project = make_project(wendy, title="Technical documentation, up to 30 pages")
    log_in(client, live_server.url, "cleo@example.com", PASSWORD)
    log_in(freelancer, live_server.url, "wendy@example.com", PASSWORD)

    # Given a client who needs more than the top tier: they ask for a quote
    client.goto(f"{live_server.url}/projects/{project.pk}/")
    client.get_by_role("link", name="Ask for a quote").click()
    client.get_by_label("What do you need?").fill(
        "A 50-page user guide for our API; the top tier stops at 30 pages."
    )
    client.get_by_label("Budget (optional)").fill("500")
    client.get_by_role("button", name="Send the quote request").click()
    client.wait_for_url("**/quotes/*/")
    quote_url = client.url

    # When the freelancer answers with a two-milestone offer
    freelancer.goto(quote_url)
    assert "50-page user guide" in freelancer.content()
    freelancer.get_by_label("Scope: what you will deliver").fill("50 pages in two parts.")
    freelancer.get_by_label("Price", exact=True).fill("500")
    freelancer.get_by_label("Delivery, in your working days").fill("5")
    freelancer.get_by_label("Revisions included").fill("1")
    freelancer.locator("#id_milestones").fill("Pages 1-25 | 200 | 5\nPages 26-50 | 300 | 5")
    freelancer.get_by_role("button", name="Send the offer").click()
    freelancer.wait_for_url("**/offers/*/")
    offer_url = freelancer.url

    # And the client accepts it and pays
    client.goto(offer_url)
    axe_check(client)
    shot(client, "offer_page")
    client.get_by_label("Card number").fill(GOOD_CARD)
    client.get_by_role("button", name="Accept and pay").click()
    client.wait_for_url("**/contracts/*/")
    contract = Contract.objects.get(project=project)
    room = f"{live_server.url}/contracts/{contract.pk}/"
    assert contract.state == "in_progress" and contract.price_minor == 50_000
    assert balance(escrow(contract.pk)) == 50_000
    # one funding entry per milestone
    assert (
        JournalEntry.objects.filter(reference__startswith=f"contract:{contract.pk}:capture").count()
        == 2
    )
    milestones = client.locator("#milestones")
    assert "Pages 1-25" in milestones.inner_text() and "Pages 26-50" in milestones.inner_text()
    shot(client, "room_two_milestones")

    # Then the first milestone is delivered and approved: only its money is released
    _deliver_and_approve(freelancer, client, room, "Pages 1-25 attached.")
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert balance(escrow(contract.pk)) == 30_000
    assert balance(freelancer_pending(wendy.pk)) == 20_000 - 2_000
    states = list(Milestone.objects.filter(contract=contract).values_list("state", flat=True))
    assert states == ["released", "in_progress"]
    client.goto(room)
    assert "current" in client.locator("#milestones .milestone-current").inner_text()
    assert "Pages 26-50" in client.locator("#milestones .milestone-current").inner_text()

    # And the second one completes the contract with the rest released
    _deliver_and_approve(freelancer, client, room, "Pages 26-50 attached.")
    contract.refresh_from_db()
    assert contract.state == "completed"
    assert balance(escrow(contract.pk)) == 0
    assert balance(freelancer_pending(wendy.pk)) == 50_000 - 5_000
    assert ledger_check() == []
