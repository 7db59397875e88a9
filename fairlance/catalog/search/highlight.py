"""The snippet under a result's title: a few lines of its description around the words
searched for, with those words marked.

Words are compared as search compares them (folded, stemmed: ``text.stem``), so "designs"
marks "designing", and a word found by its typo correction or as a prefix is marked too:
the caller passes every term the search matched on (``QueryPlan.marked_terms``). Two
adjacent words are also compared joined, so "voiceover" marks "voice-over".
"""

from __future__ import annotations

import re
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


def _term(word: str) -> str:
    folded = fold(word)
    return "" if folded in STOP_WORDS else stem(folded)


def marked_spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The (start, end) of every word of ``text`` whose term is in ``terms``, in order."""
    if not terms:
        return []
    words = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    previous_end = -1
    for i, word in enumerate(words):
        if _term(word.group()) in terms:
            if word.start() >= previous_end:
                spans.append((word.start(), word.end()))
                previous_end = word.end()
            continue
        if i + 1 < len(words):
            following = words[i + 1]
            gap = text[word.end() : following.start()]
            if gap in ("-", " ", "") and stem(fold(word.group() + following.group())) in terms:
                spans.append((word.start(), following.end()))
                previous_end = following.end()
    return spans


def snippet(markdown: str, terms: frozenset[str]) -> str:
    """About SNIPPET_CHARS of ``markdown`` as escaped HTML, starting shortly before the
    first searched word, with each searched word in ``<mark>``."""
    text = plain_text(markdown)
    spans = marked_spans(text, terms)
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
