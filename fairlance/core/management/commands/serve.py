"""``fairlance serve``: the production web server running ``fairlance.wsgi``.

Granian (WSGI interface, one blocking thread per worker) by default, gunicorn with
``--server gunicorn``: the benchmark measured Granian 6-18% faster on every read and the
same on purchases (docs/performance.md). Both run one request at a time per worker process,
which is what Django's synchronous ORM and persistent connections want.

It does not migrate or load anything: deployments run ``fairlance migrate`` as a separate
step, so several web machines can start at once without racing on the schema. It does
collect the static files first (``collect_static_files``): without them the hashed-manifest
storage cannot name a stylesheet and every page is an error. Collecting is quiet and
skipped when no source file changed since the last run; a ``STATIC_ROOT`` it cannot write
stops it with a message saying what to do (``--no-collectstatic`` serves files collected
beforehand, e.g. into a read-only image). The process
*becomes* the server (``exec``), so signals from a supervisor or container runtime reach
it directly. More options go in ``GRANIAN_*`` environment variables or ``GUNICORN_CMD_ARGS``.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

WSGI_APP = "fairlance.wsgi:application"
SERVERS = ("granian", "gunicorn")


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


def granian_argv(*, bind: str, workers: int, extra: Sequence[str] = ()) -> list[str]:
    """The command line that runs Granian's WSGI server with this interpreter."""
    if workers < 1:
        raise CommandError("--workers must be at least 1.")
    host, _, port = bind.strip().rpartition(":")
    if not host or not port.isdigit():
        raise CommandError("--bind must be host:port (e.g. 127.0.0.1:8000).")
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host.strip("[]"),
        "--port",
        port,
        "--workers",
        str(workers),
        # One request at a time per process, like gunicorn's sync workers: Django's ORM
        # is synchronous and each thread would hold its own database connection.
        "--blocking-threads",
        "1",
        "--no-ws",
        *extra,
        WSGI_APP,
    ]


def server_argv(*, server: str, bind: str, workers: int, extra: Sequence[str] = ()) -> list[str]:
    """The command line of ``server`` (one of SERVERS) serving the app on ``bind``."""
    if server == "granian":
        return granian_argv(bind=bind, workers=workers, extra=extra)
    if server == "gunicorn":
        return gunicorn_argv(bind=bind, workers=workers, extra=extra)
    raise CommandError(f"--server must be one of: {', '.join(SERVERS)}.")


# Written into STATIC_ROOT after a successful collection: the fingerprint of the sources.
STAMP_NAME = ".fairlance-collected"
# collectstatic's default ignore patterns, so the fingerprint covers what it copies.
IGNORE_PATTERNS = ["CVS", ".*", "*~"]


def static_sources_fingerprint() -> str:
    """A digest of every static source file (path, size, modification time) and of the
    storage that collects them: it changes when a collection would change anything."""
    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]["BACKEND"]).encode())
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORE_PATTERNS):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode() + b"\n")
    return digest.hexdigest()


def collect_static_files() -> bool:
    """Make sure ``STATIC_ROOT`` holds the current static files; True if it collected.

    Skipped when the sources are unchanged since the last collection (it re-hashes and
    compresses every file, seconds of work, on every start otherwise). Raises
    ``CommandError`` with what to do when ``STATIC_ROOT`` cannot be written.
    """
    root = Path(settings.STATIC_ROOT)
    try:
        root.mkdir(parents=True, exist_ok=True)
        writable = os.access(root, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        raise CommandError(
            f"Cannot write the static files to STATIC_ROOT ({root}). Set STATIC_ROOT to a "
            "folder this user can write, or run `fairlance collectstatic --noinput` where "
            "it can and start with `fairlance serve --no-collectstatic`."
        )
    stamp = root / STAMP_NAME
    fingerprint = static_sources_fingerprint()
    if stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint + "\n")
    return True


class Command(BaseCommand):
    help = "Serve the web app with Granian or gunicorn (production; no migrations, no demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="Address to listen on [127.0.0.1:8000]."
        )
        parser.add_argument("--workers", type=int, default=2, help="Worker processes [2].")
        parser.add_argument(
            "--server", choices=SERVERS, default="granian", help="WSGI server [granian]."
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Serve the static files already in STATIC_ROOT without collecting them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = options["server"]
        argv = server_argv(server=server, bind=options["bind"], workers=options["workers"])
        if not options["no_collectstatic"] and collect_static_files():
            self.stdout.write(f"Collected static files into {settings.STATIC_ROOT}")
        if settings.DEBUG:
            self.stderr.write("Warning: DEBUG is on; never serve the public with DEBUG=true.")
        self.stdout.write(f"Serving fairlance on http://{options['bind']}/ with {server}")
        self.stdout.flush()
        sys.stderr.flush()
        # The child reads the same settings module the command was started with.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
        os.execv(argv[0], argv)  # noqa: S606 - a fixed argv, no shell involved
