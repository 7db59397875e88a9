"""Issue 10's room journey in a real browser, at 1280 and 360 px wide.

A client buys with an add-on that shortens delivery (the checkout's date is the contract's),
goes Back and buys again (the visit replays its purchase; a new visit is asked first); the
freelancer gives part of the price back with a typo in the amount (the error says dollars
and the amount stays) and delivers an SVG (a download, never rendered); a dispute is split
by an operator; and the room's money panel shows what the ledger did.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from fairlance.catalog.inputs import AddOnInput
from fairlance.contracts.models import Contract
from fairlance.core.money import format_minor
from fairlance.ledger.selectors import contract_money, ledger_check
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import axe_check, load_axe, log_in, shot
from tests.web.conftest import make_project

pytestmark = pytest.mark.e2e

FITS = "document.documentElement.scrollWidth <= window.innerWidth"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle r="4"/></svg>'
PANEL = {
    "paid-in": "paid_in",
    "refunded": "refunded",
    "released": "to_freelancer",
    "fees": "to_platform",
    "held": "held",
}


@pytest.fixture(params=[1280, 360], ids=["1280px", "360px"])
def width(request: Any) -> int:
    return int(request.param)


def session(browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 400 else 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def people(browser: Any, width: int) -> Iterator[tuple[Any, Any, Any]]:
    """Client, freelancer and operator, each in their own browser session."""
    pages = [session(browser, width) for _ in range(3)]
    yield pages[0], pages[1], pages[2]
    for page in pages:
        page.context.close()


def violations(page: Any) -> set[str]:
    """Every axe rule the page breaks, whatever its impact."""
    load_axe(page)
    return set(
        page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']}))"
            ".violations.map(v => v.id)"
        )
    )


def check(page: Any, name: str, width: int) -> None:
    axe_check(page)
    assert page.evaluate(FITS), f"{name} scrolls sideways at {width} px"
    shot(page, f"room_journey_{name}_{width}")


def test_buy_back_refund_dispute_and_the_ledger(live_server: Any, people: Any, width: int) -> None:
    url = live_server.url
    fran = make_user("fran@example.com", headline="Illustrator", country="PT")
    make_user("carla@example.com", country="US")
    make_user("olga@example.com", is_operator=True, is_staff=True)
    project = make_project(
        fran,
        title="Hand-drawn logo for your brand",
        addons=(AddOnInput(title="Express delivery", price_minor=5_000, extra_delivery_days=-2),),
    )
    client, freelancer, operator = people
    log_in(client, url, "carla@example.com", PASSWORD)
    log_in(freelancer, url, "fran@example.com", PASSWORD)
    log_in(operator, url, "olga@example.com", PASSWORD)

    # --- the client buys from the project page ------------------------------------------
    client.goto(f"{url}/projects/{project.pk}/")
    assert "landmark-unique" not in violations(client)
    check(client, "project", width)
    if width < 400:
        # On a phone the buy box is far below; the bar at the bottom of the screen is not
        bar = client.locator("#buy-bar")
        assert bar.is_visible() and bar.bounding_box()["y"] < 800
        bar.get_by_role("link", name="Continue to checkout").click()
    else:
        client.locator(".buy-box").get_by_role("link", name="Continue to checkout").click()
    client.wait_for_url(f"**/projects/{project.pk}/checkout/")
    # The Premium package (7 working days) with express delivery (-2 days): 5 working days,
    # and the checkout says by when before anything is paid
    client.get_by_label("Premium").check()
    client.get_by_label("Express delivery").check()
    assert client.locator("#sum-days").inner_text() == "5 working days"
    promised = client.locator("#sum-date").get_attribute("datetime")
    client.get_by_label("Card number").fill(CARD_SUCCESS)
    client.get_by_role("button", name="Buy").click()
    client.wait_for_url("**/requirements/")
    first = Contract.objects.get()
    assert first.delivery_days == 5 and first.price_minor == 35_000

    # --- Back, and Buy again: the same visit replays its purchase -------------------------
    client.go_back()
    client.wait_for_url(f"**/projects/{project.pk}/checkout/")
    assert client.get_by_label("Card number").input_value() == ""
    assert "You bought this" in client.locator("#recent-purchase").inner_text()
    client.get_by_label("Card number").fill(CARD_SUCCESS)
    client.get_by_role("button", name="Buy").click()
    client.wait_for_url(f"**/contracts/{first.pk}/")
    client.get_by_text("You already bought this; here is your contract.").wait_for()
    assert Contract.objects.count() == 1

    # --- a new visit is asked before anything is charged -----------------------------------
    client.goto(f"{url}/projects/{project.pk}/")
    client.goto(f"{url}/projects/{project.pk}/checkout/")
    client.get_by_label("Card number").fill(CARD_SUCCESS)
    client.get_by_role("button", name="Buy").click()
    question = client.locator("#repeat-question")
    question.wait_for()
    assert "— buy again?" in question.inner_text()
    assert client.get_by_role("button", name="Yes, buy again").is_visible()
    check(client, "checkout_asks_again", width)
    assert Contract.objects.count() == 1

    # --- the client sends the requirements of the first purchase --------------------------
    client.goto(f"{url}/contracts/{first.pk}/requirements/")
    client.get_by_label("What is the brand name?").fill("Acme Bakery")
    client.get_by_role("button", name="Send requirements and start").click()
    client.get_by_text("Requirements sent. Work has started.").wait_for()
    # The delivery is due when the checkout said it would be: working days keep the time
    # of day work started, which came a few seconds after the checkout was drawn
    first.refresh_from_db()
    assert first.delivery_due_at is not None and promised is not None
    gap = first.delivery_due_at - datetime.fromisoformat(promised)
    assert timedelta(0) <= gap < timedelta(minutes=2), gap

    # --- the freelancer gives part of the price back, with a typo first -------------------
    room = f"{url}/contracts/{first.pk}/"
    freelancer.goto(room)
    assert freelancer.locator("#client-card").is_visible()
    freelancer.get_by_text("More options").click()
    freelancer.locator("summary", has_text="Give part of the price back").click()
    amount = freelancer.get_by_label("Amount to refund ($)")
    assert amount.get_attribute("max") == "349.99"
    amount.fill("1250")  # meant 12.50
    freelancer.get_by_role("button", name="Yes, refund this amount").click()
    error = freelancer.locator("#act-partial_refund-error")
    error.wait_for()
    assert "Enter an amount between $0.01 and $349.99" in error.inner_text()
    assert freelancer.get_by_label("Amount to refund ($)").input_value() == "1250"
    check(freelancer, "partial_refund_error", width)
    freelancer.get_by_label("Amount to refund ($)").fill("12.50")
    freelancer.get_by_role("button", name="Yes, refund this amount").click()
    freelancer.get_by_text("Partial refund sent.").wait_for()

    # --- delivery, dispute, and the operator's split -------------------------------------
    freelancer.get_by_label("Note to the client").fill("Final files: https://example.com/logo")
    freelancer.get_by_label("Attachments").set_input_files(
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG}]
    )
    freelancer.get_by_role("button", name="Deliver", exact=True).click()
    freelancer.get_by_text("Delivered. The client has been told.").wait_for()
    client.goto(room)
    # The SVG the project promised arrives as a download, never rendered in the page
    with client.expect_download() as download:
        client.get_by_role("link", name="logo.svg").click()
    assert download.value.suggested_filename == "logo.svg"
    client.get_by_text("More options").click()
    client.get_by_label("What went wrong?").fill("The colours are not the ones we agreed.")
    client.get_by_role("button", name="Open a dispute").click()
    client.get_by_text("Dispute opened.").wait_for()
    # The operator decides once both sides are heard: the freelancer answers first
    freelancer.goto(room)
    freelancer.get_by_label("Your side of the dispute").fill("These are the brief's colours.")
    freelancer.get_by_role("button", name="Answer the dispute").click()
    freelancer.get_by_text("Answer sent.").wait_for()
    operator.goto(room)
    operator.get_by_label("Share of the price to the freelancer (%)").fill("30")
    operator.get_by_label("Decision, explained to both sides").fill(
        "The logo was delivered, but not in the agreed colours."
    )
    check(operator, "resolve", width)
    operator.get_by_role("button", name="Resolve dispute").click()
    operator.wait_for_url("**/operator/disputes/")

    # --- the room tells the ending and its money as the ledger has it ---------------------
    money = contract_money(contract_id=first.pk)
    assert ledger_check() == []
    client.goto(room)
    headline = client.locator("h1").inner_text()
    assert headline.startswith("Completed by an operator's decision — ")
    assert f"{format_minor(money.to_freelancer)} to the freelancer" in headline
    assert f"{format_minor(money.refunded)} back to you; no one was at fault" in headline
    for key, attr in PANEL.items():
        shown = client.locator(f"#money-{key}").inner_text()
        assert shown == format_minor(getattr(money, attr)), (key, shown)
    assert client.locator("#money-fees").inner_text() != format_minor(first.fee_minor)
    link = client.locator('a[href="https://example.com/logo"]').first
    assert link.get_attribute("rel") == "nofollow noopener"
    check(client, "room_after_split", width)
