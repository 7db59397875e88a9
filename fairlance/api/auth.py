"""API authentication: bearer tokens for programs, the session cookie for the web UI."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from fairlance.accounts.models import ApiToken, User


def user_from_bearer(token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(token), user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Avoid a write per request: refresh last_used_at at most once a minute.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_from_bearer(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Django's session, with CSRF protection for unsafe methods (ninja checks it)."""


#: Endpoints that need a signed-in caller.
REQUIRED_AUTH = [BearerTokenAuth(), ActiveSessionAuth()]


def optional_user(request: HttpRequest) -> User | AnonymousUser:
    """The caller on public endpoints: a bearer token wins over the session cookie."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_from_bearer(header[7:].strip())
        if user is not None:
            return user
    user_or_anon: Any = getattr(request, "user", AnonymousUser())
    return user_or_anon if user_or_anon.is_authenticated else AnonymousUser()
