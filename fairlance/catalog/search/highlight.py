"""The snippet under a result's title: a few lines of its description around the words
searched for, with those words marked.

Words are compared as search compares them (folded, stemmed: ``text.stem``), so "designs"
marks "designing", and a word found by its typo correction or as a prefix is marked too:
the caller passes every term the search matched on (``QueryPlan.marked_terms``). Two
adjacent words are also compared joined, so "voiceover" marks "voice-over".
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from .text import STOP_WORDS, fold, stem

SNIPPET_CHARS = 180
# How much text comes before the first marked word, so it is read in context.
LEAD_CHARS = 50

_WORD = re.compile(r"[^\W_]+")
# Markdown a snippet should not show: links keep their text, images and syntax go.
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SYNTAX = re.compile(r"[*_`|~]+|^\s*(?:#+|>|[-+]|\d+\.)\s+", re.MULTILINE)
_SPACE = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """``markdown`` as one line of plain text (the snippet's source)."""
    text = _IMAGE.sub(" ", markdown)
    text = _LINK.sub(r"\1", text)
    text = _SYNTAX.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=100_000)
def _term(word: str) -> str:
    folded = fold(word)
    return "" if folded in STOP_WORDS else stem(folded)


def marked_spans(
    text: str, terms: frozenset[str], *, within: int | None = None
) -> list[tuple[int, int]]:
    """The (start, end) of the words of ``text`` whose term is in ``terms``, in order; with
    ``within``, only those up to that many characters after the first one (a snippet
    shows no more, and a card's description can be long)."""
    if not terms:
        return []
    # Two words joined can only be a searched term if a term starts like the first one.
    heads = {t[:3] for t in terms}
    spans: list[tuple[int, int]] = []
    previous: re.Match[str] | None = None
    stop = len(text)
    for word in _WORD.finditer(text):
        if word.start() > stop:
            break
        if previous is not None and (not spans or spans[-1][1] <= previous.start()):
            gap = text[previous.end() : word.start()]
            head = fold(previous.group())[:3]
            if (
                gap in ("-", " ")
                and head in heads
                and _term(previous.group() + word.group()) in terms
            ):
                spans.append((previous.start(), word.end()))
                previous = None
                continue
        if _term(word.group()) in terms:
            spans.append((word.start(), word.end()))
            if within is not None and len(spans) == 1:
                stop = word.start() + within
            previous = None
            continue
        previous = word
    return spans


def snippet(markdown: str, terms: frozenset[str]) -> str:
    """About SNIPPET_CHARS of ``markdown`` as escaped HTML, starting shortly before the
    first searched word, with each searched word in ``<mark>``."""
    text = plain_text(markdown)
    spans = marked_spans(text, terms, within=SNIPPET_CHARS)
    start = 0
    if spans and spans[0][0] > LEAD_CHARS:
        start = text.rfind(" ", 0, spans[0][0] - LEAD_CHARS) + 1
    end = len(text)
    if end - start > SNIPPET_CHARS:
        cut = text.rfind(" ", start, start + SNIPPET_CHARS)
        end = cut if cut > start else start + SNIPPET_CHARS
    parts = ["…" if start > 0 else ""]
    position = start
    for span_start, span_end in spans:
        if span_start < start:
            continue
        if span_end > end:
            break
        parts.append(escape(text[position:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    parts.append(escape(text[position:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
