"""One rule for the text people type: names, titles and paragraphs (issue 11, item 21).

Two kinds of text are shown to other people:

* **Lines** — short names shown inline among other words: project titles, tier and add-on
  names, tags, choices, display names, headlines, notes on time off, alt text. A line holds
  no control character at all (no tab or line break either), no line or paragraph
  separator, and no bidirectional *embedding, override or isolate* (U+202A to U+202E,
  U+2066 to U+2069). Those are refused, not stripped: a name such as
  ``"Logo \\u202egnp.exe"`` displays as something else than it is (the "Trojan Source"
  trick), and silently removing the controls would store a name the person did not type.
  The implicit marks LRM, RLM and ALM stay allowed: they only nudge neutral characters
  next to them, cannot reorder the words around the name, and people writing Arabic or
  Hebrew names use them.
* **Paragraphs** — descriptions, bios, answers, notes: tabs and line breaks are allowed,
  other control characters are not. Bidirectional controls are allowed in paragraphs:
  right-to-left authors need them, and a paragraph's end closes any embedding it opened,
  so they cannot reorder the page around it.

Whatever the kind, text that must be there has to show something: a value made only of
spaces and invisible characters (zero-width space, joiner and non-joiner, word joiner,
BOM, soft hyphen, Hangul fillers, variation selectors, tag characters, the Braille blank —
Unicode's default-ignorable code points plus white space) counts as empty. Invisible
characters *inside* a visible value are kept: zero-width joiners build emoji and
non-joiners are part of Persian and Indic spelling.

The maximum length counts the characters as sent (what the JSON schema's ``maxLength``
says), the minimum counts them once leading and trailing white space is removed. The
stored value is trimmed and in NFC form, so that "é" typed two ways compares as one,
unless that form would be longer than allowed (a few compatibility characters expand
under NFC). An optional value that shows nothing is stored empty.

``text_schema`` turns a rule into the JSON schema the API publishes (``pattern``,
``minLength``, ``maxLength``); a test checks that the pattern accepts exactly what
``clean_text`` accepts.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

# Every character for which ``str.isspace()`` is true: what ``str.strip()`` removes.
WHITESPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x09, 0x0D),
    (0x1C, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters that
# render as nothing. The Braille pattern blank (U+2800) is added: it is not ignorable,
# but it draws an empty cell and is the usual way to fake an empty-looking name.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)

#: Bidirectional embeddings, overrides and isolates: refused in lines.
BIDI_CONTROL_RANGES: tuple[tuple[int, int], ...] = ((0x202A, 0x202E), (0x2066, 0x2069))

# Unicode general category Cc: C0 controls, DEL and C1 controls.
_CONTROL_RANGES: tuple[tuple[int, int], ...] = ((0x00, 0x1F), (0x7F, 0x9F))
_PARAGRAPH_BREAKS = frozenset({0x09, 0x0A, 0x0D})
_LINE_SEPARATORS: tuple[tuple[int, int], ...] = ((0x2028, 0x2029),)


def _expand(ranges: tuple[tuple[int, int], ...]) -> frozenset[int]:
    return frozenset(code for lo, hi in ranges for code in range(lo, hi + 1))


_WHITESPACE = _expand(WHITESPACE_RANGES)
_INVISIBLE = _expand(INVISIBLE_RANGES) | _WHITESPACE
_CONTROLS = _expand(_CONTROL_RANGES)
_BIDI_CONTROLS = _expand(BIDI_CONTROL_RANGES)
_LINE_FORBIDDEN = _CONTROLS | _expand(_LINE_SEPARATORS) | _BIDI_CONTROLS
_PARAGRAPH_FORBIDDEN = _CONTROLS - _PARAGRAPH_BREAKS


@dataclass(frozen=True)
class TextRule:
    """What one field accepts. ``min_length`` 0 means the field may be left empty."""

    max_length: int
    min_length: int = 0
    multiline: bool = False

    @property
    def forbidden(self) -> frozenset[int]:
        return _PARAGRAPH_FORBIDDEN if self.multiline else _LINE_FORBIDDEN


class TextError(ValueError):
    """The text breaks its rule; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing: only white space and invisible characters."""
    return all(ord(ch) in _INVISIBLE for ch in value)


def clean_text(value: str, *, rule: TextRule) -> str:
    """``value`` trimmed and in NFC, or ``TextError`` saying what is wrong with it.

    Forbidden characters are refused wherever they are, even where trimming would have
    removed them (a leading tab in a name), so that the rule reads the same as its schema.
    """
    for ch in value:
        code = ord(ch)
        if code not in rule.forbidden:
            continue
        if code in _CONTROLS:
            raise TextError("invalid_character", "Control characters are not allowed.")
        if code in _BIDI_CONTROLS:
            raise TextError(
                "bidi_control",
                "Text-direction override characters are not allowed in names: they can "
                "make a name display as something else.",
            )
        raise TextError("invalid_character", "Line breaks are not allowed here.")
    text = value.strip()
    if is_blank(text):
        if rule.min_length:
            raise TextError("required", "This field is required.")
        return ""
    if len(text) < rule.min_length:
        raise TextError("too_short", f"Must be at least {rule.min_length} characters.")
    if len(value) > rule.max_length:
        raise TextError("too_long", f"Must be at most {rule.max_length} characters.")
    normal = unicodedata.normalize("NFC", text)
    return normal if len(normal) <= rule.max_length else text


# --- the same rule as a JSON schema ---------------------------------------------------------


def _class_item(lo: int, hi: int) -> str:
    def one(code: int) -> str:
        # Astral characters go in literally: "\\uXXXX" cannot name them in both Python's
        # and ECMA-262's regular expressions, a literal character is read alike by both.
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return one(lo) if lo == hi else f"{one(lo)}-{one(hi)}"


def _ranges(codes: frozenset[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for code in sorted(codes):
        if out and out[-1][1] == code - 1:
            out[-1] = (out[-1][0], code)
        else:
            out.append((code, code))
    return out


def _negated_class(codes: frozenset[int]) -> str:
    return "[^" + "".join(_class_item(lo, hi) for lo, hi in _ranges(codes)) + "]"


def _class(codes: frozenset[int]) -> str:
    return "[" + "".join(_class_item(lo, hi) for lo, hi in _ranges(codes)) + "]"


def text_pattern(rule: TextRule) -> str:
    """An ECMA-262 (and Python) regular expression matching exactly what ``clean_text``
    accepts, length aside for the maximum (``maxLength`` says it)."""
    allowed = _negated_class(rule.forbidden)
    if rule.min_length == 0:
        return f"^{allowed}*$"
    visible = _negated_class(rule.forbidden | _INVISIBLE)
    if rule.min_length == 1:
        return f"^{allowed}*{visible}{allowed}*$"
    space = _class(_WHITESPACE - rule.forbidden)
    solid = _negated_class(rule.forbidden | _WHITESPACE)
    # Trimmed, the value starts and ends with a non-space and is at least min_length long;
    # the lookahead asks for one visible character somewhere.
    return f"^(?={allowed}*{visible}){space}*{solid}{allowed}{{{rule.min_length - 2},}}{solid}{space}*$"


def text_schema(rule: TextRule) -> dict[str, Any]:
    """The JSON schema keywords that describe ``rule`` (for ``json_schema_extra``)."""
    schema: dict[str, Any] = {"maxLength": rule.max_length, "pattern": text_pattern(rule)}
    if rule.min_length:
        schema["minLength"] = rule.min_length
    return schema
