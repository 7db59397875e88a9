"""``fairlance ledger check|balances|release``: the operators' view of the ledger."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fairlance.core.money import format_minor
from fairlance.ledger.models import JournalEntry, LedgerAccount
from fairlance.ledger.selectors import ledger_check
from fairlance.ledger.services import clearance_release_due


class Command(BaseCommand):
    help = "Ledger reconciliation and balances."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("check", help="Reconcile the ledger; exit status 1 on problems.")
        balances = sub.add_parser("balances", help="Print every account and its balance.")
        balances.add_argument("--prefix", default="", help="Only accounts starting with this.")
        balances.add_argument("--nonzero", action="store_true", help="Skip empty accounts.")
        sub.add_parser("release", help="Release every clearance that is due now.")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "check":
            self._check()
        elif subcommand == "balances":
            self._balances(prefix=options["prefix"], nonzero=options["nonzero"])
        elif subcommand == "release":
            count = clearance_release_due(now=timezone.now())
            self.stdout.write(f"released {count} clearance(s)")

    def _check(self) -> None:
        problems = ledger_check()
        entries = JournalEntry.objects.count()
        accounts = LedgerAccount.objects.count()
        if not problems:
            self.stdout.write(
                self.style.SUCCESS(f"ledger OK: {entries} entries, {accounts} accounts")
            )
            return
        for problem in problems:
            self.stdout.write(self.style.ERROR(f"PROBLEM {problem}"))
        # CommandError makes the process exit with status 1.
        raise CommandError(f"ledger check found {len(problems)} problem(s)", returncode=1)

    def _balances(self, *, prefix: str, nonzero: bool) -> None:
        qs = LedgerAccount.objects.order_by("name")
        if prefix:
            qs = qs.filter(name__startswith=prefix)
        if nonzero:
            qs = qs.exclude(balance=0)
        for account in qs.iterator():
            self.stdout.write(
                f"{account.name:<40} {account.balance:>16d}  {format_minor(account.balance)}"
            )
