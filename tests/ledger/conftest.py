from __future__ import annotations

from typing import Any

import pytest

from fairlance.ledger import accounts as names
from fairlance.ledger.services import Move, ledger_post


def fund_escrow(contract_id: int, amount: int, *, reference: str | None = None) -> None:
    """A client's payment for a contract: world -> escrow."""
    ledger_post(
        reference=reference or f"purchase:contract:{contract_id}",
        memo="test purchase",
        postings=[Move(names.WORLD, names.escrow(contract_id), amount)],
        contract_id=contract_id,
    )


def complete_contract(contract_id: int, freelancer_id: int, price: int, fee: int) -> None:
    """Completion: escrow -> freelancer pending (price - fee) and escrow -> platform fees."""
    ledger_post(
        reference=f"complete:contract:{contract_id}",
        memo="test completion",
        postings=[
            Move(names.escrow(contract_id), names.freelancer_pending(freelancer_id), price - fee),
            Move(names.escrow(contract_id), names.PLATFORM_FEES, fee),
        ],
        contract_id=contract_id,
    )


def give_available(user_id: int, amount: int, *, contract_id: int = 9000) -> None:
    """Put cleared money in a freelancer's available account through real entries."""
    fund_escrow(contract_id, amount)
    ledger_post(
        reference=f"test-clear:{contract_id}",
        memo="test",
        postings=[Move(names.escrow(contract_id), names.freelancer_available(user_id), amount)],
        contract_id=contract_id,
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Users are made in most tests; the default hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
