"""How large a request body each route accepts, refused before a byte of it is read.

Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) counts only a form's fields: the
files of a multipart body are streamed to temporary files whatever their size, and the
CSRF check parses a form (so spools its files) before any view could look at them.
``RequestBodyLimitMiddleware`` therefore judges the declared ``Content-Length`` first:

- the routes that take files (``FILE_ROUTES``) accept the files their rules allow
  (``fairlance/files/kinds.py``, the gallery's ``catalog/images.py``) plus the ordinary
  form fields;
- every other route accepts ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2 MB), which is also all the
  fields of a form Django would parse.

A larger body is answered with 413 at once: a problem document under ``/api/``, a page
elsewhere. A body sent without ``Content-Length`` (chunked) is never read by Django under
WSGI, so it cannot be spooled either. The reverse proxy should refuse the same sizes
before they reach the app (docs/operations.md, section 4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from fairlance.api.errors import problem_response
from fairlance.catalog.images import MAX_UPLOAD_BYTES as GALLERY_IMAGE_BYTES
from fairlance.catalog.services import MAX_QUESTIONS
from fairlance.files.kinds import MB, RULES, Purpose

_REQUIREMENT = RULES[Purpose.REQUIREMENT]
_DELIVERY = RULES[Purpose.DELIVERY]
# A requirements form (the checkout of a request to buy asks the same questions) answers
# each file question with one file.
_REQUIREMENTS_FORM = MAX_QUESTIONS * _REQUIREMENT.max_files * _REQUIREMENT.max_bytes
_DELIVERY_FORM = _DELIVERY.max_files * _DELIVERY.max_bytes

#: URL name -> the bytes of files one request to it may carry (its fields come on top).
FILE_ROUTES: Mapping[str, int] = {
    "api:create_upload": max(rules.max_bytes for rules in RULES.values()),
    "api:deliver_with_files": _DELIVERY_FORM,
    "api:add_gallery_image": GALLERY_IMAGE_BYTES,
    "web:checkout": _REQUIREMENTS_FORM,
    "web:contract_requirements": _REQUIREMENTS_FORM,
    "web:contract_deliver": _DELIVERY_FORM,
    "web:gallery_add": GALLERY_IMAGE_BYTES,
}


def body_limit(request: HttpRequest) -> int:
    """The most bytes of body ``request``'s route accepts."""
    fields = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    try:
        view_name = resolve(request.path_info).view_name
    except Resolver404:
        return fields
    return FILE_ROUTES.get(view_name, 0) + fields


def declared_length(request: HttpRequest) -> int:
    """The body's ``Content-Length``; 0 when absent or unreadable (Django reads none then)."""
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _size_text(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= MB else f"{size} bytes"


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    detail = f"This address accepts request bodies of up to {_size_text(limit)}."
    if request.path_info.startswith("/api/"):
        return problem_response(
            status=413,
            code="payload_too_large",
            title="The request body is too large",
            detail=detail,
            max_bytes=limit,
        )
    html = render_to_string("413.html", {"limit": _size_text(limit)}, request=request)
    return HttpResponse(html, status=413)


class RequestBodyLimitMiddleware:
    """Answer 413 to a body larger than its route accepts, without reading it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = declared_length(request)
        # Most requests have no body or a small one: only a body above the default limit
        # costs a URL lookup.
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = body_limit(request)
            if length > limit:
                return too_large_response(request, limit)
        return self.get_response(request)
