"""The search page people use (issue 14): highlighted snippets, availability on the cards,
facet counts, paging that keeps the search, "did you mean", and a friendly word for a bad
link. Rendered through Django's test client; tests/e2e/test_search_journey.py drives the
same page in a browser."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from fairlance.accounts.services import time_off_add
from fairlance.catalog.inputs import TierInput
from fairlance.catalog.search.base import COUNT_CAP, SearchPage
from tests.conftest import make_user
from tests.web.conftest import login, make_project
from tests.web.test_contract_pages import buy

pytestmark = pytest.mark.django_db


def cards(html: str) -> list[str]:
    return re.findall(r'<article class="card project-card">(.*?)</article>', html, re.S)


def titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r"<h3><a [^>]*>(.*?)</a></h3>", html)]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def link(html: str, rel: str) -> str:
    """The href of the pager's Previous (``prev``) or Next (``next``) link."""
    match = re.search(rf'<a [^>]*rel="{rel}" href="([^"]+)"', html)
    assert match, f"no {rel} link"
    return unescape(match.group(1))


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def priced(owner, title: str, price_minor: int, **overrides):
    return make_project(
        owner,
        title=title,
        tiers=(TierInput(name="Basic", price_minor=price_minor, delivery_days=3),),
        **overrides,
    )


# --- cards -----------------------------------------------------------------------------------


def test_cards_mark_the_searched_words_and_show_markup_as_text(freelancer):
    # Given a project whose description mentions the word and carries a script tag
    make_project(
        freelancer,
        title="Hand-drawn logo",
        description="Every logo starts on paper. <script>alert(1)</script> Then vectors.",
    )
    # When searching for "logos"
    html = login(None).get("/search/", {"q": "logos"}).content.decode()
    [card] = cards(html)
    # Then the snippet marks the word (as search compares it: "logos" finds "logo")
    assert '<p class="snippet">Every <mark>logo</mark> starts on paper.' in card
    # And the description's markup is text, never HTML
    assert "&lt;script" in card
    assert "<script" not in html.split("<main")[1]


def test_cards_say_away_until_and_fully_booked(freelancer, client_user):
    with time_machine.travel("2026-01-13 12:00:00+00:00", tick=False):
        # Given one freelancer away from Monday 12 to Friday 16 January
        away = make_user("lena@example.com")
        make_project(away, title="Translation, away freelancer")
        time_off_add(
            user=away,
            start_date=date(2026, 1, 12),
            end_date=date(2026, 1, 16),
            away=True,
        )
        # And a project with one slot, which a client has taken
        buy(client_user, make_project(freelancer, title="Logo, one slot only", capacity=1))
        make_project(freelancer, title="Logo with room")
        # When the catalog is browsed
        html = login(None).get("/search/").content.decode()
    by_title = dict(zip(titles(html), cards(html), strict=True))
    # Then the away card says until when, in the site's short date form
    away_card = by_title["Translation, away freelancer"]
    assert '<span class="badge badge-away">Away until Fri 16 Jan</span>' in away_card
    # And the full one says so
    assert "Fully booked" in by_title["Logo, one slot only"]
    assert "Away until" not in by_title["Logo, one slot only"]
    assert "badge" not in by_title["Logo with room"]


def test_card_delivery_says_working_or_calendar_days_as_the_project_page(freelancer):
    # Given two projects delivering in 3 days, one counting working days, one calendar days
    make_project(freelancer, title="Logo on working days")
    make_project(freelancer, title="Logo on calendar days", delivery_in_working_days=False)
    for path in ("/search/?q=logo", "/"):
        # When they show as cards (search page and home page)
        by_title = dict(
            zip(titles(html := login(None).get(path).content.decode()), cards(html), strict=True)
        )
        # Then each says its kind of days
        assert "Delivery</span> 3 working days<" in by_title["Logo on working days"]
        assert "Delivery</span> 3 days<" in by_title["Logo on calendar days"]


# --- facets ----------------------------------------------------------------------------------


def test_facets_count_each_category_and_price_band_keeping_the_other_filters(freelancer):
    # Given two design logos ($40 and $120) and one development logo ($800)
    priced(freelancer, "Cheap logo", 4_000)
    priced(freelancer, "Hand-drawn logo", 12_000)
    priced(freelancer, "Logo as code", 80_000, category_slug="development")
    client = login(None)
    # When searching "logo" in design, cheapest first
    query = {"q": "logo", "category": "design", "sort": "price"}
    html = client.get("/search/", query).content.decode()
    # Then each category counts as if no category were chosen, and design is the one chosen
    assert 'id="facet-count-all">3<' in html
    assert 'id="facet-count-design">2<' in html
    assert 'id="facet-count-development">1<' in html
    assert re.search(r'id="facet-count-writing">0<', html)
    assert re.search(r'value="design" checked', html)
    # And the price bands count within design
    bands = re.findall(
        r'<li class="facet">\s*(.*?)\s*<span class="facet-count[^"]*">(\d+)</span>', html, re.S
    )
    counts = {text_of(a): int(n) for a, n in bands}
    assert counts == {"Under $50": 1, "$50–$200": 1, "$200–$500": 0, "$500 and up": 0}
    # And a band's link keeps the words, the category and the sort, and sets both ends so
    # that it finds what it counted (the band stops short of $200)
    href = unescape(re.search(r'<a class="facet-link facet-name" href="([^"]+)">\$50', html)[1])
    assert params(href) == {
        "q": ["logo"],
        "category": ["design"],
        "sort": ["price"],
        "min_price": ["50"],
        "max_price": ["199.99"],
    }
    page = client.get(href).content.decode()
    assert titles(page) == ["Hand-drawn logo"]
    # And once chosen, the band is marked and the way back is "Any price"
    assert re.search(r'<strong class="facet-name facet-current" aria-current="true">\$50', page)
    back = unescape(re.search(r'<a class="facet-link" href="([^"]+)">Any price', page)[1])
    assert params(back) == {"q": ["logo"], "category": ["design"], "sort": ["price"]}


def test_facet_counts_follow_an_htmx_search_out_of_band(freelancer):
    priced(freelancer, "Hand-drawn logo", 12_000)
    priced(freelancer, "Logo as code", 80_000, category_slug="development")
    # When the filters change through htmx (only the results are swapped)
    response = login(None).get(
        "/search/", {"q": "logo", "max_price": "500"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    # Then the counts beside the filters and the price bands come along, out of band
    # (categories honour the price filter: the $800 logo is not counted)
    assert re.search(r'id="facet-count-design" hx-swap-oob="true">1<', html)
    assert re.search(r'id="facet-count-development" hx-swap-oob="true">0<', html)
    assert '<ul class="facet-links" id="price-bands" hx-swap-oob="true">' in html
    assert re.search(r'id="filters-active" hx-swap-oob="true">1<', html)
    # And a full page has the same ids without asking for a swap
    full = login(None).get("/search/", {"q": "logo"}).content.decode()
    assert 'id="facet-count-design">1<' in full and "hx-swap-oob" not in full.split("<main")[1]


# --- paging ----------------------------------------------------------------------------------


def test_pages_keep_the_total_the_sort_and_the_filters_both_ways(freelancer, settings):
    # Given five logos and a page of two
    settings.FAIRLANCE_SEARCH_PAGE_SIZE = 2
    for n, price in enumerate((9_000, 15_000, 12_000, 30_000, 21_000)):
        priced(freelancer, f"Logo number {n}", price)
    priced(freelancer, "Too cheap logo", 1_000)
    client = login(None)
    first = client.get(
        "/search/", {"q": "logo", "sort": "-price", "min_price": "50", "max_delivery_days": "7"}
    ).content.decode()
    # The first page says how many in all
    assert "Showing 1–2 of 5 projects" in text_of(first)
    assert titles(first) == ["Logo number 3", "Logo number 4"]
    assert 'rel="prev"' not in first
    # When following Next
    second_url = link(first, "next")
    assert {k: v for k, v in params(second_url).items() if k != "cursor"} == {
        "q": ["logo"],
        "sort": ["-price"],
        "min_price": ["50"],
        "max_delivery_days": ["7"],
    }
    second = client.get(second_url).content.decode()
    # Then page 2 keeps the total, the sort and the filters, and has Previous
    assert "Showing 3–4 of 5 projects" in text_of(second)
    assert titles(second) == ["Logo number 1", "Logo number 2"]
    assert re.search(r'<option value="-price" selected>', second)
    third = client.get(link(second, "next")).content.decode()
    assert "Showing 5–5 of 5 projects" in text_of(third)
    assert titles(third) == ["Logo number 0"]
    assert 'rel="next"' not in third
    # And Previous walks back through the same pages
    back = client.get(link(third, "prev")).content.decode()
    assert titles(back) == titles(second) and "Showing 3–4 of 5 projects" in text_of(back)
    start = client.get(link(back, "prev")).content.decode()
    assert titles(start) == titles(first) and 'rel="prev"' not in start
    # And the page's htmx swap of a later page moves focus to the new results
    swapped = client.get(second_url, headers={"HX-Request": "true"}).content.decode()
    assert '<h2 id="results-title" class="visually-hidden" tabindex="-1" autofocus>' in swapped


def test_results_summary_says_at_least_when_the_count_is_capped():
    from fairlance.web.search_presenters import results_summary

    page = SearchPage(
        results=[object()] * 24,  # type: ignore[list-item]
        next_cursor="n",
        total_estimate=COUNT_CAP,
        prev_cursor="p",
        offset=24,
    )
    assert results_summary(page) == f"Showing 25–48 of at least {COUNT_CAP} projects"
    alone = SearchPage(results=[object()], next_cursor=None, total_estimate=1)  # type: ignore[list-item]
    assert results_summary(alone) == "1 project found"


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-real-cursor",
        _cursor({"s": "newest", "k": ["tomorrow", 1], "o": 0}),
        _cursor({"s": "newest", "k": ["0001-01-01T00:00:00+14:00", 1], "o": 0}),
        _cursor({"s": "newest", "k": [None, 1], "o": -5}),
        _cursor({"s": "price", "k": [100, 1], "o": 2}),  # another sort's cursor
        _cursor([1, 2, 3]),
    ],
)
def test_a_forged_or_stale_cursor_gets_a_friendly_message(freelancer, cursor):
    make_project(freelancer, title="Hand-drawn logo")
    response = login(None).get("/search/", {"sort": "newest", "cursor": cursor})
    assert response.status_code == 200
    html = response.content.decode()
    assert "That page link is not valid any more; start again from the first page." in html
    assert "Hand-drawn logo" not in html


# --- did you mean ----------------------------------------------------------------------------


def test_a_corrected_typo_offers_the_search_for_the_right_word(freelancer):
    make_project(freelancer, title="Editorial illustration", description="Drawn by hand.")
    # When a word is mistyped, with a filter and a sort chosen
    query = {"q": "illustation", "sort": "price", "max_delivery_days": "7"}
    html = login(None).get("/search/", query).content.decode()
    # Then the results of the correction show, under an offer to search for it
    assert titles(html) == ["Editorial illustration"]
    offer = re.search(r'<p class="did-you-mean">(.*?)</p>', html, re.S)[1]
    assert text_of(offer) == "Did you mean illustration?"
    href = unescape(re.search(r'href="([^"]+)"', offer)[1])
    assert params(href) == {"q": ["illustration"], "sort": ["price"], "max_delivery_days": ["7"]}
    # And the right word needs no correction
    assert "Did you mean" not in login(None).get(href).content.decode()


def test_did_you_mean_shows_in_the_empty_panel_when_filters_leave_nothing(freelancer):
    make_project(freelancer, title="Editorial illustration", description="Drawn by hand.")
    html = login(None).get("/search/", {"q": "illustation", "category": "audio"}).content.decode()
    panel = re.search(r'<div class="panel panel-empty">(.*?)</div>', html, re.S)[1]
    assert "No projects match these filters." in panel
    assert "Did you mean" in panel and ">illustration</a>?" in panel


# --- who may see it --------------------------------------------------------------------------


def test_everyone_sees_the_search_page(freelancer, stranger, operator):
    make_project(freelancer, title="Hand-drawn logo")
    for viewer in (None, stranger, freelancer, operator):
        response = login(viewer).get("/search/", {"q": "logo"})
        assert response.status_code == 200
        html = response.content.decode()
        assert titles(html) == ["Hand-drawn logo"]
        assert "1 project found" in text_of(html)
