"""``fairlance bench``: load-test the production server against the current database.

See ``fairlance.bench.runner`` and docs/performance.md. ``--quick`` is the CI smoke run:
it seeds 2,000 projects into an empty database first and runs each scenario for 2 s.
``--scale 10k,100k,1M`` runs the search scenarios against one database per catalog size
instead (``fairlance.bench.scale``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fairlance.accounts.models import User
from fairlance.bench.runner import BenchOptions, run_benchmark, write_results
from fairlance.bench.scale import (
    SCALE_SCENARIOS,
    ScaleOptions,
    check_scenarios,
    parse_sizes,
    run_scale,
    side_by_side,
    size_store,
    write_scale_results,
)
from fairlance.bench.scenarios import SCENARIOS, markdown_table
from fairlance.bench.seed import (
    SEED_EMAIL_DOMAIN,
    Progress,
    SeedConfig,
    index_and_analyze,
    seed_marketplace,
)
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
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Rebuild the search index (and the planner's statistics) before the run; with"
            " --scale, of every database that is reused.",
        )
        scale = parser.add_argument_group("scale curve")
        scale.add_argument(
            "--scale",
            metavar="SIZES",
            default="",
            help="Catalog sizes, e.g. 10k,100k,1M: the search scenarios against one seeded"
            " database per size (created, seeded and marked if missing; reused after),"
            " reported side by side in <time>-<database>-scale.md/.json.",
        )
        scale.add_argument(
            "--reseed",
            action="store_true",
            help="With --scale: drop and seed every size's database again.",
        )
        scale.add_argument(
            "--database-url",
            default="",
            help="With --scale: the URL the sizes' databases are named after"
            " [DATABASE_URL]: postgres://…/fl_bench gives fl_bench_10k, …;"
            " sqlite:////path/bench.sqlite3 gives /path/bench_10k.sqlite3, ….",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quick = options["quick"]
        duration = options["duration"] or (2 if quick else 10)
        if duration < 1 or options["connections"] < 1 or options["workers"] < 1:
            raise CommandError("--duration, --connections and --workers must be at least 1.")
        if options["scale"]:
            self._scale(duration, options)
            return
        if options["reseed"] or options["database_url"]:
            raise CommandError("--reseed and --database-url go with --scale.")
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
        reindexed: dict[str, Any] = {}
        if options["reindex"]:
            progress = Progress(self._say)
            reindexed["indexed"] = index_and_analyze(progress)
            progress.close()
            reindexed["steps"] = progress.steps
        try:
            report = run_benchmark(bench, out=self._say)
        except (RuntimeError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        report.reindex = reindexed
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

    def _scale(self, duration: int, options: dict[str, Any]) -> None:
        if options["quick"] or options["timers"]:
            raise CommandError("--scale runs the search scenarios only: no --quick, no --timers.")
        base_url = options["database_url"] or os.environ.get("DATABASE_URL", "")
        if not base_url:
            raise CommandError("--scale needs DATABASE_URL or --database-url to name databases.")
        try:
            scale = ScaleOptions(
                sizes=parse_sizes(options["scale"]),
                base_url=base_url,
                duration=duration,
                connections=options["connections"],
                workers=options["workers"],
                server=options["server"],
                scenarios=check_scenarios(tuple(options["scenario"]) or SCALE_SCENARIOS),
                reseed=options["reseed"],
                reindex=options["reindex"],
                results_dir=Path(options["results_dir"]),
                label=options["label"],
            )
            # Fail on a bad URL before seeding anything.
            for projects in scale.sizes:
                size_store(base_url, projects)
            report = run_scale(scale, out=self._say)
        except (RuntimeError, ValueError, OSError, psycopg.Error) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(side_by_side(report.sizes))
        json_path, md_path = write_scale_results(report, scale.results_dir, scale.label)
        self.stdout.write(f"results: {json_path} {md_path}")
        failing = [
            f"{size.label} {r['scenario']}"
            for size in report.sizes
            for r in size.bench.get("results", [])
            if r["errors"] or not r["requests"]
        ]
        if failing and options["fail_on_errors"]:
            raise CommandError(f"errors or no answer at all in: {', '.join(failing)}")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
