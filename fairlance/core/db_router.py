"""Read replicas: which database a read goes to (docs/decisions/0021-read-replicas.md).

``DATABASE_REPLICA_URLS`` (comma-separated PostgreSQL URLs of streaming standbys) adds the
database aliases ``replica_1``, ``replica_2``… (``replica_databases``, called by settings).
A request may read from one of them only when ``ReadReplicaMiddleware``
(fairlance/core/middleware.py) says so: a safe request to a public page, from a client that
has not just written. The middleware puts the chosen alias in a context variable for the
length of the request; ``ReplicaRouter`` reads it, so the router never sees a request and
everything outside such a request (other pages, writes, the worker, commands) reads the
primary. Raw SQL asks the same question with ``connections[router.db_for_read(Model)]``.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS_PREFIX = "replica_"
POSTGRES_ENGINES = frozenset(
    {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}
)
# A replica that does not answer within this many seconds counts as down (unless its URL
# sets ``?connect_timeout=``): a request waits at most this long before the primary serves it.
REPLICA_CONNECT_TIMEOUT = 3
# How long a process leaves a replica it could not connect to before trying it again.
REPLICA_RETRY_SECONDS = 30
# Apps whose tables are always read from the primary, even on a page that may read a
# replica: a session written by the previous request (a sign-in, a sign-out) must be seen.
PRIMARY_ONLY_APPS = frozenset({"sessions"})


def replica_databases(value: str, default: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The DATABASES entries for DATABASE_REPLICA_URLS (``value``), ``replica_1``…

    Each replica gets the primary's connection settings (CONN_MAX_AGE, health checks, the
    OPTIONS its own URL does not set) and, in tests, mirrors the test database instead of
    touching the real replica. A blank value means no replicas. Anything else that is not a
    list of PostgreSQL URLs, with PostgreSQL as the primary, stops start-up: a typo must not
    quietly send every read to the primary, or worse, to another database.
    """
    if not value.strip():
        return {}
    items = [item.strip() for item in value.split(",")]
    if default.get("ENGINE") not in POSTGRES_ENGINES:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs DATABASE_URL to be PostgreSQL: replicas are "
            "PostgreSQL streaming standbys of it."
        )
    databases: dict[str, dict[str, Any]] = {}
    for number, item in enumerate(items, start=1):
        where = f"DATABASE_REPLICA_URLS item {number} of {len(items)}"
        if not item:
            raise ImproperlyConfigured(
                f"{where} is empty (a doubled or trailing comma?); give comma-separated "
                "URLs like postgres://user:password@replica-host:5432/fairlance."
            )
        # Only the scheme goes into messages: the URL may hold a password.
        scheme = urlsplit(item).scheme or "(none)"
        try:
            parsed = dj_database_url.parse(item)
        except ValueError:
            parsed = {}
        if parsed.get("ENGINE") not in POSTGRES_ENGINES:
            raise ImproperlyConfigured(
                f"{where} is not a PostgreSQL URL (scheme {scheme!r}); give "
                "postgres://user:password@replica-host:5432/fairlance."
            )
        if not parsed.get("NAME"):
            raise ImproperlyConfigured(f"{where} names no database (…:5432/<name>).")
        options = {**default.get("OPTIONS", {}), **parsed.get("OPTIONS", {})}
        options.setdefault("connect_timeout", REPLICA_CONNECT_TIMEOUT)
        databases[f"{REPLICA_ALIAS_PREFIX}{number}"] = {
            **parsed,
            "CONN_MAX_AGE": default.get("CONN_MAX_AGE", 0),
            "CONN_HEALTH_CHECKS": default.get("CONN_HEALTH_CHECKS", False),
            "OPTIONS": options,
            "TEST": {"MIRROR": DEFAULT_DB_ALIAS},
        }
    return databases


# The replica this request reads from; None (everywhere else): the primary.
_reading_from: ContextVar[str | None] = ContextVar("fairlance_reading_from", default=None)


@contextlib.contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Reads inside the block go to ``alias`` (None: the primary)."""
    token = _reading_from.set(alias)
    try:
        yield
    finally:
        _reading_from.reset(token)


# Per process: when each replica that failed to connect may be tried again.
_down_until: dict[str, float] = {}


def usable_replica(aliases: Sequence[str]) -> str | None:
    """One of ``aliases`` that accepts a connection, picked at random; None when none does.

    A replica that refuses (down, restarting, unreachable within its connect timeout) is
    logged and left alone for REPLICA_RETRY_SECONDS, so the requests of that time go to
    the primary without waiting for it. An open connection is taken as usable; one that
    broke since fails its request, and Django closes it at the end of that request.
    """
    now = time.monotonic()
    candidates = [alias for alias in aliases if _down_until.get(alias, 0.0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        try:
            connections[alias].ensure_connection()
        except DatabaseError as exc:
            _down_until[alias] = now + REPLICA_RETRY_SECONDS
            logger.warning(
                "read replica %s is unreachable (%s); reading from the primary for %s s",
                alias,
                exc,
                REPLICA_RETRY_SECONDS,
            )
            continue
        return alias
    return None


class ReplicaRouter:
    """Reads go to the request's replica when it has one, everything else to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        alias = _reading_from.get()
        if (
            alias is None
            or model._meta.app_label in PRIMARY_ONLY_APPS
            # Inside a transaction on the primary (a lock, a write and its read-back) the
            # reads belong to that transaction; a standby would also refuse FOR UPDATE.
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            # Said explicitly rather than None: Django would otherwise follow an object
            # read from a replica (a cached one, say) back to that replica.
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # A replica holds the primary's rows: objects from either relate freely.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # Standbys replay the primary's schema; they are never migrated themselves.
        return False if db.startswith(REPLICA_ALIAS_PREFIX) else None
