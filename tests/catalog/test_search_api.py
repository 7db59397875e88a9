"""GET /api/v1/projects: what issue 14 added — Previous, "did you mean", facets, card facts.

Search is public: the same answers for anonymous callers, owners, strangers and operators.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from fairlance.accounts.services import time_off_add
from fairlance.catalog.models import Project
from tests.catalog.factories import make_published
from tests.conftest import assert_problem, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(freelancer: Any) -> dict[str, Project]:
    other = make_user("otto@example.com")
    return {
        "logo": make_published(freelancer, title="Minimalist logo design", tags=["logo"]),
        "illustrator": make_published(
            freelancer,
            title="Book illustrator for children",
            tags=["illustration"],
            description="Watercolour spreads.",
            delivery_in_working_days=False,
        ),
        "video": make_published(
            other,
            title="Explainer video editing",
            category_slug="video",
            tags=["video"],
            description="Cuts, captions, music.",
        ),
    }


def test_a_typo_is_corrected_and_said(api: Any, shop: dict[str, Project]) -> None:
    body = api().get("projects", {"q": "illustator"}).json()
    assert body["did_you_mean"] == "illustrator"
    assert [i["id"] for i in body["items"]][0] == shop["illustrator"].pk
    # a word typed right has nothing to correct
    assert api().get("projects", {"q": "illustrator"}).json()["did_you_mean"] is None


def test_nonsense_finds_nothing(api: Any, shop: dict[str, Project]) -> None:
    body = api().get("projects", {"q": "qzxv blorptangle"}).json()
    assert body["items"] == [] and body["next_cursor"] is None


def test_previous_walks_back(api: Any, shop: dict[str, Project]) -> None:
    first = api().get("projects", {"limit": 2, "sort": "price"}).json()
    assert first["prev_cursor"] is None
    second = api().get("projects", {"limit": 2, "sort": "price", "cursor": first["next_cursor"]})
    second = second.json()
    assert second["prev_cursor"] and second["next_cursor"] is None
    back = api().get("projects", {"limit": 2, "sort": "price", "cursor": second["prev_cursor"]})
    assert [i["id"] for i in back.json()["items"]] == [i["id"] for i in first["items"]]
    # a forged or foreign cursor is a problem document, not a 500
    assert_problem(
        api().get("projects", {"sort": "newest", "cursor": second["prev_cursor"]}),
        422,
        "invalid_cursor",
    )


def test_facets_count_per_category_and_price_band(api: Any, shop: dict[str, Project]) -> None:
    body = api().get("projects", {"facets": "true", "category": "design"}).json()
    categories = {f["value"]: f["count"] for f in body["facets"]["categories"]}
    # counted as if no category were chosen, so another can be picked
    assert categories == {"design": 2, "video": 1}
    bands = {f["value"]: f["count"] for f in body["facets"]["price_bands"]}
    # the factory's cheapest tier is 50.00: the "50-200" band, within the chosen category
    assert bands == {"under-50": 0, "50-200": 2, "200-500": 0, "500-up": 0}
    assert api().get("projects").json()["facets"] is None
    assert_problem(api().get("projects", {"facets": "maybe"}), 422)


def test_cards_say_away_full_and_which_days(
    api: Any, freelancer: Any, shop: dict[str, Project]
) -> None:
    Project.objects.filter(pk=shop["video"].pk).update(active_contracts=20, capacity=20)
    today = timezone.now().date()
    time_off_add(user=freelancer, start_date=today, end_date=date(today.year + 1, 1, 15))
    items = {i["id"]: i for i in api().get("projects").json()["items"]}
    logo, book, video = (items[shop[k].pk] for k in ("logo", "illustrator", "video"))
    assert logo["away_until"] == f"{today.year + 1}-01-15" and not logo["fully_booked"]
    assert video["away_until"] is None and video["fully_booked"]
    assert (logo["delivery_in_working_days"], book["delivery_in_working_days"]) == (True, False)


def test_search_answers_everyone_alike(
    api: Any, freelancer: Any, stranger: Any, shop: dict[str, Project]
) -> None:
    operator = make_user("op@example.com", is_operator=True)
    answers = [
        api(user).get("projects", {"q": "logo"}).json()
        for user in (None, freelancer, stranger, operator)
    ]
    assert all(a == answers[0] for a in answers)
    # the factory's description "I draw **logos** by hand." with the word marked
    assert answers[0]["items"][0]["snippet_html"] == "I draw <mark>logos</mark> by hand."
