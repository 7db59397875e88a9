"""One mapping from exceptions to RFC 9457 problem documents.

Every error leaving /api/v1/ is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and a stable ``code``; validation errors add ``errors``, a list of
``{field, message, code}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from fairlance.core.errors import FairlanceError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"https://fairlance.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes locations with where the value came from ("body", "query", ...) and
    # the schema's parameter name; clients want the field as they sent it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "body", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(FairlanceError)
    def fairlance_error(request: HttpRequest, exc: FairlanceError) -> HttpResponse:
        return problem_response(
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            **exc.data,
        )

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_path(e.get("loc", ())),
                "message": str(e.get("msg", "invalid")),
                "code": str(e.get("type", "invalid")),
            }
            for e in exc.errors
        ]
        return problem_response(
            status=422,
            code="invalid_input",
            title="The request has invalid fields",
            detail="; ".join(f"{e['field']}: {e['message']}" for e in errors)[:1000],
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            status=401,
            code="not_authenticated",
            title="Authentication required",
            detail="Send 'Authorization: Bearer <token>' or log in.",
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(status=404, code="not_found", title="Not found")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return problem_response(
            status=413, code="payload_too_large", title="The request body is too large"
        )

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return problem_response(status=400, code="bad_request", title="Bad request")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {
            400: "bad_request",
            403: "permission_denied",
            404: "not_found",
            405: "method_not_allowed",
        }
        return problem_response(
            status=exc.status_code,
            code=code.get(exc.status_code, "error"),
            title=str(exc.message) or "Error",
        )
