"""``fairlance ledger check|balances``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fairlance.ledger import accounts as names
from fairlance.ledger.models import LedgerAccount
from tests.ledger.conftest import fund_escrow

pytestmark = pytest.mark.django_db


def test_check_reports_ok_on_a_clean_ledger() -> None:
    fund_escrow(1, 500)
    out = StringIO()

    call_command("ledger", "check", stdout=out)

    assert "ledger OK: 1 entries, 2 accounts" in out.getvalue()


def test_check_fails_with_exit_status_1_on_problems() -> None:
    # given a stored balance that disagrees with the postings
    fund_escrow(1, 500)
    LedgerAccount.objects.filter(name=names.escrow(1)).update(balance=400)
    out = StringIO()

    # when checked
    with pytest.raises(CommandError) as exc:
        call_command("ledger", "check", stdout=out)

    # then the problem is printed and the exit status is 1
    assert exc.value.returncode == 1
    assert "stored balance 400 != sum of posted postings 500" in out.getvalue()


def test_balances_lists_accounts() -> None:
    fund_escrow(1, 12_345)
    out = StringIO()

    call_command("ledger", "balances", "--nonzero", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split()[:2] == ["escrow:contract:1", "12345"]
    assert lines[1].split()[:2] == ["world", "-12345"]
