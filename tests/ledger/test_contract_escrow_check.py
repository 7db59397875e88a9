"""ledger_check against real contracts: a final contract must have an empty escrow."""

from __future__ import annotations

import pytest

from fairlance.contracts.models import Contract
from fairlance.ledger import accounts as names
from fairlance.ledger.selectors import balance, ledger_check
from tests.contracts.conftest import PRICE, buy, make_project

pytestmark = pytest.mark.django_db


def test_final_contract_with_money_in_escrow_is_reported(api, freelancer, client_user) -> None:
    # given a real purchase: the client's money sits in the contract's escrow
    project = make_project(freelancer, questions=False)
    resp = buy(api(client_user), project)
    assert resp.status_code == 201, resp.content
    contract = Contract.objects.get()
    assert balance(names.escrow(contract.pk)) == PRICE
    assert ledger_check() == []

    # when the contract is marked final without the money moving (a bug elsewhere)
    Contract.objects.filter(pk=contract.pk).update(state="cancelled")

    # then the reconciliation reports it
    assert ledger_check() == [
        f"contract {contract.pk} is in a final state but its escrow holds {PRICE}"
    ]


def _request(api, freelancer, client_user) -> Contract:
    from tests.contracts.conftest import answers_for

    project = make_project(freelancer, mode="request")
    resp = buy(api(client_user), project, answers=answers_for(project))
    assert resp.status_code == 201, resp.content
    return Contract.objects.get()


def test_a_request_holds_the_card_and_the_check_knows_it(api, freelancer, client_user) -> None:
    # given a request: one open card hold, an empty escrow
    contract = _request(api, freelancer, client_user)
    assert balance(names.escrow(contract.pk)) == 0
    assert ledger_check() == []

    # when it is marked cancelled without releasing the hold (a bug elsewhere)
    Contract.objects.filter(pk=contract.pk).update(state="cancelled")

    # then the reconciliation reports the hold left open
    assert ledger_check() == [
        f"contract {contract.pk} is in a final state but has an open card hold"
    ]


def test_a_request_without_its_hold_or_with_escrow_is_reported(
    api, freelancer, client_user
) -> None:
    from fairlance.ledger.services import Move, ledger_hold_void, ledger_post

    # given a request whose hold was voided, and whose escrow was funded, behind the
    # lifecycle's back
    contract = _request(api, freelancer, client_user)
    ledger_hold_void(hold_reference=f"contract:{contract.pk}:hold", reference="stray-void", memo="")
    ledger_post(
        reference="stray-capture",
        memo="",
        postings=[Move(names.WORLD, names.escrow(contract.pk), PRICE)],
        contract_id=contract.pk,
    )

    # then both are reported
    assert ledger_check() == [
        f"contract {contract.pk} is requested with 0 open card holds (expected 1)",
        f"contract {contract.pk} is requested but its escrow holds {PRICE}",
    ]
