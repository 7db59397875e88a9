"""``fairlance bench --scale 10k,100k,1M``: the search scenarios at several catalog sizes.

Each size has a database of its own, named after the one ``DATABASE_URL`` (or
``--database-url``) names: PostgreSQL ``fl_bench`` gives ``fl_bench_10k``, ``fl_bench_100k``
and ``fl_bench_1m`` on the same server; SQLite ``/path/bench.sqlite3`` gives
``/path/bench_10k.sqlite3`` and so on. A size's database is created if missing, seeded
(``scale_seed_config``) and marked as seeded with that configuration: on PostgreSQL in the
database's comment, on SQLite in a ``.seed.json`` file next to it. A later run finds the
mark and reuses the database as it is (``--reseed`` drops and seeds it again; a database
left without a mark by an interrupted seed is seeded again, unless it holds users the seed
did not write). ``--reindex`` rebuilds only the search index of each reused database.

Everything that touches a size's database runs as a child process (``fairlance migrate``,
``fairlance seed``, ``fairlance bench``) with ``DATABASE_URL`` pointing at it, so each size
gets fresh settings, connections and caches; this process only creates, drops and marks
databases. The results of every size go into one markdown and JSON report
(``<time>-<database>-scale.md``/``.json``), side by side, with the targets of issue 14.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
from psycopg import sql

from fairlance.accounts.models import User
from fairlance.bench.runner import machine
from fairlance.bench.scenarios import BASELINES, SCENARIOS
from fairlance.bench.seed import REPORT_LINE, SEED_EMAIL_DOMAIN, SeedConfig

# The scenarios of the curve: what search costs as the catalog grows, against the two
# baselines. All of them only read, so a seeded database can be reused run after run.
SCALE_SCENARIOS = ("baseline", "baseline_db", "search_api", "search_page", "project_page")
# The smallest catalog the benchmark's fixtures work with (20 purchasable projects, ...).
MIN_SIZE = 100
# Where the seed stops growing the populations that search does not read (see
# ``scale_seed_config``).
TRADE_CAP = 100_000
MARK_PREFIX = "fairlance seed "


@dataclass(frozen=True)
class ScaleTarget:
    """A target of issue 14 at one catalog size (stated for PostgreSQL)."""

    projects: int
    scenario: str
    ratio_db: float | None = None
    p99_ms: float | None = None

    def text(self) -> str:
        parts = []
        if self.ratio_db is not None:
            parts.append(f"≥ {self.ratio_db:.2f} of baseline_db")
        if self.p99_ms is not None:
            parts.append(f"p99 ≤ {self.p99_ms:.0f} ms")
        return ", ".join(parts)


SCALE_TARGETS = (
    ScaleTarget(100_000, "search_api", ratio_db=0.40, p99_ms=100),
    ScaleTarget(100_000, "search_page", ratio_db=0.30),
    ScaleTarget(1_000_000, "search_api", p99_ms=250),
)


@dataclass(frozen=True)
class ScaleOptions:
    sizes: tuple[int, ...]
    base_url: str
    duration: int = 10
    connections: int = 16
    workers: int = 2
    server: str = "granian"
    scenarios: tuple[str, ...] = SCALE_SCENARIOS
    reseed: bool = False
    reindex: bool = False
    results_dir: Path = Path("bench/results")
    label: str = ""
    seed: int = 42


@dataclass
class SizeRun:
    label: str
    projects: int
    database: str  # the database's name or file
    config: dict[str, int]
    # "seeded" in this run, or "reused" (seeded earlier, found by its mark).
    seed_status: str
    # The mark: when and in how long it was seeded, rows and times per step.
    seed: dict[str, Any]
    bench: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScaleReport:
    started_at: str
    database: str
    machine: dict[str, Any]
    options: dict[str, Any]
    sizes: list[SizeRun]
    targets: list[dict[str, Any]] = field(default_factory=list)


# --- sizes and what each seeds --------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"10k,100k,1M"`` -> (10000, 100000, 1000000), ascending, without repeats."""
    sizes: set[int] = set()
    for token in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)\s*", token)
        if match is None:
            raise ValueError(f"not a catalog size: {token.strip()!r} (write 300, 10k or 1M)")
        number, unit = int(match[1]), match[2].lower()
        size = number * {"": 1, "k": 1_000, "m": 1_000_000}[unit]
        if size < MIN_SIZE:
            raise ValueError(f"a catalog of {size} projects is too small (at least {MIN_SIZE})")
        sizes.add(size)
    return tuple(sorted(sizes))


def size_label(projects: int) -> str:
    if projects % 1_000_000 == 0:
        return f"{projects // 1_000_000}M"
    if projects % 1_000 == 0:
        return f"{projects // 1_000}k"
    return str(projects)


def scale_seed_config(projects: int, seed: int = 42) -> SeedConfig:
    """What a catalog of ``projects`` is seeded with.

    Freelancers grow with the catalog (one per five projects, as in the default seed):
    every search card joins its freelancer and calendar. Clients and contracts grow with
    it up to ``TRADE_CAP`` projects (one client per two projects, three contracts per
    project: the default 100k seed) and stay there beyond: search reads none of them, only
    the ratings they leave on projects, and contracts are the most expensive rows to seed.
    At 1M projects about a quarter of the projects have contracts (nine in ten at 100k),
    so fewer are rated and the ``min_rating`` filter matches a smaller share.
    """
    trading = min(projects, TRADE_CAP)
    return SeedConfig(
        projects=projects,
        freelancers=max(1, projects // 5),
        clients=max(1, trading // 2),
        contracts=trading * 3,
        seed=seed,
    )


def _config_key(config: SeedConfig) -> dict[str, int]:
    return {
        k: getattr(config, k) for k in ("projects", "freelancers", "clients", "contracts", "seed")
    }


# --- one database per size ------------------------------------------------------------------


class SizeStore(Protocol):
    """A size's database as this process sees it: without Django, by the server's tools."""

    name: str
    url: str

    def exists(self) -> bool: ...
    def create(self) -> None: ...
    def drop(self) -> None: ...
    def mark(self) -> dict[str, Any] | None: ...
    def set_mark(self, mark: dict[str, Any]) -> None: ...
    def has_foreign_users(self) -> bool: ...


_FOREIGN_USERS = f"SELECT EXISTS (SELECT 1 FROM {User._meta.db_table} WHERE email NOT LIKE %s)"  # noqa: S608
_SEED_EMAILS = f"%@{SEED_EMAIL_DOMAIN}"


class PostgresStore:
    """A database on the server of the base URL; the mark is the database's comment."""

    def __init__(self, base_url: str, suffix: str) -> None:
        parts = urlsplit(base_url)
        base = parts.path.lstrip("/")
        if not base:
            raise ValueError("the database URL names no database")
        self.name = f"{base}_{suffix}"
        if len(self.name.encode()) > 63:
            raise ValueError(f"database name too long for PostgreSQL: {self.name}")
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        self._server = urlunsplit(parts._replace(path="/postgres"))

    def _admin(self) -> psycopg.Connection[Any]:
        # CREATE and DROP DATABASE cannot run in a transaction.
        return psycopg.connect(self._server, autocommit=True)

    def exists(self) -> bool:
        with self._admin() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
            return row.fetchone() is not None

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def mark(self) -> dict[str, Any] | None:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [self.name],
            ).fetchone()
        return _read_mark(row[0] if row else None)

    def set_mark(self, mark: dict[str, Any]) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(self.name), sql.Literal(MARK_PREFIX + json.dumps(mark))
                )
            )

    def has_foreign_users(self) -> bool:
        with psycopg.connect(self.url) as conn:
            try:
                row = conn.execute(_FOREIGN_USERS, [_SEED_EMAILS]).fetchone()
            except psycopg.errors.UndefinedTable:
                return False
        return bool(row and row[0])


class SqliteStore:
    """A file next to the base file; the mark is a JSON file next to it."""

    def __init__(self, base_path: str, suffix: str) -> None:
        if not base_path or base_path == ":memory:":
            raise ValueError("the SQLite URL must name a file")
        base = Path(base_path)
        self.path = base.with_name(f"{base.stem}_{suffix}{base.suffix}")
        self.name = str(self.path)
        self.url = f"sqlite:///{self.path}"
        self._mark = self.path.with_name(self.path.name + ".seed.json")

    def exists(self) -> bool:
        return self.path.exists()

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def drop(self) -> None:
        self._mark.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def mark(self) -> dict[str, Any] | None:
        if not self._mark.exists() or not self.exists():
            return None
        return _read_mark(self._mark.read_text())

    def set_mark(self, mark: dict[str, Any]) -> None:
        self._mark.write_text(MARK_PREFIX + json.dumps(mark) + "\n")

    def has_foreign_users(self) -> bool:
        with sqlite3.connect(self.path) as conn:
            try:
                row = conn.execute(_FOREIGN_USERS.replace("%s", "?"), [_SEED_EMAILS]).fetchone()
            except sqlite3.OperationalError:  # no such table: never migrated
                return False
        return bool(row and row[0])


def _read_mark(text: str | None) -> dict[str, Any] | None:
    if not text or not text.startswith(MARK_PREFIX):
        return None
    try:
        mark = json.loads(text[len(MARK_PREFIX) :])
    except ValueError:
        return None
    return mark if isinstance(mark, dict) else None


def database_vendor(url: str) -> str:
    engine = str(dj_database_url.parse(url)["ENGINE"])
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise ValueError(f"the scale curve runs on PostgreSQL or SQLite, not {engine}")


def size_store(base_url: str, projects: int) -> SizeStore:
    suffix = size_label(projects).lower()
    if database_vendor(base_url) == "postgresql":
        return PostgresStore(base_url, suffix)
    return SqliteStore(str(dj_database_url.parse(base_url)["NAME"]), suffix)


# --- child processes ------------------------------------------------------------------------


def run_child(argv: list[str], url: str, out: Callable[[str], None], prefix: str) -> list[str]:
    """Run ``fairlance <argv>`` against the database ``url``, echoing its output; returns
    its lines. Raises RuntimeError if it fails."""
    env = dict(os.environ, DATABASE_URL=url, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "fairlance.cli", *argv]
    lines: list[str] = []
    # A fixed command of this interpreter; the arguments are our own options.
    with subprocess.Popen(  # noqa: S603
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            out(f"{prefix}{line}")
    if proc.returncode != 0:
        tail = "\n".join(lines[-15:])
        raise RuntimeError(f"`fairlance {argv[0]}` failed (exit {proc.returncode}):\n{tail}")
    return lines


def prepare_size(
    store: SizeStore,
    config: SeedConfig,
    *,
    reseed: bool,
    out: Callable[[str], None],
    prefix: str,
) -> tuple[str, dict[str, Any]]:
    """Make ``store`` a migrated database seeded with ``config``: reuse it if its mark says
    so, else (re)create and seed it. Returns ("seeded" or "reused", the mark)."""
    wanted = _config_key(config)
    mark = store.mark() if store.exists() else None
    if mark is not None and mark.get("config") == wanted and not reseed:
        out(f"{prefix}reusing {store.name}, seeded {mark.get('seeded_at')}")
        # The schema follows the code (a new migration); the data stays as seeded.
        run_child(["migrate", "--no-input", "-v0"], store.url, out, prefix)
        return "reused", mark
    if store.exists():
        if mark is None and not reseed and store.has_foreign_users():
            raise RuntimeError(
                f"{store.name} exists, is not marked as a scale seed and holds users the seed"
                " did not write; pass --reseed to replace it"
            )
        out(f"{prefix}dropping {store.name} ({'--reseed' if reseed else 'not seeded as asked'})")
        store.drop()
    store.create()
    run_child(["migrate", "--no-input", "-v0"], store.url, out, prefix)
    argv = ["seed", *(f"--{k}={v}" for k, v in wanted.items())]
    started = time.monotonic()
    lines = run_child(argv, store.url, out, prefix)
    seconds = round(time.monotonic() - started, 1)
    summary: dict[str, Any] = {}
    for line in lines:
        if line.startswith(REPORT_LINE):
            summary = json.loads(line[len(REPORT_LINE) :])
    mark = {
        "config": wanted,
        "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        # The command's wall time (migrations not included), and the seed's own account.
        "seconds": seconds,
        "rows": summary.get("rows", {}),
        "steps": summary.get("steps", {}),
    }
    store.set_mark(mark)
    return "seeded", mark


def bench_size(
    store: SizeStore,
    options: ScaleOptions,
    label: str,
    *,
    reindex: bool,
    out: Callable[[str], None],
    prefix: str,
) -> dict[str, Any]:
    """Run ``fairlance bench`` on one size's database; returns its JSON report."""
    with tempfile.TemporaryDirectory(prefix="fl-scale-") as tmp:
        argv = [
            "bench",
            f"--duration={options.duration}",
            f"--connections={options.connections}",
            f"--workers={options.workers}",
            f"--server={options.server}",
            f"--results-dir={tmp}",
            f"--label=scale-{label.lower()}",
            *(f"--scenario={name}" for name in options.scenarios),
        ]
        if reindex:
            argv.append("--reindex")
        run_child(argv, store.url, out, prefix)
        found = sorted(Path(tmp).glob("*.json"))
        if len(found) != 1:
            raise RuntimeError(f"`fairlance bench` wrote {len(found)} JSON results, not one")
        report: dict[str, Any] = json.loads(found[0].read_text())
        return report


def run_scale(options: ScaleOptions, out: Callable[[str], None] = print) -> ScaleReport:
    """Prepare every size's database, then benchmark them one after the other."""
    started = datetime.now(UTC)
    # Other work on a shared machine moves every number: say how busy it was.
    load_at_start = os.getloadavg()
    vendor = database_vendor(options.base_url)
    runs: list[tuple[SizeStore, SizeRun]] = []
    for projects in options.sizes:
        label = size_label(projects)
        store = size_store(options.base_url, projects)
        config = scale_seed_config(projects, options.seed)
        out(f"[{label}] {store.name}: {_describe(config)}")
        status, mark = prepare_size(
            store, config, reseed=options.reseed, out=out, prefix=f"[{label}] "
        )
        runs.append(
            (store, SizeRun(label, projects, store.name, _config_key(config), status, mark))
        )
    # Seeding first and measuring after keeps the measurements of all sizes close in time.
    for store, size in runs:
        prefix = f"[{size.label}] "
        # A database seeded in this run has just been indexed.
        reindex = options.reindex and size.seed_status == "reused"
        size.bench = bench_size(store, options, size.label, reindex=reindex, out=out, prefix=prefix)
        if size.bench.get("reindex"):
            size.seed["reindexed"] = size.bench["reindex"]
            store.set_mark(size.seed)
    report = ScaleReport(
        started_at=started.isoformat(timespec="seconds"),
        database=vendor,
        machine={**machine(), "database": vendor, "load_average_at_start": load_at_start},
        options={k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        sizes=[size for _store, size in runs],
    )
    report.options.pop("base_url")  # may carry a password
    report.targets = evaluate_targets(report)
    return report


def _describe(config: SeedConfig) -> str:
    return (
        f"{config.projects:,} projects, {config.freelancers:,} freelancers,"
        f" {config.clients:,} clients, {config.contracts:,} contracts"
    )


# --- the report -----------------------------------------------------------------------------


def _results(size: SizeRun) -> dict[str, dict[str, Any]]:
    return {r["scenario"]: r for r in size.bench.get("results", [])}


def evaluate_targets(report: ScaleReport) -> list[dict[str, Any]]:
    """Each target of ``SCALE_TARGETS``: measured values and "met", "missed" or "not run"."""
    by_size = {size.projects: size for size in report.sizes}
    rows = []
    for target in SCALE_TARGETS:
        row: dict[str, Any] = {
            "size": size_label(target.projects),
            "scenario": target.scenario,
            "target": target.text(),
            "ratio_db": None,
            "p99_ms": None,
            "status": "not run",
        }
        size = by_size.get(target.projects)
        result = _results(size).get(target.scenario) if size else None
        if result is not None:
            row["ratio_db"] = result.get("ratio_db")
            row["p99_ms"] = result.get("p99_ms")
            missed = (
                not result["requests"]  # nothing answered: no latency to judge either
                or (target.ratio_db is not None and (row["ratio_db"] or 0) < target.ratio_db)
                or (target.p99_ms is not None and row["p99_ms"] > target.p99_ms)
            )
            row["status"] = "missed" if missed else "met"
        rows.append(row)
    return rows


# The numbers of each size's column group, and how they are written.
_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], str]], ...] = (
    ("req/s", lambda r: f"{r['rps']:.0f}"),
    ("p50 ms", lambda r: f"{r['p50_ms']:.1f}"),
    ("p95 ms", lambda r: f"{r['p95_ms']:.1f}"),
    ("p99 ms", lambda r: f"{r['p99_ms']:.1f}"),
    ("÷ baseline_db", lambda r: "" if r.get("ratio_db") is None else f"{r['ratio_db']:.2f}"),
    ("errors", lambda r: str(r["errors"])),
    ("CPU ms web", lambda r: _cpu(r, "web_ms")),
    ("db", lambda r: _cpu(r, "database_ms")),
    ("wrk", lambda r: _cpu(r, "load_ms")),
)


def _cpu(result: dict[str, Any], key: str) -> str:
    value = (result.get("cpu") or {}).get(key)
    return "" if value is None else f"{value:.2f}"


def side_by_side(sizes: list[SizeRun]) -> str:
    """One row per scenario, one group of columns per size."""
    header = ["scenario"]
    for size in sizes:
        header.extend(
            f"{size.label} {name}" if i == 0 else name for i, (name, _) in enumerate(_COLUMNS)
        )
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    names = [s.name for s in SCENARIOS if any(s.name in _results(size) for size in sizes)]
    for name in names:
        cells = [name]
        for size in sizes:
            result = _results(size).get(name)
            cells.extend(fmt(result) if result else "" for _, fmt in _COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _load(m: dict[str, Any], key: str) -> str:
    return ", ".join(f"{v:.2f}" for v in m.get(key) or ())


def render_markdown(report: ScaleReport) -> str:
    m = report.machine
    o = report.options
    lines = [
        f"# Scale curve {report.started_at} ({report.database})",
        "",
        f"Machine: {m.get('cpus')} CPUs ({m.get('cpu', '?')}), {m.get('platform')}, "
        f"Python {m.get('python')}, load average at the start {_load(m, 'load_average_at_start')}"
        f" and at the end {_load(m, 'load_average')}.",
        f"Options: {o['duration']}s per scenario, {o['connections']} connections, "
        f"{o['workers']} {o['server']} workers; sizes measured one after the other, each "
        "against its own database.",
        "",
        "## What each size holds",
        "",
        "| size | database | projects | freelancers | clients | contracts | seed "
        "| seed wall s | users | projects | contracts | scores | search index | analyze "
        "| ledger check |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    steps = ("users", "projects", "contracts", "scores", "search_index", "analyze", "ledger_check")
    for size in report.sizes:
        c = size.config
        seeded = size.seed.get("seeded_at", "?")
        how = "seeded in this run" if size.seed_status == "seeded" else f"reused (seeded {seeded})"
        timing = size.seed.get("steps", {})
        lines.append(
            f"| {size.label} | `{Path(size.database).name}` | {c['projects']:,} "
            f"| {c['freelancers']:,} | {c['clients']:,} | {c['contracts']:,} | {how} "
            f"| {size.seed.get('seconds', '')} | "
            + " | ".join(str(timing.get(step, {}).get("wall", "")) for step in steps)
            + " |"
        )
    lines += [
        "",
        "Step times are wall seconds of the seed (`fairlance seed`'s own account; the seed "
        "column is the whole command). Clients and contracts stop growing at "
        f"{TRADE_CAP:,} projects (`fairlance.bench.scale.scale_seed_config`).",
    ]
    for size in report.sizes:
        reindexed = size.bench.get("reindex")
        if reindexed:
            lines.append(
                f"{size.label}: search index rebuilt before this run (`--reindex`): "
                + ", ".join(f"{k} {v.get('wall')} s" for k, v in reindexed["steps"].items())
                + "."
            )
    silent = [
        f"{size.label} {r['scenario']}"
        for size in report.sizes
        for r in size.bench.get("results", [])
        if not r["requests"]
    ]
    if silent:
        # Every worker stuck (on a lock, or a query slower than the run): not a measurement.
        lines.append(f"**No request answered within the run in: {', '.join(silent)}.**")
    lines += [
        "",
        "## Results",
        "",
        "Ratios are to the same size's `baseline_db`; CPU is milliseconds per request of the "
        "web server, the database server and wrk (docs/performance.md, step 5).",
        "",
        side_by_side(report.sizes),
        "",
        "## Targets (issue 14, stated for PostgreSQL)",
        "",
        "| size | scenario | target | ÷ baseline_db | p99 ms | status |",
        "|---|---|---|---:|---:|---|",
    ]
    for t in report.targets:
        ratio = "" if t["ratio_db"] is None else f"{t['ratio_db']:.2f}"
        p99 = "" if t["p99_ms"] is None else f"{t['p99_ms']:.1f}"
        lines.append(
            f"| {t['size']} | {t['scenario']} | {t['target']} | {ratio} | {p99} | {t['status']} |"
        )
    return "\n".join(lines) + "\n"


def write_scale_results(
    report: ScaleReport, results_dir: Path, label: str = ""
) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.started_at.replace(":", "").replace("-", "")[:15]
    name = f"{stamp}-{report.database}-scale{'-' + label if label else ''}"
    json_path = results_dir / f"{name}.json"
    md_path = results_dir / f"{name}.md"
    json_path.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
    md_path.write_text(render_markdown(report))
    return json_path, md_path


def check_scenarios(names: tuple[str, ...]) -> tuple[str, ...]:
    """The scenarios of a scale run: the baselines always, and none that writes (a reused
    database must stay as seeded)."""
    known = {s.name: s for s in SCENARIOS}
    writing = [n for n in names if known[n].writes]
    if writing:
        raise ValueError(f"the scale curve reuses its databases; {', '.join(writing)} writes")
    chosen = set(names) | set(BASELINES)
    return tuple(s.name for s in SCENARIOS if s.name in chosen)


__all__ = [
    "SCALE_SCENARIOS",
    "SCALE_TARGETS",
    "ScaleOptions",
    "ScaleReport",
    "check_scenarios",
    "parse_sizes",
    "run_scale",
    "scale_seed_config",
    "side_by_side",
    "size_label",
    "size_store",
    "write_scale_results",
]
