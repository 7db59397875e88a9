"""``fairlance serve``: the production web server (gunicorn running ``fairlance.wsgi``).

It does not migrate or load anything: deployments run ``fairlance migrate`` as a separate
step, so several web machines can start at once without racing on the schema. The process
*becomes* gunicorn (``exec``), so signals from a supervisor or container runtime reach the
gunicorn master directly. More gunicorn options go in ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

WSGI_APP = "fairlance.wsgi:application"


def gunicorn_argv(*, bind: str, workers: int, extra: Sequence[str] = ()) -> list[str]:
    """The command line that runs gunicorn with this interpreter (so the venv's gunicorn)."""
    if workers < 1:
        raise CommandError("--workers must be at least 1.")
    if not bind.strip():
        raise CommandError("--bind must not be empty (e.g. 127.0.0.1:8000).")
    return [
        sys.executable,
        "-m",
        "gunicorn",
        WSGI_APP,
        "--bind",
        bind,
        "--workers",
        str(workers),
        *extra,
    ]


class Command(BaseCommand):
    help = "Serve the web app with gunicorn (production; no migrations, no demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="Address to listen on [127.0.0.1:8000]."
        )
        parser.add_argument("--workers", type=int, default=2, help="Gunicorn worker processes [2].")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = gunicorn_argv(bind=options["bind"], workers=options["workers"])
        if settings.DEBUG:
            self.stderr.write("Warning: DEBUG is on; never serve the public with DEBUG=true.")
        self.stdout.write(f"Serving fairlance on http://{options['bind']}/ with gunicorn")
        self.stdout.flush()
        sys.stderr.flush()
        # The child reads the same settings module the command was started with.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
        os.execv(argv[0], argv)  # noqa: S606 - a fixed argv, no shell involved
