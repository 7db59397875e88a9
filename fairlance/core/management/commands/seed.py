"""``fairlance seed``: a deterministic marketplace at scale for the benchmark (issue 4).

See ``fairlance.bench.seed`` for what is written and docs/performance.md for how to use it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fairlance.bench.seed import SeedConfig, seed_marketplace


class Command(BaseCommand):
    help = "Fill an empty, migrated database with a large deterministic marketplace."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SeedConfig()
        for name in ("projects", "freelancers", "clients", "contracts", "seed", "batch"):
            parser.add_argument(
                f"--{name}",
                type=int,
                default=getattr(defaults, name),
                help=f"[{getattr(defaults, name)}]",
            )
        parser.add_argument(
            "--skip-ledger-check", action="store_true", help="Do not run ledger_check() at the end."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        values = {
            k: options[k]
            for k in ("projects", "freelancers", "clients", "contracts", "seed", "batch")
        }
        if any(v < 0 for v in values.values()) or values["batch"] < 1:
            raise CommandError("Counts must be zero or more and --batch at least 1.")
        config = SeedConfig(**values, check_ledger=not options["skip_ledger_check"])
        try:
            report = seed_marketplace(config=config, out=self._say)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._say(f"seeded in {report.seconds['total']:.1f}s")
        if report.ledger_problems:
            for problem in report.ledger_problems[:20]:
                self.stderr.write(problem)
            raise CommandError(f"ledger check found {len(report.ledger_problems)} problem(s)")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
