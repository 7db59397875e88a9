"""The JSON API under /api/v1/: one NinjaAPI, one router module per area."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from fairlance.api.errors import document_problems, install_error_handlers, problem_response
from fairlance.api.openapi import document_inputs
from fairlance.api.parser import FairlanceParser


def _problem_routing_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # django-ninja answers a method a path does not serve with a plain-text 405, and its
    # root view raises Http404, both before any exception handler of ours runs; turn them
    # into the problem documents the API promises.
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _unknown_path(request)
        if isinstance(response, HttpResponseNotAllowed):
            problem = problem_response(
                status=405,
                code="method_not_allowed",
                title="Method not allowed",
                detail=f"This path serves {response['Allow']}.",
            )
            problem["Allow"] = response["Allow"]
            return problem
        return response

    return wrapper


@csrf_exempt
def _unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem_response(
        status=404, code="not_found", title="Not found", detail="No such API endpoint."
    )


class FairlanceAPI(NinjaAPI):
    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _problem_routing_errors(pattern.callback)
        # Last, so that it only sees what no endpoint matched; without it Django's HTML
        # 404 page would answer API clients.
        patterns = [*patterns, re_path(r"^(?P<rest>.*)$", _unknown_path)]
        return patterns, app_name, namespace

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document_inputs(document_problems(super().get_openapi_schema(**kwargs)))


api = FairlanceAPI(
    title="fairlance API",
    version="1",
    description=(
        "The fairlance marketplace API. Authenticate with `POST /api/v1/auth/token` and send "
        "`Authorization: Bearer <token>`. Errors are `application/problem+json` with a stable "
        "`code`. See docs/api.md."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=FairlanceParser(),
)
install_error_handlers(api)

# Routers register themselves here; each module is thin: parse, call one domain function.
from fairlance.api import accounts as _accounts  # noqa: E402
from fairlance.api import catalog as _catalog  # noqa: E402
from fairlance.api import clients as _clients  # noqa: E402
from fairlance.api import contracts as _contracts  # noqa: E402
from fairlance.api import files as _files  # noqa: E402
from fairlance.api import money as _money  # noqa: E402
from fairlance.api import operator as _operator  # noqa: E402
from fairlance.api import profiles as _profiles  # noqa: E402
from fairlance.api import proposals as _proposals  # noqa: E402
from fairlance.api import quotes as _quotes  # noqa: E402
from fairlance.api import reviews as _reviews  # noqa: E402

# Profiles' /freelancers/{id}/score, /feedback, /work-history beside accounts'
# /freelancers/{id}: listed first so they are found before the shorter path.
api.add_router("", _profiles.router)
api.add_router("", _accounts.router)
api.add_router("", _catalog.router)
api.add_router("", _clients.router)
# Before contracts: its /contracts/{id}/{transition} would take /contracts/{id}/proposals
# and /contracts/{id}/feedback.
api.add_router("", _proposals.router)
api.add_router("", _reviews.router)
api.add_router("", _contracts.router)
api.add_router("", _files.router)
api.add_router("", _money.router)
api.add_router("", _operator.router)
api.add_router("", _quotes.router)
