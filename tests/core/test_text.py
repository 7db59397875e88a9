"""The one text rule (fairlance.core.text) and its JSON schema, which must agree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlance.core.text import (
    BIDI_CONTROL_RANGES,
    INVISIBLE_RANGES,
    WHITESPACE_RANGES,
    TextError,
    TextRule,
    clean_text,
    is_blank,
    text_pattern,
    text_schema,
)

TITLE = TextRule(min_length=10, max_length=120)
NAME = TextRule(min_length=1, max_length=40)
HEADLINE = TextRule(max_length=140)
NOTE = TextRule(min_length=1, max_length=500, multiline=True)

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u3164", "\u2800"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


def error_code(value: str, rule: TextRule) -> str | None:
    try:
        clean_text(value, rule=rule)
    except TextError as exc:
        return exc.code
    return None


def test_the_whitespace_list_is_exactly_what_strip_removes() -> None:
    listed = {c for lo, hi in WHITESPACE_RANGES for c in range(lo, hi + 1)}
    assert listed == {c for c in range(0x110000) if chr(c).isspace()}


@pytest.mark.parametrize("invisible", ZERO_WIDTH)
def test_a_name_of_only_invisible_characters_is_refused(invisible: str) -> None:
    assert is_blank(invisible * 12)
    assert error_code(invisible * 12, TITLE) == "required"
    assert error_code(f" {invisible} ", NAME) == "required"


def test_invisible_characters_inside_a_visible_name_are_kept() -> None:
    # A zero-width joiner builds the family emoji; a non-joiner is Persian spelling.
    family = "Family \U0001f468\u200d\U0001f469\u200d\U0001f467 portraits"
    assert clean_text(family, rule=TITLE) == family
    assert clean_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", rule=NAME)


def test_an_optional_line_that_shows_nothing_is_stored_empty() -> None:
    assert clean_text("\u200b\u200b", rule=HEADLINE) == ""


@pytest.mark.parametrize("control", BIDI)
def test_bidi_overrides_are_refused_in_names_but_not_in_paragraphs(control: str) -> None:
    spoof = f"Invoice {control}fdp.exe"
    assert error_code(spoof, NAME) == "bidi_control"
    assert error_code(spoof + " logo design", TITLE) == "bidi_control"
    assert clean_text(spoof, rule=NOTE) == spoof


def test_direction_marks_stay_allowed_in_names() -> None:
    # LRM/RLM only nudge neutral characters beside them; RTL writers rely on them.
    assert clean_text("\u05e9\u05dc\u05d5\u05dd\u200f (Tel Aviv)", rule=NAME)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_everywhere(control: str) -> None:
    for rule in (TITLE, NAME, HEADLINE, NOTE):
        assert error_code(f"A long enough{control} value", rule) == "invalid_character"


def test_lines_refuse_line_breaks_and_paragraphs_keep_them() -> None:
    for breaking in ("\n", "\r", "\t", "\u2028", "\u2029"):
        assert error_code(f"Two{breaking}words", NAME) == "invalid_character"
    assert clean_text("Line one\n\tLine two\r\n", rule=NOTE) == "Line one\n\tLine two"


def test_lengths_and_normal_form() -> None:
    assert error_code("  Too short  ", TITLE) == "too_short"
    assert error_code("x" * 41, NAME) == "too_long"
    # "é" as e + combining acute is stored as one character.
    assert clean_text("Cafe\u0301", rule=NAME) == "Caf\u00e9"
    # A compatibility character that grows under NFC is kept as sent rather than overflow.
    three = "\ufb2c" * 40  # each becomes 3 characters in NFC
    assert clean_text(three, rule=NAME) == three


# --- the schema says the same ------------------------------------------------------------

RULES = [TITLE, NAME, HEADLINE, NOTE, TextRule(min_length=2, max_length=5)]
# Characters the rule cares about, mixed with ordinary ones, so that examples hit the edges.
SPECIAL = sorted(
    {chr(lo) for lo, _ in (*WHITESPACE_RANGES, *INVISIBLE_RANGES, *BIDI_CONTROL_RANGES)}
    | {chr(hi) for _, hi in (*WHITESPACE_RANGES, *INVISIBLE_RANGES, *BIDI_CONTROL_RANGES)}
    | {"\x00", "\x01", "\x7f", "\x9f", "\u2028", "\u200e", "a", "Z", "\u00e9", "\U0001f600"}
)
texts = st.lists(st.sampled_from(SPECIAL) | st.characters(), max_size=14).map("".join)


@pytest.mark.parametrize("rule", RULES, ids=repr)
@given(value=texts)
def test_the_schema_pattern_accepts_exactly_what_the_rule_accepts(
    rule: TextRule, value: str
) -> None:
    schema = text_schema(rule)
    by_schema = (
        re.fullmatch(schema["pattern"], value) is not None
        and len(value) <= schema["maxLength"]
        and len(value) >= schema.get("minLength", 0)
    )
    assert by_schema == (error_code(value, rule) is None), (value, rule)


def test_the_pattern_compiles_as_the_api_schema_validator_reads_it() -> None:
    import jsonschema_rs

    for rule in RULES:
        validator = jsonschema_rs.validator_for({"type": "string", **text_schema(rule)})
        assert validator.is_valid("A visible value") is (rule.max_length >= 15)
        assert not validator.is_valid("\u200b" * 3) or rule.min_length == 0
        assert text_pattern(rule).startswith("^")
