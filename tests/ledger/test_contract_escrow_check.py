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
