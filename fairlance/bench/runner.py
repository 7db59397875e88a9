"""``fairlance bench``: start the production server, load it with wrk, report.

One run: prepare fixtures in the database (API tokens for buyers, sessions for contract
viewers, a Lua data file of ids and words), start the server (as `fairlance serve` runs it) on a free loopback port with
production settings, run every scenario for ``duration`` seconds at ``connections``
concurrent connections, then check what the purchases did (no oversold capacity, no
duplicate contract per Idempotency-Key, a clean ledger) and measure the workers' memory.
"""

from __future__ import annotations

import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models import Count, F, Max

from fairlance.accounts.models import ApiToken, TimeOff, User
from fairlance.bench import cpu
from fairlance.bench.scenarios import SCENARIOS, Result, add_ratios, markdown_table, result_from_wrk
from fairlance.bench.seed import SEED_EMAIL_DOMAIN
from fairlance.catalog.models import Category, Project, ProjectStatus, Tier
from fairlance.contracts.models import FINAL_STATES, Contract
from fairlance.core.management.commands.serve import server_argv
from fairlance.ledger.selectors import ledger_check
from fairlance.payments.models import PaymentAttempt

LUA_DIR = Path(__file__).resolve().parent / "wrk"
# Words that appear in thousands of titles at full scale: the expensive end of search.
COMMON_WORDS = [
    "logo",
    "design",
    "website",
    "video",
    "edit",
    "modern",
    "professional",
    "custom",
    "seo",
    "wordpress",
    "python",
    "dashboard",
    "podcast",
    "business",
    "photo",
    "lesson",
]


@dataclass
class BenchOptions:
    duration: int = 10
    connections: int = 16
    threads: int = 2
    workers: int = 2
    # The WSGI server under test, as ``fairlance serve`` runs it: "granian" (the default
    # there too) or "gunicorn"; both serve one request per process at a time.
    server: str = "granian"
    seed: int = 42
    buyers: int = 200
    viewers: int = 50
    results_dir: Path = Path("bench/results")
    label: str = ""
    scenarios: tuple[str, ...] = ()  # empty means all
    # After the HTTP scenarios: arm this many due timers and drain them with two
    # ``fairlance worker --once`` processes (0: skip; it flags contracts late for good).
    timers: int = 0


@dataclass
class BenchReport:
    started_at: str
    database: str
    machine: dict[str, Any]
    options: dict[str, Any]
    data: dict[str, int]
    results: list[Result]
    checks: dict[str, Any] = field(default_factory=dict)
    worker_rss_mb: list[float] = field(default_factory=list)
    timers: dict[str, Any] = field(default_factory=dict)
    # ``--reindex``: projects indexed and the steps' times (``seed.index_and_analyze``).
    reindex: dict[str, Any] = field(default_factory=dict)


# How long the server may finish the requests in flight when wrk stops (see run_benchmark).
IN_FLIGHT_GRACE_SECONDS = 2.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


# --- fixtures -------------------------------------------------------------------------------


def _lua(value: Any) -> str:
    """A Lua literal for plain data (ASCII strings, ints, lists, dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # ASCII-only strings: JSON escapes are Lua escapes
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_lua(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def prepare_fixtures(options: BenchOptions, workdir: Path) -> tuple[Path, dict[str, int]]:
    """Tokens, sessions and ids for the Lua scripts; returns the data file and counts."""
    rng = random.Random(options.seed)
    published = list(
        Project.objects.filter(status=ProjectStatus.PUBLISHED, freelancer__is_suspended=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not published:
        raise ValueError("No published projects: run `fairlance seed` first.")
    project_ids = rng.sample(published, min(len(published), 5000))

    today = datetime.now(UTC).date()
    away = set(
        TimeOff.objects.filter(away=True, start_date__lte=today, end_date__gte=today).values_list(
            "user_id", flat=True
        )
    )
    candidates = list(
        Project.objects.filter(
            pk__in=project_ids, active_contracts__lt=F("capacity") - 1, purchase_mode="instant"
        ).values_list("id", "freelancer_id")
    )
    offer_projects = [pid for pid, fid in candidates if fid not in away][:600]
    first_tier: dict[int, int] = {}
    for tier_id, project_id in (
        Tier.objects.filter(project_id__in=offer_projects)
        .order_by("-id")
        .values_list("id", "project_id")
    ):
        first_tier[project_id] = tier_id
    offers = [[pid, first_tier[pid]] for pid in offer_projects if pid in first_tier]
    if len(offers) < 20:
        raise ValueError("Too few purchasable projects for the purchase scenario.")

    clients = User.objects.filter(
        email__startswith="client", email__endswith=f"@{SEED_EMAIL_DOMAIN}"
    ).order_by("id")
    buyers = list(clients.values_list("id", flat=True)[: options.buyers])
    tokens: list[str] = []
    rows = []
    for uid in buyers:
        raw = ApiToken.new_raw()
        tokens.append(raw)
        rows.append(ApiToken(user_id=uid, digest=ApiToken.digest_of(raw), name="bench"))
    ApiToken.objects.bulk_create(rows)

    viewers = []
    with_contracts = (
        Contract.objects.values("client_id")
        .annotate(n=Count("id"))
        .filter(n__gte=1)
        .order_by("client_id")
    )
    for row in with_contracts[: options.viewers]:
        user = User.objects.get(pk=row["client_id"])
        contract_ids = list(
            Contract.objects.filter(client=user).order_by("-id").values_list("id", flat=True)[:20]
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        viewers.append({"session": session.session_key, "contracts": contract_ids})

    tags = Project.objects.filter(pk__in=project_ids[:500]).values_list("tags", flat=True)
    rare = sorted({t[-1] for t in tags if isinstance(t, list) and t and str(t[-1]).isalpha()})
    data = {
        "seed": options.seed,
        # Idempotency-Keys must differ between runs against the same database: with only
        # the seed in them, a second run replayed the first run's keys for other requests
        # and the sandbox refused the reused charge references (402 reference_reused).
        "run_id": secrets.token_hex(6),
        "project_ids": project_ids,
        "categories": list(Category.objects.values_list("slug", flat=True)),
        "common_words": COMMON_WORDS,
        "rare_words": rare or ["zorvik"],
        "offers": offers,
        "hot_offers": offers[:10],
        "buyer_tokens": tokens,
        "viewers": viewers,
    }
    path = workdir / "data.lua"
    path.write_text("return " + _lua(data) + "\n")
    counts = {
        "projects": len(published),
        "sampled_projects": len(project_ids),
        "offers": len(offers),
        "buyers": len(tokens),
        "viewers": len(viewers),
    }
    return path, counts


# --- server ---------------------------------------------------------------------------------


def server_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        # Persistent connections for the whole run: a connection replaced mid-scenario
        # would add its set-up to that scenario and take its CPU out of the accounting.
        DB_CONN_MAX_AGE="3600",
        FAIRLANCE_BENCH_VIEWS="true",
        # No collectstatic has run: serve static files through the finders, unhashed.
        STATIC_MANIFEST="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE=env.get("DJANGO_SETTINGS_MODULE", "fairlance.settings"),
    )
    return env


def start_server(
    port: int, workers: int, log: Path, server: str = "granian"
) -> subprocess.Popen[bytes]:
    # The same command line as ``fairlance serve``, with a deeper accept queue for wrk.
    extra = {
        "gunicorn": ["--backlog", "256", "--timeout", "60", "--error-logfile", str(log)],
        "granian": ["--backlog", "256"],
    }.get(server, [])
    argv = server_argv(server=server, bind=f"127.0.0.1:{port}", workers=workers, extra=extra)
    # A fixed argv of this interpreter and the server; no shell, no user input.
    with log.open("ab") as log_file:
        return subprocess.Popen(  # noqa: S603
            argv, env=server_env(port), stdout=subprocess.DEVNULL, stderr=log_file
        )


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/bench/baseline"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError("the server did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of the server's child processes (its workers), in MB."""
    out: list[float] = []
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        pids = [int(p) for p in children.read_text().split()]
    except OSError:
        return out
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(round(int(line.split()[1]) / 1024, 1))
        except OSError:
            continue
    return out


def run_wrk(script: str, port: int, options: BenchOptions, env: dict[str, str]) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk).")
    argv = [
        wrk, f"-t{min(options.threads, options.connections)}", f"-c{options.connections}",
        f"-d{options.duration}s", "--timeout", "10s", "-s", str(LUA_DIR / script),
        f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        argv, env=env, capture_output=True, text=True, timeout=options.duration + 60
    )
    for line in done.stdout.splitlines():
        if line.startswith("FLBENCH "):
            return dict(json.loads(line[len("FLBENCH ") :]))
    raise RuntimeError(f"wrk printed no summary: {done.stdout[-500:]} {done.stderr[-500:]}")


# --- checks after purchases -----------------------------------------------------------------


def purchase_checks(*, first_new_contract: int, since: datetime) -> dict[str, Any]:
    oversold = list(
        Project.objects.filter(active_contracts__gt=F("capacity")).values_list("id", flat=True)[:20]
    )
    running = (
        Contract.objects.exclude(state__in=FINAL_STATES)
        .values("project_id")
        .annotate(n=Count("id"), cap=Max("project__capacity"))
        .filter(n__gt=F("cap"))
    )
    new = Contract.objects.filter(pk__gte=first_new_contract)
    refs = dict(
        PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.CHARGE, ok=True, created_at__gte=since
        ).values_list("provider_ref", "reference")
    )
    per_reference: dict[str, int] = {}
    for charge_ref in new.values_list("charge_ref", flat=True):
        ref = refs.get(charge_ref)
        if ref is not None:
            per_reference[ref] = per_reference.get(ref, 0) + 1
    duplicates = sorted(r for r, n in per_reference.items() if n > 1)
    double_charges = list(
        PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.CHARGE, ok=True, created_at__gte=since
        )
        .values("reference")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("reference", flat=True)[:20]
    )
    # A charge whose purchase failed afterwards must have been refunded.
    charged = set(refs)
    kept = set(new.values_list("charge_ref", flat=True))
    refunded = set(
        PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.REFUND, ok=True, created_at__gte=since
        ).values_list("charge_ref", flat=True)
    )
    unrefunded = sorted(str(r) for r in charged - kept - refunded)
    problems = ledger_check()
    return {
        "contracts_created": new.count(),
        "oversold_projects": oversold + [r["project_id"] for r in running[:20]],
        "duplicate_contracts_per_key": duplicates[:20],
        "double_charges": double_charges,
        "charges_without_contract_or_refund": unrefunded[:20],
        "ledger_problems": problems[:20],
        "ok": not (
            oversold or running.exists() or duplicates or double_charges or unrefunded or problems
        ),
    }


# --- the run --------------------------------------------------------------------------------


def run_benchmark(options: BenchOptions, out: Callable[[str], None] = print) -> BenchReport:
    started = datetime.now(UTC)
    selected = [s for s in SCENARIOS if not options.scenarios or s.name in options.scenarios]
    with tempfile.TemporaryDirectory(prefix="fl-bench-") as tmp:
        workdir = Path(tmp)
        out("preparing fixtures (tokens, sessions, ids)")
        data_path, counts = prepare_fixtures(options, workdir)
        port = free_port()
        log = workdir / "server.log"
        out(f"starting {options.server} ({options.workers} workers) on 127.0.0.1:{port}")
        # The server opens its own connections; ours must not hold SQLite's write lock.
        connection.close()
        proc = start_server(port, options.workers, log, options.server)
        results: list[Result] = []
        checks: dict[str, Any] = {}
        rss: list[float] = []
        try:
            wait_ready(port, proc)
            env = dict(os.environ, FL_BENCH_DATA=str(data_path), FL_BENCH_LUA_DIR=str(LUA_DIR))
            first_new = (Contract.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            purchase_since = datetime.now(UTC)
            for scenario in selected:
                out(
                    f"  {scenario.name:<14} {options.duration}s x {options.connections} connections"
                )
                before = cpu.sample(proc.pid)
                summary = run_wrk(scenario.script, port, options, env)
                result = result_from_wrk(scenario, summary)
                result.cpu = cpu.per_request(before, cpu.sample(proc.pid), result.requests)
                results.append(result)
                spent = result.cpu
                out(
                    f"  {'':<14} {result.rps:8.1f} req/s  p95 {result.p95_ms:7.1f} ms"
                    f"  errors {result.errors}  expected {result.expected}"
                    + (
                        f"  CPU ms/req web {spent['web_ms']} database {spent['database_ms']}"
                        f" wrk {spent['load_ms']}, machine {spent['machine_busy_pct']}% busy"
                        if spent
                        else ""
                    )
                )
            # wrk drops its connections at the deadline while the server may still be
            # answering requests it had read. Stopping the server then would kill a purchase
            # between its charge and its commit, leaving a charge for the worker's
            # reconciliation to refund later; let them finish first.
            time.sleep(IN_FLIGHT_GRACE_SECONDS)
            rss = worker_rss_mb(proc.pid)
        finally:
            stop_server(proc)
            if proc.returncode not in (0, -signal.SIGTERM) and log.exists():
                out(log.read_text()[-2000:])
        if any(s.writes for s in selected):
            out("checking purchases: capacity, idempotency, ledger")
            checks = purchase_checks(first_new_contract=first_new, since=purchase_since)
    timers: dict[str, Any] = {}
    if options.timers > 0:
        from fairlance.bench.timers import timers_benchmark

        out(f"  timers         arming {options.timers} due timers, draining with 2 workers")
        timers = timers_benchmark(count=options.timers, workers=2)
        out(
            f"  {'':<14} {timers['armed']} armed ({timers['contracts_made']} new contracts,"
            f" {timers['prepare_seconds']} s), all fired in {timers['timers_seconds']} s,"
            f" workers done (emails sent) in {timers['seconds']} s, {timers['outcomes']}"
        )
    add_ratios(results)
    return BenchReport(
        started_at=started.isoformat(timespec="seconds"),
        database=connection.vendor,
        machine=machine(),
        options={k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        data=counts,
        results=results,
        checks=checks,
        worker_rss_mb=rss,
        timers=timers,
    )


def write_results(report: BenchReport, results_dir: Path, label: str = "") -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = report.started_at.replace(":", "").replace("-", "")[:15]
    name = f"{stamp}-{report.database}{'-' + label if label else ''}"
    json_path = results_dir / f"{name}.json"
    md_path = results_dir / f"{name}.md"
    json_path.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
    md_path.write_text(render_markdown_report(report))
    return json_path, md_path


def render_markdown_report(report: BenchReport) -> str:
    m = report.machine
    lines = [
        f"# Benchmark {report.started_at} ({report.database})",
        "",
        f"Machine: {m.get('cpus')} CPUs ({m.get('cpu', '?')}), {m.get('platform')}, "
        f"Python {m.get('python')}, load average at the end {m.get('load_average')}.",
        f"Options: {report.options['duration']}s per scenario, "
        f"{report.options['connections']} connections, {report.options['workers']}"
        f" {report.options.get('server', 'gunicorn')} workers.",
        f"Data: {report.data}.",
        "",
        markdown_table(report.results),
        "",
        f"Worker RSS at the end: {report.worker_rss_mb} MB.",
    ]
    if report.reindex:
        steps = ", ".join(f"{k} {v['wall']} s" for k, v in report.reindex["steps"].items())
        lines.append(f"Search index rebuilt before the run: {steps}.")
    if report.checks:
        lines.append(f"Purchase checks: {json.dumps(report.checks)}")
    if report.timers:
        t = report.timers
        lines.append(
            f"Timers: {t['armed']} due timers armed ({t['requested']} asked; "
            f"{t.get('contracts_made', 0)} overdue contracts made for the run), fired by "
            f"{t['workers']} workers in {t.get('timers_seconds')} s "
            f"({t['fired_per_second']} fired/s); the workers exited, their emails sent, after "
            f"{t['seconds']} s (worker CPU {t.get('workers_cpu_seconds')} s); outcomes "
            f"{json.dumps(t['outcomes'])}; target (100,000 in "
            f"<= 60 s) {'met' if t['target_met'] else 'not met'}."
        )
    return "\n".join(lines) + "\n"


__all__ = ["BenchOptions", "BenchReport", "run_benchmark", "write_results"]
