"""Search on PostgreSQL: a side table of weighted tsvectors with a GIN index.

``catalog_project_search(project_id, document)`` holds, per project,
``setweight(to_tsvector('english', title), 'A') || tags 'B' || description 'C'``; it is
created by migration ``catalog/0003_search_index``. The text is folded and split by
``search.text`` first, so accents are matched without the ``unaccent`` extension and the
tokens are the same ones SQLite indexes.

Matching uses ``websearch_to_tsquery('english', …)`` over the query's terms (never the raw
user text: see ``search.text``). The score counts which weight class each term was found
in, via weight-restricted tsqueries (``'term':A``); ``ts_rank_cd`` is not used for ordering
because its floats would order ties differently from SQLite (see ``search.base``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from .base import DESCRIPTION_POINTS, TAGS_POINTS, TITLE_POINTS, TextMatch, tables
from .text import project_index_batches, project_index_row

SIDE_TABLE = "catalog_project_search"
WEIGHT_POINTS = (("a", TITLE_POINTS), ("b", TAGS_POINTS), ("c", DESCRIPTION_POINTS))

# Literal SQL: the table name is a constant, every value is a bound parameter.
_UPSERT = (
    "INSERT INTO catalog_project_search (project_id, document) VALUES (%s,"
    " setweight(to_tsvector('english', %s), 'A')"
    " || setweight(to_tsvector('english', %s), 'B')"
    " || setweight(to_tsvector('english', %s), 'C'))"
    " ON CONFLICT (project_id) DO UPDATE SET document = EXCLUDED.document"
)
_DELETE_ONE = "DELETE FROM catalog_project_search WHERE project_id = %s"
_DELETE_ALL = "DELETE FROM catalog_project_search"
# "The term is in this field": the term as a tsquery restricted to one weight class
# ('design':A matches only lexemes weighted A). This is what ts_filter(document, '{a}')
# @@ term answers, without copying the document once per term and weight for every match
# (that copy made scoring a common word cost as much as the search itself). The term is a
# run of letters and digits (search.text), so quoting it for to_tsquery needs no escaping;
# to_tsquery normalises a quoted term exactly as websearch_to_tsquery does a plain word
# (stemmed, split into a phrase should the parser split it), and the weight applies to
# every lexeme of it.
_TERM_IN_WEIGHT = "(CASE WHEN s.document @@ to_tsquery('english', %s) THEN {points} ELSE 0 END)"


class PostgresBackend:
    def index_project(self, project_id: int) -> None:
        row = project_index_row(project_id)
        with connection.cursor() as cursor:
            if row is None:
                cursor.execute(_DELETE_ONE, [project_id])
            else:
                cursor.execute(_UPSERT, row)

    def reindex_all(self) -> int:
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            # Starting empty also removes rows of projects deleted since (there is no
            # foreign key to cascade them: see the migration).
            cursor.execute(_DELETE_ALL)
            for batch in project_index_batches():
                cursor.executemany(_UPSERT, batch)
                count += len(batch)
        return count

    def text_match(self, terms: Sequence[str]) -> TextMatch:
        t = tables()
        from_sql = (
            f"{SIDE_TABLE} s JOIN {t['project']} p ON p.id = s.project_id"
            f" JOIN {t['user']} u ON u.id = p.freelancer_id"
        )
        # Terms are plain words without operators, so websearch_to_tsquery ANDs them.
        parts: list[str] = []
        score_params: list[Any] = []
        for term in terms:
            for weight, points in WEIGHT_POINTS:
                parts.append(_TERM_IN_WEIGHT.format(points=points))
                score_params.append(f"'{term}':{weight.upper()}")
        return TextMatch(
            from_sql=from_sql,
            from_params=[],
            where_sql="s.document @@ websearch_to_tsquery('english', %s)",
            where_params=[" ".join(terms)],
            score_sql="(" + " + ".join(parts) + ")",
            score_params=score_params,
        )
