"""The contract room's proposal cards and form, for each viewer (issue 12)."""

from __future__ import annotations

from typing import Any

import time_machine
from django.urls import reverse

from fairlance.accounts.models import User
from fairlance.contracts import proposals
from fairlance.contracts.models import Contract, Proposal
from tests.contracts.conftest import START
from tests.web.conftest import login
from tests.web.test_contract_pages import started


def _room(contract: Contract) -> str:
    return reverse("web:contract_room", args=[contract.pk])


def _cancellation(client_user: User, freelancer: User, published: Any) -> Proposal:
    contract = started(client_user, published)
    return proposals.proposal_propose(
        contract_id=contract.pk,
        user=freelancer,
        fields={"kind": "cancel", "percent_to_freelancer": 30, "note": "We part here."},
    )


def test_each_viewer_sees_the_card_they_should(
    client_user, freelancer, stranger, operator, published
) -> None:
    with time_machine.travel(START, tick=False):
        proposal = _cancellation(client_user, freelancer, published)
        contract = proposal.contract
        # The client, whom it waits on, sees it with accept and decline and the deadline
        page = login(client_user).get(_room(contract)).content.decode()
        assert f'id="proposal-{proposal.pk}"' in page
        assert "proposes: end the contract by agreement" in page
        assert "30% of the price to the freelancer" in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "accept"]) in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "decline"]) in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "withdraw"]) not in page
        assert "Mon 9 Mar" in page  # 3 of the client's working days after Wednesday
        # The freelancer, who made it, may only withdraw
        page = login(freelancer).get(_room(contract)).content.decode()
        assert "You proposed" in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "withdraw"]) in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "accept"]) not in page
        # An operator reads it without buttons; a stranger sees nothing at all
        page = login(operator).get(_room(contract)).content.decode()
        assert f'id="proposal-{proposal.pk}"' in page
        assert reverse("web:proposal_answer", args=[proposal.pk, "accept"]) not in page
        assert 'action="' + reverse("web:contract_propose", args=[contract.pk]) not in page
        assert login(stranger).get(_room(contract)).status_code == 404


def test_the_client_accepts_from_the_room(client_user, freelancer, published) -> None:
    with time_machine.travel(START, tick=False):
        proposal = _cancellation(client_user, freelancer, published)
        url = reverse("web:proposal_answer", args=[proposal.pk, "accept"])
        response = login(client_user).post(url)
        assert response.status_code == 302
        contract = Contract.objects.get(pk=proposal.contract_id)
        assert (contract.state, contract.ending) == ("cancelled", "cancel_by_agreement")


def test_wrong_people_change_nothing_from_the_web(
    client_user, freelancer, stranger, published
) -> None:
    with time_machine.travel(START, tick=False):
        proposal = _cancellation(client_user, freelancer, published)
        url = reverse("web:proposal_answer", args=[proposal.pk, "accept"])
        assert login(stranger).post(url).status_code == 404
        response = login(freelancer).post(url)  # the proposer accepting their own
        assert response.status_code == 403
        assert "Only the client may accept" in response.content.decode()
        assert login(None).post(url).status_code == 302  # to the login page
        assert Proposal.objects.get(pk=proposal.pk).status == "open"


def test_a_party_proposes_from_the_room_form(client_user, freelancer, published) -> None:
    with time_machine.travel(START, tick=False):
        contract = started(client_user, published)
        url = reverse("web:contract_propose", args=[contract.pk])
        page = login(client_user).get(_room(contract)).content.decode()
        assert 'action="' + url in page
        response = login(client_user).post(url, {"kind": "add_revisions", "revisions": "2"})
        assert response.status_code == 302
        (made,) = Proposal.objects.filter(contract=contract)
        assert (made.kind, made.revisions, made.proposed_by) == ("add_revisions", 2, "client")
        # Bad fields come back in words, nothing stored
        bad = login(client_user).post(url, {"kind": "extend_deadline", "days": "x"})
        assert bad.status_code == 422
        assert "A whole number of days" in bad.content.decode()
        assert Proposal.objects.filter(contract=contract).count() == 1
        # An amount is typed in dollars, as the partial refund's is
        body = {"kind": "reduce_scope", "scope_amount": "20.50", "note": "Drop the icon."}
        assert login(freelancer).post(url, body).status_code == 302
        assert Proposal.objects.get(contract=contract, kind="reduce_scope").amount_minor == 2_050


def test_an_added_milestone_is_proposed_and_paid_from_the_room(
    client_user, freelancer, stranger, operator, published
) -> None:
    from fairlance.ledger.accounts import escrow
    from fairlance.ledger.selectors import balance
    from fairlance.payments.provider import CARD_DECLINED

    with time_machine.travel(START, tick=False):
        contract = started(client_user, published)
        room = _room(contract)
        # Both sides' forms offer both increases; only the client's asks for a card to hold
        page = login(client_user).get(room).content.decode()
        assert 'value="add_milestone"' in page and 'id="propose-card"' in page
        page = login(freelancer).get(room).content.decode()
        assert 'value="add_milestone"' in page and 'value="change_price"' in page
        assert 'id="propose-card"' not in page
        # The freelancer proposes a milestone from the form
        response = login(freelancer).post(
            reverse("web:contract_propose", args=[contract.pk]),
            {
                "kind": "add_milestone",
                "title": "Ten more pages",
                "milestone_amount": "50.00",
                "delivery_days": "4",
                "note": "",
            },
        )
        assert response.status_code == 302
        proposal = Proposal.objects.get(contract=contract, kind="add_milestone")
        # The client's card shows what they pay and asks for the card
        page = login(client_user).get(room).content.decode()
        assert "The client pays $50 on accepting" in page
        assert f'id="proposal-{proposal.pk}-card"' in page
        assert "Accept and pay $50" in page
        # The freelancer's shows the amount, with no card field
        page = login(freelancer).get(room).content.decode()
        assert "The client pays $50 on accepting" in page
        assert f'id="proposal-{proposal.pk}-card"' not in page
        # An operator reads the amount, with no button and no card field
        page = login(operator).get(room).content.decode()
        assert "The client pays $50 on accepting" in page
        assert f'id="proposal-{proposal.pk}-card"' not in page
        url = reverse("web:proposal_answer", args=[proposal.pk, "accept"])
        assert url not in page
        escrowed = balance(escrow(contract.pk))
        # A declined card: the room says so, nothing changed
        response = login(client_user).post(url, {"card_number": CARD_DECLINED})
        assert response.status_code == 402
        assert "declined" in response.content.decode()
        assert Proposal.objects.get(pk=proposal.pk).status == "open"
        assert balance(escrow(contract.pk)) == escrowed
        # Strangers and the proposer cannot pay it
        assert login(stranger).post(url, {"card_number": "4242424242424242"}).status_code == 404
        assert login(freelancer).post(url, {"card_number": "4242424242424242"}).status_code == 403
        assert login(operator).post(url, {"card_number": "4242424242424242"}).status_code == 403
        assert login(None).post(url, {"card_number": "4242424242424242"}).status_code == 302
        assert balance(escrow(contract.pk)) == escrowed
        assert Proposal.objects.get(pk=proposal.pk).status == "open"
        # A good card: accepted, the milestone funded
        response = login(client_user).post(url, {"card_number": "4242 4242 4242 4242"})
        assert response.status_code == 302
        assert Proposal.objects.get(pk=proposal.pk).status == "accepted"
        assert balance(escrow(contract.pk)) == escrowed + 5_000
        assert contract.milestones.count() == 2


def test_the_client_proposes_an_increase_held_on_their_card_from_the_room(
    client_user, freelancer, stranger, operator, published
) -> None:
    from fairlance.ledger.accounts import escrow
    from fairlance.ledger.selectors import balance
    from fairlance.payments.models import PaymentAttempt
    from fairlance.payments.provider import CARD_DECLINED

    with time_machine.travel(START, tick=False):
        contract = started(client_user, published)
        room = _room(contract)
        escrowed = balance(escrow(contract.pk))
        propose = reverse("web:contract_propose", args=[contract.pk])
        body = {
            "kind": "add_milestone",
            "title": "Ten more pages",
            "milestone_amount": "50.00",
            "delivery_days": "4",
            "note": "",
        }
        # A declined card: the room says so, nothing is stored
        response = login(client_user).post(propose, {**body, "card_number": CARD_DECLINED})
        assert response.status_code == 402
        assert "declined" in response.content.decode()
        assert not Proposal.objects.filter(contract=contract).exists()
        # Strangers and operators cannot propose it
        good = {**body, "card_number": "4242 4242 4242 4242"}
        assert login(stranger).post(propose, good).status_code == 404
        assert login(operator).post(propose, good).status_code == 403
        assert login(None).post(propose, good).status_code == 302
        assert not Proposal.objects.filter(contract=contract).exists()
        # A good card: proposed, the amount held, escrow unchanged
        assert login(client_user).post(propose, good).status_code == 302
        proposal = Proposal.objects.get(contract=contract, kind="add_milestone")
        assert (proposal.proposed_by, proposal.held_minor) == ("client", 5_000)
        assert balance(escrow(contract.pk)) == escrowed
        # The freelancer's card says it is held and asks for no card
        page = login(freelancer).get(room).content.decode()
        assert "The client pays $50</strong>, held on their card" in page
        assert f'id="proposal-{proposal.pk}-card"' not in page
        # The freelancer accepts: the hold is captured and the milestone funded
        url = reverse("web:proposal_answer", args=[proposal.pk, "accept"])
        assert login(freelancer).post(url).status_code == 302
        assert Proposal.objects.get(pk=proposal.pk).status == "accepted"
        assert PaymentAttempt.objects.filter(
            kind="capture", charge_ref=proposal.hold_ref, ok=True
        ).exists()
        assert balance(escrow(contract.pk)) == escrowed + 5_000
        assert contract.milestones.count() == 2


def test_an_open_cancellation_shows_the_clocks_paused(client_user, freelancer, published) -> None:
    with time_machine.travel(START, tick=False):
        contract = started(client_user, published)
        before = login(client_user).get(_room(contract)).content.decode()
        assert "is working on it" in before and "paused" not in before
        # When the freelancer proposes to end by agreement
        proposals.proposal_propose(
            contract_id=contract.pk,
            user=freelancer,
            fields={"kind": "cancel", "percent_to_freelancer": 30, "note": "We part here."},
        )
        # Then both sides read that the clocks wait for the answer, with no countdown running
        for viewer in (client_user, freelancer):
            page = login(viewer).get(_room(contract)).content.decode()
            assert "the clocks are paused until it is answered" in page
            assert "paused while a cancellation is proposed" in page
            clocks = page.split('id="clocks-title"', 1)[1].split("</section>", 1)[0]
            assert "data-deadline" not in clocks
