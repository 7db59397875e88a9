"""Where a scenario's CPU went: the web server, the database server, the load generator.

On a two-core machine that runs all three, throughput is bounded by the CPU each request
costs in total, so the report gives, per scenario, CPU milliseconds per request for each
part and how busy the machine was. Read from Linux's ``/proc`` (elsewhere the numbers are
left out): the web server is the server process and its workers, the database server every
process named ``postgres`` (SQLite runs inside the web workers), the load generator the
``wrk`` child that ran the scenario (``RUSAGE_CHILDREN``, counted once it has exited).
Processes are compared by pid: one that exits during the scenario (a database connection
closed) takes its CPU with it, so the numbers can only be low, never negative.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSample:
    web: dict[int, float]  # pid -> seconds of CPU so far
    database: dict[int, float]
    load: float
    busy: float  # the whole machine: seconds of CPU used, and of CPU available
    available: float


def process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # After the ")" closing the name: state is field 3, utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _machine_seconds() -> tuple[float, float]:
    """CPU seconds used and available on every core since boot (``/proc/stat``)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return (total - idle) / _TICKS, total / _TICKS


def sample(server_pid: int) -> CpuSample:
    web = {pid: process_seconds(pid) for pid in [server_pid, *_children(server_pid)]}
    database = {pid: process_seconds(pid) for pid in _postgres_pids()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, available = _machine_seconds()
    return CpuSample(web, database, children.ru_utime + children.ru_stime, busy, available)


def per_request(before: CpuSample, after: CpuSample, requests: int) -> dict[str, float]:
    """CPU ms per request of each part, and how busy the machine was (percent)."""
    if not requests or after.available <= before.available:
        return {}

    def ms(seconds: float) -> float:
        return round(1000 * seconds / requests, 2)

    def spent(first: dict[int, float], last: dict[int, float]) -> float:
        return sum(max(0.0, seconds - first.get(pid, 0.0)) for pid, seconds in last.items())

    return {
        "web_ms": ms(spent(before.web, after.web)),
        "database_ms": ms(spent(before.database, after.database)),
        "load_ms": ms(after.load - before.load),
        "machine_busy_pct": round(
            100 * (after.busy - before.busy) / (after.available - before.available), 1
        ),
    }
