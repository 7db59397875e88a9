"""Request parsing for the API: JSON bodies and query strings, refusing unstorable text.

Two kinds of text parse as valid JSON yet cannot be stored: the NUL character
(PostgreSQL text and jsonb refuse it; SQLite keeps it and then the two databases disagree)
and unpaired UTF-16 surrogates such as ``"\\ud800"`` (they have no UTF-8 encoding, so
every database driver raises). Left alone, each surfaced as a 500 somewhere deep in a
domain function. Refusing them here, once, for every body and query string, gives one
clear 422 naming the field, before anything is written. Bodies nested absurdly deep are
refused the same way.

The exceptions below travel through django-ninja, which wraps anything ``parse_body``
raises in ``HttpError(400)``; ``fairlance.api.errors`` looks at the wrapped cause to
answer with the precise problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser

NUL_MESSAGE = "Text may not contain the NUL character."
SURROGATE_MESSAGE = "Text may not contain unpaired surrogates (it is not valid Unicode)."
#: How deeply objects and arrays may nest in a body; the deepest schema needs 3.
MAX_DEPTH = 16


class MalformedBody(ValueError):
    """The body is not JSON at all."""


class UnsupportedMediaType(ValueError):
    """The body is not JSON and was not sent as JSON either."""

    def __init__(self, content_type: str) -> None:
        self.content_type = content_type
        super().__init__(content_type)


class UnstorableText(ValueError):
    """Strings (or object keys) that no database can store, or nesting too deep to handle;
    ``errors`` name where."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("unstorable text")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


def _bad_strings(value: Any, loc: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
    if len(loc) > MAX_DEPTH:
        # Deeper bodies are never legitimate here, and pydantic refuses to serialise them
        # back (a 500 when a handler dumps its payload); stop at the first level too deep.
        yield {"loc": loc, "msg": f"Nested deeper than {MAX_DEPTH} levels.", "type": "too_deep"}
    elif isinstance(value, str):
        message = text_problem(value)
        if message is not None:
            yield {"loc": loc, "msg": message, "type": "unstorable_text"}
    elif isinstance(value, dict):
        for key, item in value.items():
            message = text_problem(key)
            if message is not None:
                # The key itself cannot be echoed back safely; name its parent.
                yield {"loc": loc, "msg": message, "type": "unstorable_text"}
            else:
                yield from _bad_strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_strings(item, (*loc, index))


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class FairlanceParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
            content_type = (request.content_type or "").lower()
            if content_type and not _is_json(content_type):
                raise UnsupportedMediaType(content_type) from exc
            raise MalformedBody(str(exc)) from exc
        errors = list(_bad_strings(data, ()))
        if errors:
            raise UnstorableText(errors)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        # Query strings and form fields cannot carry surrogates (Django decodes them with
        # replacement characters) but can carry NUL as %00.
        errors = [
            {"loc": ("query", key), "msg": NUL_MESSAGE, "type": "unstorable_text"}
            for key, values in data.lists()
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values)
        ]
        if errors:
            raise ValidationError(errors)
        return super().parse_querydict(data, list_fields, request)
