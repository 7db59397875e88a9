"""``fairlance demo`` keeps its worker running (issue 11, item 22).

The demo's loop runs with fake children (no server, no worker): a worker that exits is
started again after a pause that grows while it keeps exiting, with a line in the log,
and the web server keeps running; the web server exiting stops the demo; Ctrl-C stops
both, even while the worker waits to be started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management.base import CommandError

from fairlance.core.management.commands import demo
from fairlance.core.management.commands.demo import Child, _Stop, supervise


class FakeProcess:
    """A child that runs for ``runs_for`` polls (for ever if None), then exits with ``code``."""

    def __init__(self, argv: list[str], runs_for: int | None = None, code: int = 1) -> None:
        self.argv = argv
        self.runs_for = runs_for
        self.code = code
        self.polls = 0
        self.returncode: int | None = None
        self.terminated = False

    def poll(self) -> int | None:
        if self.returncode is None and self.runs_for is not None:
            self.polls += 1
            if self.polls > self.runs_for:
                self.returncode = self.code
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        self.returncode = -signal.SIGTERM

    def kill(self) -> None:
        self.returncode = -signal.SIGKILL

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode


class Machine:
    """Fake children, a fake clock moved by the loop's sleeps, and the log."""

    def __init__(self, worker_runs: list[int | None], web_runs: int | None = None) -> None:
        self.worker_runs = iter(worker_runs)
        self.web_runs = web_runs
        self.now = 1000.0
        self.started: list[tuple[str, float, FakeProcess]] = []
        self.log: list[str] = []
        self.sleeps = 0
        self.stop_after_sleeps: int | None = None

    def spawn(self, argv: list[str]) -> FakeProcess:
        name = argv[0]
        runs = self.web_runs if name == "web" else next(self.worker_runs)
        process = FakeProcess(argv, runs_for=runs, code=3 if name == "web" else 1)
        self.started.append((name, self.now, process))
        return process

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.stop_after_sleeps is not None and self.sleeps > self.stop_after_sleeps:
            raise _Stop(signal.SIGINT)
        self.now += seconds

    def run(self, children: list[Child]) -> int:
        return supervise(
            children,
            spawn=self.spawn,
            say=self.log.append,
            clock=lambda: self.now,
            sleep=self.sleep,
        )

    def starts(self, name: str) -> list[float]:
        return [at - 1000.0 for n, at, _ in self.started if n == name]


def _children() -> list[Child]:
    return [Child("web", ["web"]), Child("worker", ["worker"], restart=True)]


def test_a_worker_that_dies_is_started_again_after_a_growing_pause() -> None:
    # Given a worker that dies at once, three times, then keeps running
    machine = Machine(worker_runs=[0, 0, 0, None])
    machine.stop_after_sleeps = 40  # then Ctrl-C
    children = _children()
    with pytest.raises(_Stop):
        machine.run(children)
    # Then it was started again each time: after 1, 2 and then 4 seconds from when the
    # loop, looking every half second, found it dead; and it runs now
    assert machine.starts("worker") == [0.0, 0.0 + 1, 1.5 + 2, 4.0 + 4]
    worker = children[1].process
    assert worker is not None and worker.poll() is None
    # and the web server was started once and never touched
    assert machine.starts("web") == [0.0]
    web = children[0].process
    assert isinstance(web, FakeProcess) and web.poll() is None and not web.terminated
    # and each death and restart is in the log
    assert machine.log == [
        "The worker process exited with code 1; starting it again in 1 s.",
        "Started the worker again.",
        "The worker process exited with code 1; starting it again in 2 s.",
        "Started the worker again.",
        "The worker process exited with code 1; starting it again in 4 s.",
        "Started the worker again.",
    ]


def test_the_pause_stops_growing_and_starts_over_once_the_worker_ran_a_while() -> None:
    # Given a worker that keeps dying at once, then runs for two minutes and dies again
    quick = [0] * 8
    machine = Machine(worker_runs=[*quick, 240, 0, None])
    machine.stop_after_sleeps = 600
    with pytest.raises(_Stop):
        machine.run(_children())
    pauses = [line.split(" in ")[1] for line in machine.log if "exited" in line]
    # The pause doubles up to 30 s and stays there; after a worker that ran a while, it is
    # back to 1 s (and grows from there)
    assert pauses == ["1 s.", "2 s.", "4 s.", "8 s.", "16 s.", "30 s.", "30 s.", "30 s.",
                      "1 s.", "2 s."]  # fmt: skip


def test_the_web_server_stopping_stops_the_demo() -> None:
    # Given a web server that exits after a while, and a worker that runs
    machine = Machine(worker_runs=[None], web_runs=5)
    # When the loop runs, then it returns the web server's exit code, restarting nothing
    assert machine.run(_children()) == 3
    assert machine.starts("web") == [0.0] and machine.starts("worker") == [0.0]
    assert machine.log == ["The web process exited with code 3."]


@pytest.fixture
def _sigint_restored() -> Iterator[None]:
    # Stopping ignores a second Ctrl-C for good (the demo exits next); the test run must not.
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("_sigint_restored")
def test_ctrl_c_stops_the_web_server_and_the_worker_while_it_waits_to_restart(
    monkeypatch: Any, capsys: Any
) -> None:
    # Given the demo command serving with fake children, whose worker dies at once
    started: list[FakeProcess] = []

    def popen(argv: list[str], **kwargs: Any) -> FakeProcess:
        is_worker = argv[-1] == "worker"
        process = FakeProcess(argv, runs_for=0 if is_worker else None)
        started.append(process)
        return process

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            # When the person presses Ctrl-C (the worker waits for its restart by then)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(demo.time, "sleep", sleep)
    demo.Command()._serve(port=8123, with_worker=True)

    # Then the web server was stopped, and the worker was not started again
    web, worker = started
    assert "gunicorn" in web.argv and web.terminated
    assert worker.argv[-1] == "worker" and worker.returncode == 1 and not worker.terminated
    out, err = capsys.readouterr()
    assert "starting it again in 1 s" in err
    assert "Stopping…" in out and out.rstrip().endswith("Stopped.")


@pytest.mark.usefixtures("_sigint_restored")
def test_the_command_stops_the_worker_when_the_web_server_dies(monkeypatch: Any) -> None:
    started: list[FakeProcess] = []

    def popen(argv: list[str], **kwargs: Any) -> FakeProcess:
        is_worker = argv[-1] == "worker"
        process = FakeProcess(argv, runs_for=None if is_worker else 2, code=9)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(demo.time, "sleep", lambda seconds: None)
    with pytest.raises(CommandError, match="exit code 9"):
        demo.Command()._serve(port=8123, with_worker=True)
    web, worker = started
    assert web.returncode == 9 and worker.terminated
