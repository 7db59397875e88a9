"""Every ending of the table, as the contract room tells it (issue 10 item 4).

Each contract is ended through the HTTP API (and ``worker --once`` for the timer endings);
the room's header, money panel and timeline must then say what the engine recorded and what
the ledger did: the panel's numbers are ``contract_money``'s, and the ledger is clean.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from fairlance.contracts.models import Contract
from fairlance.core.money import format_minor
from fairlance.ledger.selectors import contract_money, ledger_check
from tests.contracts.conftest import START
from tests.contracts.endings import ENDINGS, Parties, reach
from tests.web.conftest import login

pytestmark = pytest.mark.django_db

PANEL = {
    "paid-in": "paid_in",
    "refunded": "refunded",
    "released": "to_freelancer",
    "fees": "to_platform",
    "held": "held",
}


@pytest.fixture
def parties(api, client_user, freelancer, operator) -> Iterator[Parties]:
    # Time frozen on a Wednesday morning (as in the contract API tests); timer endings move it.
    with time_machine.travel(START, tick=False) as clock:
        yield Parties(api, client_user, freelancer, operator, clock)


def headline(page: str) -> str:
    match = re.search(r'<h1 id="room-title" class="room-headline">(.*?)</h1>', page, re.S)
    assert match, "no headline"
    return html_lib.unescape(match.group(1))


def timeline_text(page: str) -> str:
    match = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert match, "no timeline"
    return html_lib.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_every_ending_shows_the_ledger_in_the_money_panel(parties, ending) -> None:
    # Given a contract ended by `ending` through the API (and the worker, for timers)
    cid = reach(ending, parties)
    contract = Contract.objects.get(pk=cid)
    money = contract_money(contract_id=cid)
    # Then the ledger is clean and balanced
    assert ledger_check() == []
    assert money.paid_in == money.refunded + money.to_freelancer + money.to_platform + money.held
    for viewer in (parties.client, parties.freelancer, parties.operator):
        # When each side opens the room
        page = login(viewer).get(f"/contracts/{cid}/").content.decode()
        # Then every number of the panel is the ledger's
        for key, attr in PANEL.items():
            expected = format_minor(getattr(money, attr))
            assert f'id="money-{key}">{expected}<' in page, (ending, key, expected)
        # And the header says how it ended, whose fault it was, and no terms are shown
        said = headline(page)
        assert said.startswith("Completed" if contract.outcome == "completed" else "Cancelled")
        if contract.fault == "none":
            assert "fault" not in said or "no one" in said, said
        else:
            assert "fault" in said or "counts against" in said, said
        assert 'id="money-receives"' not in page
        # And the timeline's last entry says the same about the money as the header
        assert "Released to the freelancer" in page


@pytest.mark.parametrize(
    ("ending", "client_words", "freelancer_words"),
    [
        (
            "approve",
            "Completed — you approved the delivery; $90 to the freelancer",
            "Completed — Carla approved the delivery; $90 to you",
        ),
        (
            "auto_approve",
            "Completed — approved automatically when the review window ended; "
            "$90 to the freelancer",
            "Completed — approved automatically when the review window ended; $90 to you",
        ),
        (
            "partial_refund_then_approve",
            "Completed — you approved the delivery; $72 to the freelancer, $20 back to you",
            "Completed — Carla approved the delivery; $72 to you, $20 back to the client",
        ),
        (
            "resolve_dispute_30",
            "Completed by an operator's decision — $27 to the freelancer, $70 back to you; "
            "no one was at fault",
            "Completed by an operator's decision — $27 to you, $70 back to the client; "
            "no one was at fault",
        ),
        (
            "resolve_dispute_30_freelancer_fault",
            "Completed by an operator's decision — $27 to the freelancer, $70 back to you; "
            "the freelancer was found at fault",
            "Completed by an operator's decision — $27 to you, $70 back to the client; "
            "you were found at fault",
        ),
        (
            "resolve_dispute_0",
            "Cancelled by an operator's decision — you were refunded in full ($100); "
            "the freelancer was found at fault",
            "Cancelled by an operator's decision — the client was refunded in full ($100); "
            "you were found at fault",
        ),
        (
            "resolve_dispute_client_fault",
            "Completed by an operator's decision — $90 to the freelancer; you were found at fault",
            "Completed by an operator's decision — $90 to you; the client was found at fault",
        ),
        (
            "decline",
            "Cancelled — Fran declined the request; nothing was charged; no one is at fault",
            "Cancelled — you declined the request; nothing was charged; no one is at fault",
        ),
        (
            "withdraw",
            "Cancelled — you withdrew the request; nothing was charged; no one is at fault",
            "Cancelled — Carla withdrew the request; nothing was charged; no one is at fault",
        ),
        (
            "expire_request",
            "Cancelled — the request expired unanswered; nothing was charged; no one is at fault",
            None,
        ),
        (
            "cancel_before_start",
            "Cancelled — you cancelled before work started; you were refunded in full ($100); "
            "no one is at fault",
            None,
        ),
        (
            "expire_requirements",
            "Cancelled — the requirements never arrived; you were refunded in full ($100); "
            "no one is at fault",
            None,
        ),
        (
            "decline_in_grace",
            "Cancelled — Fran declined without fault; you were refunded in full ($100); "
            "no one is at fault",
            None,
        ),
        (
            "cancel_late",
            "Cancelled — you cancelled the late contract; you were refunded in full ($100); "
            "it counts against the freelancer",
            "Cancelled — Carla cancelled the late contract; the client was refunded in full "
            "($100); it counts against you",
        ),
        (
            "refund",
            "Cancelled — Fran refunded in full; you were refunded in full ($100); "
            "no one is at fault",
            None,
        ),
    ],
)
def test_the_header_says_why_where_the_money_went_and_whose_fault(
    parties, ending, client_words, freelancer_words
) -> None:
    cid = reach(ending, parties)

    as_client = login(parties.client).get(f"/contracts/{cid}/").content.decode()
    assert headline(as_client) == client_words
    if freelancer_words:
        as_freelancer = login(parties.freelancer).get(f"/contracts/{cid}/").content.decode()
        assert headline(as_freelancer) == freelancer_words


def test_a_split_shows_the_fee_that_was_charged_and_the_decision_in_the_timeline(parties) -> None:
    # Given a dispute split 30% to the freelancer (price $100), the freelancer at fault
    cid = reach("resolve_dispute_30_freelancer_fault", parties)

    page = login(parties.client).get(f"/contracts/{cid}/").content.decode()

    # Then the panel shows the fee charged on the share ($3), not the fee on the price ($10)
    assert 'id="money-fees">$3<' in page and 'id="money-released">$27<' in page
    assert 'id="money-refunded">$70<' in page
    assert "$10<" not in page.split('id="money"', 1)[1].split("</section>", 1)[0]
    # And the timeline's decision says the split, the money and the fault
    text = timeline_text(page)
    assert (
        "An operator: Resolved the dispute: 30% of the price to the freelancer, the rest to the "
        "client; $27 to the freelancer, $70 back to the client; the freelancer was found at "
        "fault" in " ".join(text.split())
    )


def test_a_partial_refund_before_the_end_is_not_counted_again_at_the_end(parties) -> None:
    # Given $20 given back during the work, then an approval
    cid = reach("partial_refund_then_approve", parties)

    text = " ".join(
        timeline_text(login(parties.client).get(f"/contracts/{cid}/").content.decode()).split()
    )

    # Then the partial refund shows its own amount and the approval shows only what it moved
    assert "Refunded part of the price ($20)" in text
    assert "Approved the delivery; $72 to the freelancer →" in text


def test_a_running_contract_shows_its_terms_and_what_escrow_holds(parties: Any) -> None:
    from tests.contracts.endings import _started

    _, _, cid = _started(parties)

    page = login(parties.client).get(f"/contracts/{cid}/").content.decode()

    assert 'id="money-price">$100<' in page and 'id="money-fee">$10<' in page
    assert 'id="money-receives">$90<' in page
    assert 'id="money-paid-in">$100<' in page and 'id="money-held">$100<' in page
    assert 'id="money-released">$0<' in page
