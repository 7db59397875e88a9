"""Shared fixtures. Data is made through the real domain functions, never raw inserts."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from fairlance.accounts.models import ApiToken, User
from fairlance.accounts.services import user_create

# Bounded examples keep the suite well inside CI's budget; raise locally with
# HYPOTHESIS_PROFILE=thorough. The default profile is derandomized so that a run fails or
# passes the same way on every machine; "thorough" explores new examples each run.
hypothesis_settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
hypothesis_settings.register_profile("thorough", max_examples=500, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[Any]) -> None:
    # A transactional test ends with a flush. Without serialized_rollback the flush runs
    # post_migrate (new content types), and the next serialized test's restore then
    # inserts them twice: which tests fail would depend on how xdist deals them out.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: transactional tests need serialized_rollback=True"
            )


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # Real password hashing costs ~0.1 s per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production serves hashed static files after collectstatic; tests never run it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Cached word counts would outlive the test's rolled-back data (they only pick a join
    # order, but query counts would then depend on test order); their test turns them on.
    settings.FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = 0
    # Remembered rankings would let a test see the results of an earlier test's data;
    # their tests turn them on.
    settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 0
    # Cached project parts are keyed by (id, updated_at); rolled-back data reuses ids on
    # SQLite and frozen clocks repeat timestamps, so only the cache's own tests turn it on.
    settings.FAIRLANCE_PROJECT_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    # The password throttle and allauth's rate limits count in Django's caches, which live
    # as long as the test process: one test's wrong passwords must not slow the next.
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    # Stored policy versions are remembered per process; tests roll their rows back, and the
    # next test may store another version under the same number.
    from fairlance.core.policy import forget_stored_policies

    forget_stored_policies()


def make_user(email: str, **extra: Any) -> User:
    """A user whose address is verified (as after a confirmed sign-up), so it can log in."""
    extra.setdefault("email_verified", True)
    return user_create(
        email=email, password=PASSWORD, display_name=email.split("@")[0].title(), **extra
    )


@pytest.fixture
def freelancer(db: None) -> User:
    return make_user("fran@example.com", headline="Illustrator", country="PT")


@pytest.fixture
def client_user(db: None) -> User:
    return make_user("carla@example.com", country="US")


@pytest.fixture
def stranger(db: None) -> User:
    return make_user("sam@example.com")


@pytest.fixture
def operator(db: None) -> User:
    return make_user("olga@example.com", is_operator=True, is_staff=True)


class ApiClient:
    """A Django test client that talks JSON to /api/v1/ with an optional bearer token."""

    def __init__(self, user: User | None = None) -> None:
        self.client = Client()
        self.user = user
        self.headers: dict[str, str] = {}
        if user is not None:
            raw = ApiToken.new_raw()
            ApiToken.objects.create(user=user, digest=ApiToken.digest_of(raw))
            self.headers["Authorization"] = f"Bearer {raw}"

    def _url(self, path: str) -> str:
        return path if path.startswith("/") else f"/api/v1/{path}"

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(self._url(path), params or {}, headers={**self.headers, **headers})

    def post(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.client.post(
            self._url(path),
            json if json is not None else {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def patch(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.client.patch(
            self._url(path),
            json if json is not None else {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def put(self, path: str, json: Any = None, **headers: str) -> Any:
        return self.client.put(
            self._url(path),
            json if json is not None else {},
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(self._url(path), headers={**self.headers, **headers})


@pytest.fixture
def api() -> type[ApiClient]:
    """``api(user)`` gives a client authenticated as that user; ``api()`` is anonymous."""
    return ApiClient


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body
