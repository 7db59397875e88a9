"""How the rows a transition writes reach the database: at once, or once per timer batch.

``apply_locked`` (the engine) writes the contract, its event, its timers and its
notifications through a ``Writes`` object. ``IMMEDIATE`` issues each statement as it goes:
what a person's transition has always done, one request, one transaction. The worker
passes a ``TimerBatch`` instead: it keeps those rows in memory while the batch's timers run
and writes them at the end of the batch with a handful of statements (one UPDATE per shape
of contract change, one COPY/INSERT per table, one UPDATE per timer outcome), inside the
batch's transaction, so they commit or roll back together with everything else.

Failure isolation: a timer whose transition raises is rolled back alone. Its direct writes
(ledger postings, a project's capacity counter: actions write those themselves) are undone
by the savepoint the engine takes around it, and ``TimerBatch.rollback_to`` drops the rows
it had staged, so nothing of it is flushed. The batch reads back its own staged rows where
the engine needs them before the flush (a new state's clocks are anchored on the event just
staged; the next clock of a contract is one of the timers just staged).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, models

from fairlance.contracts.models import Contract, ContractEvent, Timer, TimerStatus
from fairlance.core.sql import insert_new

if TYPE_CHECKING:
    from fairlance.core.workdays import WorkdaySpec


@contextmanager
def savepoint_on_first_write() -> Iterator[None]:
    """A savepoint around the block, taken only if the block sends a statement.

    Like ``transaction.atomic()`` nested in the caller's transaction, minus two round
    trips when nothing inside touches the database: a timer transition that only stages
    rows in a ``TimerBatch`` (``mark_late``, a reminder) has nothing to roll back. The
    savepoint is created just before the block's first statement, when the database is
    still exactly as it was when the block began, so rolling back to it undoes the same
    as an eager one would; on commit callbacks registered inside a failed block are dropped
    too, as ``atomic`` does. On an exception the block is rolled back and it re-raises.
    """
    sid: str | None = None
    creating = False

    def first_write(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal sid, creating
        if sid is None and not creating:
            creating = True  # the SAVEPOINT statement itself passes through here
            sid = connection.savepoint()
        return execute(sql, params, many, context)

    callbacks = len(connection.run_on_commit)
    try:
        with connection.execute_wrapper(first_write):
            yield
    except BaseException:
        if sid is not None:
            connection.savepoint_rollback(sid)
        del connection.run_on_commit[callbacks:]
        raise
    if sid is not None:
        connection.savepoint_commit(sid)


class Writes:
    """Statement by statement, in the caller's transaction (a person's transition)."""

    def save_contract(self, contract: Contract) -> None:
        if contract._state.adding and contract.pk is None:
            insert_new(contract)  # a purchase's first transition stores the new contract
        else:
            contract.save()

    def add_event(self, **values: Any) -> None:
        """Append a ``ContractEvent`` (``values``: its fields by name)."""
        insert_new(ContractEvent(**values))

    def skip_pending_timers(self, contract: Contract) -> None:
        """Skip the contract's pending *state* timers; subject timers outlive the state."""
        Timer.objects.filter(contract=contract, status=TimerStatus.PENDING, subject_type="").update(
            status=TimerStatus.SKIPPED, last_error="state left"
        )

    def add_timer(self, **values: Any) -> None:
        """Arm a ``Timer`` (``values``: its fields by name)."""
        insert_new(Timer(**values))

    def events_of(self, contract: Contract) -> list[dict[str, Any]]:
        """The contract's events in order, as dicts of name, from_state, to_state, data and
        created_at."""
        rows = contract.events.order_by("seq").values(
            "name", "from_state", "to_state", "data", "created_at"
        )
        return [dict(row) for row in rows]

    def next_clock(self, contract: Contract) -> datetime | None:
        """When the contract's earliest pending timer fires (None: no clock is running)."""
        return (
            Timer.objects.filter(contract=contract, status=TimerStatus.PENDING)
            .order_by("fire_at")
            .values_list("fire_at", flat=True)
            .first()
        )

    def notify(
        self,
        *,
        user: Any,
        role: str,
        kind: str,
        title: str,
        body: str = "",
        data: dict[str, Any] | None = None,
        deadline: datetime | None = None,
        contract_id: int | None = None,
        about_entry: int | None = None,
    ) -> None:
        """Notify ``user``, who is the contract's ``role`` (see ``notifications.notify``)."""
        from fairlance.notifications.services import notify

        notify(
            user=user,
            role=role,
            kind=kind,
            title=title,
            body=body,
            data=data,
            deadline=deadline,
            contract_id=contract_id,
            about_entry=about_entry,
        )

    def time_zone(self, user: Any) -> str:
        """The IANA zone ``user``'s notices give times in (their calendar's, else UTC)."""
        calendar = getattr(user, "calendar", None)
        return str(calendar.time_zone) if calendar is not None else "UTC"


IMMEDIATE = Writes()


class CreationWrites(Writes):
    """``IMMEDIATE`` for the transition that creates a contract (a purchase), keeping the
    timers it arms in ``timers``: a new contract has no others, so the purchase answers
    with its clocks without reading them back."""

    def __init__(self) -> None:
        self.timers: list[Timer] = []

    def add_timer(self, **values: Any) -> None:
        timer = Timer(**values)
        insert_new(timer)
        self.timers.append(timer)


@dataclass(frozen=True)
class Mark:
    """How much a batch had staged before a timer ran (see ``TimerBatch.rollback_to``)."""

    saved: int
    events: int
    left: int
    timers: int
    notes: int


@dataclass
class TimerBatch(Writes):
    """Rows of many timer transitions, written together by ``flush`` (module docstring).

    The worker runs at most one timer per contract in a batch, so each contract object here
    goes through one transition: what this batch staged for a contract is exactly what that
    transition wrote. Staged rows are plain dicts of column values (building a model
    instance per row cost more than the rest of the transition).

    ``now`` is the instant the timers fire at, ``wall_now`` the real time (notifications'
    ``created_at`` and quiet hours, as ``notify`` uses).
    """

    now: datetime
    wall_now: datetime
    # Loads the working calendars (by user id) of the batch's parties, attaching each to
    # its user objects: the freelancers' for quiet hours, everyone's for the time zone
    # their notices give times in. Called at most once (``load_calendars``).
    calendars: Callable[[], dict[int, WorkdaySpec]] | None = None
    specs: dict[int, WorkdaySpec] | None = None
    # contract id -> fire_at of the timer being fired on it (see ``next_clock``)
    firing: dict[int, datetime] = field(default_factory=dict)
    # contract id -> fire_at of its earliest pending subject timer, read with the claim
    subject_clocks: dict[int, datetime] = field(default_factory=dict)
    before: dict[int, dict[str, Any]] = field(default_factory=dict)
    saved: list[Contract] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    # (status, note) -> timer ids that ended so (fired, or skipped because stale)
    finished: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    # --- bookkeeping -------------------------------------------------------------------

    def track(
        self, contract: Contract, firing_at: datetime, subject_clock: datetime | None = None
    ) -> None:
        """Remember the contract as loaded, to write only the fields a transition changes."""
        self.before[contract.pk] = _values(contract)
        self.firing[contract.pk] = firing_at
        if subject_clock is not None:
            self.subject_clocks[contract.pk] = subject_clock

    def mark(self) -> Mark:
        return Mark(
            len(self.saved), len(self.events), len(self.left), len(self.timers), len(self.notes)
        )

    def rollback_to(self, mark: Mark) -> None:
        """Forget everything staged since ``mark``: the timer that staged it failed."""
        del self.saved[mark.saved :]
        del self.events[mark.events :]
        del self.left[mark.left :]
        del self.timers[mark.timers :]
        del self.notes[mark.notes :]

    def finish(self, timer_id: int, status: str, note: str = "") -> None:
        self.finished[(status, note)].append(timer_id)

    # --- Writes ------------------------------------------------------------------------

    def save_contract(self, contract: Contract) -> None:
        self.saved.append(contract)

    def add_event(self, **values: Any) -> None:
        self.events.append(_row(values))

    def skip_pending_timers(self, contract: Contract) -> None:
        self.left.append(contract.pk)

    def add_timer(self, **values: Any) -> None:
        self.timers.append(_row(values))

    def events_of(self, contract: Contract) -> list[dict[str, Any]]:
        staged = [
            {
                "name": e["name"],
                "from_state": e["from_state"],
                "to_state": e["to_state"],
                "data": e["data"],
                "created_at": e["created_at"],
            }
            for e in self.events
            if e["contract_id"] == contract.pk
        ]
        return super().events_of(contract) + staged

    def next_clock(self, contract: Contract) -> datetime | None:
        # What ``Writes.next_clock`` would read at this point, without the query. A
        # transition that left its state skipped every pending timer: the clocks are the
        # ones it just armed, and its subject timers, which outlive states. Otherwise the
        # timer being fired is still pending (as in a person's transaction), and it is the
        # contract's earliest pending timer: the batch claims due timers in ``fire_at``
        # order and fires the first one of each contract.
        if contract.pk in self.left:
            armed = [t["fire_at"] for t in self.timers if t["contract_id"] == contract.pk]
            subject = self.subject_clocks.get(contract.pk)
            return min([*armed, *([subject] if subject is not None else [])], default=None)
        return self.firing.get(contract.pk)

    def notify(
        self,
        *,
        user: Any,
        role: str,
        kind: str,
        title: str,
        body: str = "",
        data: dict[str, Any] | None = None,
        deadline: datetime | None = None,
        contract_id: int | None = None,
        about_entry: int | None = None,
    ) -> None:
        from fairlance.notifications.services import notification_row, waits_for_working_hours

        may_wait = waits_for_working_hours(role) and self._may_wait(deadline)
        self.notes.append(
            notification_row(
                user=user,
                role=role,
                kind=kind,
                title=title,
                body=body,
                data=data,
                now=self.wall_now,
                # Never later than the real time, so the sender that runs right after the
                # batch (or any other) finds them due even when timers fire "as of" later.
                send_from=min(self.now, self.wall_now),
                deadline=deadline,
                spec=self._spec(user.pk) if may_wait else None,
                contract_id=contract_id,
                about_entry=about_entry,
            )
        )

    def time_zone(self, user: Any) -> str:
        # The calendars loader attaches each party's calendar to its user objects.
        self._spec(user.pk)
        return super().time_zone(user)

    def _may_wait(self, deadline: datetime | None) -> bool:
        # An email about a deadline already passed goes at once: no calendar needed.
        return deadline is None or deadline > self.wall_now

    def load_calendars(self) -> None:
        """Load the parties' calendars now (once), before any timer's savepoint: read
        inside one, they would cost it a SAVEPOINT and a RELEASE it otherwise skips."""
        if self.specs is None:
            self.specs = self.calendars() if self.calendars is not None else {}

    def _spec(self, user_id: int) -> WorkdaySpec | None:
        self.load_calendars()
        assert self.specs is not None
        return self.specs.get(user_id)

    # --- the flush ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything staged, parents first; the caller's transaction holds it."""
        by_shape: dict[tuple[str, ...], list[Contract]] = defaultdict(list)
        for contract in self.saved:
            changed = _changed_fields(self.before.get(contract.pk), contract)
            if changed:
                by_shape[changed].append(contract)
        for names, contracts in by_shape.items():
            update_rows(Contract, contracts, names)
        insert_rows(ContractEvent, self.events)
        table = connection.ops.quote_name(Timer._meta.db_table)
        with connection.cursor() as cursor:
            if self.left:
                among, ids = _among("contract_id", self.left)
                # The table name is the model's; values are bound parameters.
                cursor.execute(
                    f"UPDATE {table} SET status = %s, last_error = %s "  # noqa: S608
                    f"WHERE status = %s AND subject_type = '' AND {among}",
                    [TimerStatus.SKIPPED, "state left", TimerStatus.PENDING, *ids],
                )
            for (status, note), timer_ids in self.finished.items():
                among, ids = _among("id", timer_ids)
                cursor.execute(
                    f"UPDATE {table} SET status = %s, fired_at = %s, last_error = %s, "  # noqa: S608
                    f"attempts = attempts + 1 WHERE {among}",
                    [status, self.now, note, *ids],
                )
        insert_rows(Timer, self.timers)
        from fairlance.notifications.models import Notification

        insert_rows(Notification, self.notes)


def _row(values: dict[str, Any]) -> dict[str, Any]:
    """Model field values by name -> column values by attname (``contract`` -> its id)."""
    row = {}
    for name, value in values.items():
        if isinstance(value, models.Model) or (value is None and name in _FOREIGN_KEYS):
            row[f"{name}_id"] = None if value is None else value.pk
        else:
            row[name] = value
    return row


_FOREIGN_KEYS = frozenset({"contract", "actor", "user"})


def _among(column: str, ids: list[int]) -> tuple[str, list[Any]]:
    """``column`` is one of ``ids``: one array parameter on PostgreSQL (the driver spends
    real time on a query with hundreds of placeholders), an IN list on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


# --- bulk statements ---------------------------------------------------------------------------

_CONTRACT_FIELDS = [f.attname for f in Contract._meta.concrete_fields if not f.primary_key]
_CONTRACT_JSON = [
    f.attname for f in Contract._meta.concrete_fields if isinstance(f, models.JSONField)
]


def _values(contract: Contract) -> dict[str, Any]:
    # A copy of the instance's field values, JSON values copied one level deep: actions
    # assign new dicts (``clock_notes = {**...}``), and a key changed in place still
    # differs from the copy. (A change in place deep inside a nested value would be
    # missed; actions must not do that.) A deep copy or a serialisation of the snapshot
    # cost more than the rest of a transition.
    values = dict(contract.__dict__)
    for name in _CONTRACT_JSON:
        value = values.get(name)
        if isinstance(value, dict):
            values[name] = dict(value)
        elif isinstance(value, list):
            values[name] = list(value)
    return values


def _changed_fields(before: dict[str, Any] | None, contract: Contract) -> tuple[str, ...]:
    if before is None:  # not loaded by the batch: write every field, as save() does
        return tuple(_CONTRACT_FIELDS)
    now = contract.__dict__
    return tuple(name for name in _CONTRACT_FIELDS if now.get(name) != before.get(name))


def _log(sql: str, rows: int) -> None:
    # COPY bypasses Django's cursor wrapper; count it like any statement so query counts
    # (CaptureQueriesContext) still see every round trip.
    if connection.queries_logged:
        connection.queries_log.append({"sql": f"{sql} -- {rows} rows", "time": "0.000"})


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (column values by attname) in one statement, ids from the sequence.

    PostgreSQL gets a COPY, its bulk path, SQLite one prepared INSERT run for every row;
    both skip ``bulk_create``'s model instances and per-value SQL compilation, which cost
    more than the transition itself at worker batch sizes. A column missing from a row
    gets the field's default. No ids are returned: nothing here needs them.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(str(f.column)) for f in fields)
    json_names = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({columns}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    values = [row.get(name, defaults[name]) for name in names]
                    for i, name in enumerate(names):
                        if name in json_names and values[i] is not None:
                            values[i] = json.dumps(values[i])
                    copy.write_row(values)
            _log(sql, len(rows))
        else:
            marks = ", ".join(["%s"] * len(fields))
            # Names come from the model, quoted; values are bound parameters.
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(
                sql,
                [
                    [
                        f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                        for f in fields
                    ]
                    for row in rows
                ],
            )


def update_rows(model: type[models.Model], objs: list[Any], names: tuple[str, ...]) -> None:
    """Set fields ``names`` of ``objs`` to their values, one statement for all (PostgreSQL).

    ``UPDATE ... FROM unnest(<one array per column>)`` joins the new values by id: a
    handful of parameters whatever the number of rows. Django's ``bulk_update`` builds a
    CASE per field and row instead, whose compilation costs milliseconds per hundred rows.
    SQLite (one local writer, no round trips) runs a prepared UPDATE per row.
    """
    if not objs:
        return
    meta = model._meta
    fields: list[Any] = [f for f in meta.concrete_fields if f.attname in names]
    ops = connection.ops
    table = ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays: list[list[Any]] = [[obj.pk for obj in objs]]
            casts = ["%s::bigint[]"]
            sets = []
            for f in fields:
                column = ops.quote_name(str(f.column))
                values = [getattr(obj, f.attname) for obj in objs]
                if isinstance(f, models.JSONField):
                    # Arrays of jsonb do not adapt from dicts; text casts back per row.
                    values = [None if v is None else json.dumps(v) for v in values]
                    casts.append("%s::text[]")
                    sets.append(f"{column} = v.{column}::jsonb")
                else:
                    casts.append(f"%s::{f.db_type(connection)}[]")
                    sets.append(f"{column} = v.{column}")
                arrays.append(values)
            columns = ", ".join(ops.quote_name(str(f.column)) for f in fields)
            # Names come from the model, quoted; values are bound parameters.
            sql = (
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
                f"FROM unnest({', '.join(casts)}) AS v(id, {columns}) WHERE {table}.id = v.id"
            )
            cursor.execute(sql, arrays)
        else:
            sets_sql = ", ".join(f"{ops.quote_name(str(f.column))} = %s" for f in fields)
            sql = f"UPDATE {table} SET {sets_sql} WHERE id = %s"  # noqa: S608
            cursor.executemany(
                sql,
                [
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                    + [obj.pk]
                    for obj in objs
                ],
            )
