"""``contract_money``: where one contract's money went, read from its journal entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fairlance.ledger import accounts as names
from fairlance.ledger.selectors import ContractMoney, contract_money, contracts_money
from fairlance.ledger.services import Move, clearance_release_due, clearance_schedule, ledger_post
from tests.ledger.conftest import complete_contract, fund_escrow

pytestmark = pytest.mark.django_db


def test_untouched_contract_has_no_money() -> None:
    assert contract_money(contract_id=404) == ContractMoney()


def test_completion_splits_between_freelancer_and_platform(freelancer) -> None:
    fund_escrow(1, 10_000)
    complete_contract(1, freelancer.pk, 10_000, 1_000)

    money = contract_money(contract_id=1)

    assert money == ContractMoney(paid_in=10_000, to_freelancer=9_000, to_platform=1_000)


def test_a_clearance_does_not_count_as_a_second_release(freelancer) -> None:
    # Given a completed contract whose earnings clear later (the entry carries its id)
    fund_escrow(2, 5_000)
    complete_contract(2, freelancer.pk, 5_000, 500)
    clearance_schedule(
        user_id=freelancer.pk,
        amount=4_500,
        available_at=timezone.now() - timedelta(seconds=1),
        reference="complete:contract:2",
        contract_id=2,
    )
    # When the clearance is released
    assert clearance_release_due(now=timezone.now()) == 1
    # Then the contract's money still says 4,500 went to the freelancer, once
    assert contract_money(contract_id=2).to_freelancer == 4_500


def test_refunds_and_what_escrow_still_holds(freelancer) -> None:
    fund_escrow(3, 8_000)
    ledger_post(
        reference="refund:3",
        memo="partial refund",
        postings=[Move(names.escrow(3), names.WORLD, 3_000)],
        contract_id=3,
    )

    money = contract_money(contract_id=3)

    assert money == ContractMoney(paid_in=8_000, refunded=3_000, held=5_000)


def test_many_contracts_in_one_read(freelancer, django_assert_num_queries) -> None:
    fund_escrow(4, 1_000)
    fund_escrow(5, 2_000)
    with django_assert_num_queries(1):
        found = contracts_money(contract_ids=[4, 5, 6])
    assert found == {
        4: ContractMoney(paid_in=1_000, held=1_000),
        5: ContractMoney(paid_in=2_000, held=2_000),
        6: ContractMoney(),
    }
