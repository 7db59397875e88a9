"""SQL helpers the ORM does not offer: ``insert_or_skip``, ``insert_new``, ``execute_prepared``.

``insert_or_skip``: one INSERT that skips rows a unique constraint already holds.

Django's ``get_or_create`` costs a SELECT, a savepoint, the INSERT and a release (and a
re-read on a race); ``bulk_create(ignore_conflicts=True)`` is one statement but cannot say
which rows it inserted. ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` does both, on
PostgreSQL and on SQLite (3.35+), and never raises for a duplicate, so the caller's
transaction needs no savepoint around it.

On PostgreSQL a conflicting row inserted by a transaction that has not committed yet makes
the statement wait for that transaction; if it commits, the row is skipped (and visible to
the caller's next statement), if it rolls back, the row is inserted.

``insert_new``: ``save()`` of a new instance with its INSERT written once per model (see
its docstring).

``ModelColumns``: model instances from the columns of a hand-written read, converted as the
ORM converts them.

``execute_prepared``: run a hot read as a statement PostgreSQL plans once per connection
(see its docstring).
"""

from __future__ import annotations

import functools
import hashlib
import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


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


# --- insert_new -------------------------------------------------------------------------------


@functools.cache
def _insert_sql(model: type[models.Model], alias: str) -> tuple[str, tuple[Any, ...]]:
    meta = model._meta
    pk = meta.pk
    assert pk is not None and not meta.parents, f"{model.__name__}: not a plain model"
    fields = tuple(f for f in meta.concrete_fields if f is not pk)
    qn = connections[alias].ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Only quoted names from the model's metadata are formatted in; values are parameters.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks}) "  # noqa: S608
        f"RETURNING {qn(str(pk.column))}"
    )
    return sql, fields


def insert_new(obj: models.Model, *, using: str = "default") -> None:
    """Insert ``obj`` (not saved yet) as one row and set its primary key, like ``save()``.

    ``save()`` compiles its INSERT every time; on the purchase path (contract, milestone,
    event, timers, notification in every request) that compilation cost more CPU than the
    rows' round trips. Here the statement is built once per model and database from the
    model's own names; values go through each field's ``pre_save`` and
    ``get_db_prep_save`` as ``save()`` does (defaults, JSON, time zones). Unlike ``save()``
    it sends no ``pre_save``/``post_save`` signals (the models it serves have no receivers)
    and knows nothing of model inheritance: for plain models whose primary key the
    database fills.
    """
    if not obj._state.adding or obj.pk is not None:
        raise ValueError(f"{obj!r} is already saved")
    conn = connections[using]
    sql, fields = _insert_sql(type(obj), using)
    # As save() does: a related object saved after it was assigned gives its id now.
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    params = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using


# --- model instances from raw rows ----------------------------------------------------------

Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class ModelColumns:
    """How to turn a slice of a raw row into a model instance, with Django's converters.

    For reads written by hand (``execute_prepared``) that still hand out model instances:
    the values go through the same converters as the ORM's (JSON, dates on SQLite,
    decimals), and ``Model.from_db`` builds the instance as a queryset would.
    """

    model: type[models.Model]
    attnames: tuple[str, ...]
    converters: tuple[tuple[tuple[Converter, ...], Any], ...]

    def build(self, values: Iterator[Any], conn: BaseDatabaseWrapper) -> models.Model | None:
        """The instance from the next ``len(attnames)`` values; None if its key is NULL
        (an outer join found no row)."""
        converted = []
        for funcs, expression in self.converters:
            value = next(values)
            for func in funcs:
                value = func(value, expression, conn)
            converted.append(value)
        if converted[0] is None:
            return None
        return self.model.from_db(conn.alias, self.attnames, converted)


def model_columns(
    model: type[models.Model], fields: Sequence[models.Field[Any, Any]], conn: BaseDatabaseWrapper
) -> ModelColumns:
    """``ModelColumns`` for ``fields`` of ``model`` (the primary key first), in that order."""
    converters = []
    for field in fields:
        expression = field.get_col(model._meta.db_table)
        funcs = conn.ops.get_db_converters(expression) + field.get_db_converters(conn)
        converters.append((tuple(funcs), expression))
    return ModelColumns(model, tuple(f.attname for f in fields), tuple(converters))


def select_models(
    groups: Sequence[tuple[str, type[models.Model], Sequence[models.Field[Any, Any]] | None]],
    conn: BaseDatabaseWrapper,
) -> tuple[str, tuple[ModelColumns, ...]]:
    """The select list of joined models and how to build each one's instance from a row.

    ``groups`` are (table alias, model, fields: None for every concrete field, the primary
    key first); the columns come out in that order, quoted, as ``alias.column``.
    """
    q = conn.ops.quote_name
    picked = [
        (prefix, model, list(model._meta.concrete_fields) if fields is None else list(fields))
        for prefix, model, fields in groups
    ]
    select = ", ".join(
        f"{prefix}.{q(str(f.column))}" for prefix, _, fields in picked for f in fields
    )
    return select, tuple(model_columns(model, fields, conn) for _, model, fields in picked)


# --- prepared statements ---------------------------------------------------------------------

#: The statements each PostgreSQL connection has prepared, by the driver's connection object
#: (a prepared statement lives as long as its server session).
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
#: Beyond this many distinct statements a connection runs new ones unprepared: each one
#: holds its plan in the server session's memory until the connection closes.
MAX_PREPARED_PER_CONNECTION = 200
_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class _PreparedForm:
    name: str
    prepare_sql: str
    execute_sql: str


@functools.lru_cache(maxsize=512)
def _prepared_form(sql: str, named: bool) -> _PreparedForm:
    """``PREPARE name AS <sql with $n>`` and ``EXECUTE name(<the same placeholders>)``."""
    if "%%" in sql:
        raise ValueError("execute_prepared: a literal % is not supported")
    name = "fl_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()
    if named:
        names = list(dict.fromkeys(_NAMED.findall(sql)))
        numbered = _NAMED.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql)
        marks = ", ".join(f"%({n})s" for n in names)
    else:
        parts = sql.split("%s")
        numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
        marks = ", ".join(["%s"] * (len(parts) - 1))
    return _PreparedForm(name, f"PREPARE {name} AS {numbered}", f"EXECUTE {name}({marks})")


def execute_prepared(cursor: Any, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> None:
    """``cursor.execute(sql, params)``, on PostgreSQL as a statement prepared once per connection.

    For reads run on every request whose planning costs more than running them (the
    project page, a one-word search: ~0.5-0.7 ms to plan against ~0.1-0.3 ms to run on the
    seeded database); Django prepares nothing itself. Only for statements whose best plan
    does not depend on the values: after five executions PostgreSQL may keep one generic
    plan for all of them. ``sql`` takes ``%s`` or ``%(name)s`` placeholders (no literal
    ``%``). The PREPARE goes straight to the driver, outside Django's query log: it is a
    once-per-connection set-up, and query counts must not depend on which test ran first.
    A prepared statement survives rollbacks and goes away with its connection.
    ``FAIRLANCE_PREPARED_READS=false`` turns this off, e.g. behind a transaction-pooling
    PgBouncer, where the next statement may run on another server session.
    """
    conn = cursor.db
    if conn.vendor != "postgresql" or not getattr(settings, "FAIRLANCE_PREPARED_READS", True):
        cursor.execute(sql, params)
        return
    form = _prepared_form(sql, isinstance(params, Mapping))
    prepared = _PREPARED.setdefault(conn.connection, set())
    if form.name not in prepared:
        if len(prepared) >= MAX_PREPARED_PER_CONNECTION:
            cursor.execute(sql, params)
            return
        cursor.cursor.execute(form.prepare_sql)
        prepared.add(form.name)
    cursor.execute(form.execute_sql, params)


# --- reading timestamps on PostgreSQL ---------------------------------------------------------


def use_c_timestamp_loader(connection: Any) -> None:
    """Parse the connection's ``timestamptz`` values in psycopg's C loader.

    Django registers a loader that subclasses psycopg's pure-Python one (to attach its own
    time zone), which cost ~3 µs a value: a third of a millisecond for one search page's
    timestamps. This loader gives the same values (the C parse, then the same ``replace``
    of the time zone) in ~1 µs. Called for every new PostgreSQL connection
    (``CoreConfig.ready``); without psycopg's C extension it changes nothing.
    """
    if connection.vendor != "postgresql":
        return
    loader = _c_timestamp_loader(connection.timezone)
    if loader is not None:
        connection.connection.adapters.register_loader("timestamptz", loader)


@functools.cache
def _c_timestamp_loader(tz: Any) -> type | None:
    import psycopg
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    oid = psycopg.adapters.types["timestamptz"].oid
    found = psycopg.adapters.get_loader(oid, Format.TEXT)
    if found is None or found.__module__.startswith("psycopg."):  # no C extension
        return None
    c_loader: Any = found

    class CTimestampLoader(BaseTzLoader):  # type: ignore[misc]
        # Django's create_cursor() compares this with the connection's time zone and
        # registers its own loader on the cursor when they differ.
        timezone = tz

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._c_load = c_loader(oid, context).load

        def load(self, data: Any) -> Any:
            return self._c_load(data).replace(tzinfo=self.timezone)

    return CTimestampLoader
