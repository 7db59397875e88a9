"""What makes search cheap at scale: the ranking cache, the capped count, no count for the API.

The ranking (ids in order) may be reused for FAIRLANCE_SEARCH_CACHE_SECONDS; the projects
themselves are read fresh, so a cached page never shows a paused project or old text.
Ordering and matching are covered on both databases by tests/catalog/test_search.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from fairlance.catalog.search import SearchParams, search_projects
from fairlance.catalog.search import base as search_base
from fairlance.catalog.services import project_pause, project_update
from fairlance.core.errors import InvalidInput
from tests.catalog.factories import make_published
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def ranking_cache(settings: Any) -> Iterator[None]:
    settings.FAIRLANCE_SEARCH_CACHE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def _catalog(n: int) -> tuple[User, list[Project]]:
    seller = make_user("seller@example.com")
    projects = [
        make_published(seller, title=f"Logo design number {i}", tags=["logo"]) for i in range(n)
    ]
    return seller, projects


def _ids(page: Any) -> list[int]:
    return [p.id for p in page.results]


def _queries(fn: Any) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, [q["sql"] for q in ctx.captured_queries]


def _ranking_queries(sqls: list[str]) -> list[str]:
    # The ranking and count queries are the only raw statements; both select from "r"/"c".
    return [s for s in sqls if ") r" in s or ") c" in s]


def test_cached_ranking_skips_the_ranking_queries(ranking_cache: None) -> None:
    # Given a catalog and a first search that ranks it
    _seller, projects = _catalog(3)
    first, first_sql = _queries(lambda: search_projects(SearchParams(q="logo")))
    assert len(_ranking_queries(first_sql)) == 2  # page and count
    # When the same search is asked again, spelled differently
    again, again_sql = _queries(lambda: search_projects(SearchParams(q="  LOGO!! ")))
    # Then the ranking comes from the cache and the page is the same
    assert _ranking_queries(again_sql) == []
    assert _ids(again) == _ids(first) == [p.id for p in reversed(projects)]
    assert again.total_estimate == 3


def test_cached_page_reads_projects_fresh(ranking_cache: None) -> None:
    # Given a cached ranking of three projects
    seller, projects = _catalog(3)
    newest, middle, _oldest = reversed(projects)
    search_projects(SearchParams(q="logo"))
    # When one is paused and another retitled after the ranking was cached
    project_pause(project=middle, actor=seller)
    project_update(project=newest, actor=seller, title="Logo design, now with colour")
    page, sqls = _queries(lambda: search_projects(SearchParams(q="logo")))
    # Then the cached ranking was used, the paused project is left out and the new title shows
    assert _ranking_queries(sqls) == []
    assert [p.title for p in page.results] == [
        "Logo design, now with colour",
        "Logo design number 0",
    ]


def test_the_cache_is_off_when_the_setting_is_zero(settings: Any) -> None:
    # Given caching turned off (as every other test runs)
    settings.FAIRLANCE_SEARCH_CACHE_SECONDS = 0
    _catalog(2)
    search_projects(SearchParams(q="logo"))
    # When the same search runs again, then it ranks again
    _page, sqls = _queries(lambda: search_projects(SearchParams(q="logo")))
    assert len(_ranking_queries(sqls)) == 2


def test_a_cursor_of_another_sort_is_refused_with_the_cache_on(ranking_cache: None) -> None:
    # Given a valid cursor of the relevance sort, its next page cached
    _catalog(3)
    first = search_projects(SearchParams(q="logo", limit=1))
    assert first.next_cursor is not None
    search_projects(SearchParams(q="logo", limit=1, cursor=first.next_cursor))
    # When it is replayed with another sort, then it is refused, cache or not
    with pytest.raises(InvalidInput) as caught:
        search_projects(SearchParams(q="logo", limit=1, sort="price", cursor=first.next_cursor))
    assert caught.value.code == "invalid_cursor"


def test_the_count_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given more matches than the cap
    monkeypatch.setattr(search_base, "COUNT_CAP", 3)
    _catalog(5)
    # When the first page is asked for, then the total says "at least the cap"
    page = search_projects(SearchParams(q="logo", limit=2))
    assert page.total_estimate == 3
    assert page.total_is_capped
    assert len(page.results) == 2
    # and below the cap the total is exact
    exact = search_projects(SearchParams(q="number 4"))
    assert exact.total_estimate == 1
    assert not exact.total_is_capped


def test_the_search_page_says_at_least_when_the_count_is_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search_base, "COUNT_CAP", 3)
    _catalog(4)
    capped = Client().get("/search/", {"q": "logo"})
    assert "At least 3 projects found" in capped.content.decode()
    exact = Client().get("/search/", {"q": "number 2"})
    assert "1 project found" in exact.content.decode()


def test_the_api_search_runs_no_count_query() -> None:
    _catalog(3)
    resp, sqls = _queries(lambda: Client().get("/api/v1/projects", {"q": "logo"}))
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 3
    assert not any("COUNT(*)" in s for s in sqls)
