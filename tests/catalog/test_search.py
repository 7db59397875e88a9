"""Project search. The suite runs once on SQLite and once on PostgreSQL: the exact ordered
results asserted here are what proves both backends agree.

The fixed catalog (``catalog`` fixture), published one hour apart in this order:

  key     title                              cat          price  days rating/count  seller
  logo    Minimalist logo design             design        5000    3   480/12       fran
  brand   Brand identity package             design       20000   10   495/3        fran
  cafe    Café menu illustration             design        8000    5   450/20       bob
  wp      WordPress website setup            development  30000    7   0/0          bob (capacity full)
  seo     SEO audit for your shop            marketing    15000    4   470/8        ann (away today)
  anim    Logo animation video               video        12000    6   480/5        ann (away today)
  social  Designs for social media posts     marketing     5000    2   480/12       fran

plus projects that must never appear: a draft, a paused, an archived one, one whose
freelancer is suspended, one whose freelancer is deactivated.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlance.accounts.models import User
from fairlance.accounts.services import time_off_add
from fairlance.catalog.inputs import TierInput
from fairlance.catalog.models import Project, SearchPosting
from fairlance.catalog.search import SearchParams, index_project, reindex_all, search_projects
from fairlance.catalog.services import (
    project_archive,
    project_create,
    project_pause,
    project_publish,
    project_resume,
    project_update,
)
from fairlance.core.errors import InvalidInput
from tests.conftest import is_postgres, make_user

PUBLISH_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Searches run "now": Tuesday 10 March 2026, while ann is away (9-12 March).
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

VISIBLE_NEWEST_FIRST = ["social", "anim", "seo", "wp", "cafe", "brand", "logo"]


@dataclass
class Catalog:
    projects: dict[str, Project]
    fran: User
    bob: User
    ann: User

    def keys(self, page: Any) -> list[str]:
        by_id = {p.id: key for key, p in self.projects.items()}
        return [by_id.get(p.id, f"?{p.title}") for p in page.results]

    def search(self, **kwargs: Any) -> list[str]:
        return self.keys(search_projects(SearchParams(**kwargs)))


def _project(
    freelancer: User,
    title: str,
    category: str,
    *,
    tags: list[str],
    description: str,
    price: int,
    days: int,
    capacity: int | None = None,
) -> Project:
    return project_create(
        freelancer=freelancer,
        title=title,
        category_slug=category,
        description=description,
        tags=tags,
        capacity=capacity,
        tiers=[TierInput(name="Basic", price_minor=price, delivery_days=days)],
    )


def _publish(project: Project, at: datetime) -> Project:
    with time_machine.travel(at, tick=False):
        return project_publish(project=project, actor=project.freelancer)


def _rate(project: Project, rating_x100: int, count: int) -> None:
    # Ratings are written by the trust layer, which has no domain function yet; the
    # denormalised columns are what search reads, so set them directly and reindex, as
    # every write that changes a searchable column must.
    Project.objects.filter(pk=project.pk).update(rating_x100=rating_x100, rating_count=count)
    index_project(project.pk)


@pytest.fixture(scope="module")
def _shared_catalog(django_db_setup: None, django_db_blocker: Any) -> Iterator[Catalog]:
    """The catalog, built once for the module inside a transaction rolled back at its end.

    Each test still takes the ``db`` fixture (through ``catalog``), which wraps it in a
    savepoint, so tests that edit, pause or delete projects do not affect the others.
    """
    with (
        django_db_blocker.unblock(),
        # Password hashing dominates building users and no test here logs in.
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        try:
            catalog = _build_catalog()
            with time_machine.travel(NOW, tick=False):
                yield catalog
        finally:
            # Never commit: other test modules must not see this catalog.
            transaction.set_rollback(True)


@pytest.fixture
def catalog(db: None, _shared_catalog: Catalog) -> Catalog:
    return _shared_catalog


def _build_catalog() -> Catalog:
    fran = make_user("fran@example.com")
    bob = make_user("bob@example.com")
    ann = make_user("ann@example.com")
    sue = make_user("sue@example.com")
    gone = make_user("gone@example.com")

    specs: list[tuple[str, User, str, str, list[str], str, int, int, int, int]] = [
        ("logo", fran, "Minimalist logo design", "design", ["logo", "branding"],
         "I design clean logos for startups.", 5000, 3, 480, 12),
        ("brand", fran, "Brand identity package", "design", ["branding", "logo design"],
         "Complete brand identity: logo, colours, typography.", 20000, 10, 495, 3),
        ("cafe", bob, "Café menu illustration", "design", ["illustration", "menu"],
         "Hand drawn menus for your café or restaurant.", 8000, 5, 450, 20),
        ("wp", bob, "WordPress website setup", "development", ["wordpress", "website"],
         "I install WordPress and design a simple theme.", 30000, 7, 0, 0),
        ("seo", ann, "SEO audit for your shop", "marketing", ["seo", "audit"],
         "A full audit with a prioritised list of fixes.", 15000, 4, 470, 8),
        ("anim", ann, "Logo animation video", "video", ["animation", "logo"],
         "Your logo animated for intros.", 12000, 6, 480, 5),
        ("social", fran, "Designs for social media posts", "marketing", ["social media"],
         "Ten post designs per week.", 5000, 2, 480, 12),
    ]  # fmt: skip
    projects: dict[str, Project] = {}
    for i, (key, owner, title, cat, tags, desc, price, days, rating, count) in enumerate(specs):
        project = _project(
            owner,
            title,
            cat,
            tags=tags,
            description=desc,
            price=price,
            days=days,
            capacity=1 if key == "wp" else None,
        )
        projects[key] = _publish(project, PUBLISH_START + timedelta(hours=i))
        _rate(project, rating, count)
    # The WordPress project's only slot is taken (contracts take slots this way).
    Project.objects.filter(pk=projects["wp"].pk).update(active_contracts=1)

    later = PUBLISH_START + timedelta(days=1)
    desc = "Logo design you will never find in search."
    _project(fran, "Draft logo design offer", "design", tags=["logo"], description=desc,
             price=100, days=1)  # fmt: skip
    paused = _publish(
        _project(bob, "Paused logo design offer", "design", tags=["logo"], description=desc,
                 price=100, days=1),
        later,
    )  # fmt: skip
    project_pause(project=paused, actor=bob)
    archived = _publish(
        _project(bob, "Archived logo design offer", "design", tags=["logo"], description=desc,
                 price=100, days=1),
        later,
    )  # fmt: skip
    project_archive(project=archived, actor=bob)
    _publish(
        _project(sue, "Suspended seller logo design", "design", tags=["logo"], description=desc,
                 price=100, days=1),
        later,
    )  # fmt: skip
    _publish(
        _project(gone, "Deactivated seller logo design", "design", tags=["logo"],
                 description=desc, price=100, days=1),
        later,
    )  # fmt: skip
    # Suspension and deactivation belong to the operators' tools; the flags are what
    # search reads.
    User.objects.filter(pk=sue.pk).update(is_suspended=True)
    User.objects.filter(pk=gone.pk).update(is_active=False)

    # ann is away today; bob's time off today is not "away" and his away range is later.
    time_off_add(user=ann, start_date=date(2026, 3, 9), end_date=date(2026, 3, 12))
    time_off_add(user=bob, start_date=date(2026, 3, 10), end_date=date(2026, 3, 10), away=False)
    time_off_add(user=bob, start_date=date(2026, 4, 1), end_date=date(2026, 4, 3))
    # Away ranges that ended yesterday or start tomorrow do not count either.
    time_off_add(user=fran, start_date=date(2026, 3, 1), end_date=date(2026, 3, 9))
    time_off_add(user=fran, start_date=date(2026, 3, 11), end_date=date(2026, 3, 20))

    for key in projects:
        projects[key].refresh_from_db()
    return Catalog(projects=projects, fran=fran, bob=bob, ann=ann)


def test_browse_without_query_lists_published_projects_newest_first(catalog: Catalog) -> None:
    # Given the fixed catalog, when browsing with no query and no filters
    page = search_projects(SearchParams())
    # Then only the published projects of sellers in good standing appear, newest first
    assert catalog.keys(page) == VISIBLE_NEWEST_FIRST
    assert page.total_estimate == 7
    assert page.next_cursor is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # BM25F: title, tags, category name and description weigh 3, 2, 1.5 and 1
        # ("logos" stems to "logo"); ties: newer first.
        ("logo", ["anim", "logo", "brand"]),
        # Stemming: "design" finds "designs" and vice versa; the café menu is in the
        # Design category, whose name counts too: more than a word only in a description.
        ("design", ["logo", "social", "brand", "cafe", "wp"]),
        ("designs", ["logo", "social", "brand", "cafe", "wp"]),
        ("DESIGNING", ["logo", "social", "brand", "cafe", "wp"]),
        # Projects with both words first; one word missing only lowers the rank.
        ("logo design", ["logo", "brand", "anim", "social", "cafe", "wp"]),
        # Stop words are ignored instead of required.
        ("the logo", ["anim", "logo", "brand"]),
        # Diacritics fold both ways.
        ("cafe", ["cafe"]),
        ("CAFÉ", ["cafe"]),
        ("anímation", ["anim"]),
        ("branding", ["brand", "logo"]),
        ("wordpress", ["wp"]),
        ("nothingmatchesthis", []),
    ],
)
def test_relevance_order_is_the_integer_score_then_newest(
    catalog: Catalog, q: str, expected: list[str]
) -> None:
    # Given the fixed catalog, when searching by relevance
    # Then the order is the same on both databases
    assert catalog.search(q=q) == expected


def test_query_syntax_characters_are_plain_text(catalog: Catalog) -> None:
    # Given query strings full of FTS5 and websearch operators
    # When searching, then they neither fail nor act as operators
    # "-" is not NOT: the project with both words comes first
    assert catalog.search(q='"logo" -animation') == ["anim", "logo", "brand"]
    # "or" is a stop word: projects with either word, none has both
    assert catalog.search(q="logo OR seo")[0] == "seo"
    # "not" is a stop word; ":" and "*" separate words
    both_first = ["logo", "brand", "anim", "social", "cafe", "wp"]
    assert catalog.search(q="logo NOT design") == both_first
    assert catalog.search(q="logo:design*") == both_first
    # "near" is a word no project has: the others still rank
    assert catalog.search(q="NEAR(logo design)") == both_first
    assert catalog.search(q='*" ^ ( ) : {} \x00 <->') == VISIBLE_NEWEST_FIRST  # no words


def test_query_of_only_stop_words_or_punctuation_browses_everything(catalog: Catalog) -> None:
    assert catalog.search(q="the and of") == VISIBLE_NEWEST_FIRST
    assert catalog.search(q="!!! ???") == VISIBLE_NEWEST_FIRST


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"category": "design"}, ["cafe", "brand", "logo"]),
        ({"category": "marketing"}, ["social", "seo"]),
        ({"category": "no-such-category"}, []),
        ({"min_price": 10000}, ["anim", "seo", "wp", "brand"]),
        ({"max_price": 8000}, ["social", "cafe", "logo"]),
        ({"min_price": 8000, "max_price": 15000}, ["anim", "seo", "cafe"]),
        ({"max_delivery_days": 4}, ["social", "seo", "logo"]),
        ({"min_rating": 480}, ["social", "anim", "brand", "logo"]),
        ({"min_rating": 0}, VISIBLE_NEWEST_FIRST),
        # Not away today and capacity left: ann (away) and the full WordPress project go.
        ({"available": True}, ["social", "cafe", "brand", "logo"]),
        ({"available": True, "q": "logo"}, ["logo", "brand"]),
        ({"category": "design", "q": "logo", "max_price": 10000}, ["logo"]),
    ],
)
def test_filters(catalog: Catalog, filters: dict[str, Any], expected: list[str]) -> None:
    assert catalog.search(**filters) == expected


def test_away_freelancer_is_listed_unless_available_is_asked(catalog: Catalog) -> None:
    # Given ann is away today, her projects are still found by default
    assert "seo" in catalog.search(q="audit")
    # When asking for available projects only, then they are not
    assert catalog.search(q="audit", available=True) == []
    # And once her away range is over they come back
    with time_machine.travel(datetime(2026, 3, 13, 9, 0, tzinfo=UTC), tick=False):
        assert catalog.search(q="audit", available=True) == ["seo"]


@pytest.mark.parametrize(
    ("sort", "q", "expected"),
    [
        ("newest", "", VISIBLE_NEWEST_FIRST),
        ("relevance", "", VISIBLE_NEWEST_FIRST),  # nothing to rank by: newest
        # Equal prices fall back to id (ascending with price, descending with -price).
        ("price", "", ["logo", "social", "cafe", "anim", "seo", "brand", "wp"]),
        ("-price", "", ["wp", "brand", "seo", "anim", "cafe", "social", "logo"]),
        # Rating, then number of ratings, then the newer id.
        ("rating", "", ["brand", "social", "logo", "anim", "seo", "cafe", "wp"]),
        ("price", "logo", ["logo", "anim", "brand"]),
        ("rating", "design", ["brand", "social", "logo", "cafe", "wp"]),
        ("newest", "design", ["social", "wp", "cafe", "brand", "logo"]),
        # Several words: projects with more of them first, then the sort.
        ("price", "logo animation", ["anim", "logo", "brand"]),
        ("newest", "logo animation", ["anim", "brand", "logo"]),
    ],
)
def test_sorts(catalog: Catalog, sort: str, q: str, expected: list[str]) -> None:
    assert catalog.search(sort=sort, q=q) == expected


def _all_pages(params: SearchParams) -> tuple[list[Project], int]:
    seen: list[Project] = []
    pages = 0
    cursor = None
    while True:
        page = search_projects(replace(params, cursor=cursor))
        pages += 1
        seen.extend(page.results)
        if page.next_cursor is None:
            return seen, pages
        assert len(page.results) == params.limit
        cursor = page.next_cursor
        assert pages < 20, "pagination does not end"


@pytest.mark.parametrize("sort", ["relevance", "newest", "price", "-price", "rating"])
@pytest.mark.parametrize("q", ["", "design", "logo"])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_cursor_pagination_walks_every_result_once(
    catalog: Catalog, sort: str, q: str, limit: int
) -> None:
    # Given the single-page answer for a search
    whole = search_projects(SearchParams(q=q, sort=sort, limit=50))
    # When walking it page by page
    walked, pages = _all_pages(SearchParams(q=q, sort=sort, limit=limit))
    # Then the pages together are exactly the single page: no gaps, no duplicates
    assert [p.id for p in walked] == [p.id for p in whole.results]
    assert pages == max(1, -(-len(whole.results) // limit))


def test_later_pages_keep_the_total_and_lead_back(catalog: Catalog) -> None:
    first = search_projects(SearchParams(limit=3))
    assert first.total_estimate == 7
    assert (first.offset, first.prev_cursor) == (0, None)
    second = search_projects(SearchParams(limit=3, cursor=first.next_cursor))
    assert second.total_estimate == 7
    assert second.offset == 3
    assert catalog.keys(second) == VISIBLE_NEWEST_FIRST[3:6]
    third = search_projects(SearchParams(limit=3, cursor=second.next_cursor))
    assert (catalog.keys(third), third.offset, third.next_cursor) == (["logo"], 6, None)
    # Previous walks back the same pages
    back = search_projects(SearchParams(limit=3, cursor=third.prev_cursor))
    assert (catalog.keys(back), back.offset) == (VISIBLE_NEWEST_FIRST[3:6], 3)
    assert back.next_cursor is not None
    start = search_projects(SearchParams(limit=3, cursor=back.prev_cursor))
    assert (catalog.keys(start), start.offset) == (VISIBLE_NEWEST_FIRST[:3], 0)
    assert start.prev_cursor is None
    assert (
        catalog.keys(search_projects(SearchParams(limit=3, cursor=start.next_cursor)))
        == (VISIBLE_NEWEST_FIRST[3:6])
    )


def _encode(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 at all!",
        "ünïcode",
        "AAAA",
        _encode([1, 2]),
        _encode({"s": "newest", "k": []}),
        _encode({"s": "price", "k": [5000, 1]}),  # a cursor of another sort
        _encode({"s": "newest", "k": ["yesterday", 1]}),
        _encode({"s": "newest", "k": ["2026-03-01T00:00:00", 1]}),  # naive time
        _encode({"s": "newest", "k": ["2026-03-01T00:00:00+00:00", "1"]}),
        _encode({"s": "newest", "k": ["2026-03-01T00:00:00+00:00", True]}),
        _encode({"s": "newest", "k": ["2026-03-01T00:00:00+00:00", -1]}),
        _encode({"s": "newest", "k": ["2026-03-01T00:00:00+00:00", 2**70]}),
        "x" * 2000,
    ],
)
def test_malformed_cursor_is_invalid_input(catalog: Catalog, cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        search_projects(SearchParams(sort="newest", cursor=cursor))
    assert raised.value.code == "invalid_cursor"


def test_cursor_of_one_sort_is_refused_by_another(catalog: Catalog) -> None:
    page = search_projects(SearchParams(sort="price", limit=2))
    assert page.next_cursor is not None
    with pytest.raises(InvalidInput) as raised:
        search_projects(SearchParams(sort="rating", limit=2, cursor=page.next_cursor))
    assert raised.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"min_price": -1}, "min_price"),
        ({"max_price": 2**40}, "max_price"),
        ({"min_price": 500, "max_price": 100}, "max_price"),
        ({"max_delivery_days": -3}, "max_delivery_days"),
        ({"min_rating": 501}, "min_rating"),
        ({"category": "design'; DROP TABLE x"}, "category"),
    ],
)
def test_out_of_range_parameters_are_invalid_input(
    catalog: Catalog, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        search_projects(SearchParams(**params))
    assert raised.value.code == "invalid_input"
    assert [e["field"] for e in raised.value.errors] == [field]


def test_edits_are_reindexed(catalog: Catalog) -> None:
    # Given "shop" appears only in the SEO project's title
    seo = catalog.projects["seo"]
    assert catalog.search(q="shop") == ["seo"]
    # When the freelancer renames it
    project_update(project=seo, actor=catalog.ann, title="SEO audit for your webstore")
    # Then the new word finds it and the old one does not
    assert catalog.search(q="webstore") == ["seo"]
    assert catalog.search(q="shop") == []
    # And tags and descriptions are re-indexed too
    project_update(project=seo, actor=catalog.ann, tags=["lighthouse"], description="Speed.")
    assert catalog.search(q="lighthouse speed") == ["seo"]
    assert catalog.search(q="audit") == ["seo"]  # still in the title
    assert catalog.search(q="prioritised") == []


def test_price_changes_are_seen_by_filters_and_sorts(catalog: Catalog) -> None:
    # When the café project gets cheaper than everything else
    project_update(
        project=catalog.projects["cafe"],
        actor=catalog.bob,
        tiers=[TierInput(name="Basic", price_minor=1000, delivery_days=1)],
    )
    # Then price filters and sorts see it
    assert catalog.search(sort="price")[0] == "cafe"
    assert catalog.search(max_delivery_days=1) == ["cafe"]


def test_pausing_hides_and_resuming_shows_again(catalog: Catalog) -> None:
    logo = catalog.projects["logo"]
    project_pause(project=logo, actor=catalog.fran)
    assert catalog.search(q="minimalist") == []
    project_resume(project=logo, actor=catalog.fran)
    assert catalog.search(q="minimalist") == ["logo"]


def test_suspending_a_freelancer_hides_all_their_projects(catalog: Catalog) -> None:
    User.objects.filter(pk=catalog.fran.pk).update(is_suspended=True)
    assert catalog.search() == ["anim", "seo", "wp", "cafe"]


def test_reindex_all_rebuilds_the_same_index(catalog: Catalog) -> None:
    # Given the index as kept by the services, when rebuilt from scratch
    before = {q: catalog.search(q=q) for q in ("logo", "design", "cafe", "audit")}
    count = reindex_all()
    # Then every published project is indexed and answers are unchanged
    assert count == Project.objects.filter(status="published").count()
    assert {q: catalog.search(q=q) for q in before} == before


def test_index_project_of_a_deleted_project_removes_it(catalog: Catalog) -> None:
    # Given a published project that is then deleted outright (e.g. by an operator)
    social = Project.objects.get(pk=catalog.projects["social"].pk)
    social_id = social.id
    social.tiers.all().delete()
    social.delete()
    # When it is indexed again, then nothing breaks and it is gone
    index_project(social_id)
    assert "social" not in catalog.search(q="designs")
    # An id that never existed is a no-op as well
    index_project(10**9)


def test_results_carry_their_cards_in_a_fixed_number_of_queries(
    catalog: Catalog, django_assert_num_queries: Any
) -> None:
    # A word's plan reads the vocabulary (the word, the last word's completions, the
    # synonym list) and how many projects have each term (both remembered in production:
    # FAIRLANCE_SEARCH_RESULTS_SECONDS, _TERM_COUNT_SECONDS). Then a page is the ranking,
    # the count and one statement for what the cards show, whatever its size; a page
    # without results needs no cards.
    for limit in (1, 7):
        with django_assert_num_queries(2 + 3):
            page = search_projects(SearchParams(q="design", limit=limit))
        names = [(p.freelancer.public_name, p.category.slug) for p in page.results]
        assert len(names) == min(limit, 5)
    # Browsing needs no plan
    first = search_projects(SearchParams(limit=2))
    with django_assert_num_queries(3):
        second = search_projects(SearchParams(limit=2, cursor=first.next_cursor))
    assert len(second.results) == 2
    # A word no project has, nor anything one typo away: the plan (with the trigram
    # look-up) and nothing else
    with django_assert_num_queries(3):
        assert search_projects(SearchParams(q="zzzunknownword")).results == []


def test_a_result_shows_what_the_project_says(catalog: Catalog) -> None:
    # Given the logo project, found by search
    (result,) = search_projects(SearchParams(q="minimalist")).results
    project = catalog.projects["logo"]
    # Then its card carries the project's own values
    assert (result.id, result.title, result.tags) == (project.id, project.title, project.tags)
    assert (result.from_price_minor, result.min_delivery_days) == (5000, 3)
    assert (result.rating_x100, result.rating_count) == (480, 12)
    assert result.published_at == project.published_at
    assert result.updated_at == project.updated_at
    assert result.category.slug == "design"
    assert result.freelancer.id == catalog.fran.id
    assert result.freelancer.public_name == catalog.fran.public_name
    assert result.cover is None


@pytest.mark.parametrize(
    "params",
    [
        SearchParams(q="logo", sort="price", max_price=6000),
        SearchParams(q="logo animation", sort="-price"),
        SearchParams(q="logo design", category="design", max_price=6000, available=True),
        SearchParams(q="design logo", sort="rating", min_rating=480),
        SearchParams(q="illustation", sort="newest"),
    ],
)
def test_every_term_is_read_from_a_postings_index(catalog: Catalog, params: SearchParams) -> None:
    if is_postgres():
        pytest.skip("SQLite's planner only; PostgreSQL picks its own plan from statistics")
    from fairlance.catalog.search.base import build_query
    from fairlance.catalog.search.query import plan as query_plan

    # Given a text query narrowed by filters that an index on projects could serve
    query_plan_ = query_plan(params.q)
    sql, args, *_ = build_query(params, query_plan_)
    # When SQLite plans it
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, args)
        steps = [row[-1] for row in cursor.fetchall()]
    # Then every read of the postings is a range of one term in a postings index (never a
    # scan of the table), once per alternative term
    postings = [s for s in steps if re.match(r"(SCAN|SEARCH) s0? ", s)]
    assert postings, steps
    for step in postings:
        assert re.match(
            r"SEARCH s0? USING (COVERING )?INDEX catalog_posting_\w+ \(term=\?", step
        ), steps
    assert len(postings) == len(query_plan_.alternatives)


def test_a_rarer_word_counts_for_more(catalog: Catalog) -> None:
    from fairlance.catalog.search.query import plan as query_plan

    # "design" is in five projects (the café through its category), "minimalist" in one
    multipliers = {a.term: a.multiplier for a in query_plan("design minimalist").alternatives}
    assert multipliers["minimalist"] > multipliers["design"] > 0
    # So the one project with the rare word leads a search for both
    assert catalog.search(q="design minimalist")[0] == "logo"
    assert set(catalog.search(q="minimalist wordpress")[:2]) == {"logo", "wp"}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=80), sort=st.sampled_from(["relevance", "price", "rating"]))
def test_arbitrary_query_text_never_raises(catalog: Catalog, q: str, sort: str) -> None:
    # Whatever a user types, search answers with projects from the visible set
    page = search_projects(SearchParams(q=q, sort=sort, limit=3))
    assert set(catalog.keys(page)) <= set(VISIBLE_NEWEST_FIRST)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.lists(
        st.sampled_from(
            ['"', "*", "NEAR", "-", "OR", "AND", "NOT", "(", ")", ":", "^", "+", "'", "!",
             "&", "|", "<->", "{title}", "logo", "design", "ção", "\x00", "\ud800", "_", "/"]
        ),
        max_size=10,
    ).map(" ".join)
)  # fmt: skip
def test_query_operators_never_raise(catalog: Catalog, q: str) -> None:
    page = search_projects(SearchParams(q=q))
    assert set(catalog.keys(page)) <= set(VISIBLE_NEWEST_FIRST)


def test_postings_carry_bm25f_weights_per_field_and_stemmed_terms(catalog: Catalog) -> None:
    from fairlance.catalog.search.text import project_terms

    # Given the logo project: title "Minimalist logo design", tags "logo" and "branding",
    # category "Design & illustration"-like, description "I design clean logos for
    # startups."; its postings are its stemmed terms with their BM25F weights
    project = catalog.projects["logo"]
    rows = dict(SearchPosting.objects.filter(project_id=project.id).values_list("term", "points"))
    expected = project_terms(
        project.title, project.tags, project.category.name, project.description
    )
    assert rows == expected
    # A word in the title weighs more than one only in the description
    assert rows["minimalist"] > rows["startup"] > 0  # "startups", stemmed
    # A word in the title, the tags and the description weighs more than in the title
    # alone, but saturates: not three times as much
    assert rows["minimalist"] < rows["logo"] < 3 * rows["minimalist"]
    assert "i" not in rows and "for" not in rows  # stop words are not indexed
    # Neighbouring words are also indexed joined, for compounds ("logodesign")
    assert "minimalistlogo" in rows
    # And a project that is not published has none
    draft = Project.objects.exclude(status="published").first()
    assert draft is not None
    assert not SearchPosting.objects.filter(project_id=draft.id).exists()


def test_reindex_all_builds_the_term_indexes_again(catalog: Catalog) -> None:
    # Given a rebuild of the whole index (which drops the term indexes for the load)
    reindex_all()
    # Then every index of the postings table is there again
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, SearchPosting._meta.db_table)
    names = {name for name, info in constraints.items() if info["index"]}
    assert {index.name for index in SearchPosting._meta.indexes} <= names
    # and SQLite's old probe index is gone (migration 0008)
    assert "catalog_posting_probe" not in names


# --- remembered rankings (FAIRLANCE_SEARCH_RESULTS_SECONDS) ---------------------------------


@pytest.fixture
def remembered(settings: Any) -> Iterator[None]:
    from django.core.cache import cache

    settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


REMEMBERED_SEARCHES: list[dict[str, Any]] = [
    {},
    {"q": "logo"},
    {"q": "logo design"},
    {"q": "design logo"},  # the same words in the other order: the same ranking
    {"q": "logo", "sort": "price"},
    {"q": "logo", "sort": "-price", "limit": 2},
    {"q": "design", "category": "design", "max_price": 10000},
    {"min_rating": 470, "sort": "rating"},
    {"max_delivery_days": 4, "min_price": 5000},
]


def test_remembered_rankings_give_the_same_pages_as_fresh_ones(
    catalog: Catalog, settings: Any, remembered: None
) -> None:
    # Given each search answered fresh
    settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 0
    fresh = [search_projects(SearchParams(**s)) for s in REMEMBERED_SEARCHES]
    # When remembering is on, asked twice (the second answer comes from the cache)
    settings.FAIRLANCE_SEARCH_RESULTS_SECONDS = 60
    for _ in range(2):
        pages = [search_projects(SearchParams(**s)) for s in REMEMBERED_SEARCHES]
        # Then every page, cursor and total is what the fresh search gave: no two
        # searches share an entry
        assert [catalog.keys(p) for p in pages] == [catalog.keys(p) for p in fresh]
        assert [p.next_cursor for p in pages] == [p.next_cursor for p in fresh]
        assert [p.total_estimate for p in pages] == [p.total_estimate for p in fresh]
    # And the next page of a remembered first page is the fresh next page
    first = search_projects(SearchParams(q="logo", sort="-price", limit=2))
    assert first.next_cursor is not None
    second = SearchParams(q="logo", sort="-price", limit=2, cursor=first.next_cursor)
    assert catalog.keys(search_projects(second)) == catalog.keys(search_projects(second))


def test_a_remembered_ranking_is_one_statement_and_lags_new_projects_until_it_expires(
    catalog: Catalog, remembered: None, django_assert_num_queries: Any
) -> None:
    # Given a search answered once
    assert catalog.search(q="minimalist") == ["logo"]
    # When a new matching project is published
    new = _publish(
        _project(catalog.bob, "Minimalist poster", "design", tags=["poster"],
                 description="Posters.", price=3000, days=2),
        NOW,
    )  # fmt: skip
    # Then the same search is answered from the remembered ranking: only the cards are
    # read, and the new project is not in it yet
    with django_assert_num_queries(1):
        page = search_projects(SearchParams(q="minimalist"))
    assert [p.id for p in page.results] == [catalog.projects["logo"].id]
    # And once the ranking expires, it is
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        ids = [p.id for p in search_projects(SearchParams(q="minimalist")).results]
    assert ids == [new.id, catalog.projects["logo"].id]


def test_a_remembered_ranking_never_shows_a_project_no_longer_for_sale(
    catalog: Catalog, remembered: None
) -> None:
    # Given searches answered once, and remembered
    assert catalog.search(q="logo") == ["anim", "logo", "brand"]
    assert catalog.search() == VISIBLE_NEWEST_FIRST
    # When a project is paused and a freelancer is suspended
    project_pause(project=catalog.projects["logo"], actor=catalog.fran)
    User.objects.filter(pk=catalog.ann.pk).update(is_suspended=True)
    # Then both are gone from the remembered pages at once, and from their totals
    assert catalog.search(q="logo") == ["brand"]
    assert catalog.search() == ["social", "wp", "cafe", "brand"]
    assert search_projects(SearchParams(q="logo")).total_estimate == 1


def test_searches_for_available_freelancers_are_never_remembered(
    catalog: Catalog, remembered: None
) -> None:
    # Given the available projects matching "design"
    before = catalog.search(q="design", available=True)
    assert before == ["logo", "social", "brand", "cafe"]
    # When the social media project's last slot is taken
    Project.objects.filter(pk=catalog.projects["social"].pk).update(active_contracts=1, capacity=1)
    # Then the next search leaves it out at once
    assert catalog.search(q="design", available=True) == ["logo", "brand", "cafe"]


def test_a_malformed_cursor_is_refused_with_remembering_on(
    catalog: Catalog, remembered: None
) -> None:
    for _ in range(2):
        with pytest.raises(InvalidInput) as info:
            search_projects(SearchParams(q="logo", cursor="not-a-cursor"))
        assert info.value.code == "invalid_cursor"
