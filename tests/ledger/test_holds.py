"""Pending entries (holds): recorded without moving money, then posted or voided, once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from fairlance.core.errors import Conflict, NotFound
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount
from fairlance.ledger.selectors import ContractMoney, balance, contract_money, ledger_check
from fairlance.ledger.services import (
    Move,
    ledger_hold,
    ledger_hold_post,
    ledger_hold_void,
    ledger_reverse,
)
from tests.conftest import is_postgres
from tests.ledger.conftest import fund_escrow

pytestmark = pytest.mark.django_db


def hold(contract_id: int, amount: int) -> JournalEntry:
    return ledger_hold(
        reference=f"contract:{contract_id}:hold",
        memo="card hold",
        postings=[Move(names.WORLD, names.escrow(contract_id), amount)],
        contract_id=contract_id,
    )


def test_a_hold_is_recorded_but_moves_no_money() -> None:
    # When a hold of 10,000 is recorded for contract 1
    entry = hold(1, 10_000)
    # Then the entry and its balanced postings exist, and no balance changed
    assert entry.phase == JournalEntry.Phase.PENDING
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-10_000, 10_000]
    assert balance(names.WORLD) == 0 and balance(names.escrow(1)) == 0
    # And the contract's money says it is on hold, not paid in
    assert contract_money(contract_id=1) == ContractMoney(on_hold=10_000)
    assert ledger_check() == []


def test_posting_a_hold_makes_its_moves_once() -> None:
    hold(1, 10_000)
    # When the hold is posted
    posted = ledger_hold_post(
        hold_reference="contract:1:hold", reference="contract:1:capture", memo="captured"
    )
    # Then escrow holds the money, linked to the hold, and nothing is on hold any more
    assert (posted.phase, posted.resolves.reference) == ("posted", "contract:1:hold")
    assert balance(names.escrow(1)) == 10_000 and balance(names.WORLD) == -10_000
    assert contract_money(contract_id=1) == ContractMoney(paid_in=10_000, held=10_000)
    assert ledger_check() == []
    # And it cannot be posted again, nor voided afterwards
    with pytest.raises(Conflict) as again:
        ledger_hold_post(hold_reference="contract:1:hold", reference="other", memo="x")
    assert again.value.code == "hold_resolved"
    with pytest.raises(Conflict) as void:
        ledger_hold_void(hold_reference="contract:1:hold", reference="void", memo="x")
    assert void.value.code == "hold_resolved"
    assert JournalEntry.objects.count() == 2


def test_voiding_a_hold_releases_it_without_moving_money() -> None:
    hold(2, 5_000)
    # When the hold is voided
    void = ledger_hold_void(
        hold_reference="contract:2:hold", reference="contract:2:void:2", memo=""
    )
    # Then a void entry with the opposite postings resolves it and no balance ever moved
    assert (void.phase, void.resolves.reference) == ("void", "contract:2:hold")
    assert sorted(void.postings.values_list("amount", flat=True)) == [-5_000, 5_000]
    assert balance(names.escrow(2)) == 0 and balance(names.WORLD) == 0
    assert contract_money(contract_id=2) == ContractMoney()
    assert ledger_check() == []
    # And it cannot be posted after all
    with pytest.raises(Conflict) as late:
        ledger_hold_post(hold_reference="contract:2:hold", reference="contract:2:capture", memo="")
    assert late.value.code == "hold_resolved"
    assert balance(names.escrow(2)) == 0


def test_only_holds_are_posted_or_voided_and_holds_are_not_reversed() -> None:
    fund_escrow(3, 1_000)
    with pytest.raises(NotFound):
        ledger_hold_post(hold_reference="nope", reference="x", memo="")
    with pytest.raises(ValueError):
        ledger_hold_void(hold_reference="purchase:contract:3", reference="x", memo="")
    hold(4, 1_000)
    with pytest.raises(Conflict) as refused:
        ledger_reverse(reference="r", original_reference="contract:4:hold", memo="")
    assert refused.value.code == "not_posted"


def test_a_resolution_with_another_reference_in_use_writes_nothing() -> None:
    fund_escrow(5, 1_000, reference="taken")
    hold(6, 2_000)
    with pytest.raises(Conflict) as exc:
        ledger_hold_post(hold_reference="contract:6:hold", reference="taken", memo="")
    assert exc.value.code == "duplicate_reference"
    assert balance(names.escrow(6)) == 0
    assert contract_money(contract_id=6).on_hold == 2_000


def test_the_database_refuses_a_second_resolution() -> None:
    # Given a posted hold
    held = hold(7, 1_000)
    ledger_hold_post(hold_reference="contract:7:hold", reference="contract:7:capture", memo="")
    # When a second entry resolving it is written behind the service's back, it is refused
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(reference="sneaky", phase="void", resolves=held)
    # and so is a void that resolves nothing, or a hold that claims to resolve one
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(reference="stray", phase="void")
    with pytest.raises(IntegrityError), transaction.atomic():
        JournalEntry.objects.create(reference="odd", phase="pending", resolves=held)


def _raw_posting(entry_id: int, account_id: int, amount: int) -> None:
    with connection.cursor() as cursor:
        if is_postgres():
            # The deferred balance trigger would refuse these at commit; the test's
            # transaction rolls the DDL back.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_balanced")
        cursor.execute(
            "INSERT INTO ledger_posting (entry_id, account_id, amount) VALUES (%s, %s, %s)",
            [entry_id, account_id, amount],
        )


def test_the_check_finds_balances_that_count_a_hold_and_captures_that_differ() -> None:
    # Given a hold whose capture was written with a different amount than it held, behind
    # the service's back (one more leg each way)
    hold(8, 1_000)
    posted = ledger_hold_post(
        hold_reference="contract:8:hold", reference="contract:8:capture", memo=""
    )
    escrow = LedgerAccount.objects.get(name=names.escrow(8))
    world = LedgerAccount.objects.get(name=names.WORLD)
    _raw_posting(posted.pk, escrow.pk, 1)
    _raw_posting(posted.pk, world.pk, -1)
    # and a stored balance that counts a hold as if it had moved money
    hold(9, 500)
    escrow9 = LedgerAccount.objects.get(name=names.escrow(9))
    LedgerAccount.objects.filter(pk=escrow9.pk).update(balance=500)
    # Then the check reports both
    text = "\n".join(ledger_check())
    assert "entry contract:8:capture posts hold contract:8:hold with other amounts" in text
    assert f"account {names.escrow(9)}: stored balance 500 != sum of posted postings 0" in text
