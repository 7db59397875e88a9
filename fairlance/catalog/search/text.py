"""Turning project text and user queries into the same plain tokens on every database.

Both backends index and query *our* tokens rather than raw text. SQLite's unicode61
tokenizer and PostgreSQL's parser disagree on e-mail addresses, hyphenated words, accents
and case folding under a C locale; if each database tokenized the raw text, the same query
could match different projects. So Python folds case and accents and splits words once,
the same way for the index and for the query, and each database only stems the tokens it
is given (Porter in FTS5, Snowball English in PostgreSQL).

A user's query therefore never reaches a query parser as syntax: it is reduced to word
tokens, so quotes, ``*``, ``NEAR``, ``-`` or ``OR`` cannot change its meaning or raise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

# A token is a run of letters and digits. Underscore is a word character for Python's
# regular expressions but a separator for FTS5 and PostgreSQL, so it is excluded here.
_TOKEN = re.compile(r"[^\W_]+")

# Longer "words" are noise (hashes, base64) and PostgreSQL silently drops words over 2047
# bytes; dropping them on both sides keeps the backends in agreement.
MAX_TOKEN_CHARS = 64

# Only this many query words are used; each one costs the backend a few index look-ups.
MAX_QUERY_TERMS = 12

# PostgreSQL's english.stop (share/tsearch_data/english.stop), verbatim. PostgreSQL drops
# these words from documents and queries; FTS5 has no stop words. Removing them from every
# query keeps "the logo" meaning the same thing on both databases.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now
    """.split()  # noqa: SIM905 - kept as the file reads, to diff against PostgreSQL's
)


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Café Über" -> "cafe uber")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The folded word tokens of ``text``, in order, duplicates kept."""
    return [t for t in _TOKEN.findall(fold(text)) if len(t) <= MAX_TOKEN_CHARS]


def index_text(parts: Iterable[str]) -> str:
    """What a backend stores for one field: its tokens joined by single spaces."""
    return " ".join(t for part in parts for t in tokens(part))


def index_fields(title: str, tags: Any, description: str) -> tuple[str, str, str]:
    """The (title, tags, description) texts a backend indexes for one project."""
    tag_list = [str(t) for t in tags] if isinstance(tags, list) else []
    return index_text([title]), index_text(tag_list), index_text([description])


def query_terms(q: str) -> list[str]:
    """The distinct searchable words of a user's query, in the order typed.

    Stop words are dropped; a query made only of stop words or punctuation has no terms
    and searches nothing (the caller then browses without a text filter).
    """
    seen: list[str] = []
    for token in tokens(q):
        if token not in STOP_WORDS and token not in seen:
            seen.append(token)
            if len(seen) == MAX_QUERY_TERMS:
                break
    return seen


def project_index_row(project_id: int) -> list[Any] | None:
    """``[id, title, tags, description]`` folded for the index, or None if the project is gone."""
    from fairlance.catalog.models import Project

    row = Project.objects.filter(id=project_id).values_list("title", "tags", "description").first()
    return None if row is None else [project_id, *index_fields(*row)]


def project_index_batches(size: int = 500) -> Iterator[list[list[Any]]]:
    """Every project as index rows (see ``project_index_row``), ``size`` rows at a time."""
    from fairlance.catalog.models import Project

    rows = Project.objects.order_by("id").values_list("id", "title", "tags", "description")
    batch: list[list[Any]] = []
    for pid, title, tags, description in rows.iterator(chunk_size=size):
        batch.append([pid, *index_fields(title, tags, description)])
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
