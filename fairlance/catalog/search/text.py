"""Turning project text and user queries into the same stemmed terms on every database.

Python folds case and accents, splits words and stems them (Snowball English, the
stemmer PostgreSQL's ``english`` configuration uses), once, the same way for what is
indexed and for what is asked. The databases only store and compare the resulting terms
(``SearchPosting.term``), so SQLite and PostgreSQL match exactly the same projects.

A user's query therefore never reaches a query parser as syntax: it is reduced to word
tokens, so quotes, ``*``, ``NEAR``, ``-`` or ``OR`` cannot change its meaning or raise.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections import Counter
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


# BM25F (docs/search.md, "Relevance"): a term's occurrences count by field, weighted by
# how much a field says about a project, each normalised by the field's length against a
# typical one (long descriptions repeat words without being more about them), then
# saturated (the tenth "logo" adds little). The weights and lengths were set on the judged
# query set (tests/search/judgments); K1 and B are the usual BM25 defaults.
FIELD_WEIGHTS = {"title": 3.0, "tags": 2.0, "category": 1.5, "description": 1.0}
TYPICAL_WORDS = {"title": 8.0, "tags": 5.0, "category": 2.0, "description": 60.0}
B = {"title": 0.3, "tags": 0.3, "category": 0.0, "description": 0.75}
K1 = 1.2
# The stored weight is scaled to an integer (at most (K1 + 1) * POINTS_SCALE).
POINTS_SCALE = 100

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


def joined_pairs(raw_tokens: list[str]) -> list[str]:
    """Each two neighbouring tokens written as one word ("voice over" -> "voiceover",
    "e-book" -> "ebook"), so that either spelling of a compound finds the other; two stop
    words ("for your") make no compound anyone searches for."""
    return [
        a + b
        for a, b in itertools.pairwise(raw_tokens)
        if not (a in STOP_WORDS and b in STOP_WORDS)
    ]


def field_counts(
    title: str, tags: object, category: str, description: str
) -> dict[str, Counter[str]]:
    """How often each stemmed term occurs in each field (stop words left out). Titles and
    tags also count their joined neighbours (``joined_pairs``); a description only its
    hyphenated ones, which are compounds by construction (joining every neighbour of a
    description would double the index)."""
    tag_list = [str(t) for t in tags] if isinstance(tags, list) else []
    counts: dict[str, Counter[str]] = {}
    for field, texts in (("title", [title]), ("tags", tag_list)):
        counter: Counter[str] = Counter()
        for text in texts:
            raw = tokens(text)
            counter.update(stem(t) for t in raw if t not in STOP_WORDS)
            counter.update(stem(j) for j in joined_pairs(raw))
        counts[field] = counter
    counts["category"] = Counter(stem(t) for t in tokens(category) if t not in STOP_WORDS)
    described: Counter[str] = Counter(stem(t) for t in tokens(description) if t not in STOP_WORDS)
    described.update(stem(fold(a + b)) for a, b in _HYPHENATED.findall(description))
    counts["description"] = described
    return counts


_HYPHENATED = re.compile(r"([^\W_]+)-([^\W_]+)")


def project_terms(title: str, tags: object, category: str, description: str) -> dict[str, int]:
    """Every stemmed term of a project with its BM25F weight (see FIELD_WEIGHTS), and
    EVERY_PROJECT with 0."""
    fields = field_counts(title, tags, category, description)
    weighted: dict[str, float] = {}
    for field, counter in fields.items():
        length = sum(counter.values()) or 1
        # Longer than typical weighs less; shorter is not boosted (a two-line description
        # is not more about each of its words than a title is).
        norm = max(1.0, 1 - B[field] + B[field] * length / TYPICAL_WORDS[field])
        for term, count in counter.items():
            weighted[term] = weighted.get(term, 0.0) + FIELD_WEIGHTS[field] * count / norm
    points = {
        term: max(1, round(POINTS_SCALE * w * (K1 + 1) / (w + K1))) for term, w in weighted.items()
    }
    points[EVERY_PROJECT] = 0
    return points


def words_of(*texts: str) -> set[str]:
    """The distinct folded words of ``texts`` (stop words left out): the vocabulary that
    prefixes, typo corrections and "did you mean" are looked up in."""
    return {t for text in texts for t in tokens(text) if t not in STOP_WORDS}
