"""Finding the words a mistyped query word was meant to be.

A word of MIN_TYPO_CHARS letters or more that is not in the vocabulary (``SearchWord``)
is looked up by its trigrams (``SearchTrigram``), the way PostgreSQL's pg_trgm finds
similar words, in one indexed query that works the same on SQLite: one edit changes at
most three of a word's trigrams (a swap of two letters four), so a candidate must share
all but four of them and be at most one letter longer or shorter. The few candidates that pass are checked with a real
edit distance (Damerau-Levenshtein, from rapidfuzz: a transposition is one typo, as
"desgin" is one typo of "design"). docs/decisions/0022-search-relevance.md says why not
pg_trgm or FTS5's trigram tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, connections, router
from rapidfuzz.distance import DamerauLevenshtein

from fairlance.catalog.models import SearchTrigram

MIN_TYPO_CHARS = 5
MAX_EDITS = 1
# Candidates read per mistyped word at most (the most trigrams shared first).
MAX_CANDIDATES = 200


def trigrams(word: str) -> set[str]:
    """The padded trigrams of ``word`` ("log" -> "  l", " lo", "log", "og ")."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def close_words(words: Sequence[str]) -> dict[str, list[str]]:
    """For each of ``words`` (folded, MIN_TYPO_CHARS or longer), the vocabulary words one
    edit away, nearest first; words without any are left out."""
    found: dict[str, list[str]] = {}
    table = connection.ops.quote_name(SearchTrigram._meta.db_table)
    with connections[router.db_for_read(SearchTrigram)].cursor() as cursor:
        for word in words:
            grams = sorted(trigrams(word))
            marks = ", ".join("%s" for _ in grams)
            cursor.execute(
                f"SELECT word FROM {table}"  # noqa: S608
                f" WHERE trigram IN ({marks}) AND length BETWEEN %s AND %s"
                " GROUP BY word HAVING COUNT(*) >= %s"
                " ORDER BY COUNT(*) DESC, word LIMIT %s",
                [
                    *grams,
                    len(word) - MAX_EDITS,
                    len(word) + MAX_EDITS,
                    max(2, len(grams) - 4 * MAX_EDITS),
                    MAX_CANDIDATES,
                ],
            )
            near = [
                candidate
                for (candidate,) in cursor.fetchall()
                if candidate != word
                and DamerauLevenshtein.distance(word, candidate, score_cutoff=MAX_EDITS)
                <= MAX_EDITS
            ]
            if near:
                found[word] = near
    return found
