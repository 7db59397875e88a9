"""The OpenAPI document says what validation enforces (issue 11, item 21).

Schemathesis reads the document and sends requests it says are valid, expecting them to be
accepted, and requests it says are invalid, expecting them refused. So each rule lives in
the domain and the schema publishes it:

* text fields carry the pattern of their ``fairlance.core.text`` rule (``text_field``);
* optional fields that may not be null say so (``not_nullable``);
* every other string in a request, and every free-form object key, carries the parser's
  rule that NUL cannot be stored (``document_inputs``, over the whole document);
* lists read from the database (category slugs) are filled in when the document is built.

Rules joining several fields (working hours in order, a question's choices) are written in
the schema's descriptions and answered 422 like the others.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from fairlance.core.text import TextRule, text_schema

#: Strings the parser accepts: anything but NUL (fairlance.api.parser).
NO_NUL = "^[^\\u0000]*$"


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 12.0 as an integer, so the API must too; text ("12") and booleans
    # are still refused, as a strict integer would.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a whole number")
    return value


#: An integer field: a JSON number without a fraction (``12`` or ``12.0``), never text.
WholeInt = Annotated[int, BeforeValidator(_whole_number)]


def bounds(lo: int | None = None, hi: int | None = None, **kwargs: Any) -> FieldInfo:
    """An integer's range, published only: the domain checks it and words the error in
    the caller's terms ("Enter an amount between $1 and $1,000,000")."""
    extra: dict[str, Any] = {}
    if lo is not None:
        extra["minimum"] = lo
    if hi is not None:
        extra["maximum"] = hi
    field: FieldInfo = Field(json_schema_extra=extra, **kwargs)
    return field


# The OpenAPI response of an endpoint that sends a stored file (a download of any type).
FILE_DOWNLOAD: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The file",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def text_field(rule: TextRule, **kwargs: Any) -> FieldInfo:
    """The pydantic field of a string held to ``rule`` (fairlance.core.text)."""
    field: FieldInfo = Field(
        max_length=rule.max_length, json_schema_extra=text_schema(rule), **kwargs
    )
    return field


def one_of(values: list[str], **kwargs: Any) -> FieldInfo:
    """A string the domain checks against ``values`` (wording its own error); the schema
    only publishes the list."""
    enum: list[Any] = list(values)
    field: FieldInfo = Field(json_schema_extra={"enum": enum}, **kwargs)
    return field


def not_nullable(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for PATCH-style models: fields are optional, never null.

    The Python types say ``X | None`` (None means "not sent"); a null that is sent is
    refused by the handler or the domain, so the schema must not offer it.
    """
    for prop in schema.get("properties", {}).values():
        branches = prop.get("anyOf")
        if branches:
            kept = [b for b in branches if b != {"type": "null"}]
            if len(kept) == 1:
                extra = {k: v for k, v in prop.items() if k not in {"anyOf", "default"}}
                prop.clear()
                prop.update({**kept[0], **extra})
            else:
                prop["anyOf"] = kept
        if prop.get("default", 0) is None:
            del prop["default"]


def _category_slugs() -> list[str] | None:
    from django.db import DatabaseError

    from fairlance.catalog.selectors import categories_list

    try:
        return [c.slug for c in categories_list()]
    except DatabaseError:
        # Built without a database (python -m fairlance.api.docs_table): no list to publish.
        return None


# Bounds pydantic could not fold into a WholeInt's core schema come out under their
# Python names; JSON Schema spells them these ways.
_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _walk(node: Any, seen: set[int]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, seen)
        return
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    if node.pop("x-enum-from", None) == "categories":
        slugs = _category_slugs()
        if slugs is not None:
            node["enum"] = slugs
    if node.get("type") == "integer":
        for python_name, json_name in _BOUNDS.items():
            if python_name in node:
                node[json_name] = node.pop(python_name)
    if (
        node.get("type") == "string"
        and "format" not in node
        and not ({"pattern", "enum", "const"} & node.keys())
    ):
        node["pattern"] = NO_NUL
    if node.get("type") == "object" and node.get("additionalProperties", True) is not False:
        node.setdefault("propertyNames", {"pattern": NO_NUL})
    for value in node.values():
        _walk(value, seen)


def document_inputs(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the parser's rules to every request part of the OpenAPI document.

    Only what requests send is touched (parameters, request bodies and the component
    schemas they use); responses keep their own schemas.
    """
    components = schema.get("components", {}).get("schemas", {})
    used: set[str] = set()

    def refs(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in used:
                    used.add(name)
                    refs(components.get(name))
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for item in node:
                refs(item)

    seen: set[int] = set()
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                _walk(param.get("schema"), seen)
            body = operation.get("requestBody")
            if body:
                refs(body)
                _walk(body, seen)
    for name in used:
        _walk(components.get(name), seen)
    return schema
