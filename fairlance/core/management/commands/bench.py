"""``fairlance bench``: load-test the production server against the current database.

See ``fairlance.bench.runner`` and docs/performance.md. ``--quick`` is the CI smoke run:
it seeds 2,000 projects into an empty database first and runs each scenario for 2 s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fairlance.accounts.models import User
from fairlance.bench.runner import BenchOptions, run_benchmark, write_results
from fairlance.bench.scenarios import SCENARIOS, markdown_table
from fairlance.bench.seed import SEED_EMAIL_DOMAIN, SeedConfig, seed_marketplace
from fairlance.core.management.commands.serve import SERVERS

QUICK_SEED = SeedConfig(projects=2_000, freelancers=400, clients=1_000, contracts=6_000)


class Command(BaseCommand):
    help = "Run the load benchmark (gunicorn + wrk) and write bench/results/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quick", action="store_true", help="CI smoke run: 2,000 projects, 2 s per scenario."
        )
        parser.add_argument("--duration", type=int, default=None, help="Seconds per scenario [10].")
        parser.add_argument(
            "--connections", type=int, default=16, help="Concurrent connections [16]."
        )
        parser.add_argument("--workers", type=int, default=2, help="Server workers [2].")
        parser.add_argument(
            "--server",
            choices=SERVERS,
            default="granian",
            help="WSGI server to measure, as `fairlance serve` runs it [granian].",
        )
        parser.add_argument("--results-dir", default="bench/results", help="[bench/results]")
        parser.add_argument(
            "--fail-on-errors",
            action="store_true",
            help="Exit non-zero if any scenario had unexpected errors (always on with --quick).",
        )
        parser.add_argument("--label", default="", help="Suffix for the result file names.")
        parser.add_argument(
            "--timers",
            type=int,
            default=0,
            help="After the scenarios, arm this many due timers and time two `fairlance worker"
            " --once` draining them [0: skip]. Flags those contracts late for good.",
        )
        parser.add_argument(
            "--scenario",
            action="append",
            default=[],
            choices=[s.name for s in SCENARIOS],
            help="Run only this scenario (repeatable); the baselines are always useful too.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quick = options["quick"]
        duration = options["duration"] or (2 if quick else 10)
        if duration < 1 or options["connections"] < 1 or options["workers"] < 1:
            raise CommandError("--duration, --connections and --workers must be at least 1.")
        if quick:
            call_command("migrate", verbosity=0, interactive=False)
        seeded = User.objects.filter(email__endswith=f"@{SEED_EMAIL_DOMAIN}").exists()
        if not seeded:
            if not quick:
                raise CommandError("No seeded data in this database: run `fairlance seed` first.")
            self.stdout.write("seeding 2,000 projects for the quick run")
            seeded_report = seed_marketplace(config=QUICK_SEED, out=self.stdout.write)
            if seeded_report.ledger_problems:
                problem = seeded_report.ledger_problems[0]
                raise CommandError(f"the seeded ledger is not clean: {problem}")
        bench = BenchOptions(
            duration=duration,
            connections=options["connections"],
            workers=options["workers"],
            server=options["server"],
            results_dir=Path(options["results_dir"]),
            label=options["label"] or ("quick" if quick else ""),
            scenarios=tuple(options["scenario"]),
            timers=max(0, options["timers"]),
        )
        try:
            report = run_benchmark(bench, out=self._say)
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(markdown_table(report.results))
        self.stdout.write(f"\nweb worker RSS (MB): {report.worker_rss_mb}")
        if report.timers:
            self.stdout.write(f"timers: {report.timers}")
        if report.checks:
            self.stdout.write(f"purchase checks: {report.checks}")
        json_path, md_path = write_results(report, bench.results_dir, bench.label)
        self.stdout.write(f"results: {json_path} {md_path}")
        if report.checks and not report.checks.get("ok"):
            raise CommandError("purchase checks failed (see above)")
        failing = [r.scenario for r in report.results if r.errors]
        # The quick run is CI's smoke test: any unexpected answer (a 500) must fail it.
        # A full run reports errors in its table and still writes its results.
        if failing and (quick or options["fail_on_errors"]):
            raise CommandError(f"unexpected errors in: {', '.join(failing)}")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
