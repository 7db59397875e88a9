"""Read replicas: the router's decisions, start-up refusals, and a real streaming standby.

The last test builds its own PostgreSQL primary and streaming standby from the machine's
PostgreSQL 15 binaries (initdb, pg_basebackup -R, spare ports, a temporary directory),
runs ``fairlance serve`` against them and shows over HTTP that public searches are served
by the standby while a client that just wrote reads the primary.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from fairlance.catalog.models import Project
from fairlance.core import db_router
from fairlance.core.db_router import ReplicaRouter, reading_from, replica_databases
from fairlance.core.middleware import (
    PRIMARY_COOKIE,
    REPLICA_READ_PATHS,
    ReadReplicaMiddleware,
    token_pin_key,
)
from tests.conftest import is_postgres

REPO = Path(__file__).resolve().parents[2]
PRIMARY = {"ENGINE": "django.db.backends.postgresql", "NAME": "fairlance", "CONN_MAX_AGE": 60}


# --- DATABASE_REPLICA_URLS ------------------------------------------------------------------


def test_each_replica_url_becomes_an_alias_with_the_primarys_connection_settings() -> None:
    databases = replica_databases(
        " postgres://u:pw@standby-a:5432/fairlance , postgresql://standby-b/fairlance?sslmode=require",
        {**PRIMARY, "OPTIONS": {"sslmode": "prefer", "application_name": "web"}},
    )
    assert list(databases) == ["replica_1", "replica_2"]
    first, second = databases["replica_1"], databases["replica_2"]
    assert (first["HOST"], first["NAME"], first["USER"]) == ("standby-a", "fairlance", "u")
    assert first["CONN_MAX_AGE"] == second["CONN_MAX_AGE"] == 60
    # Tests never touch a real replica: the alias mirrors the test database.
    assert first["TEST"] == {"MIRROR": "default"}
    # The primary's options, the URL's own winning, and a short connect timeout
    assert first["OPTIONS"] == {
        "sslmode": "prefer",
        "application_name": "web",
        "connect_timeout": 3,
    }
    assert second["OPTIONS"]["sslmode"] == "require"


def test_no_replicas_when_the_variable_is_blank() -> None:
    assert replica_databases("", PRIMARY) == {}
    assert replica_databases("  ", PRIMARY) == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("postgres://a/fairlance,,postgres://b/fairlance", "item 2 of 3 is empty"),
        ("postgres://a/fairlance,", "item 2 of 2 is empty"),
        ("sqlite:///var/replica.sqlite3", "item 1 of 1 is not a PostgreSQL URL (scheme 'sqlite')"),
        ("mysql://user:s3cret@db/fairlance", "not a PostgreSQL URL (scheme 'mysql')"),
        ("standby-a:5432/fairlance", "not a PostgreSQL URL"),
        ("postgres://standby-a:5432", "names no database"),
    ],
)
def test_bad_replica_urls_stop_start_up_with_a_clear_message(value: str, message: str) -> None:
    with pytest.raises(
        ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")
    ) as err:
        replica_databases(value, PRIMARY)
    assert "s3cret" not in str(err.value)


def test_replicas_need_a_postgresql_primary() -> None:
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}
    with pytest.raises(ImproperlyConfigured, match="needs DATABASE_URL to be PostgreSQL"):
        replica_databases("postgres://standby/fairlance", sqlite)


def _django_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_REPLICA_URLS", "CACHE_URL"}}
    env.update(PYTHONPATH=str(REPO), DJANGO_SETTINGS_MODULE="fairlance.settings", **values)
    return env


def test_settings_refuse_to_load_with_a_bad_replica_url() -> None:
    env = _django_env(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/fairlance",
        DATABASE_REPLICA_URLS="postgres://standby/fairlance, ",
    )
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "DATABASE_REPLICA_URLS item 2 of 2 is empty" in run.stderr


def test_without_replicas_neither_router_nor_middleware_is_installed(settings: Any) -> None:
    if os.environ.get("DATABASE_REPLICA_URLS", "").strip():
        pytest.skip("this run's settings have replicas")
    assert settings.FAIRLANCE_READ_REPLICAS == []
    assert settings.DATABASE_ROUTERS == []
    assert "fairlance.core.middleware.ReadReplicaMiddleware" not in settings.MIDDLEWARE
    assert not [alias for alias in settings.DATABASES if alias != "default"]
    with pytest.raises(MiddlewareNotUsed):
        ReadReplicaMiddleware(lambda request: HttpResponse())
    # and the router, were it installed, would send everything to the primary
    assert ReplicaRouter().db_for_read(Project) == "default"


# --- the router's decisions -----------------------------------------------------------------


def test_reads_go_to_the_request_replica_and_writes_to_the_primary() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Project) == "default"
    with reading_from("replica_1"):
        assert router.db_for_read(Project) == "replica_1"
        # even for an object that came from elsewhere
        assert router.db_for_read(Project, instance=Project()) == "replica_1"
        assert router.db_for_write(Project) == "default"
        # sessions are always the primary's: a sign-in or sign-out must be seen at once
        assert router.db_for_read(Session) == "default"
    assert router.db_for_read(Project) == "default"
    assert router.allow_migrate("replica_1", "catalog") is False
    assert router.allow_migrate("default", "catalog") is None


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary() -> None:
    with reading_from("replica_1"), transaction.atomic():
        assert ReplicaRouter().db_for_read(Project) == "default"


@pytest.fixture
def replica_middleware(settings: Any, monkeypatch: Any) -> Callable[..., HttpResponse]:
    """Runs a request through ReadReplicaMiddleware with one usable replica; the response's
    body is where the router sent a read of a project during the request."""
    settings.FAIRLANCE_READ_REPLICAS = ["replica_1"]
    settings.FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS = 10
    monkeypatch.setattr(db_router, "usable_replica", lambda aliases: aliases[0])

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(ReplicaRouter().db_for_read(Project))

    middleware = ReadReplicaMiddleware(view)
    factory = RequestFactory()

    def run(method: str, path: str, **extra: Any) -> HttpResponse:
        request = getattr(factory, method.lower())(path, **extra)
        return middleware(request)

    return run


LISTED = [
    reverse("web:home"),
    reverse("web:search"),
    reverse("web:project_detail", args=[7]),
    reverse("web:freelancer_profile", args=[7]),
    "/api/v1/projects",
    "/api/v1/projects/7",
    "/api/v1/freelancers/7",
    "/api/v1/freelancers/7/score",
    "/api/v1/freelancers/7/feedback",
    "/api/v1/freelancers/7/work-history",
]
NOT_LISTED = [
    reverse("web:dashboard"),
    reverse("web:checkout", args=[7]),
    reverse("web:contract_room", args=[7]),
    reverse("web:my_score"),
    "/api/v1/contracts",
    "/api/v1/projects/7/gallery",
    "/api/v1/freelancers/7/other",
    "/api/v1/me",
    "/accounts/login/",
    "/admin/",
]


@pytest.mark.parametrize("path", LISTED)
def test_safe_requests_to_listed_pages_read_the_replica(replica_middleware, path) -> None:
    assert replica_middleware("GET", path).content == b"replica_1"
    assert replica_middleware("HEAD", path).content == b"replica_1"


@pytest.mark.parametrize("path", NOT_LISTED)
def test_other_pages_read_the_primary(replica_middleware, path) -> None:
    assert replica_middleware("GET", path).content == b"default"


def test_the_list_is_anchored() -> None:
    assert REPLICA_READ_PATHS.match("/search/")
    assert not REPLICA_READ_PATHS.match("/search/more")
    assert not REPLICA_READ_PATHS.match("/x/search/")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_reads_the_primary_and_pins_its_client(replica_middleware, method) -> None:
    response = replica_middleware(method, "/api/v1/projects")
    assert response.content == b"default"
    cookie = response.cookies[PRIMARY_COOKIE]
    assert int(cookie["max-age"]) == 10 and cookie["httponly"]
    # The next search by the same browser reads the primary, another browser the replica
    pinned = replica_middleware("GET", "/search/", HTTP_COOKIE=f"{PRIMARY_COOKIE}={cookie.value}")
    assert pinned.content == b"default"
    assert replica_middleware("GET", "/search/").content == b"replica_1"


def test_safe_methods_pin_nobody(replica_middleware) -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        assert PRIMARY_COOKIE not in replica_middleware(method, "/search/").cookies


def test_a_forged_or_expired_marker_is_ignored(replica_middleware, monkeypatch) -> None:
    forged = replica_middleware("GET", "/search/", HTTP_COOKIE=f"{PRIMARY_COOKIE}=1")
    assert forged.content == b"replica_1"
    # given a marker set now
    cookie = replica_middleware("POST", "/search/").cookies[PRIMARY_COOKIE].value
    # when the pin's 10 seconds are over (the signature's clock moved 11 s on)
    later = time.time() + 11
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    expired = replica_middleware("GET", "/search/", HTTP_COOKIE=f"{PRIMARY_COOKIE}={cookie}")
    # then the browser reads the replica again
    assert expired.content == b"replica_1"


def test_a_bearer_token_that_wrote_is_pinned_without_cookies(replica_middleware) -> None:
    writer = {"HTTP_AUTHORIZATION": "Bearer fl_writer-token"}
    replica_middleware("POST", "/api/v1/projects", **writer)
    assert replica_middleware("GET", "/api/v1/projects", **writer).content == b"default"
    other = {"HTTP_AUTHORIZATION": "Bearer fl_other-token"}
    assert replica_middleware("GET", "/api/v1/projects", **other).content == b"replica_1"
    # The cache holds the token's digest, never the token
    from django.core.cache import cache

    assert cache.get(token_pin_key("fl_writer-token")) is True
    assert "fl_writer-token" not in token_pin_key("fl_writer-token")


def test_a_zero_pin_turns_read_your_writes_off(replica_middleware, settings) -> None:
    settings.FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS = 0
    middleware = ReadReplicaMiddleware(lambda r: HttpResponse(ReplicaRouter().db_for_read(Project)))
    response = middleware(RequestFactory().post("/api/v1/projects"))
    assert PRIMARY_COOKIE not in response.cookies


def test_without_a_usable_replica_the_primary_serves(replica_middleware, monkeypatch) -> None:
    monkeypatch.setattr(db_router, "usable_replica", lambda aliases: None)
    assert replica_middleware("GET", "/search/").content == b"default"


def test_an_unreachable_replica_is_left_alone_for_a_while(monkeypatch) -> None:
    # Given a replica alias whose connection attempts fail
    tries: list[str] = []

    class Refusing:
        def ensure_connection(self) -> None:
            tries.append("connect")
            from django.db import OperationalError

            raise OperationalError("connection refused")

    monkeypatch.setattr(db_router, "connections", {"replica_9": Refusing()})
    monkeypatch.setattr(db_router, "_down_until", {})
    # When two requests ask for it
    assert db_router.usable_replica(["replica_9"]) is None
    assert db_router.usable_replica(["replica_9"]) is None
    # Then only the first one waited for it; the second went straight to the primary
    assert tries == ["connect"]


# --- a real primary and streaming standby -----------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")
CI = os.environ.get("CI") == "true"


def _unavailable(reason: str) -> None:
    """Missing binaries or a cluster that will not start: a failure in CI, a skip elsewhere."""
    if CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A PostgreSQL data directory run by pg_ctl, as the postgres OS user when we are root
    (initdb refuses to run as root)."""

    def __init__(self, root: Path, name: str, port: int) -> None:
        self.root, self.data, self.port = root, root / name, port
        self.log = root / f"{name}.log"
        self.url = f"postgres://postgres@127.0.0.1:{port}/fl_repl_standby_test"

    @staticmethod
    def run(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, timeout=timeout, check=True
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def sql(self, statement: str, dbname: str = "fl_repl_standby_test") -> Any:
        url = f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


@pytest.fixture
def primary_and_standby() -> Iterator[tuple[Cluster, Cluster]]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_basebackup").exists():
        _unavailable(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser to become the postgres user")
    root = Path(tempfile.mkdtemp(prefix="fl_repl_"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary = Cluster(root, "primary", _free_port())
    standby = Cluster(root, "standby", _free_port())
    try:
        try:
            Cluster.run(
                str(PG_BIN / "initdb"), "-D", str(primary.data), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            primary.start()
            primary.sql("CREATE DATABASE fl_repl_standby_test", dbname="postgres")
        except (subprocess.SubprocessError, psycopg.Error, OSError) as exc:
            _unavailable(f"could not start a PostgreSQL primary: {_why(exc, primary)}")
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)


def _why(exc: BaseException, cluster: Cluster) -> str:
    stderr = getattr(exc, "stderr", "") or ""
    log = cluster.log.read_text()[-2000:] if cluster.log.exists() else ""
    return f"{exc} {stderr} {log}".strip()


# Run once against the primary before the standby is copied from it: the schema, a
# freelancer with an API token, and their first published project.
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from fairlance.accounts.models import ApiToken
from fairlance.accounts.services import user_create
from tests.catalog.factories import make_published
fran = user_create(email="fran@example.com", password=None, display_name="Fran",
                   email_verified=True, headline="Illustrator", country="PT")
raw = ApiToken.new_raw()
ApiToken.objects.create(user=fran, digest=ApiToken.digest_of(raw))
make_published(fran)
print(json.dumps({"token": raw}))
"""

WORD = "quokkagram"  # in the new project's title only


class Http:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def __call__(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Message, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def shows(self, path: str, project_id: int, headers: dict[str, str] | None = None) -> bool:
        """Whether the page at ``path`` shows the project: it answers (a project's page)
        or lists it (a search)."""
        status, _, body = self("GET", path, headers=headers)
        assert status in (200, 404), (status, body[:500])
        if status == 404 or "/projects/" in path:
            return status == 200
        if path.startswith("/api/"):
            return project_id in [item["id"] for item in json.loads(body)["items"]]
        return f'href="/projects/{project_id}/"'.encode() in body


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, log: Path) -> Iterator[Http]:
    """``fairlance serve`` (one worker) on ``port`` until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "fairlance.cli", "serve", "--no-collectstatic",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    http = Http(port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http("GET", "/api/v1/categories")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"fairlance serve did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield http
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (the suite's PostgreSQL pass)")
def test_public_searches_are_served_by_a_streaming_standby(primary_and_standby, tmp_path):
    primary, standby = primary_and_standby
    # Given the project's schema and a freelancer with a token on a primary
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        env=_django_env(DATABASE_URL=primary.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    token = json.loads(setup.stdout.strip().splitlines()[-1])["token"]
    # and a streaming standby copied from it (pg_basebackup -R writes standby.signal and
    # primary_conninfo)
    try:
        Cluster.run(
            str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream",
            "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        standby.start()
    except subprocess.SubprocessError as exc:
        _unavailable(f"could not start a streaming standby: {_why(exc, standby)}")
    assert standby.sql("SELECT pg_is_in_recovery()") is True
    # and the site running with DATABASE_URL=primary, DATABASE_REPLICA_URLS=standby
    env = _django_env(
        DATABASE_URL=primary.url,
        DATABASE_REPLICA_URLS=standby.url,
        FAIRLANCE_VAR_DIR=str(tmp_path),
        STATIC_MANIFEST="false",
        ALLOWED_HOSTS="127.0.0.1",
        # Nothing remembered between requests: every read below is a database read.
        FAIRLANCE_SEARCH_RESULTS_SECONDS="0",
        FAIRLANCE_SEARCH_TERM_COUNT_SECONDS="0",
        FAIRLANCE_PROJECT_CACHE_SECONDS="0",
        FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS="120",
    )
    with serving(env, _free_port(), tmp_path / "serve.log") as http:
        # When the standby stops replaying the primary's changes
        standby.sql("SELECT pg_wal_replay_pause()")
        _wait_for(
            lambda: standby.sql("SELECT pg_get_wal_replay_pause_state()") == "paused",
            "the standby to pause",
        )
        # and the freelancer publishes a new project through the API
        writer = {"Authorization": f"Bearer {token}"}
        status, headers, body = http(
            "POST",
            "/api/v1/projects",
            {
                "title": f"Hand-drawn {WORD} portraits",
                "category": "design",
                "description": "Portraits.",
                "tags": ["portrait"],
                "tiers": [{"name": "Basic", "price_minor": 5_000, "delivery_days": 3}],
            },
            headers=writer,
        )
        assert status == 201, body[:500]
        project_id = json.loads(body)["id"]
        status, headers, body = http(
            "POST", f"/api/v1/projects/{project_id}/publish", headers=writer
        )
        assert status == 200, body[:500]
        marker = headers["Set-Cookie"].split(";")[0]
        assert marker.startswith(f"{PRIMARY_COOKIE}=")
        assert (
            primary.sql(f"SELECT status FROM catalog_project WHERE id = {project_id}")
            == "published"
        )

        # Then anonymous visitors, served by the standby, do not see it yet
        pages = [
            f"/api/v1/projects?q={WORD}",
            f"/search/?q={WORD}",
            f"/projects/{project_id}/",
            f"/api/v1/projects/{project_id}",
        ]
        assert [http.shows(page, project_id) for page in pages] == [False] * 4
        # while the writer does: by its token (the API, no cookies) and by its cookie
        assert http.shows(pages[0], project_id, headers=writer)
        assert http.shows(pages[3], project_id, headers=writer)
        assert http.shows(pages[1], project_id, headers={"Cookie": marker})
        assert http.shows(pages[2], project_id, headers={"Cookie": marker})

        # When the standby replays again and has caught up with the primary
        target = primary.sql("SELECT pg_current_wal_lsn()::text")
        standby.sql("SELECT pg_wal_replay_resume()")
        _wait_for(
            lambda: standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") is True,
            "the standby to catch up",
        )
        # Then anonymous visitors see the project too
        assert [http.shows(page, project_id) for page in pages] == [True] * 4

        # And when the standby goes away, the site keeps answering from the primary
        standby.stop()
        assert [http.shows(page, project_id) for page in pages] == [True] * 4
    assert "read replica replica_1 is unreachable" in (tmp_path / "serve.log").read_text()
