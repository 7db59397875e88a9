"""A real process SIGKILLed mid-purchase, on SQLite and PostgreSQL (issue 11, item 19).

Every step runs in a process of its own (``tests/contracts/purchase_process.py``) against a
database they share: the test's own PostgreSQL database (committed data: a transactional
test), or a fresh SQLite file. The purchase process is killed right after the processor
took the money, before its transaction; then a retry within the lease is told to wait, one
after it completes the same attempt with the same payment, and a purchase nobody retries
is given back by the worker within a minute.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from fairlance.core.idempotency import idempotency_lease
from tests.conftest import is_postgres

pytestmark = [
    # The processes share committed data; serialized_rollback restores the seeded
    # categories that the flush afterwards removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
# Generous: a process starts Django in a second or two, but the machine may be busy.
STEP_TIMEOUT = 120


class Processes:
    """Runs ``purchase_process`` commands against one database."""

    def __init__(self, database_url: str) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "fairlance.settings",
        }

    def argv(self, command: str, **options: Any) -> list[str]:
        argv = [sys.executable, "-m", "tests.contracts.purchase_process", command]
        for name, value in options.items():
            if value is True:
                argv.append(f"--{name.replace('_', '-')}")
            elif value is not None:
                argv += [f"--{name.replace('_', '-')}", str(value)]
        return argv

    def run(self, command: str, **options: Any) -> Any:
        done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
            self.argv(command, **options),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def buy_and_kill(self, **options: Any) -> dict[str, Any]:
        """Start a purchase, SIGKILL it once the processor has taken the money; returns
        what it said it paid (``paid_at``, ``reference``)."""
        process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            self.argv("buy", die_after_payment=True, **options),
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], STEP_TIMEOUT)
            assert ready, "the purchase never reached the processor"
            line = process.stdout.readline()
            assert line.startswith("PAID "), line
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == -signal.SIGKILL
        return dict(json.loads(line.removeprefix("PAID ")))


@pytest.fixture
def processes(tmp_path: Path) -> Processes:
    if is_postgres():
        db = connection.settings_dict
        return Processes(f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    # The test database of SQLite lives in this process's memory: the processes get a file.
    shared = Processes(f"sqlite:///{tmp_path / 'shared.sqlite3'}")
    migrate = [sys.executable, "-m", "fairlance.cli", "migrate", "-v0"]
    subprocess.run(migrate, env=shared.env, cwd=ROOT, check=True, timeout=STEP_TIMEOUT)  # noqa: S603
    return shared


def _at(paid_at: str, seconds: float) -> str:
    return (datetime.fromisoformat(paid_at) + timedelta(seconds=seconds)).isoformat()


def test_a_purchase_killed_after_its_payment_recovers_by_retry_or_by_the_worker(
    processes: Processes,
) -> None:
    setup = processes.run("setup")
    token = setup["token"]
    instant, request = setup["projects"]["instant"], setup["projects"]["request"]
    lease = idempotency_lease().total_seconds()

    # --- a purchase killed after the charge, and its client's retries ---------------------
    killed = processes.buy_and_kill(
        project=instant["id"], tier=instant["tier"], token=token, key="k-instant"
    )
    state = processes.run("report")
    assert [p["kind"] for p in state["payments"]] == ["charge"]
    assert state["contracts"] == [] and state["slots"][str(instant["id"])] == 1
    assert [a["state"] for a in state["attempts"]] == ["in_flight"]
    assert [k["state"] for k in state["keys"]] == ["in_progress"]

    # A retry 10 seconds later is told to wait, and for how long
    early = processes.run(
        "buy",
        at=_at(killed["paid_at"], 10),
        project=instant["id"],
        tier=instant["tier"],
        token=token,
        key="k-instant",
    )
    assert (early["status"], early["body"]["code"]) == (409, "idempotency_in_progress")
    assert 0 < int(early["retry_after"]) <= lease - 10 + 1

    # A retry after the lease completes the same attempt with the same charge
    late = processes.run(
        "buy",
        at=_at(killed["paid_at"], lease + 1),
        project=instant["id"],
        tier=instant["tier"],
        token=token,
        key="k-instant",
    )
    assert late["status"] == 201, late
    state = processes.run("report")
    (contract,) = state["contracts"]
    (charge,) = state["payments"]
    assert (charge["kind"], charge["ok"], charge["reference"]) == (
        "charge",
        True,
        killed["reference"],
    )
    assert contract["charge_ref"] == charge["provider_ref"]
    assert late["body"]["id"] == contract["id"]
    assert state["slots"][str(instant["id"])] == 1
    assert [a["state"] for a in state["attempts"]] == ["kept"]
    assert state["ledger_problems"] == []

    # --- a request killed after the hold, that nobody retries ------------------------------
    held = processes.buy_and_kill(
        project=request["id"],
        tier=request["tier"],
        answers=json.dumps(request["answers"]),
        token=token,
        key="k-request",
    )
    # The worker, running 45 seconds after the crash, releases the hold and the slot
    processes.run("worker", at=_at(held["paid_at"], 45))
    state = processes.run("report")
    hold = next(p for p in state["payments"] if p["kind"] == "authorize")
    voids = [p for p in state["payments"] if p["kind"] == "void" and p["ok"]]
    assert [v["charge_ref"] for v in voids] == [hold["provider_ref"]]
    assert voids[0]["reference"] == f"{held['reference']}:undo"
    assert state["slots"][str(request["id"])] == 0
    assert len(state["contracts"]) == 1  # the instant purchase's only
    assert {k["key"] for k in state["keys"]} == {"k-instant"}  # the dead claim is gone
    assert state["ledger_problems"] == []
