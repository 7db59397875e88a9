"""``fairlance search_eval``: recall@10 and nDCG@10 of search on the judged query set.

It never touches the configured database: like the test runner, it creates a throwaway
test database next to it (``test_<name>``; an SQLite test database lives in memory),
loads the judged catalog, runs the queries and drops the database again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import setup_databases, teardown_databases


class Command(BaseCommand):
    help = "Score search on the judged query set (tests/search/judgments); see docs/search.md."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="exit non-zero below the targets")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--independent",
            action="store_true",
            help="score the independently written set (tests/search/independent) instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        from fairlance.catalog.judged import (
            INDEPENDENT,
            JUDGMENTS,
            as_json,
            evaluate,
            load_judged_catalog,
        )

        directory = INDEPENDENT if options["independent"] else JUDGMENTS

        # Rankings and plans are computed, not remembered, as in the test suite.
        settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 0
        settings.FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = 0
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        old = setup_databases(verbosity=0, interactive=False)
        try:
            report = evaluate(load_judged_catalog(directory), directory)
        finally:
            teardown_databases(old, verbosity=0)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(report), indent=1))
        else:
            self.stdout.write(report.text())
        if options["check"] and not report.meets_targets:
            raise CommandError("search is below the judged-set targets")
