"""``fairlance demo``: migrate, load the demo marketplace, then serve web and worker.

Serving choices, and why:

* The web app runs under gunicorn (2 workers), the same server as production, with
  ``DEBUG`` left off so the demo behaves like the real thing (error pages, no debug
  toolbar-style leaks). Static files are served by WhiteNoise straight from the app
  folders (``WHITENOISE_USE_FINDERS``), so no ``collectstatic`` is needed; for that the
  children run with ``STATIC_MANIFEST=false`` because the manifest storage would demand a
  ``collectstatic`` run first. Uploaded media (gallery pictures) are served by Django
  (``SERVE_MEDIA``, on by default).
* The worker (``fairlance worker``, which fires timers and sends notifications) runs as a
  second child when that command is installed. The demo supervises it: a worker that dies
  (a crash, an out-of-memory kill, ``kill -9``) is started again after a short pause that
  grows while it keeps dying (1 s, 2 s, 4 s … up to 30 s, back to 1 s once it has run a
  minute), with a line in the log; the web server keeps serving meanwhile. Timers and jobs
  are database rows, so a restarted worker picks up where the dead one stopped. The web
  server stopping stops the demo, as it cannot serve without it.
* Children start in their own session so that Ctrl-C reaches only this process, which
  then stops them in order (SIGTERM, then SIGKILL after a timeout) instead of each child
  racing to print its own interrupt traceback.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.test.utils import override_settings

from fairlance.core.management.commands.serve import gunicorn_argv
from fairlance.demo.data import DEMO_PASSWORD
from fairlance.demo.load import DemoSummary, demo_load

STOP_TIMEOUT_SECONDS = 10
# How often the demo looks at its children.
POLL_SECONDS = 0.5
# Seconds before a worker that exited is started again: the first, then the next each time
# it exits again soon after, staying at the last.
RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
# A worker that ran this long before it exited is restarted after the first delay again.
STABLE_SECONDS = 60.0


class _Stop(Exception):
    """Raised from the signal handler (Ctrl-C, SIGTERM, SIGHUP) to leave the wait loop."""


class Process(Protocol):
    """What the demo needs of a child process (``subprocess.Popen``, or a test's fake)."""

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class Child:
    """One process the demo runs: the web server, or the worker (``restart``)."""

    name: str
    argv: list[str]
    restart: bool = False
    process: Process | None = None
    started_at: float = 0.0
    # Exits in a row soon after a start; picks the next restart delay.
    quick_exits: int = 0
    # While the child waits to be started again: when.
    restart_at: float | None = None

    def start(self, spawn: Callable[[list[str]], Process], now: float) -> None:
        self.process = spawn(self.argv)
        self.started_at = now
        self.restart_at = None

    def schedule_restart(self, now: float) -> float:
        """Note that the child exited at ``now``; returns the seconds before its restart."""
        if now - self.started_at >= STABLE_SECONDS:
            self.quick_exits = 0
        delay = RESTART_DELAYS[min(self.quick_exits, len(RESTART_DELAYS) - 1)]
        self.quick_exits += 1
        self.process = None
        self.restart_at = now + delay
        return delay


def supervise(
    children: list[Child],
    *,
    spawn: Callable[[list[str]], Process],
    say: Callable[[str], None],
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Start ``children`` and keep them running; returns the exit code of the first child
    that exits and is not restarted (the web server).

    A child with ``restart`` that exits is started again after a delay
    (``RESTART_DELAYS``), with a line through ``say`` each time. Runs until then, or until
    ``sleep`` raises (a stop signal's handler raises ``_Stop``); either way the caller
    stops whatever still runs (``Child.process``). ``clock`` and ``sleep`` default to
    ``time.monotonic`` and ``time.sleep``.
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    for child in children:
        child.start(spawn, clock())
    while True:
        for child in children:
            now = clock()
            if child.process is None:
                if child.restart_at is not None and now >= child.restart_at:
                    child.start(spawn, now)
                    say(f"Started the {child.name} again.")
                continue
            code = child.process.poll()
            if code is None:
                continue
            if not child.restart:
                say(f"The {child.name} process exited with code {code}.")
                return code or 1
            delay = child.schedule_restart(now)
            say(
                f"The {child.name} process exited with code {code}; "
                f"starting it again in {delay:g} s."
            )
        sleep(POLL_SECONDS)


def _sqlite_path() -> Path | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return None
    return Path(str(db["NAME"]))


def child_environment(port: int = 8000) -> dict[str, str]:
    """The environment for the web and worker children (see the module docstring).

    Emails link to ``FAIRLANCE_SITE_URL``: unless it is set, the demo's own address.
    """
    env = dict(os.environ)
    env.setdefault("FAIRLANCE_SITE_URL", f"http://127.0.0.1:{port}")
    env.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    env.setdefault("STATIC_MANIFEST", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def worker_available() -> bool:
    return "worker" in get_commands()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Run the marketplace with demo data at http://127.0.0.1:8000: migrate, load the "
        "demo data if missing, then serve the web app and the worker until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port on 127.0.0.1 [8000].")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the SQLite demo database (and its uploaded media) and start afresh.",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only migrate and load the demo data, then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        if not 1 <= port <= 65535:
            raise CommandError("--port must be between 1 and 65535.")
        if getattr(settings, "PRODUCTION", False):
            # Demo accounts share a published password; they must never reach a real site.
            raise CommandError("fairlance demo does not run with PRODUCTION=true.")
        # Checked before --reset so a busy port never costs the user their demo database.
        if not options["no_serve"] and not port_is_free(port):
            raise CommandError(f"Port {port} is already in use; pick another with --port.")
        if options["reset"]:
            self._reset()
        sqlite = _sqlite_path()
        if sqlite is not None:
            sqlite.parent.mkdir(parents=True, exist_ok=True)
        # WhiteNoise warns on every start when STATIC_ROOT is missing, although the demo
        # serves static files from the app folders; an empty folder keeps the log quiet.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)

        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        # The demo's own purchases notify the demo people, whose addresses are made up:
        # those emails go nowhere rather than to the console or a configured SMTP server.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            summary = demo_load()
        self._report_load(summary)
        if options["no_serve"]:
            return
        # The children open their own connections; ours would only hold SQLite locks.
        connections.close_all()
        self._serve(port=port, with_worker=not options["no_worker"])

    # --- steps ----------------------------------------------------------------------------

    def _reset(self) -> None:
        path = _sqlite_path()
        if path is None:
            raise CommandError(
                "--reset only deletes the SQLite demo database; drop a PostgreSQL database "
                "with your own tools."
            )
        connections.close_all()
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            candidate.unlink(missing_ok=True)
        # Uploaded demo pictures belong to the deleted database. Only the default media
        # folder (inside the demo's var/ directory) is cleared, never a configured one.
        media = Path(settings.MEDIA_ROOT)
        var_dir = Path(settings.VAR_DIR)
        if media.is_dir() and media.resolve().is_relative_to(var_dir.resolve()):
            shutil.rmtree(media)
        self.stdout.write(f"Deleted {path}.")

    def _report_load(self, summary: DemoSummary) -> None:
        if summary.created_anything:
            self.stdout.write(
                f"Demo data loaded: {summary.users_created} accounts, "
                f"{summary.projects_created} projects, {summary.images_created} pictures."
            )
        else:
            self.stdout.write("Demo data already loaded.")

    def _banner(self, port: int, with_worker: bool) -> None:
        url = f"http://127.0.0.1:{port}/"
        lines = [
            "",
            f"  fairlance demo is starting at {url}",
            f"  API docs: {url}api/v1/docs    admin: {url}admin/",
            "",
            f"  Demo accounts (password for all: {DEMO_PASSWORD})",
        ]
        from fairlance.demo.load import demo_logins

        for role, name, email in demo_logins():
            lines.append(f"    {role:<11} {name:<16} {email}")
        lines += [
            "",
            "  Worker: " + ("running" if with_worker else "not started"),
            "  Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

    def _serve(self, *, port: int, with_worker: bool) -> None:
        env = child_environment(port)
        commands: list[tuple[str, list[str]]] = [
            (
                "web",
                gunicorn_argv(
                    bind=f"127.0.0.1:{port}",
                    workers=2,
                    # No control socket: it lives in $HOME and a second demo (or a
                    # production gunicorn on the same machine) would collide with it.
                    extra=(
                        "--access-logfile",
                        "-",
                        "--graceful-timeout",
                        "5",
                        "--no-control-socket",
                    ),
                ),
            )
        ]
        if with_worker and not worker_available():
            self.stdout.write("The worker command is not installed; serving without it.")
            with_worker = False
        if with_worker:
            commands.append(("worker", [sys.executable, "-m", "fairlance.cli", "worker"]))
        self._banner(port, with_worker)

        def stop_signal(signum: int, frame: FrameType | None) -> None:
            raise _Stop(signum)

        def spawn(argv: list[str]) -> Process:
            return subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603

        # SIGINT is handled explicitly too: a shell starting us in the background leaves it
        # ignored, and then Python would never raise KeyboardInterrupt.
        stop_on = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, stop_signal) for sig in stop_on}
        children = [Child(name, argv, restart=name == "worker") for name, argv in commands]
        exit_code = 0
        try:
            exit_code = supervise(children, spawn=spawn, say=self.stderr.write)
        except (KeyboardInterrupt, _Stop):
            self.stdout.write("\nStopping…")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            _stop_all([c.process for c in children if c.process is not None])
        if exit_code:
            raise CommandError(f"A demo process stopped unexpectedly (exit code {exit_code}).")
        self.stdout.write("Stopped.")


def _stop_all(processes: list[Process]) -> None:
    """SIGTERM every running child, then SIGKILL whatever is still alive after a timeout."""
    # A second Ctrl-C while stopping would abandon the children mid-shutdown; the timeout
    # below already bounds how long stopping can take.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
