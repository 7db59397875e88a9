"""What a person sends with a transition: each transition declares its fields once.

A ``Transition`` in ``process.py`` lists its ``PayloadField``s (``payload=``). Everything
that used to repeat them by transition name is derived from that list: the API's input
schema (``api/contracts.py``), the room's form fields (``web/contract_presenters.py``),
the validation (``clean_payload``, the one both the API and the web go through, inside the
engine) and what the event log keeps (``event_data``).

``clean_payload`` checks input only: types, presence, lengths, choices and bounds. Rules
that need more than the contract's own numbers (which upload ids belong to whom, which
questions the snapshot asks) stay with the actions that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fairlance.core.errors import InvalidInput, field_error
from fairlance.core.money import format_minor
from fairlance.core.text import TextError, TextRule, clean_text

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract
    from fairlance.contracts.process import Transition

MAX_TEXT = 5000
#: Notes, reasons and free-text answers (fairlance.core.text): paragraphs.
PARAGRAPH = TextRule(max_length=MAX_TEXT, multiline=True)
REQUIRED_PARAGRAPH = TextRule(min_length=1, max_length=MAX_TEXT, multiline=True)
#: Upload ids are UUIDs; the bound only keeps a wrong value short in error messages.
MAX_FILE_ID = 64

Kind = Literal["paragraph", "amount", "percent", "choice", "answers", "files", "number"]
Bounds = Callable[["Contract"], tuple[int, int]]


@dataclass(frozen=True)
class PayloadField:
    """One input of a transition.

    ``kind`` says the type and how the web asks for it: ``paragraph`` (text), ``amount``
    (integer minor units; the web form takes major units), ``percent`` (0 to 100),
    ``choice`` (one of ``choices``, ``default`` when absent), ``answers`` (requirement
    answers keyed by question id), ``files`` (upload ids, at most ``max_items``) and
    ``number`` (a whole number or an id).
    ``required_message`` is what a person who left a required field empty is told.
    ``bounds`` gives an amount's smallest and largest value for a contract; the web form
    shows them on the input. ``kept``: the value goes into the event log (a card number
    never would). ``as_sent``: the value passes as sent and the transition's actions check
    it (a proposal's kind and that kind's fields, ``proposals.KINDS``, or which proposal an
    answer names); such transitions have endpoints of their own, so the generic
    transition input leaves these fields out.
    """

    name: str
    kind: Kind
    required: bool = False
    label: str = ""
    help: str = ""
    required_message: str = ""
    choices: tuple[str, ...] = ()
    default: str | None = None
    bounds: Bounds | None = None
    # An amount outside ``bounds`` or too many files: ``{low}`` and ``{high}`` are the
    # bounds (formatted amounts, or numbers of files); ``no_range``
    # when the bounds leave no amount at all.
    out_of_range: str = ""
    no_range: str = ""
    max_items: int = 0
    kept: bool = True
    as_sent: bool = False

    @property
    def form_name(self) -> str:
        """The web form's input name: amounts are typed in major units, so without ``_minor``."""
        return self.name.removesuffix("_minor") if self.kind == "amount" else self.name

    @property
    def describe(self) -> str:
        """The field in words for the generated docs (``docs/api.md``, ``docs/lifecycle.md``)."""
        text = f"`{self.name}`"
        if self.kind == "percent":
            text += " (0 to 100)"
        elif self.kind == "choice":
            text += " (" + ", ".join(f"`{c}`" for c in self.choices) + ")"
        elif self.kind == "amount":
            text += " (minor units)"
        elif self.kind == "files":
            text += " (upload ids)"
        elif self.kind == "number":
            text += " (whole number)"
        return text + (" required" if self.required else "")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_one(
    f: PayloadField, value: Any, contract: Contract | None
) -> tuple[Any, dict[str, Any] | None]:
    """(clean value or None when absent, an error or None)."""
    if f.as_sent:
        return value, None
    if f.kind == "paragraph":
        try:
            text = clean_paragraph(value, f.name, required=f.required, message=f.required_message)
        except InvalidInput as exc:
            return None, exc.errors[0]
        # An empty optional paragraph is the same as none: the API's "" and the web's
        # untouched textarea leave the same event.
        return (text or None), None
    if value is None:
        if f.default is not None:
            return f.default, None
        if f.required:
            # An amount the web could not read arrives as None: it gets the bounds in words.
            error = _bad_amount(f, contract) if f.kind == "amount" else _missing(f)
            return None, error
        return None, None
    if f.kind == "percent":
        if not _is_int(value) or not 0 <= value <= 100:
            return None, field_error(f.name, "A whole number from 0 to 100.", "out_of_range")
        return value, None
    if f.kind == "amount":
        low, high = (
            f.bounds(contract) if f.bounds is not None and contract is not None else (1, None)
        )
        if not _is_int(value) or value < low or (high is not None and value > high):
            return None, _bad_amount(f, contract)
        return value, None
    if f.kind == "choice":
        if value not in f.choices:
            return None, field_error(f.name, f"One of {', '.join(f.choices)}.", "invalid_choice")
        return value, None
    if f.kind == "answers":
        if not isinstance(value, dict):
            return None, field_error(f.name, "Send an object keyed by question id.")
        return value, None
    # files
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None, field_error(f.name, "Send a list of upload ids.")
    if f.max_items and len(value) > f.max_items:
        message = (f.out_of_range or "At most {high} files.").format(low=0, high=f.max_items)
        return None, field_error(f.name, message, "too_many")
    return [v[:MAX_FILE_ID] for v in value] or None, None


def clean_paragraph(value: Any, name: str, *, required: bool = False, message: str = "") -> str:
    """``value`` as clean paragraph text (fairlance.core.text), "" when absent or empty.

    ``message`` is what a person who left a ``required`` one empty is told. Raises
    ``InvalidInput`` naming ``name``.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(errors=[field_error(name, "Send text.", "invalid")])
    try:
        return clean_text(value, rule=REQUIRED_PARAGRAPH if required else PARAGRAPH)
    except TextError as exc:
        said = message if exc.code == "required" and message else exc.message
        raise InvalidInput(errors=[field_error(name, said, exc.code)]) from None


def _missing(f: PayloadField) -> dict[str, Any]:
    return field_error(f.name, f.required_message or "This field is required.", "required")


def _bad_amount(f: PayloadField, contract: Contract | None) -> dict[str, Any]:
    """An amount that is absent, not a whole number or out of its contract's bounds: the
    same words for all three, with the bounds when the contract is known."""
    if f.bounds is not None and contract is not None:
        low, high = f.bounds(contract)
        message = (
            f.out_of_range.format(low=format_minor(low), high=format_minor(high))
            if low <= high
            else f.no_range
        )
    else:
        message = "Enter a whole number of minor units, at least 1."
    return field_error(f.name, message, "out_of_range")


def clean_payload(
    transition: Transition, raw: Mapping[str, Any], *, contract: Contract | None = None
) -> dict[str, Any]:
    """The transition's declared fields from ``raw``, checked and normalised.

    Fields the transition does not declare are dropped (the API's one input schema carries
    every transition's fields, and each reads its own). Keys starting with ``_`` are the
    services' own (``actions.BOOK_AT_END``, ``actions.CAPTURED_REF``): no person can send
    them (the API refuses unknown fields, the web builds payloads from declarations) and
    they pass through. ``contract`` (locked by the engine) gives the amounts' bounds.
    Raises ``InvalidInput`` (422) naming every field that is wrong; nothing is written.
    """
    clean: dict[str, Any] = {k: v for k, v in raw.items() if k.startswith("_")}
    errors: list[dict[str, Any]] = []
    for f in transition.payload:
        value, error = _clean_one(f, raw.get(f.name), contract)
        if error is not None:
            errors.append(error)
        elif value is not None:
            clean[f.name] = value
    if errors:
        raise InvalidInput(errors=errors)
    return clean


def event_data(transition: Transition, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the event log keeps of a (clean) payload: the declared fields marked ``kept``.

    Events keep what people said and decided; nothing undeclared (a card number, the
    services' ``_`` keys) ever reaches the log.
    """
    return {f.name: payload[f.name] for f in transition.payload if f.kept and f.name in payload}


def generic_fields(transition: Transition) -> tuple[PayloadField, ...]:
    """What a person sends with ``transition`` on the generic transition route
    (``POST /contracts/{id}/{transition}``, the room's buttons and forms): nothing for a
    system transition or a subject's (a proposal's answers), and never the fields passed
    ``as_sent``, which belong to their own endpoints."""
    if not transition.by_person or transition.subject:
        return ()
    return tuple(f for f in transition.payload if not f.as_sent)


def person_fields() -> dict[str, PayloadField]:
    """Every field some person transition fired through the generic transition route
    declares, by name (the API's one input schema). A subject's transitions (a proposal's
    answers) and fields passed ``as_sent`` belong to their own endpoints.

    A name means one thing everywhere: two declarations of ``note`` may differ in label or
    whether they are required, never in kind.
    """
    from fairlance.contracts.process import TRANSITIONS

    out: dict[str, PayloadField] = {}
    for t in TRANSITIONS:
        for f in generic_fields(t):
            seen = out.setdefault(f.name, f)
            if seen.kind != f.kind:  # pragma: no cover - a mistake in the table
                raise RuntimeError(f"payload field {f.name!r} has two kinds")
    return out
