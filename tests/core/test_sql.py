"""``execute_prepared``: the same rows as a plain execute, prepared once per connection."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from fairlance.core import sql
from fairlance.core.sql import _prepared_form, execute_prepared

pytestmark = pytest.mark.django_db

POSITIONAL = "SELECT CAST(%s AS INTEGER) + CAST(%s AS INTEGER), CAST(%s AS TEXT)"
NAMED = "SELECT CAST(%(a)s AS INTEGER) * 2, CAST(%(b)s AS TEXT), CAST(%(a)s AS INTEGER)"


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    ("statement", "params", "expected"),
    [(POSITIONAL, [2, 3, "x"], (5, "x")), (NAMED, {"a": 4, "b": "y"}, (8, "y", 4))],
)
def test_answers_as_a_plain_execute(statement: str, params: Any, expected: tuple[Any]) -> None:
    for _ in range(3):  # the first call prepares, the next ones only execute
        with connection.cursor() as cursor:
            execute_prepared(cursor, statement, params)
            assert cursor.fetchone() == expected


def test_placeholders_are_numbered_in_order() -> None:
    positional = _prepared_form(POSITIONAL, False)
    assert positional.prepare_sql.endswith(
        "AS SELECT CAST($1 AS INTEGER) + CAST($2 AS INTEGER), CAST($3 AS TEXT)"
    )
    assert positional.execute_sql == f"EXECUTE {positional.name}(%s, %s, %s)"
    named = _prepared_form(NAMED, True)
    assert named.prepare_sql.endswith(
        "AS SELECT CAST($1 AS INTEGER) * 2, CAST($2 AS TEXT), CAST($1 AS INTEGER)"
    )
    assert named.execute_sql == f"EXECUTE {named.name}(%(a)s, %(b)s)"
    with pytest.raises(ValueError, match="literal %"):
        _prepared_form("SELECT 'a%%'", False)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")
def test_prepares_once_per_connection_and_only_when_enabled(settings: Any) -> None:
    name = _prepared_form("SELECT %s::integer + 100", False).name
    settings.FAIRLANCE_PREPARED_READS = False
    with connection.cursor() as cursor:
        execute_prepared(cursor, "SELECT %s::integer + 100", [1])
        assert cursor.fetchone() == (101,)
    assert name not in _prepared_names()
    settings.FAIRLANCE_PREPARED_READS = True
    for n in (1, 2):
        with connection.cursor() as cursor:
            execute_prepared(cursor, "SELECT %s::integer + 100", [n])
            assert cursor.fetchone() == (100 + n,)
    assert name in _prepared_names()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PREPARE is PostgreSQL's")
def test_a_connection_prepares_a_bounded_number_of_statements(monkeypatch: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # the connection exists
    already = len(sql._PREPARED.get(connection.connection, ()))
    monkeypatch.setattr(sql, "MAX_PREPARED_PER_CONNECTION", already + 2)
    statements = [f"SELECT %s::integer + {n}" for n in range(1000, 1004)]
    for statement in statements:
        with connection.cursor() as cursor:
            execute_prepared(cursor, statement, [1])
            assert cursor.fetchone()[0] == 1 + int(statement.rsplit(" ", 1)[1])
    names = _prepared_names()
    prepared = [_prepared_form(s, False).name in names for s in statements]
    # Beyond the bound the statements still run, unprepared.
    assert prepared == [True, True, False, False]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
def test_timestamps_are_parsed_in_c_with_the_values_djangos_loader_gives() -> None:
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    texts = [
        "2026-03-29 01:30:00+00",
        "2026-11-26 20:33:01.123456+00",
        "2026-10-25 03:00:00.5+02",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59.999999+00",
    ]
    select = "SELECT " + ", ".join("%s::timestamptz" for _ in texts)
    connection.ensure_connection()
    # Given a connection set up by the app (CoreConfig.ready)
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(1184, 0).__name__ == "CTimestampLoader"
        cursor.execute(select, texts)
        fast = cursor.fetchone()
    # And the same read through Django's own loader
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)
        assert cursor.cursor.adapters.get_loader(1184, 0).__name__ != "CTimestampLoader"
        cursor.execute(select, texts)
        django_values = cursor.fetchone()
    # Then the values are the same, in the same time zone object
    assert fast == django_values
    assert [v.tzinfo for v in fast] == [v.tzinfo for v in django_values]
    assert [v.isoformat() for v in fast] == [v.isoformat() for v in django_values]
