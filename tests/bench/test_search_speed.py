"""What makes search cheap at scale: a fixed number of statements per page (the query's plan,
the ranking, the cards), the capped count, no count for the API, word counts cached (they
weigh each word by how rare it is).

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
def term_counts_cached(settings: Any) -> Iterator[None]:
    settings.FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = 600
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


def _count_queries(sqls: list[str]) -> list[str]:
    # The look-up of how many projects have each term (its idf).
    return [s for s in sqls if "GROUP BY term" in s]


def _page_queries(sqls: list[str]) -> list[str]:
    # What is left once the plan (the vocabulary look-up, the term counts) is set aside.
    return [s for s in sqls if "GROUP BY term" not in s and "catalog_searchword" not in s]


CAPPED_COUNT = "SELECT COUNT(*) FROM (SELECT 1 FROM"


def test_the_api_skips_the_count() -> None:
    # Given a catalog
    _catalog(3)
    # When the search page asks (first page: with its total), then the ranking is one
    # statement, the capped count a second and the cards of the page a third
    page, sqls = _queries(lambda: search_projects(SearchParams(q="logo")))
    sqls = _page_queries(sqls)
    assert len(sqls) == 3 and sqls[1].startswith(CAPPED_COUNT) and "LIMIT" in sqls[1]
    assert page.total_estimate == 3
    # And the API, which shows no total, runs the ranking and the cards only
    _page, sqls = _queries(lambda: search_projects(SearchParams(q="logo", with_total=False)))
    sqls = _page_queries(sqls)
    assert len(sqls) == 2 and "COUNT" not in " ".join(sqls)


def test_word_counts_are_cached_and_change_no_result(term_counts_cached: None) -> None:
    # Given a catalog where "number" is rarer than "logo"
    _seller, projects = _catalog(3)
    make_published(make_user("other@example.com"), title="Logo number 99", tags=["logo"])
    first, first_sql = _queries(lambda: search_projects(SearchParams(q="logo number")))
    assert len(_count_queries(first_sql)) == 1
    # When the same words are searched again, then their counts come from the cache
    again, again_sql = _queries(lambda: search_projects(SearchParams(q="logo number")))
    assert _count_queries(again_sql) == []
    assert [r.id for r in again.results] == [r.id for r in first.results]
    assert len(first.results) == 4
    # And in the other order only the new joined pair ("numberlogo") is counted
    swapped, swapped_sql = _queries(lambda: search_projects(SearchParams(q="number logo")))
    (counted,) = _count_queries(swapped_sql)
    assert "numberlogo" in counted and "'logo'" not in counted
    assert {r.id for r in swapped.results} == {r.id for r in first.results}


def test_word_counts_are_not_cached_when_the_setting_is_zero(settings: Any) -> None:
    settings.FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = 0
    _catalog(2)
    search_projects(SearchParams(q="logo number"))
    _page, sqls = _queries(lambda: search_projects(SearchParams(q="logo number")))
    assert len(_count_queries(sqls)) == 1


def test_a_word_searched_again_needs_no_count(term_counts_cached: None) -> None:
    _catalog(2)
    search_projects(SearchParams(q="logo", with_total=False))
    _page, sqls = _queries(lambda: search_projects(SearchParams(q="logo", with_total=False)))
    assert _count_queries(sqls) == []


def test_changes_show_on_the_next_search() -> None:
    # Given three projects found by a search
    seller, projects = _catalog(3)
    newest, middle, _oldest = reversed(projects)
    search_projects(SearchParams(q="logo"))
    # When one is paused and another retitled
    project_pause(project=middle, actor=seller)
    project_update(project=newest, actor=seller, title="Logo design, now with colour")
    page = search_projects(SearchParams(q="logo"))
    # Then the paused project is gone and the new title shows
    assert [p.title for p in page.results] == [
        "Logo design, now with colour",
        "Logo design number 0",
    ]


def test_a_cursor_of_another_sort_is_refused() -> None:
    # Given a valid cursor of the relevance sort
    _catalog(3)
    first = search_projects(SearchParams(q="logo", limit=1))
    assert first.next_cursor is not None
    search_projects(SearchParams(q="logo", limit=1, cursor=first.next_cursor))
    # When it is replayed with another sort, then it is refused
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
    exact = search_projects(SearchParams(q="4"))
    assert exact.total_estimate == 1
    assert not exact.total_is_capped


def test_the_search_page_says_at_least_when_the_count_is_capped(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.setattr(search_base, "COUNT_CAP", 3)
    settings.FAIRLANCE_SEARCH_PAGE_SIZE = 2
    _catalog(4)
    capped = Client().get("/search/", {"q": "logo"})
    assert "Showing 1–2 of at least 3 projects" in capped.content.decode()
    exact = Client().get("/search/", {"q": "2"})
    assert "1 project found" in exact.content.decode()


def test_the_api_search_runs_no_count_query() -> None:
    _catalog(3)
    resp, sqls = _queries(lambda: Client().get("/api/v1/projects", {"q": "logo"}))
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 3
    assert not any(CAPPED_COUNT in s for s in sqls)
