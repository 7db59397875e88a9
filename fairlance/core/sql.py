"""``insert_or_skip``: one INSERT that skips rows a unique constraint already holds.

Django's ``get_or_create`` costs a SELECT, a savepoint, the INSERT and a release (and a
re-read on a race); ``bulk_create(ignore_conflicts=True)`` is one statement but cannot say
which rows it inserted. ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` does both, on
PostgreSQL and on SQLite (3.35+), and never raises for a duplicate, so the caller's
transaction needs no savepoint around it.

On PostgreSQL a conflicting row inserted by a transaction that has not committed yet makes
the statement wait for that transaction; if it commits, the row is skipped (and visible to
the caller's next statement), if it rolls back, the row is inserted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models


def insert_or_skip(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = ("id",),
    using: str = "default",
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (field name -> value, the same fields in every row) into ``model``.

    Rows that would violate any unique constraint are skipped silently. Returns the
    ``returning`` fields of the rows actually inserted, in no particular order. Values go
    through each field's ``get_db_prep_save`` (JSON, datetimes, foreign keys as ids), but
    field defaults are not applied: pass every column that has no database default.
    """
    if not rows:
        return []
    connection = connections[using]
    opts = model._meta
    names = list(rows[0])
    fields = [_concrete(model, name) for name in names]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_column(f)) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for row in rows:
        params.extend(
            f.get_db_prep_save(row[name], connection) for name, f in zip(names, fields, strict=True)
        )
    returned = ", ".join(qn(_column(_concrete(model, name))) for name in returning)
    # Only quoted identifiers from the model's metadata are formatted in; values are
    # always parameters.
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES "  # noqa: S608
        + ", ".join([one_row] * len(rows))
        + f" ON CONFLICT DO NOTHING RETURNING {returned}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()]


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a concrete column")
    return field


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # checked by _concrete
    return field.column
