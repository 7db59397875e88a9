"""Home, search and project pages for every kind of viewer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from fairlance.accounts.services import time_off_add
from fairlance.catalog.inputs import TierInput
from fairlance.catalog.services import project_pause
from tests.conftest import make_user
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


def test_home_shows_categories_and_newest_projects(freelancer, stranger):
    # Given one published and one draft project
    make_project(freelancer, title="Hand-drawn logo")
    make_project(freelancer, title="Secret draft", publish=False)
    for viewer in (None, stranger, freelancer):
        # When anyone opens the home page
        response = login(viewer).get("/")
        # Then it lists categories and only the published project
        html = response.content.decode()
        assert response.status_code == 200
        assert "Design &amp; illustration" in html
        assert "Hand-drawn logo" in html
        assert "Secret draft" not in html
        assert "$120" in html


def test_search_finds_by_words_and_filters_in_major_units(freelancer):
    # Given a $120 logo and an $800 website
    make_project(freelancer, title="Hand-drawn logo")
    make_project(
        freelancer,
        title="Company website",
        category_slug="development",
        description="A website.",
        tags=("web",),
        tiers=(TierInput(name="Site", price_minor=80_000, delivery_days=14),),
    )
    client = login(None)
    # When searching by word
    html = client.get("/search/", {"q": "logo"}).content.decode()
    # Then only the logo matches
    assert "Hand-drawn logo" in html and "Company website" not in html
    # When filtering by a price range typed in dollars
    html = client.get("/search/", {"min_price": "500", "max_price": "1000"}).content.decode()
    assert "Company website" in html and "Hand-drawn logo" not in html
    # When filtering by category
    html = client.get("/search/", {"category": "design"}).content.decode()
    assert "Hand-drawn logo" in html and "Company website" not in html


def test_result_cards_escape_what_people_wrote(freelancer):
    # Given a seller whose name and project title carry markup
    freelancer.display_name = 'Eve <img src=x onerror="alert(1)">'
    freelancer.save()
    make_project(freelancer, title='Logo <script>alert("x")</script> & more')
    # When the card shows on the search and home pages
    for html in (
        login(None).get("/search/", {"q": "logo"}).content.decode(),
        login(None).get("/").content.decode(),
    ):
        # Then the markup is text, not HTML
        assert "<script>" not in html and "<img src=x" not in html
        assert "Logo &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
        assert "Eve &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_anonymous_listing_pages_set_no_cookie(freelancer):
    # Nothing on them needs a session or a CSRF token for a visitor who is not signed in.
    project = make_project(freelancer, title="Hand-drawn logo")
    for path in ("/", "/search/?q=logo", f"/projects/{project.pk}/"):
        response = login(None).get(path)
        assert response.status_code == 200
        assert not response.cookies, (path, list(response.cookies))


def test_search_htmx_request_gets_only_the_results(freelancer):
    make_project(freelancer, title="Hand-drawn logo")
    response = login(None).get("/search/", {"q": "logo"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hand-drawn logo" in html
    assert "<html" not in html and "Apply filters" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "abc"},
        {"min_price": "-5"},
        {"min_price": "50", "max_price": "10"},
        {"max_delivery_days": "999"},
        {"min_rating": "nope"},
        {"sort": "sideways"},
        {"category": "no-such-category"},
        {"cursor": "not-a-real-cursor"},
        {"q": "x" * 500},
    ],
)
def test_search_bad_filters_render_errors_not_500(freelancer, params):
    make_project(freelancer, title="Hand-drawn logo")
    # When the query string is nonsense
    response = login(None).get("/search/", params)
    # Then the page explains instead of failing
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "not valid" in html.lower() or "invalid" in html.lower() or "select a valid" in html.lower()
    )
    assert "Hand-drawn logo" not in html


def test_project_page_shows_tiers_fees_addons_faq_and_questions(freelancer, client_user):
    project = make_project(freelancer)
    response = login(client_user).get(f"/projects/{project.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    # Tier comparison with both prices, what the client pays and what the freelancer gets
    assert "Basic" in html and "Premium" in html
    assert "$300" in html and "$270" in html and "$108" in html
    assert "Vector source" in html
    # Add-ons, FAQ and requirements preview
    assert "Express delivery" in html and "+$50" in html
    assert "<details><summary>Do you do revisions?</summary>" in html
    assert "What is the brand name?" in html
    # Sanitised Markdown and the freelancer card
    assert "<strong>memorable</strong>" in html
    assert "Illustrator" in html and "Member since" in html
    # The freelancer's country by its name, not its code (the fixture's freelancer is in PT)
    assert "<dt>Country</dt><dd>Portugal</dd>" in html
    # The buy box links to checkout
    assert f'href="/projects/{project.pk}/checkout/"' in html


def test_project_page_escapes_scripts_in_description(freelancer):
    project = make_project(freelancer, description="Hi <script>alert(1)</script> there")
    html = login(None).get(f"/projects/{project.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html


def test_draft_is_visible_to_owner_and_operator_only(freelancer, stranger, operator):
    project = make_project(freelancer, publish=False)
    url = f"/projects/{project.pk}/"
    assert login(None).get(url).status_code == 404
    assert login(stranger).get(url).status_code == 404
    assert login(freelancer).get(url).status_code == 200
    assert login(operator).get(url).status_code == 200


def test_unknown_project_is_404(db):
    assert login(None).get("/projects/999999/").status_code == 404


def test_paused_project_says_paused_to_its_owner(freelancer):
    project = make_project(freelancer)
    project_pause(project=project, actor=freelancer)
    html = login(freelancer).get(f"/projects/{project.pk}/").content.decode()
    assert "Paused" in html
    assert "/checkout/" not in html


def test_away_freelancer_project_says_when_they_are_back(freelancer):
    # Given a freelancer away from Monday 12 Jan to Friday 16 Jan 2026
    project = make_project(freelancer)
    with time_machine.travel("2026-01-13 12:00:00+00:00", tick=False):
        time_off_add(
            user=freelancer,
            start_date=timezone.now().date() - timedelta(days=1),
            end_date=timezone.now().date() + timedelta(days=3),
            away=True,
        )
        # When a client opens the project
        html = login(None).get(f"/projects/{project.pk}/").content.decode()
    # Then the banner says until when and when they are back
    assert "Away — back on" in html
    assert "back on Mon 19 Jan" in html  # the next working day after the time off
    assert "/checkout/" not in html


def test_full_capacity_project_says_fully_booked(freelancer):
    project = make_project(freelancer, capacity=1)
    type(project).objects.filter(pk=project.pk).update(active_contracts=1)
    html = login(None).get(f"/projects/{project.pk}/").content.decode()
    assert "Fully booked" in html
    assert "/checkout/" not in html


def test_suspended_freelancers_project_is_hidden(db):
    owner = make_user("gone@example.com")
    project = make_project(owner)
    type(owner).objects.filter(pk=owner.pk).update(is_suspended=True)
    assert login(None).get(f"/projects/{project.pk}/").status_code == 404


def _queries_for(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_listing_pages_do_not_query_per_project(freelancer, django_assert_max_num_queries):
    # Given one published project, count the queries of the listing pages
    make_project(freelancer, title="Project number zero")
    client = login(None)
    for url in ("/", "/search/?q=logo"):
        client.get(url)  # the first view fills the (per test, empty) category cache
    base = {
        url: _queries_for(client, url, django_assert_max_num_queries, 30)
        for url in ("/", "/search/?q=logo")
    }
    # When five more projects from other freelancers are published
    for i in range(1, 6):
        make_project(make_user(f"f{i}@example.com"), title=f"Project number {i} logo")
    # Then the pages still make the same number of queries
    for url, count in base.items():
        assert _queries_for(client, url, django_assert_max_num_queries, 30) == count, url
