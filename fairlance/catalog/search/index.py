"""Keeping the search index (``SearchPosting``, ``SearchWord``, ``SearchTrigram``) in step
with the published catalog.

A published project has one posting per stemmed term of its title, tags, category name and
description; any other project has none. Its words join the vocabulary (prefixes, typo
corrections). ``index_project`` replaces one project's postings inside the caller's
transaction; ``reindex_all`` rebuilds the tables (after bulk loads that bypass the
services, or after a change to the tokenization rules).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from fairlance.catalog.models import (
    Project,
    ProjectStatus,
    SearchPosting,
    SearchTrigram,
    SearchWord,
    posting_indexes,
)

from .spelling import trigrams
from .text import project_terms, stem, words_of

# Column order of every posting row written here.
COLUMNS = (
    "project_id",
    "term",
    "points",
    "freelancer_id",
    "category_id",
    "listed_at",
    "from_price_minor",
    "min_delivery_days",
    "rating_x100",
    "rating_count",
)
# What a posting copies from its project, in the order ``_postings`` reads it.
_PROJECT_FIELDS = (
    "id",
    "title",
    "tags",
    "description",
    "category__name",
    "freelancer_id",
    "category_id",
    "published_at",
    "created_at",
    "from_price_minor",
    "min_delivery_days",
    "rating_x100",
    "rating_count",
)
_BATCH = 1_000


def _table() -> str:
    return connection.ops.quote_name(SearchPosting._meta.db_table)


def _postings(row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The posting rows of one project row (``_PROJECT_FIELDS``), as query parameters."""
    (pid, title, tags, description, category, freelancer_id, category_id, published_at,
     created_at, price, days, rating, rating_count) = row  # fmt: skip
    # Published projects always have published_at (set on first publication, never cleared).
    moment: datetime = published_at or created_at
    # Raw SQL on SQLite needs the backend's text form of a datetime.
    listed_at = connection.ops.adapt_datetimefield_value(moment)
    return [
        (pid, term, points, freelancer_id, category_id, listed_at, price, days, rating,
         rating_count)
        for term, points in project_terms(title, tags, category, description).items()
    ]  # fmt: skip


def _copy_text(row: tuple[Any, ...]) -> str:
    """The postings of one project row as COPY text lines (PostgreSQL's bulk load).

    Terms are letters and digits and the other columns numbers and a timestamp, so
    nothing needs escaping; the columns shared by every posting are formatted once.
    """
    (pid, title, tags, description, category, freelancer_id, category_id, published_at,
     created_at, price, days, rating, rating_count) = row  # fmt: skip
    listed_at: datetime = published_at or created_at
    shared = "\t".join(
        str(v) for v in (freelancer_id, category_id, listed_at.isoformat(), price, days, rating)
    )
    shared += f"\t{rating_count}\n"
    return "".join(
        f"{pid}\t{term}\t{points}\t{shared}"
        for term, points in project_terms(title, tags, category, description).items()
    )


def _words(row: tuple[Any, ...]) -> set[str]:
    _pid, title, tags, description, category = row[:5]
    tag_text = " ".join(str(t) for t in tags) if isinstance(tags, list) else ""
    return {w for w in words_of(title, tag_text, category, description) if not w.isdigit()}


def _add_words(cursor: Any, words: set[str]) -> None:
    """Add those of ``words`` the vocabulary lacks (one project's: a few dozen)."""
    if not words:
        return
    word_table = connection.ops.quote_name(SearchWord._meta.db_table)
    marks = ", ".join("%s" for _ in words)
    cursor.execute(f"SELECT word FROM {word_table} WHERE word IN ({marks})", list(words))  # noqa: S608
    new = sorted(words - {w for (w,) in cursor.fetchall()})
    if not new:
        return
    trigram_table = connection.ops.quote_name(SearchTrigram._meta.db_table)
    # ON CONFLICT: another transaction may add the same word meanwhile (both databases).
    cursor.executemany(
        f"INSERT INTO {word_table} (word, term) VALUES (%s, %s) ON CONFLICT DO NOTHING",  # noqa: S608
        [(w, stem(w)) for w in new],
    )
    cursor.executemany(
        f"INSERT INTO {trigram_table} (trigram, length, word) VALUES (%s, %s, %s)"  # noqa: S608
        " ON CONFLICT DO NOTHING",
        [(g, len(w), w) for w in new for g in trigrams(w)],
    )


def _load_vocabulary(cursor: Any, words: set[str]) -> None:
    """Write a whole vocabulary into the emptied tables (``reindex_all``)."""
    word_table = connection.ops.quote_name(SearchWord._meta.db_table)
    trigram_table = connection.ops.quote_name(SearchTrigram._meta.db_table)
    ordered = sorted(words)
    if connection.vendor == "postgresql":
        # Words are letters and digits: nothing to escape in COPY's text format.
        with cursor.cursor.copy(f"COPY {word_table} (word, term) FROM STDIN") as copy:
            copy.write("".join(f"{w}\t{stem(w)}\n" for w in ordered))
        with cursor.cursor.copy(f"COPY {trigram_table} (trigram, length, word) FROM STDIN") as copy:
            # A trigram's padding is spaces: fine inside a tab-separated field.
            copy.write("".join(f"{g}\t{len(w)}\t{w}\n" for w in ordered for g in trigrams(w)))
        return
    cursor.executemany(
        f"INSERT INTO {word_table} (word, term) VALUES (%s, %s)",  # noqa: S608
        [(w, stem(w)) for w in ordered],
    )
    cursor.executemany(
        f"INSERT INTO {trigram_table} (trigram, length, word) VALUES (%s, %s, %s)",  # noqa: S608
        [(g, len(w), w) for w in ordered for g in trigrams(w)],
    )


def _insert_sql() -> str:
    marks = ", ".join("%s" for _ in COLUMNS)
    return f"INSERT INTO {_table()} ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608


def index_project(project_id: int) -> None:
    """Replace the postings of one project (none unless it is published, or if it is gone)."""
    row = (
        Project.objects.filter(id=project_id, status=ProjectStatus.PUBLISHED)
        .values_list(*_PROJECT_FIELDS)
        .first()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table()} WHERE project_id = %s", [project_id])  # noqa: S608
        if row is not None:
            cursor.executemany(_insert_sql(), _postings(row))
            _add_words(cursor, _words(row))


def _published_rows() -> Iterator[list[tuple[Any, ...]]]:
    rows = (
        Project.objects.filter(status=ProjectStatus.PUBLISHED)
        .order_by("id")
        .values_list(*_PROJECT_FIELDS)
    )
    batch: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=_BATCH):
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def reindex_all() -> int:
    """Rebuild every posting from the project rows; returns how many projects are indexed.

    The term indexes (``posting_indexes``) are dropped for the load and built again at the
    end, in the same transaction: building an index over two million sorted rows takes
    seconds, keeping it up to date row by row in random term order took most of the
    benchmark seed's time.
    Searches wait for the rebuild to commit (PostgreSQL locks the table while its indexes
    are rebuilt), so run it when the catalog is quiet.
    """
    count = 0
    postgres = connection.vendor == "postgresql"
    editor = connection.schema_editor()
    indexes = posting_indexes(connection.vendor)
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            # Room to sort two million index entries in memory rather than in temp files.
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for model in (SearchPosting, SearchWord, SearchTrigram):
            table = connection.ops.quote_name(model._meta.db_table)
            # TRUNCATE leaves no dead rows behind (it takes the lock the index rebuild
            # takes anyway); SQLite's DELETE without WHERE truncates too.
            cursor.execute(f"{'TRUNCATE' if postgres else 'DELETE FROM'} {table}")
        vocabulary: set[str] = set()
        for index in indexes:
            # The same statement on both databases (remove_sql needs an open editor).
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(index.name)}")
        for batch in _published_rows():
            if postgres:
                # COPY: about ten times faster than INSERTs for the millions of rows of a
                # large catalog (the benchmark's seed writes ~2 million).
                copy_sql = f"COPY {_table()} ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    copy.write("".join(_copy_text(row) for row in batch))
            else:
                postings = [p for row in batch for p in _postings(row)]
                cursor.executemany(_insert_sql(), postings)
            for row in batch:
                vocabulary |= _words(row)
            count += len(batch)
        _load_vocabulary(cursor, vocabulary)
        for index in indexes:
            cursor.execute(str(index.create_sql(SearchPosting, editor)))
    return count
