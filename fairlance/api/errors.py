"""One mapping from exceptions to RFC 9457 problem documents.

Every error leaving /api/v1/ is ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail`` and a stable ``code``; validation errors add ``errors``, a list of
``{field, message, code}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.log import log_response
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict

from fairlance.api.parser import MalformedBody, UnstorableText, UnsupportedMediaType
from fairlance.core.errors import FairlanceError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemFieldError(Schema):
    field: str
    message: str
    code: str


class Problem(Schema):
    """An RFC 9457 problem document; some codes add members (``state``, ``available``...)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[ProblemFieldError] | None = None


#: What each documented error status means, for the OpenAPI document.
STATUS_DESCRIPTIONS = {
    400: "Malformed request (body is not JSON or multipart, bad Idempotency-Key)",
    401: "Not authenticated",
    402: "Payment refused by the card processor",
    403: "Not allowed to do this",
    404: "No such object, or one the caller may not see",
    405: "Method not allowed",
    409: "The object's current state does not allow this",
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Invalid fields (listed in errors), or an Idempotency-Key reused with other parameters",
    429: "Too many wrong passwords lately; retry after the Retry-After header's seconds",
    502: "The card processor failed; nothing was changed, the same call may be retried",
    503: "The purchase ran out of time and was undone (nothing bought, the payment given "
    "back); the same call may be retried",
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_response_doc(status: int) -> dict[str, Any]:
    return {
        "description": STATUS_DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": _PROBLEM_REF}},
    }


def problems(*statuses: int) -> dict[str, Any]:
    """``openapi_extra`` declaring the domain errors an endpoint may answer.

    Errors every endpoint of a kind can answer (401 with auth, 404 with an id in the path,
    400/413/415/422 with a body) are added by ``document_problems``; list here only what
    the domain function adds (402, 403, 409, ...).
    """
    return {"responses": {status: _problem_response_doc(status) for status in statuses}}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare the problem responses each operation can give in the OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses: set[int] = set()
            params = operation.get("parameters", [])
            if operation.get("security"):
                statuses.add(401)
                if method.lower() != "get":
                    # Session (cookie) callers fail the CSRF check with a 403.
                    statuses.add(403)
            if any(p.get("in") == "path" for p in params):
                statuses |= {404, 422}
            if any(p.get("in") == "query" for p in params):
                statuses.add(422)
            if "requestBody" in operation:
                statuses |= {400, 413, 422}
                if "application/json" in operation["requestBody"].get("content", {}):
                    statuses.add(415)
            responses = operation["responses"]
            for status in sorted(statuses):
                if status not in responses and str(status) not in responses:
                    responses[status] = _problem_response_doc(status)
    return schema


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
    response = JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    if status == 401:
        # RFC 9110: a 401 names the scheme the client should use.
        response["WWW-Authenticate"] = 'Bearer realm="fairlance"'
    if status == 429 and "retry_after" in extra:
        # RFC 9110: how many seconds the client should wait before trying again.
        response["Retry-After"] = str(extra["retry_after"])
    return response


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja prefixes locations with where the value came from ("body", "query", ...) and
    # the schema's parameter name; clients want the field as they sent it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1 and parts[0] in {"payload", "data", "body", "filters", "params"}:
            parts = parts[1:]
    return ".".join(parts) or "body"


def _invalid_input(raw: list[dict[str, Any]]) -> HttpResponse:
    errors = [
        {
            "field": _field_path(e.get("loc", ())),
            "message": str(e.get("msg", "invalid")),
            "code": str(e.get("type", "invalid")),
        }
        for e in raw
    ]
    return problem_response(
        status=422,
        code="invalid_input",
        title="The request has invalid fields",
        detail="; ".join(f"{e['field']}: {e['message']}" for e in errors)[:1000],
        errors=errors,
    )


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
        return _invalid_input(exc.errors)

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

    @api.exception_handler(MultiPartParserError)
    @api.exception_handler(BadRequest)
    def unparsable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Django raises these while reading a multipart body (no boundary, truncated
        # parts); without a handler its HTML 400 page would leave the API.
        return problem_response(
            status=400,
            code="bad_request",
            title="Cannot parse request body",
            detail="The body is not valid multipart/form-data.",
        )

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A bug. Developers get Django's debug page; everyone else a problem document
        # rather than the web's HTML error page. Logged and signalled exactly as Django
        # would (the test client re-raises it, error reporting sees it).
        if settings.DEBUG:
            raise exc
        signals.got_request_exception.send(sender=None, request=request)
        response = problem_response(
            status=500,
            code="server_error",
            title="Internal server error",
            detail="Something went wrong on our side. It has been logged; please try again.",
        )
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # django-ninja wraps whatever the body parser raised in HttpError(400); the cause
        # says what was actually wrong (see fairlance.api.parser).
        cause = exc.__cause__
        if isinstance(cause, UnstorableText):
            return _invalid_input(cause.errors)
        if isinstance(cause, UnsupportedMediaType):
            return problem_response(
                status=415,
                code="unsupported_media_type",
                title="Unsupported media type",
                detail=f"Send the body as application/json, not {cause.content_type[:100]}.",
            )
        if isinstance(cause, MalformedBody):
            return problem_response(
                status=400,
                code="bad_request",
                title="Cannot parse request body",
                detail=f"The body is not valid JSON: {str(cause)[:200]}",
            )
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
