"""Capacity and the card (issue 11, item 21): a buyer who loses the last slot is refused
before the processor ever sees their card.

A purchase takes its capacity slot (with its attempt row, in a short transaction) before
it charges or holds the card. The race with real threads is in test_postgres_races.py;
these drive the same interleavings in one thread, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.contracts import services
from fairlance.contracts.models import Contract, PurchaseAttempt
from fairlance.ledger.selectors import ledger_check
from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import LoggedProvider
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import BAD_CARD, answers_for, buy, make_project

pytestmark = pytest.mark.django_db

TAKE = {"instant": "charge", "request": "authorize"}


def _answers(project: Any) -> Any:
    return answers_for(project) if project.purchase_mode == "request" else None


def _slots_taken(project: Any) -> int:
    project.refresh_from_db()
    return int(project.active_contracts)


@pytest.mark.parametrize("mode", ["instant", "request"])
def test_the_loser_of_the_last_slot_is_refused_before_its_card_is_touched(
    clock, api, client_user, freelancer, monkeypatch, mode
) -> None:
    # Given a project with one free slot, and a buyer whose purchase has checked that the
    # project is available when another buyer's purchase takes the last slot
    project = make_project(freelancer, mode=mode, capacity=1)
    winner = make_user("wanda@example.com")
    won: list[Any] = []
    calls: list[int] = []
    questions = services._questions

    def another_buyer_gets_there_first(project_id: int) -> Any:
        calls.append(project_id)
        if len(calls) == 1:  # the loser's purchase; the winner's goes straight on
            won.append(buy(api(winner), project, answers=_answers(project)))
        return questions(project_id)

    monkeypatch.setattr(services, "_questions", another_buyer_gets_there_first)
    # When the first buyer's purchase goes on
    lost = buy(api(client_user), project, answers=_answers(project))
    # Then it is refused for capacity, and the processor never saw the loser's card: no
    # charge and refund, no hold and release, nothing at all
    assert won[0].status_code == 201, won[0].content
    assert_problem(lost, 409, "capacity_full")
    assert list(PaymentAttempt.objects.values_list("kind", "payer_id")) == [(TAKE[mode], winner.pk)]
    # And exactly one contract holds the one slot; the loser left no attempt behind
    assert Contract.objects.get().client_id == winner.pk
    assert _slots_taken(project) == 1
    assert list(PurchaseAttempt.objects.values_list("state", flat=True)) == ["kept"]
    assert ledger_check() == []


def test_a_purchase_in_flight_holds_its_slot(clock, api, client_user, freelancer, monkeypatch):
    # Given a project with one free slot, and a purchase whose card is being charged
    project = make_project(freelancer, capacity=1)
    other = make_user("oscar@example.com")
    during: list[Any] = []
    real = LoggedProvider.charge

    def charge_while_another_buyer_tries(self: Any, **kwargs: Any) -> Any:
        if kwargs["payer_id"] == client_user.pk:
            during.append(buy(api(other), project))
        return real(self, **kwargs)

    monkeypatch.setattr(LoggedProvider, "charge", charge_while_another_buyer_tries)
    first = buy(api(client_user), project)
    # Then the other buyer, arriving meanwhile, finds the project full and is not charged
    assert_problem(during[0], 409, "capacity_full")
    assert first.status_code == 201, first.content
    assert list(PaymentAttempt.objects.values_list("payer_id", flat=True)) == [client_user.pk]
    assert _slots_taken(project) == 1


@pytest.mark.parametrize("mode", ["instant", "request"])
def test_a_refused_card_gives_its_slot_back(clock, api, client_user, freelancer, mode) -> None:
    # Given a project with one free slot
    project = make_project(freelancer, mode=mode, capacity=1)
    # When a buyer's card is declined
    declined = buy(api(client_user), project, card=BAD_CARD, answers=_answers(project))
    # Then the slot the purchase took is free again, for the next buyer
    assert_problem(declined, 402, "card_declined")
    assert _slots_taken(project) == 0
    assert PurchaseAttempt.objects.get().state == "given_back"
    other = make_user("oscar@example.com")
    assert buy(api(other), project, answers=_answers(project)).status_code == 201
    assert _slots_taken(project) == 1
