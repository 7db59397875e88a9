"""The benchmark's CPU accounting per scenario (fairlance/bench/cpu.py)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from fairlance.bench.cpu import CpuSample, per_request, sample
from fairlance.bench.scenarios import Result, markdown_table


def test_per_request_divides_each_part_by_the_requests() -> None:
    # web: two workers; database: one connection exits (its CPU is lost, never negative)
    # and one starts during the scenario
    before = CpuSample({1: 6.0, 2: 4.0}, {10: 3.0, 11: 9.0}, load=1.0, busy=100.0, available=200.0)
    after = CpuSample({1: 7.5, 2: 4.5}, {10: 3.75, 12: 0.25}, load=1.1, busy=118.0, available=220.0)
    assert per_request(before, after, 1000) == {
        "web_ms": 2.0,
        "database_ms": 1.0,
        "load_ms": 0.1,
        "machine_busy_pct": 90.0,
    }
    # Nothing measured (no requests, or no /proc): nothing reported rather than a guess.
    assert per_request(before, after, 0) == {}
    assert per_request(before, before, 1000) == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_a_sample_counts_the_server_process_and_its_children() -> None:
    first = sample(os.getpid())
    # Spend a tenth of a second of CPU in this process: /proc counts in clock ticks
    # (10 ms), so a shorter burst may not show.
    started = time.process_time()
    while time.process_time() - started < 0.1:
        sum(i * i for i in range(10_000))
    second = sample(os.getpid())
    assert sum(second.web.values()) > sum(first.web.values()) >= 0
    # The machine's counters are read too (a VM's can step back by a tick or two).
    assert second.available > 0 and second.busy > 0


def test_the_table_shows_the_cpu_columns_when_measured() -> None:
    measured = Result("search_api", 100, 1.0, 100.0, 1, 2, 3, 0, 0, {}, {})
    measured.cpu = {"web_ms": 1.5, "database_ms": 0.75, "load_ms": 0.1, "machine_busy_pct": 99.6}
    unmeasured = Result("baseline", 100, 1.0, 100.0, 1, 2, 3, 0, 0, {}, {})
    lines = markdown_table([measured, unmeasured]).splitlines()
    assert lines[2].endswith("| 1.50 | 0.75 | 0.10 | 100% |")
    assert lines[3].endswith("|  |  |  |  |")
    assert all(line.count("|") == lines[0].count("|") for line in lines)
