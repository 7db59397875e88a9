"""API authentication: bearer tokens for programs, the session cookie for the web UI."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from fairlance.accounts.models import ApiToken, User
from fairlance.core.errors import PermissionDenied


def user_from_bearer(token: str) -> User | None:
    # The caller's calendar comes in the same query: most endpoints show times in the
    # caller's time zone and would otherwise read it separately.
    row = (
        ApiToken.objects.select_related("user", "user__calendar")
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


class _ApiCsrfCheck(CsrfViewMiddleware):
    # Django's failure view renders the web's HTML 403 page; the API only needs the reason.
    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return HttpResponseForbidden(reason)


def _no_view(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    return HttpResponse()


class ActiveSessionAuth(SessionAuth):
    """Django's session, with CSRF protection for unsafe methods.

    The CSRF check only runs when a session actually signs the caller in: a program with
    no cookie (or a wrong bearer token) must hear 401 "authenticate", not 403 "CSRF".
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            check = _ApiCsrfCheck(lambda r: HttpResponseForbidden())
            request.csrf_processing_done = False  # type: ignore[attr-defined]
            check.process_request(request)
            refused = check.process_view(request, _no_view, (), {})
            if refused is not None:
                raise PermissionDenied(
                    f"CSRF check failed: {refused.content.decode()[:200]} "
                    "Send the X-CSRFToken header with session authentication."
                )
        return request.COOKIES.get(self.param_name)


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
