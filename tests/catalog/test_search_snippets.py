"""The snippet under a result's title: the searched words marked, everything escaped."""

from __future__ import annotations

from fairlance.catalog.search.highlight import SNIPPET_CHARS, plain_text, snippet
from fairlance.catalog.search.text import stem


def terms(*words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words)


def test_searched_words_are_marked_in_any_form() -> None:
    html = snippet("I design logos and redesign old ones. Designing is fun.", terms("design"))
    assert html == (
        "I <mark>design</mark> logos and redesign old ones. <mark>Designing</mark> is fun."
    )


def test_the_text_is_escaped_and_markdown_is_dropped() -> None:
    html = snippet(
        "**Bold** <script>alert(1)</script> [a logo](https://x.test) & more", terms("logo")
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "**" not in html and "https://x.test" not in html
    assert "a <mark>logo</mark>" in html and "&amp; more" in html


def test_a_compound_typed_joined_marks_the_hyphenated_words() -> None:
    html = snippet("Warm American voice-over for ads.", terms("voiceover"))
    assert "<mark>voice-over</mark>" in html


def test_a_long_text_starts_shortly_before_the_first_match() -> None:
    text = ("filler " * 60) + "the logo comes here " + ("tail " * 60)
    html = snippet(text, terms("logo"))
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>logo</mark>" in html
    assert len(html.replace("<mark>", "").replace("</mark>", "")) <= SNIPPET_CHARS + 2


def test_without_a_match_it_is_the_beginning() -> None:
    assert snippet("Short and sweet.", terms("logo")) == "Short and sweet."
    assert plain_text("# Title\n\n- one\n- two") == "Title one two"
