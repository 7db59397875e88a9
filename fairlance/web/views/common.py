"""Small helpers every page module uses."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest

from fairlance.accounts.models import User


def current_user(request: HttpRequest) -> User:
    """The logged-in user of a ``login_required`` view, typed."""
    user = request.user
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        raise Http404
    return cast(User, user)


def viewer_or_none(request: HttpRequest) -> User | None:
    user: Any = request.user
    return cast(User, user) if user.is_authenticated else None


def require_operator(request: HttpRequest) -> User:
    """Operator pages do not exist for anybody else (404, like any hidden object)."""
    user = current_user(request)
    if not user.is_operator:
        raise Http404
    return user


def parse_id(raw: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    if value <= 0 or value > 2**62:
        raise Http404
    return value


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
