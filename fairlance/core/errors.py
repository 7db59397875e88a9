"""The application's error hierarchy.

Domain functions raise these; the API maps them once to ``application/problem+json``
(RFC 9457) and the web views turn them into form errors or messages. Every error has a
stable machine ``code`` that clients may branch on; ``detail`` is for people.
"""

from __future__ import annotations

from typing import Any


class FairlanceError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **data: Any,
    ) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.errors = errors or []
        self.data = data
        super().__init__(self.detail)


class InvalidInput(FairlanceError):
    """Input that parsed but breaks a rule (422). ``errors`` lists the offending fields."""

    status = 422
    code = "invalid_input"
    title = "The request has invalid fields"


class ConflictingInput(InvalidInput):
    """Well-formed input that clashes with what is already stored (409): a range that
    overlaps one declared, one too many. ``errors`` name the fields, as for 422, so forms
    show them the same way; the status says that the same input could succeed later."""

    status = 409
    code = "conflicting_input"
    title = "The request conflicts with what is already stored"


class NotAuthenticated(FairlanceError):
    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class PermissionDenied(FairlanceError):
    status = 403
    code = "permission_denied"
    title = "You may not do that"


class NotFound(FairlanceError):
    """Also used for objects that exist but the caller may not see: never reveal ids."""

    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(FairlanceError):
    """The request is valid but the object's current state does not allow it (409)."""

    status = 409
    code = "conflict"
    title = "Conflict with the current state"


class TooManyAttempts(FairlanceError):
    """Too many wrong passwords lately: wait ``retry_after`` seconds (429, ``Retry-After``)."""

    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, detail: str | None = None, *, retry_after: int, **data: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **data)
        self.retry_after = retry_after


def field_error(field: str, message: str, code: str = "invalid") -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}
