"""Turning project text and user queries into the same stemmed terms on every database.

Python folds case and accents, splits words and stems them (Snowball English, the
stemmer PostgreSQL's ``english`` configuration uses), once, the same way for what is
indexed and for what is asked. The databases only store and compare the resulting terms
(``SearchPosting.term``), so SQLite and PostgreSQL match exactly the same projects.

A user's query therefore never reaches a query parser as syntax: it is reduced to word
tokens, so quotes, ``*``, ``NEAR``, ``-`` or ``OR`` cannot change its meaning or raise.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

# A token is a run of letters and digits. Underscore is a word character for Python's
# regular expressions but a separator for FTS5 and PostgreSQL, so it is excluded here.
_TOKEN = re.compile(r"[^\W_]+")

# Longer "words" are noise (hashes, base64) and PostgreSQL silently drops words over 2047
# bytes; dropping them on both sides keeps the backends in agreement.
MAX_TOKEN_CHARS = 64

# Only this many query words are used; each one costs the backend a few index look-ups.
MAX_QUERY_TERMS = 12

# PostgreSQL's english.stop (share/tsearch_data/english.stop), verbatim: words too common
# to search for. They are neither indexed nor searched, so "the logo" finds what "logo" finds.
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
    if text.isascii():  # no accents to strip; most text, and 20x faster
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The folded word tokens of ``text``, in order, duplicates kept."""
    return [t for t in _TOKEN.findall(fold(text)) if len(t) <= MAX_TOKEN_CHARS]


# Points a project earns for a term in each field (docs/search.md, "Relevance").
TITLE_POINTS = 3
TAGS_POINTS = 2
DESCRIPTION_POINTS = 1

# A term every published project has (with 0 points), so that browsing without words walks
# the same postings indexes as a search. No token is empty, so no word can collide with it.
EVERY_PROJECT = ""

_STEMMER = snowballstemmer.stemmer("english")
# The pure-Python stemmer keeps its working word on the object: one word at a time.
_STEMMER_LOCK = threading.Lock()


@lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """The Snowball English stem of a folded token ("designs", "designing" -> "design")."""
    with _STEMMER_LOCK:
        return str(_STEMMER.stemWord(token))


def _stems(text_tokens: Iterable[str]) -> set[str]:
    return {stem(t) for t in text_tokens if t not in STOP_WORDS}


def project_terms(title: str, tags: object, description: str) -> dict[str, int]:
    """Every stemmed term of a project with its points (3 title + 2 tags + 1 description),
    and EVERY_PROJECT with 0."""
    tag_list = [str(t) for t in tags] if isinstance(tags, list) else []
    fields = (
        (tokens(title), TITLE_POINTS),
        ([t for tag in tag_list for t in tokens(tag)], TAGS_POINTS),
        (tokens(description), DESCRIPTION_POINTS),
    )
    points: dict[str, int] = {EVERY_PROJECT: 0}
    for field_tokens, field_points in fields:
        for term in _stems(field_tokens):
            points[term] = points.get(term, 0) + field_points
    return points


def query_terms(q: str) -> list[str]:
    """The distinct stemmed terms of a user's query, in the order typed.

    Stop words are dropped; a query made only of stop words or punctuation has no terms
    and searches nothing (the caller then browses without a text filter). Only the first
    MAX_QUERY_TERMS words count.
    """
    words: list[str] = []
    for token in tokens(q):
        if token not in STOP_WORDS and token not in words:
            words.append(token)
            if len(words) == MAX_QUERY_TERMS:
                break
    terms: list[str] = []
    for word in words:
        term = stem(word)
        if term not in terms:
            terms.append(term)
    return terms
