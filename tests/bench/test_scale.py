"""The scale curve's machinery: sizes, one database per size, reuse, the side-by-side report.

The end-to-end test seeds two tiny catalogs into SQLite files of its own (whatever database
the suite runs on) and benchmarks them for a second per scenario; CI never seeds more.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fairlance.bench.scale import (
    SCALE_SCENARIOS,
    ScaleReport,
    SizeRun,
    check_scenarios,
    evaluate_targets,
    parse_sizes,
    prepare_size,
    render_markdown,
    scale_seed_config,
    size_label,
    size_store,
)


def test_sizes_are_read_as_people_write_them() -> None:
    # Given sizes with units, repeats and spaces, then they are counted, sorted and unique
    assert parse_sizes("10k,100k,1M") == (10_000, 100_000, 1_000_000)
    assert parse_sizes(" 1m, 300,10K,300") == (300, 10_000, 1_000_000)
    assert [size_label(n) for n in (300, 10_000, 100_000, 1_000_000, 2_500)] == [
        "300",
        "10k",
        "100k",
        "1M",
        "2500",
    ]
    # And nonsense or catalogs too small for the fixtures are refused
    for text in ("ten", "10x", "", "50", "1.5M"):
        with pytest.raises(ValueError):
            parse_sizes(text)


def test_populations_grow_with_the_catalog_and_trade_stops_at_100k() -> None:
    small, full, large = (scale_seed_config(n) for n in (10_000, 100_000, 1_000_000))
    # Freelancers grow with the catalog everywhere
    assert (small.freelancers, full.freelancers, large.freelancers) == (2_000, 20_000, 200_000)
    # Clients and contracts up to 100k projects (the default seed there), then no further
    assert (small.clients, small.contracts) == (5_000, 30_000)
    assert (full.clients, full.contracts) == (50_000, 300_000)
    assert (large.clients, large.contracts) == (50_000, 300_000)


def test_each_size_gets_a_database_named_after_the_base() -> None:
    pg = size_store("postgres://postgres@127.0.0.1:5432/fl_bench?sslmode=disable", 1_000_000)
    assert pg.name == "fl_bench_1m"
    assert pg.url == "postgres://postgres@127.0.0.1:5432/fl_bench_1m?sslmode=disable"
    lite = size_store("sqlite:////var/tmp/bench.sqlite3", 10_000)
    assert lite.name == "/var/tmp/bench_10k.sqlite3"
    assert lite.url == "sqlite:////var/tmp/bench_10k.sqlite3"
    with pytest.raises(ValueError, match="must name a file"):
        size_store("sqlite://:memory:", 300)
    with pytest.raises(ValueError, match="PostgreSQL or SQLite"):
        size_store("mysql://root@localhost/fl", 300)


def test_writing_scenarios_are_refused_and_the_baselines_always_run() -> None:
    assert check_scenarios(("search_api",)) == ("baseline", "baseline_db", "search_api")
    assert check_scenarios(SCALE_SCENARIOS) == SCALE_SCENARIOS
    with pytest.raises(ValueError, match="purchase writes"):
        check_scenarios(("search_api", "purchase"))


def test_targets_are_judged_at_their_size_only() -> None:
    # Given a run of 10k and 100k where the 100k search API is fast but its page is slow
    def size(projects: int, results: list[dict[str, object]]) -> SizeRun:
        return SizeRun(size_label(projects), projects, "db", {}, "reused", {}, {"results": results})

    api = {"scenario": "search_api", "requests": 900, "ratio_db": 0.45, "p99_ms": 80.0}
    page = {"scenario": "search_page", "requests": 500, "ratio_db": 0.25, "p99_ms": 60.0}
    slow_api = {"scenario": "search_api", "requests": 90, "ratio_db": 0.10, "p99_ms": 900.0}
    report = ScaleReport(
        "now", "postgresql", {}, {}, [size(10_000, [slow_api]), size(100_000, [api, page])]
    )

    # When the targets are evaluated
    verdicts = {(t["size"], t["scenario"]): t["status"] for t in evaluate_targets(report)}

    # Then the 10k numbers judge nothing, and 1M was not run
    assert verdicts == {
        ("100k", "search_api"): "met",
        ("100k", "search_page"): "missed",
        ("1M", "search_api"): "not run",
    }


def test_a_database_holding_other_users_is_not_replaced(tmp_path: Path) -> None:
    # Given a file where the 300-project database would go, with a user the seed did not write
    store = size_store(f"sqlite:///{tmp_path}/scale.sqlite3", 300)
    with sqlite3.connect(store.name) as conn:
        conn.execute("CREATE TABLE accounts_user (email text)")
        conn.execute("INSERT INTO accounts_user VALUES ('someone@example.com')")

    # When the scale curve prepares that size, then it refuses and leaves the file alone
    with pytest.raises(RuntimeError, match="--reseed"):
        prepare_size(store, scale_seed_config(300), reseed=False, out=lambda line: None, prefix="")
    with sqlite3.connect(store.name) as conn:
        assert conn.execute("SELECT email FROM accounts_user").fetchall() == [
            ("someone@example.com",)
        ]


def test_scale_options_need_scale() -> None:
    with pytest.raises(CommandError, match="go with --scale"):
        call_command("bench", "--reseed")
    with pytest.raises(CommandError, match="not a catalog size"):
        call_command("bench", "--scale", "big", "--database-url", "sqlite:////tmp/x.sqlite3")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_scale_curve_seeds_each_size_once_and_reports_them_side_by_side(tmp_path: Path) -> None:
    # Given no databases yet, when the curve runs at 300 and 600 projects for 1 s each
    base = f"sqlite:///{tmp_path}/scale.sqlite3"
    results = tmp_path / "results"
    call_command(
        "bench", "--scale", "300,600", "--duration", "1", "--database-url", base,
        "--results-dir", str(results), "--fail-on-errors", stdout=io.StringIO(),
    )  # fmt: skip

    # Then one markdown and one JSON result hold both sizes
    [md] = results.glob("*-sqlite-scale.md")
    [js] = results.glob("*-sqlite-scale.json")
    report = json.loads(js.read_text())
    assert [s["label"] for s in report["sizes"]] == ["300", "600"]
    for size in report["sizes"]:
        # each seeded in this run into its own file, with its own scenarios' numbers
        assert size["seed_status"] == "seeded"
        assert size["seed"]["rows"]["Project"] == size["projects"]
        assert size["seed"]["steps"]["search_index"]["wall"] >= 0
        measured = {r["scenario"]: r for r in size["bench"]["results"]}
        assert list(measured) == list(SCALE_SCENARIOS)
        assert all(r["requests"] > 0 and r["errors"] == 0 for r in measured.values())
        assert measured["baseline_db"]["ratio_db"] == 1.0
        assert Path(size["database"]).exists()
    assert {t["status"] for t in report["targets"]} == {"not run"}
    # And the markdown has one column group per size and a row per scenario
    text = md.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| scenario |"))
    assert "| 300 req/s |" in header and "| 600 req/s |" in header
    assert header.count("p99 ms") == 2
    for name in SCALE_SCENARIOS:
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        assert row.count("|") == header.count("|")
    assert "| 300 | `scale_300.sqlite3` | 300 | 60 | 150 | 900 | seeded in this run |" in text

    # And a second run reuses the database as seeded and can rebuild only the search index
    again = tmp_path / "again"
    call_command(
        "bench", "--scale", "300", "--duration", "1", "--database-url", base, "--reindex",
        "--scenario", "baseline_db", "--results-dir", str(again), stdout=io.StringIO(),
    )  # fmt: skip
    [second] = (json.loads(p.read_text())["sizes"] for p in again.glob("*.json"))
    assert second[0]["seed_status"] == "reused"
    assert second[0]["seed"]["seeded_at"] == report["sizes"][0]["seed"]["seeded_at"]
    assert second[0]["bench"]["reindex"]["indexed"] == 300
    assert "search index rebuilt" in next(again.glob("*.md")).read_text()
    assert store_mark(base, 300)["reindexed"]["indexed"] == 300


def store_mark(base: str, projects: int) -> dict[str, object]:
    mark = size_store(base, projects).mark()
    assert mark is not None
    return mark


def test_a_scenario_nobody_answered_is_called_out_in_the_report() -> None:
    # Given a size where search got no answer within the run (workers stuck on a lock)
    def result(name: str, requests: int) -> dict[str, object]:
        rps = requests / 10
        return {
            "scenario": name, "requests": requests, "rps": rps, "p50_ms": 1.0, "p95_ms": 2.0,
            "p99_ms": 3.0, "ratio_db": rps / 100, "errors": 0, "cpu": {},
        }  # fmt: skip

    size = SizeRun(
        "1M", 1_000_000, "fl_bench_1m", scale_seed_config(1_000_000).__dict__, "reused",
        {"seeded_at": "earlier", "seconds": 480.0, "steps": {}},
        {"results": [result("baseline_db", 1000), result("search_api", 0)]},
    )  # fmt: skip
    report = ScaleReport("now", "postgresql", {}, {"duration": 10, "connections": 16,
                         "workers": 2, "server": "granian"}, [size])  # fmt: skip

    # When it is written, then the silence is said, and the target counts as missed
    text = render_markdown(report)
    assert "**No request answered within the run in: 1M search_api.**" in text
    assert evaluate_targets(report)[2]["status"] == "missed"
