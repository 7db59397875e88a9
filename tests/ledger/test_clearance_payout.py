"""Clearance (pending -> available after the clearance period) and payouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from fairlance.core.errors import Conflict, InvalidInput
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, PendingClearance
from fairlance.ledger.selectors import balance, balances_for_user, ledger_check
from fairlance.ledger.services import (
    clearance_release_due,
    clearance_schedule,
    payout_request,
)
from tests.ledger.conftest import complete_contract, fund_escrow, give_available

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _complete_with_clearance(contract_id: int, user_id: int, price: int, fee: int) -> None:
    fund_escrow(contract_id, price)
    complete_contract(contract_id, user_id, price, fee)
    clearance_schedule(
        user_id=user_id,
        amount=price - fee,
        available_at=timezone.now() + timedelta(days=5),
        reference=f"complete:contract:{contract_id}",
        contract_id=contract_id,
    )


@time_machine.travel(START, tick=False)
def test_clearance_releases_only_when_due(freelancer) -> None:
    # given earnings of 9000 that clear in 5 days
    _complete_with_clearance(1, freelancer.pk, 10_000, 1_000)

    # when the worker runs after 4 days, nothing is released
    assert clearance_release_due(now=START + timedelta(days=4, hours=23)) == 0
    assert balances_for_user(freelancer.pk) == {"pending": 9_000, "available": 0}

    # when it runs at 5 days, the money moves in an entry of its own
    with time_machine.travel(START + timedelta(days=5), tick=False):
        assert clearance_release_due(now=timezone.now()) == 1

    # then it is available, released once, and the ledger is clean
    assert balances_for_user(freelancer.pk) == {"pending": 0, "available": 9_000}
    clearance = PendingClearance.objects.get()
    assert clearance.released_entry is not None
    assert clearance.released_entry.reference == f"clear:{clearance.pk}"
    assert clearance_release_due(now=START + timedelta(days=30)) == 0
    assert ledger_check() == []


@time_machine.travel(START, tick=False)
def test_release_respects_limit_and_order(freelancer) -> None:
    # given three clearances that are all due
    for contract_id in (1, 2, 3):
        _complete_with_clearance(contract_id, freelancer.pk, 1_000, 100)
    later = START + timedelta(days=6)

    # when released with limit 2, then with no limit
    first = clearance_release_due(now=later, limit=2)
    rest = clearance_release_due(now=later)

    # then all three are released exactly once
    assert (first, rest) == (2, 1)
    assert balances_for_user(freelancer.pk) == {"pending": 0, "available": 2_700}
    assert JournalEntry.objects.filter(reference__startswith="clear:").count() == 3


@time_machine.travel(START, tick=False)
def test_clearance_without_pending_money_is_blocked_not_retried(freelancer) -> None:
    # given a clearance whose pending money was never posted (a caller bug)
    clearance_schedule(user_id=freelancer.pk, amount=500, available_at=START, reference="orphan")

    # when released
    count = clearance_release_due(now=START)

    # then it is recorded as blocked, nothing moved, and the next run skips it
    clearance = PendingClearance.objects.get()
    assert count == 1
    assert clearance.released_entry is None
    assert clearance.blocked_reason.startswith("insufficient_funds")
    assert clearance_release_due(now=START) == 0
    assert ledger_check() == []


def test_duplicate_clearance_reference_is_refused(freelancer) -> None:
    clearance_schedule(user_id=freelancer.pk, amount=1, available_at=START, reference="r")
    with pytest.raises(Conflict):
        clearance_schedule(user_id=freelancer.pk, amount=1, available_at=START, reference="r")
    assert PendingClearance.objects.count() == 1


def test_release_command_moves_due_clearances(freelancer) -> None:
    _complete_with_clearance(1, freelancer.pk, 1_000, 100)
    PendingClearance.objects.update(available_at=timezone.now() - timedelta(seconds=1))

    call_command("ledger", "release")

    assert balances_for_user(freelancer.pk)["available"] == 900


def test_payout_moves_available_to_world(freelancer) -> None:
    # given 5000 available
    give_available(freelancer.pk, 5_000)
    world_before = balance(names.WORLD)

    # when the freelancer pays out 3000
    entry = payout_request(user=freelancer, amount=3_000)

    # then 2000 stays available and 3000 left the platform
    assert entry.reference.startswith(f"payout:{freelancer.pk}:")
    assert balances_for_user(freelancer.pk)["available"] == 2_000
    assert balance(names.WORLD) == world_before + 3_000
    assert ledger_check() == []


def test_payout_of_exactly_the_available_balance_is_allowed(freelancer) -> None:
    give_available(freelancer.pk, 700)
    payout_request(user=freelancer, amount=700)
    assert balances_for_user(freelancer.pk)["available"] == 0


def test_payout_above_available_is_refused_with_nothing_written(freelancer) -> None:
    # given 700 available and 900 pending (pending may not be paid out)
    give_available(freelancer.pk, 700)
    fund_escrow(2, 1_000)
    complete_contract(2, freelancer.pk, 1_000, 100)
    entries = JournalEntry.objects.count()

    # when asking for 701
    with pytest.raises(Conflict) as exc:
        payout_request(user=freelancer, amount=701)

    # then it is refused, saying how much is available
    assert exc.value.code == "insufficient_funds"
    assert exc.value.data["available"] == 700
    assert JournalEntry.objects.count() == entries
    assert balances_for_user(freelancer.pk) == {"pending": 900, "available": 700}


@pytest.mark.parametrize("amount", [0, -1, True, 10**18])
def test_payout_amount_must_be_positive_and_sane(freelancer, amount: int) -> None:
    give_available(freelancer.pk, 700)
    with pytest.raises(InvalidInput) as exc:
        payout_request(user=freelancer, amount=amount)
    assert exc.value.errors[0]["field"] == "amount"
    assert balances_for_user(freelancer.pk)["available"] == 700


def test_payout_with_no_account_is_insufficient(stranger) -> None:
    with pytest.raises(Conflict) as exc:
        payout_request(user=stranger, amount=1)
    assert exc.value.code == "insufficient_funds"
    assert JournalEntry.objects.count() == 0
