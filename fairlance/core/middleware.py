from __future__ import annotations

import hashlib
import re
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from fairlance.core import db_router


class ViewerTimezoneMiddleware:
    """Render times in the viewer's zone: their calendar's, else a cookie set by the browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = viewer_time_zone_name(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def viewer_time_zone_name(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        calendar = getattr(user, "calendar", None)
        if calendar is not None:
            return str(calendar.time_zone)
    return request.COOKIES.get("tz", "UTC")[:64]


# --- read replicas (docs/decisions/0021-read-replicas.md) ----------------------------------

# The pages and endpoints that may read from a replica, in one place: public reads whose
# data may be a moment behind. Anything not listed reads the primary (signed-in pages,
# contracts, money, every write).
REPLICA_READ_PATHS = re.compile(
    r"""^/(?:
        |search/                                  # web:search
        |projects/[0-9]+/                         # web:project_detail
        |freelancers/[0-9]+/                      # web:freelancer_profile
        |api/v1/projects                          # GET /api/v1/projects (search)
        |api/v1/projects/[0-9]+                   # GET /api/v1/projects/{id}
        |api/v1/freelancers/[0-9]+(?:/score|/feedback|/work-history)?
    )$""",  # the empty first branch is the home page, web:home
    re.VERBOSE,
)
REPLICA_READ_METHODS = frozenset({"GET", "HEAD"})
# Methods that never change anything (RFC 9110): they do not pin a client to the primary.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The marker of a browser (or any client keeping cookies) that just wrote: signed and
# timestamped, so that it ends after FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS whatever the
# client does with it.
PRIMARY_COOKIE = "fl_primary"
PRIMARY_COOKIE_SALT = "fairlance.read-your-writes"


def bearer_token(request: HttpRequest) -> str | None:
    """The request's bearer token, as the API reads it (api/auth.py), if any."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return header[7:].strip()
    return None


def token_pin_key(token: str) -> str:
    """The cache key that pins a bearer token to the primary: the token's SHA-256, so the
    cache never holds a usable secret (the API stores the same digest, accounts/models.py)."""
    return f"fairlance:primary-after-write:{hashlib.sha256(token.encode()).hexdigest()}"


class ReadReplicaMiddleware:
    """Lets a safe request to a page of REPLICA_READ_PATHS read from a replica, unless its
    client wrote within FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS (read-your-writes).

    Every other request reads the primary; one that may change something (any method but
    GET, HEAD, OPTIONS, TRACE) marks its client: a signed cookie for browsers, and for the
    API's bearer tokens, which come without cookies, a cache entry per token (shared by
    every web process when CACHE_URL is set). Installed by settings only when
    DATABASE_REPLICA_URLS names replicas; the choice reaches ``ReplicaRouter`` through a
    context variable (``db_router.reading_from``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.replicas: tuple[str, ...] = tuple(getattr(settings, "FAIRLANCE_READ_REPLICAS", ()))
        if not self.replicas:
            raise MiddlewareNotUsed("no read replicas configured")
        self.pin_seconds = int(settings.FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            self._pin(request, response)
            return response
        alias = self._replica_for(request)
        if alias is None:
            return self.get_response(request)
        with db_router.reading_from(alias):
            return self.get_response(request)

    def _replica_for(self, request: HttpRequest) -> str | None:
        if request.method not in REPLICA_READ_METHODS:
            return None
        if not REPLICA_READ_PATHS.match(request.path_info):
            return None
        if self._pinned(request):
            return None
        return db_router.usable_replica(self.replicas)

    def _pinned(self, request: HttpRequest) -> bool:
        if self.pin_seconds <= 0:
            return False
        marker = request.get_signed_cookie(
            PRIMARY_COOKIE, default=None, salt=PRIMARY_COOKIE_SALT, max_age=self.pin_seconds
        )
        if marker is not None:
            return True
        token = bearer_token(request)
        return token is not None and cache.get(token_pin_key(token)) is not None

    def _pin(self, request: HttpRequest, response: HttpResponse) -> None:
        if self.pin_seconds <= 0:
            return
        response.set_signed_cookie(
            PRIMARY_COOKIE,
            "1",
            salt=PRIMARY_COOKIE_SALT,
            max_age=self.pin_seconds,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        token = bearer_token(request)
        if token is not None:
            cache.set(token_pin_key(token), True, self.pin_seconds)
