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
