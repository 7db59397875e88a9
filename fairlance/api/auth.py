"""API authentication: bearer tokens for programs, the session cookie for the web UI."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from fairlance.accounts.models import ApiToken, User, WorkingCalendar
from fairlance.core.errors import PermissionDenied
from fairlance.core.sql import ModelColumns, execute_prepared, select_models


def user_from_bearer(token: str) -> User | None:
    """The active user ``token`` belongs to, with their working calendar loaded (or None).

    The caller's calendar comes in the same read: most endpoints show times in the
    caller's time zone and would otherwise read it separately. Every API call made with a
    token runs this, so it is one statement written once (``_bearer_read``) and prepared
    on PostgreSQL: through the ORM, compiling the three-table query and building its
    instances cost 0.9 ms of CPU against 0.17 ms for running it.
    """
    sql, token_cols, user_cols, calendar_cols = _bearer_read(connection.alias)
    with connection.cursor() as cursor:
        execute_prepared(cursor, sql, [ApiToken.digest_of(token)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    found, user, calendar = (
        cols.build(values, connection) for cols in (token_cols, user_cols, calendar_cols)
    )
    assert isinstance(found, ApiToken) and isinstance(user, User)
    user.remember_calendar(calendar)  # type: ignore[arg-type]
    now = timezone.now()
    # Avoid a write per request: refresh last_used_at at most once a minute.
    if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    return user


@functools.cache
def _bearer_read(alias: str) -> tuple[str, ModelColumns, ModelColumns, ModelColumns]:
    """The token's id and last use, its user and the user's calendar, by the token's digest."""
    conn = connections[alias]
    q = conn.ops.quote_name
    token_fields = [ApiToken._meta.get_field("id"), ApiToken._meta.get_field("last_used_at")]
    select, columns = select_models(
        [("t", ApiToken, token_fields), ("u", User, None), ("w", WorkingCalendar, None)], conn
    )
    # Only quoted names from the models are formatted in; the digest is a parameter.
    sql = (
        f"SELECT {select} FROM {q(ApiToken._meta.db_table)} t"  # noqa: S608
        f" INNER JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
        f" LEFT JOIN {q(WorkingCalendar._meta.db_table)} w ON w.{q('user_id')} = u.{q('id')}"
        f" WHERE t.{q('digest')} = %s AND u.{q('is_active')}"
    )
    return sql, columns[0], columns[1], columns[2]


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
