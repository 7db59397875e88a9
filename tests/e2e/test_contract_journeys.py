"""The two contract journeys, in a real browser: instant buy to approval, and a declined request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fairlance.catalog.inputs import QuestionInput
from fairlance.contracts.models import Contract
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    """A separate browser session, so two people can be logged in at once."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_instant_purchase_to_approval(page: Any, second_page: Any, live_server: Any) -> None:
    # Given a freelancer selling a logo project and a client, each in their own browser
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    make_user("carla@example.com", country="US")
    project = make_project(fran, title="Hand-drawn logo for your brand")
    client, freelancer = page, second_page
    log_in(client, live_server.url, "carla@example.com", PASSWORD)
    log_in(freelancer, live_server.url, "fran@example.com", PASSWORD)

    # When the client goes from the project page to checkout and pays
    client.goto(f"{live_server.url}/projects/{project.pk}/")
    client.get_by_role("link", name="Continue to checkout").click()
    client.wait_for_url(f"**/projects/{project.pk}/checkout/")
    client.get_by_label("Express delivery").check()
    assert client.locator("#sum-total").inner_text() == "$170"
    assert client.locator("#sum-receives").inner_text() == "$153"
    client.get_by_label("Express delivery").uncheck()
    client.get_by_label("Card number").fill(CARD_SUCCESS)
    axe_check(client)
    shot(client, "contract_checkout")
    client.get_by_role("button", name="Buy").click()

    # Then they are asked for requirements, and sending them starts the work
    client.wait_for_url("**/requirements/")
    client.get_by_label("What is the brand name?").fill("Acme Bakery")
    client.get_by_role("button", name="Send requirements and start").click()
    client.get_by_text("Requirements sent. Work has started.").wait_for()
    contract = Contract.objects.get()
    assert client.url.endswith(f"/contracts/{contract.pk}/")
    assert "Fran is working on it" in client.locator("h1").inner_text()

    # When the freelancer opens the contract from the dashboard and delivers
    freelancer.goto(f"{live_server.url}/dashboard/")
    assert "A delivery to make" in freelancer.locator("#contracts-needing-action").inner_text()
    shot(freelancer, "dashboard_freelancer")
    freelancer.get_by_role("link", name="Hand-drawn logo for your brand").first.click()
    freelancer.wait_for_url(f"**/contracts/{contract.pk}/")
    assert "Waiting for your delivery — due" in freelancer.locator("h1").inner_text()
    axe_check(freelancer)
    shot(freelancer, "contract_room_freelancer")
    freelancer.get_by_label("Note to the client").fill("First draft attached.")
    freelancer.get_by_role("button", name="Deliver", exact=True).click()
    freelancer.get_by_text("Delivered. The client has been told.").wait_for()
    assert "waiting for the client's review" in freelancer.locator("h1").inner_text()

    # And the client asks for a revision
    client.reload()
    assert "approve it or ask for a revision" in client.locator("h1").inner_text()
    axe_check(client)
    shot(client, "contract_room_client_delivered")
    client.get_by_label("What should change?").fill("Bigger letters, please.")
    client.get_by_role("button", name="Ask for a revision").click()
    client.get_by_text("Revision requested. The freelancer can see what should change.").wait_for()

    # And the freelancer delivers again
    freelancer.reload()
    freelancer.get_by_label("Note to the client").fill("Bigger letters.")
    freelancer.get_by_role("button", name="Deliver", exact=True).click()
    freelancer.get_by_text("Delivered. The client has been told.").wait_for()

    # And the client approves
    client.reload()
    assert client.get_by_role("button", name="Ask for a revision").count() == 0  # none left
    client.get_by_role("button", name="Approve delivery").click()
    client.get_by_text("Delivery approved. The payment was released to the freelancer.").wait_for()
    assert "Completed" in client.locator("h1").inner_text()
    assert (
        "Approved the delivery; $108 to the freelancer" in client.locator(".timeline").inner_text()
    )
    shot(client, "contract_room_completed")
    # And the room fits a 360 px phone screen without sideways scrolling
    client.set_viewport_size({"width": 360, "height": 800})
    assert client.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(client, "contract_room_completed_360")

    # Then the freelancer's balance shows the price minus the fee as pending
    freelancer.goto(f"{live_server.url}/balance/")
    assert freelancer.locator("#balance-pending strong").inner_text() == "$108"
    assert freelancer.locator("#balance-available strong").inner_text() == "$0"
    axe_check(freelancer)
    shot(freelancer, "balance")


def test_request_declined_after_reading_client_card(
    page: Any, second_page: Any, live_server: Any
) -> None:
    # Given a request-to-buy project
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    make_user("carla@example.com", country="US")
    project = make_project(
        fran,
        title="Brand strategy session",
        purchase_mode="request",
        questions=(QuestionInput(prompt="Describe your business"),),
    )
    client, freelancer = page, second_page
    log_in(client, live_server.url, "carla@example.com", PASSWORD)
    log_in(freelancer, live_server.url, "fran@example.com", PASSWORD)

    # When the client sends a request with the requirements up front
    client.goto(f"{live_server.url}/projects/{project.pk}/")
    client.get_by_role("link", name="Request to buy").click()
    client.get_by_label("Describe your business").fill("A small bakery in Porto.")
    client.get_by_label("Card number").fill(CARD_SUCCESS)
    axe_check(client)
    shot(client, "request_checkout")
    client.set_viewport_size({"width": 360, "height": 800})
    assert client.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(client, "request_checkout_360")
    client.get_by_role("button", name="Send request").click()
    client.get_by_text("Request sent. The amount is held on your card, not charged").wait_for()
    contract = Contract.objects.get()
    assert client.url.endswith(f"/contracts/{contract.pk}/")
    assert "Waiting for Fran to accept your request" in client.locator("h1").inner_text()

    # And the freelancer reads the client card and the brief, then declines
    freelancer.goto(f"{live_server.url}/contracts/{contract.pk}/")
    card = freelancer.locator(".client-card")
    assert "Carla" in card.inner_text() and "No ratings yet" in card.inner_text()
    assert "A small bakery in Porto." in freelancer.content()
    axe_check(freelancer)
    shot(freelancer, "request_room_freelancer")
    # Declining asks first: the step holds the message and says what goes back
    freelancer.locator("summary", has_text="Decline").click()
    freelancer.get_by_label("Message to the client").fill("Sorry, fully booked this month.")
    freelancer.get_by_role("button", name="Yes, decline", exact=True).click()
    freelancer.get_by_text(
        "Declined. The client keeps their money; this never counts against you."
    ).wait_for()

    # Then the client sees the contract cancelled and the card hold released, nothing charged
    client.reload()
    assert "Fran declined the request; nothing was charged" in client.locator("h1").inner_text()
    timeline = client.locator(".timeline").inner_text()
    assert "Declined the request; nothing was charged" in timeline
    assert "Sorry, fully booked this month." in timeline
    # The money panel is the ledger's: nothing was ever paid in, so nothing was refunded
    assert client.locator("#money-paid-in").inner_text() == "$0"
    assert client.locator("#money-refunded").inner_text() == "$0"
    shot(client, "request_room_client_cancelled")
