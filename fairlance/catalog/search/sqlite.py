"""Search on SQLite: an FTS5 table whose rowid is the project id.

``catalog_project_fts(title, tags, description)`` uses the ``porter unicode61
remove_diacritics 2`` tokenizer; it is created by migration ``catalog/0003_search_index``.
The text stored is already folded and split by ``search.text`` (see there for why).

A query is never handed to FTS5 as the user typed it: every term is a token of letters and
digits wrapped in double quotes, so FTS5's query syntax (``"``, ``*``, ``NEAR``, ``-``,
``AND``/``OR``/``NOT``, column filters) can neither be used nor cause a syntax error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from .base import DESCRIPTION_POINTS, TAGS_POINTS, TITLE_POINTS, TextMatch, tables
from .text import project_index_batches, project_index_row

FTS_TABLE = "catalog_project_fts"
COLUMN_POINTS = (
    ("title", TITLE_POINTS),
    ("tags", TAGS_POINTS),
    ("description", DESCRIPTION_POINTS),
)
_TERM_IN_COLUMN = (
    "(CASE WHEN p.id IN (SELECT rowid FROM catalog_project_fts"
    " WHERE catalog_project_fts MATCH %s) THEN {points} ELSE 0 END)"
)
# Literal SQL: the table name is a constant, every value is a bound parameter.
_DELETE_ONE = "DELETE FROM catalog_project_fts WHERE rowid = %s"
_DELETE_ALL = "DELETE FROM catalog_project_fts"
_INSERT = (
    "INSERT INTO catalog_project_fts (rowid, title, tags, description) VALUES (%s, %s, %s, %s)"
)


def _phrase(term: str) -> str:
    # Terms contain only letters and digits (search.text), so quoting needs no escaping;
    # doubling quotes anyway keeps this safe should that ever change.
    return '"' + term.replace('"', '""') + '"'


class SqliteBackend:
    def index_project(self, project_id: int) -> None:
        row = project_index_row(project_id)
        with transaction.atomic(), connection.cursor() as cursor:
            # FTS5 has no upsert: replace the row by deleting it first.
            cursor.execute(_DELETE_ONE, [project_id])
            if row is not None:
                cursor.execute(_INSERT, row)

    def reindex_all(self) -> int:
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_DELETE_ALL)
            for batch in project_index_batches():
                cursor.executemany(_INSERT, batch)
                count += len(batch)
        return count

    def text_match(self, terms: Sequence[str]) -> TextMatch:
        t = tables()
        # CROSS JOIN is SQLite's way to fix the join order: the FTS table drives, so the
        # full-text match runs first and each hit is looked up by primary key. Without it
        # a filter or sort that an index on catalog_project serves (price sort with a price
        # filter uses the (status, from_price_minor) index) leads the planner to walk every
        # published project and probe the FTS index once per row: far slower on a large
        # catalog. test_sqlite_plan_starts_from_the_fts_table guards this.
        from_sql = (
            f"{FTS_TABLE} CROSS JOIN {t['project']} p ON p.id = {FTS_TABLE}.rowid"
            f" CROSS JOIN {t['user']} u ON u.id = p.freelancer_id"
        )
        # Implicit AND: every term must appear in some column.
        match = " ".join(_phrase(term) for term in terms)
        # The score: for each term and column, a membership test against the rowids whose
        # column contains the term. Each IN (subquery) is not correlated, so SQLite builds
        # it once per query, not once per row.
        parts: list[str] = []
        score_params: list[Any] = []
        for term in terms:
            for column, points in COLUMN_POINTS:
                parts.append(_TERM_IN_COLUMN.format(points=points))
                score_params.append(f"{{{column}}} : {_phrase(term)}")
        return TextMatch(
            from_sql=from_sql,
            from_params=[],
            where_sql=f"{FTS_TABLE} MATCH %s",
            where_params=[match],
            score_sql="(" + " + ".join(parts) + ")",
            score_params=score_params,
        )
