"""What a user's query asks for: its words, and for each the terms that may stand for it.

``plan(q)`` turns the text typed into a ``QueryPlan``: every word (stop words left out)
with its *alternatives*, the stemmed terms that count as that word, each with a weight:

- the word's own stem (1.0);
- the word joined with its neighbour, for compounds typed apart ("voice over" also looks
  for "voiceover", "e book" for "ebook"; the index joins neighbours too) (1.0);
- synonyms from the operators' list (``SearchSynonym``) (SYNONYM_WEIGHT);
- for the last word, words starting with it as typed ("djang" -> django) (PREFIX_WEIGHT);
- for a word of 5+ letters that no project has, the words one typo away ("illustator" ->
  illustrator) (TYPO_WEIGHT), which "did you mean" then shows.

Each alternative's weight is multiplied by its term's inverse document frequency (BM25's
idf, from how many projects have it), so a rare word counts for more than a common one.
The SQL (``base.build_query``) then scores a project, per word, by its best alternative.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, router

from fairlance.catalog.models import SearchPosting, SearchSynonym, SearchWord

from .spelling import MIN_TYPO_CHARS, close_words
from .text import EVERY_PROJECT, MAX_QUERY_TERMS, STOP_WORDS, stem, tokens

SYNONYM_WEIGHT = 0.9
PREFIX_WEIGHT = 0.7
TYPO_WEIGHT = 0.8
# Prefixes shorter than this expand to too much to mean anything ("de").
MIN_PREFIX_CHARS = 3
# Words starting with the prefix that are looked at, in alphabetical order.
MAX_PREFIX_WORDS = 60
# Terms a prefix expands to at most, the commonest first.
MAX_PREFIX_TERMS = 8
# An alternative's multiplier is ``idf * weight`` scaled to an integer, so scores are
# integers on both databases and a cursor carries them exactly.
MULTIPLIER_SCALE = 100


@dataclass
class QueryWord:
    text: str  # the folded word as typed
    # term -> weight (1.0 for the word's own stem), before idf
    alternatives: dict[str, float] = field(default_factory=dict)
    corrected_to: str | None = None  # the vocabulary word a typo was corrected to

    def add(self, term: str, weight: float) -> None:
        if weight > self.alternatives.get(term, 0.0):
            self.alternatives[term] = weight


@dataclass(frozen=True)
class Alternative:
    word: int  # index of the query word it stands for
    term: str
    multiplier: int  # idf * weight * MULTIPLIER_SCALE, at least 1


@dataclass(frozen=True)
class QueryPlan:
    words: tuple[str, ...]  # the query's words (folded, stop words left out)
    alternatives: tuple[Alternative, ...]  # only terms some project has
    did_you_mean: str | None

    @property
    def browsing(self) -> bool:
        """No words: every published project, newest first (or as sorted)."""
        return not self.words

    @property
    def finds_nothing(self) -> bool:
        """Words were typed but no project has any of them, or anything close."""
        return bool(self.words) and not self.alternatives

    @property
    def single_term(self) -> bool:
        """One word standing for one term: ranking is that term's index order."""
        return len(self.words) == 1 and len(self.alternatives) == 1

    @property
    def marked_terms(self) -> frozenset[str]:
        """Every term searched for, to mark in snippets."""
        return frozenset(a.term for a in self.alternatives)

    def identity(self) -> tuple[object, ...]:
        """What the ranking depends on (cache keys)."""
        return (self.words, tuple((a.word, a.term, a.multiplier) for a in self.alternatives))


def synonym_entry_words(entry: str) -> list[str]:
    """The distinct folded words of a synonym entry ("WP, WordPress" -> wp, wordpress);
    an item of several words is not a single word and is left out."""
    words: list[str] = []
    for part in entry.split(","):
        found = tokens(part)
        if len(found) == 1 and found[0] not in words:
            words.append(found[0])
    return words


def _synonym_groups(entries: list[str]) -> dict[str, set[str]]:
    """Each word of the operators' synonym entries -> the other words of its entries."""
    groups: dict[str, set[str]] = {}
    for entry in entries:
        words = synonym_entry_words(entry)
        for word in words:
            groups.setdefault(word, set()).update(w for w in words if w != word)
    return groups


class Lookup(NamedTuple):
    known: set[str]  # the query words the vocabulary has
    prefixed: list[str]  # vocabulary words starting with the prefix
    synonyms: dict[str, set[str]]  # the operators' synonym list


def _look_up(words: list[str], prefix: str | None) -> Lookup:
    """Which of ``words`` are in the vocabulary, the vocabulary words starting with
    ``prefix`` (a range of the primary key) and the synonym list, in one statement."""
    table = connection.ops.quote_name(SearchWord._meta.db_table)
    synonyms = connection.ops.quote_name(SearchSynonym._meta.db_table)
    marks = ", ".join("%s" for _ in words)
    sql = (
        f"SELECT word, 1 FROM {table} WHERE word IN ({marks})"  # noqa: S608
        f" UNION ALL SELECT words, 3 FROM {synonyms}"
    )
    args: list[Any] = list(words)
    if prefix:
        # The next string after every word starting with ``prefix`` in code-point order.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        sql += (
            f" UNION ALL SELECT * FROM (SELECT word, 2 FROM {table}"  # noqa: S608
            " WHERE word >= %s AND word < %s ORDER BY word LIMIT %s) p"
        )
        args.extend([prefix, upper, MAX_PREFIX_WORDS])
    with connections[router.db_for_read(SearchPosting)].cursor() as cursor:
        cursor.execute(sql, args)
        rows = cursor.fetchall()
    return Lookup(
        known={w for w, kind in rows if kind == 1},
        prefixed=[w for w, kind in rows if kind == 2],
        synonyms=_synonym_groups([w for w, kind in rows if kind == 3]),
    )


def term_counts(terms: list[str]) -> dict[str, int]:
    """How many published projects have each term (EVERY_PROJECT: all of them), remembered
    for FAIRLANCE_SEARCH_TERM_COUNT_SECONDS: they drift slowly, and counting a common
    word's postings is as slow as a search."""
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_TERM_COUNT_SECONDS", 0))
    db = connection.settings_dict["NAME"]
    keys = {term: f"fairlance:search:df:v2:{db}:{term}" for term in terms}
    cached = cache.get_many(list(keys.values())) if ttl > 0 else {}
    counts = {term: cached[key] for term, key in keys.items() if key in cached}
    missing = [term for term in terms if term not in counts]
    if missing:
        marks = ", ".join("%s" for _ in missing)
        table = connection.ops.quote_name(SearchPosting._meta.db_table)
        with connections[router.db_for_read(SearchPosting)].cursor() as cursor:
            cursor.execute(
                f"SELECT term, COUNT(*) FROM {table} WHERE term IN ({marks}) GROUP BY term",  # noqa: S608
                missing,
            )
            found = dict(cursor.fetchall())
        for term in missing:
            counts[term] = int(found.get(term, 0))
        if ttl > 0:
            cache.set_many({keys[term]: counts[term] for term in missing}, ttl)
    return counts


def idf(projects: int, with_term: int) -> float:
    """BM25's inverse document frequency (the "plus one" form, never negative)."""
    return math.log(1 + (projects - with_term + 0.5) / (with_term + 0.5))


def plan(q: str) -> QueryPlan:
    """The plan of ``q``, remembered for FAIRLANCE_SEARCH_RESULTS_SECONDS (the vocabulary
    and the synonym list it reads change as slowly as rankings may lag)."""
    raw = tokens(q)
    if not any(t not in STOP_WORDS for t in raw):
        return QueryPlan((), (), None)
    ttl = int(getattr(settings, "FAIRLANCE_SEARCH_RESULTS_SECONDS", 0))
    digest = hashlib.blake2b(" ".join(raw).encode(), digest_size=16).hexdigest()
    key = f"fairlance:search:plan:v1:{connection.settings_dict['NAME']}:{digest}"
    if ttl > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
    result = _plan(raw)
    if ttl > 0:
        cache.set(key, result, ttl)
    return result


def _plan(raw: list[str]) -> QueryPlan:
    words: list[QueryWord] = []
    position: dict[int, int] = {}  # index in ``raw`` -> index in ``words``
    for i, token in enumerate(raw):
        if token in STOP_WORDS:
            continue
        existing = next((n for n, w in enumerate(words) if w.text == token), None)
        if existing is None:
            if len(words) == MAX_QUERY_TERMS:
                break
            words.append(QueryWord(token))
            existing = len(words) - 1
        position[i] = existing
    for word in words:
        word.add(stem(word.text), 1.0)
    for i in range(len(raw) - 1):
        joined = stem(raw[i] + raw[i + 1])
        for j in (i, i + 1):
            if j in position:
                words[position[j]].add(joined, 1.0)
    last = position.get(len(raw) - 1)
    prefix = raw[-1] if last is not None and len(raw[-1]) >= MIN_PREFIX_CHARS else None
    known, prefixed, synonyms = _look_up([w.text for w in words], prefix)
    for word in words:
        for other in synonyms.get(word.text, ()):
            word.add(stem(other), SYNONYM_WEIGHT)

    typos = [
        w.text
        for w in words
        if w.text not in known and len(w.text) >= MIN_TYPO_CHARS and not w.text.isdigit()
    ]
    corrections = close_words(typos) if typos else {}
    candidates = [stem(c) for near in corrections.values() for c in near]
    prefix_terms = sorted({stem(p) for p in prefixed})
    alternatives = {t for w in words for t in w.alternatives}
    counts = term_counts(sorted({EVERY_PROJECT, *alternatives, *candidates, *prefix_terms}))

    if last is not None and prefixed:
        # The commonest completions: "photo" should reach "photography", not every rare
        # word that happens to start the same way.
        common = sorted((t for t in prefix_terms if counts[t]), key=lambda t: (-counts[t], t))
        for term in common[:MAX_PREFIX_TERMS]:
            words[last].add(term, PREFIX_WEIGHT)
    for word in words:
        near = [c for c in corrections.get(word.text, []) if counts[stem(c)]]
        if near and not any(counts.get(t, 0) for t in word.alternatives):
            # The word itself finds nothing: its nearest spellings stand in for it, the
            # commonest first in "did you mean".
            near.sort(key=lambda c: -counts[stem(c)])
            word.corrected_to = near[0]
            for candidate in near:
                word.add(stem(candidate), TYPO_WEIGHT)

    projects = counts[EVERY_PROJECT]
    chosen = tuple(
        Alternative(n, term, max(1, round(MULTIPLIER_SCALE * weight * idf(projects, counts[term]))))
        for n, word in enumerate(words)
        for term, weight in sorted(word.alternatives.items())
        if counts.get(term, 0) > 0
    )
    did_you_mean = None
    if any(w.corrected_to for w in words):
        fixed = {w.text: w.corrected_to for w in words if w.corrected_to}
        did_you_mean = " ".join(fixed.get(t, t) for t in raw)
    return QueryPlan(tuple(w.text for w in words), chosen, did_you_mean)
