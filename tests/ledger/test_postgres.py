"""PostgreSQL-only guarantees: database triggers and real concurrency (threads)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount, PendingClearance, Posting
from fairlance.ledger.selectors import balances_for_user, ledger_check
from fairlance.ledger.services import clearance_release_due, clearance_schedule
from tests.concurrency import run_in_threads
from tests.conftest import ApiClient, is_postgres
from tests.ledger.conftest import complete_contract, fund_escrow, give_available

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback, as in every transactional test here: a flush without it runs
    # post_migrate, whose content types the next serialized test would then insert twice.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


def test_unbalanced_entry_is_rejected_at_commit() -> None:
    # given an account
    fund_escrow(1, 100)
    account = LedgerAccount.objects.get(name=names.escrow(1))

    # when an entry with one leg is written behind the service's back, it fails at commit
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry = JournalEntry.objects.create(reference="bad")
        Posting.objects.create(entry=entry, account=account, amount=5)
        # inside the transaction nothing has complained yet: the trigger is deferred
        assert Posting.objects.filter(entry=entry).count() == 1

    # then nothing of it remains
    assert not JournalEntry.objects.filter(reference="bad").exists()
    assert ledger_check() == []


def test_entry_without_postings_is_rejected_at_commit() -> None:
    with pytest.raises(IntegrityError, match="no postings"), transaction.atomic():
        JournalEntry.objects.create(reference="empty")
    assert not JournalEntry.objects.exists()


def test_entries_and_postings_cannot_be_changed_or_deleted() -> None:
    fund_escrow(1, 100)

    with pytest.raises(IntegrityError, match="not allowed"), transaction.atomic():
        Posting.objects.update(amount=1)
    with pytest.raises(IntegrityError, match="not allowed"), transaction.atomic():
        JournalEntry.objects.update(memo="edited")
    with pytest.raises(IntegrityError, match="not allowed"), transaction.atomic():
        Posting.objects.all().delete()

    assert sorted(Posting.objects.values_list("amount", flat=True)) == [-100, 100]


def test_concurrent_payouts_with_one_idempotency_key_pay_once(freelancer) -> None:
    # given 10000 available and a client retrying the same payout 20 times at once
    give_available(freelancer.pk, 10_000)
    api = ApiClient(freelancer)

    def pay(_: int) -> tuple[int, str]:
        resp = api.post("me/payouts", {"amount": 1_000}, **{"Idempotency-Key": "payout-1"})
        return resp.status_code, resp.json().get("code", "")

    # when
    results = run_in_threads(20, pay)

    # then exactly one payout happened; the others replayed it or were told to wait
    assert all(isinstance(r, tuple) for r in results), results
    assert {status for status, _ in results} <= {201, 409}
    assert all(code == "idempotency_in_progress" for status, code in results if status == 409)
    assert JournalEntry.objects.filter(reference__startswith="payout:").count() == 1
    assert balances_for_user(freelancer.pk)["available"] == 9_000
    assert ledger_check() == []


def test_concurrent_payouts_cannot_overdraw(freelancer) -> None:
    # given 5000 available and 20 different payouts of 1000 at once
    give_available(freelancer.pk, 5_000)
    api = ApiClient(freelancer)

    def pay(i: int) -> int:
        return api.post("me/payouts", {"amount": 1_000}, **{"Idempotency-Key": f"k{i}"}).status_code

    # when
    results = run_in_threads(20, pay)

    # then exactly five succeeded and the balance is zero, never negative
    assert sorted(results) == [201] * 5 + [409] * 15
    assert balances_for_user(freelancer.pk)["available"] == 0
    assert ledger_check() == []


def test_two_workers_release_each_clearance_once(freelancer, stranger) -> None:
    # given 30 due clearances for two freelancers
    now = timezone.now()
    for contract_id in range(1, 31):
        user = freelancer if contract_id % 2 else stranger
        fund_escrow(contract_id, 1_000)
        complete_contract(contract_id, user.pk, 1_000, 100)
        clearance_schedule(
            user_id=user.pk,
            amount=900,
            available_at=now - timedelta(minutes=contract_id),
            reference=f"complete:contract:{contract_id}",
        )

    # when two workers release at the same time
    results = run_in_threads(2, lambda _: clearance_release_due(now=now))

    # then every clearance was released exactly once, shared between them (an error in a
    # worker is shown as itself, not as a failed sum)
    assert not [r for r in results if isinstance(r, BaseException)], [repr(r) for r in results]
    assert sum(results) == 30, results
    assert PendingClearance.objects.filter(released_entry__isnull=True).count() == 0
    assert JournalEntry.objects.filter(reference__startswith="clear:").count() == 30
    assert balances_for_user(freelancer.pk) == {"pending": 0, "available": 15 * 900}
    assert balances_for_user(stranger.pk) == {"pending": 0, "available": 15 * 900}
    assert ledger_check() == []
