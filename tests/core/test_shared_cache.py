"""CACHE_URL=redis://…: what one process caches, another reads.

Remembered search rankings (FAIRLANCE_SEARCH_RESULTS_SECONDS) and every other cached
thing (facets, query plans, word counts, categories, project parts and fragments, the
password throttle's counts) are stored by this test process and read back by a second
process configured only by CACHE_URL, as a second web worker or machine would.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection

from fairlance.catalog.search import SearchParams, search_projects
from fairlance.settings import redis_caches
from tests.catalog.factories import make_published

REDIS_URL = "redis://127.0.0.1:6379/7"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

# Run by the second process: every key in the Redis database, read through Django's cache
# as settings build it from CACHE_URL; prints what each kind of key held.
READER = """
import json, sys, django
django.setup()
import redis
from django.core.cache import caches
seen = {}
for raw in redis.Redis.from_url(sys.argv[1]).scan_iter():
    alias, _version, key = raw.decode().split(":", 2)
    value = caches[alias].get(key)
    seen[key] = None if value is None else type(value).__name__
print(json.dumps(seen))
"""


@pytest.fixture
def shared_cache(settings: Any) -> Iterator[Any]:
    """Django's caches in Redis database 7, emptied before and after; one test at a time
    on this machine (xdist's workers, other runs), since each empties the database."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable (CI=true: required): {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    with open(Path(tempfile.gettempdir()) / "fairlance-test-redis-7.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client.flushdb()
        settings.CACHES = redis_caches(REDIS_URL)
        settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 60
        settings.FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = 60
        settings.FAIRLANCE_PROJECT_CACHE_SECONDS = 60
        try:
            yield client
        finally:
            client.flushdb()


def _read_in_another_process() -> dict[str, str | None]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"}
    env.update(
        CACHE_URL=REDIS_URL, PYTHONPATH=str(REPO), DJANGO_SETTINGS_MODULE="fairlance.settings"
    )
    run = subprocess.run(
        [sys.executable, "-c", READER, REDIS_URL],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen: dict[str, str | None] = json.loads(run.stdout.strip().splitlines()[-1])
    return seen


def _kind(key: str) -> str:
    # fairlance:search:ranking:v2:<db>:<digest> -> search:ranking; fairlance:categories:v1
    # -> categories; the throttle's keys name what they count.
    parts = key.split(":")
    if parts[0] != "fairlance":
        return "throttle"
    return ":".join(parts[1:3]) if parts[1] == "search" else parts[1]


def test_another_process_reads_what_this_one_cached(
    shared_cache, freelancer, client_user, client, api
) -> None:
    # Given a published project, and this process searching, showing pages and counting a
    # wrong password, with its caches in Redis
    project = make_published(freelancer)
    page = search_projects(SearchParams(q="hand drawn logo", with_facets=True))
    assert [r.id for r in page.results] == [project.pk]
    assert client.get("/").status_code == 200
    assert client.get(f"/projects/{project.pk}/").status_code == 200
    assert api().post("auth/token", {"email": client_user.email, "password": "no"}).status_code
    # When another process reads every key through its own settings (CACHE_URL only)
    seen = _read_in_another_process()
    # Then it finds each of them, whole
    assert seen and all(seen.values()), seen
    kinds = {_kind(key) for key in seen}
    assert {
        "search:ranking",
        "search:facets",
        "search:plan",
        "search:df",
        "categories",
        "project-parts",
        "project-html",
        "throttle",
    } <= kinds, kinds
    # the search's ranking and the home page's
    assert sorted(seen[key] for key in seen if _kind(key) == "search:ranking") == ["Ranking"] * 2


def test_a_remembered_ranking_serves_a_fresh_cache_client(shared_cache, freelancer) -> None:
    # Given a ranking remembered through one cache client
    first = make_published(freelancer)
    assert [r.id for r in search_projects(SearchParams(q="logo")).results] == [first.pk]
    # and a second matching project published since (rankings are not invalidated)
    second = make_published(freelancer, title="A logo for your bakery")
    # When a new cache client (as in another web process) runs the same search
    del caches["default"]
    results = search_projects(SearchParams(q="logo")).results
    # Then it answers from the remembered ranking, which has only the first project
    assert [r.id for r in results] == [first.pk]
    assert second.pk not in [r.id for r in results]


def test_rankings_of_two_databases_sharing_redis_stay_apart(
    shared_cache, freelancer, monkeypatch
) -> None:
    # Given a ranking remembered for this database, whose name is in its key
    first = make_published(freelancer)
    assert [r.id for r in search_projects(SearchParams(q="logo")).results] == [first.pk]
    name = connection.settings_dict["NAME"]
    keys = [k.decode() for k in shared_cache.scan_iter("default:*:fairlance:search:ranking:*")]
    assert len(keys) == 1 and f":{name}:" in keys[0]
    second = make_published(freelancer, title="A logo for your bakery")
    # When the same search runs for a database of another name (another deployment, or
    # another size of the benchmark's catalog) against the same Redis
    monkeypatch.setitem(connection.settings_dict, "NAME", f"{name}_other")
    results = search_projects(SearchParams(q="logo")).results
    # Then it ranks its own rows instead of reading the first database's ranking
    assert {r.id for r in results} == {first.pk, second.pk}
    keys = {k.decode() for k in shared_cache.scan_iter("default:*:fairlance:search:ranking:*")}
    assert len(keys) == 2
