"""Trust on the catalog: the stored success score on search cards and the project page, and
"top rated" following published ratings (issue 13).

Contracts are bought, delivered and approved through the API, feedback is left through
``POST /contracts/{id}/feedback``, removed through its endpoint and hidden through the
operators' service; the score is recomputed by the commit hook those changes register.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from fairlance.catalog.models import Project
from fairlance.reviews import services as reviews
from fairlance.reviews.models import Feedback, FreelancerScore
from tests.conftest import make_user
from tests.contracts.conftest import answers_for, buy, make_project
from tests.contracts.conftest import clock as clock  # the frozen clock fixture
from tests.contracts.endings import ok

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    return {
        "fiona": make_user("fiona@example.com"),
        "gus": make_user("gus@example.com"),
        "ann": make_user("ann@example.com"),
        "ben": make_user("ben@example.com"),
        "stranger": make_user("stranger@example.com"),
        "operator": make_user("op@example.com", is_operator=True, is_staff=True),
    }


def complete(api: Any, client: Any, freelancer: Any, project: Project) -> int:
    """Buy ``project`` as ``client``, deliver and approve it; the contract's id."""
    c, f = api(client), api(freelancer)
    cid = ok(buy(c, project))["id"]
    ok(c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)}))
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Here it is"}))
    ok(c.post(f"contracts/{cid}/approve"))
    return int(cid)


def both_leave_feedback(
    api: Any, client: Any, freelancer: Any, cid: int, *, rating: int, hooks: Any
) -> None:
    """Both sides write; the second publishes both, and the commit hook stores the score."""
    with hooks(execute=True):
        for who, stars in ((client, rating), (freelancer, 5)):
            body = {"rating": stars, "private_rating": stars, "public_text": "Good work."}
            ok(api(who).post(f"contracts/{cid}/feedback", body))
    assert Feedback.objects.filter(contract_id=cid, published_at__isnull=False).count() == 2


def card_score(api: Any, project_id: int, **params: Any) -> Any:
    items = ok(api().get("projects", {"q": "logo", **params}))["items"]
    (item,) = [i for i in items if i["id"] == project_id]
    return item["freelancer_score"]


def search_card_html(client: Any, project_id: int) -> str:
    html = client.get(reverse("web:search"), {"q": "logo"}).content.decode()
    url = reverse("web:project_detail", args=[project_id])
    (card,) = [c for c in html.split("<li>") if f'href="{url}"' in c]
    return card


def test_the_score_shows_on_cards_and_the_project_page_once_two_clients_count(
    api: Any, people: dict[str, Any], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fiona, gus = people["fiona"], people["gus"]
    mine, theirs = make_project(fiona), make_project(gus)
    # Given one completed contract with one client, feedback published both ways
    cid = complete(api, people["ann"], fiona, mine)
    both_leave_feedback(
        api, people["ann"], fiona, cid, rating=5, hooks=django_capture_on_commit_callbacks
    )
    # Then the score is stored but not shown: one client is not enough
    stored = FreelancerScore.objects.get(user=fiona)
    assert (stored.clients, stored.score, stored.rating_count) == (1, None, 1)
    assert card_score(api, mine.pk) is None
    assert ok(api().get(f"projects/{mine.pk}"))["freelancer_score"] is None
    assert "% success" not in search_card_html(client, mine.pk)

    # When a second client's contract completes and its feedback is published
    cid = complete(api, people["ben"], fiona, mine)
    both_leave_feedback(
        api, people["ben"], fiona, cid, rating=5, hooks=django_capture_on_commit_callbacks
    )
    # Then the stored score is shown on the card, the project API and both pages
    stored.refresh_from_db()
    assert stored.clients == 2 and stored.score == 100
    assert card_score(api, mine.pk) == 100
    assert card_score(api, mine.pk, sort="rating") == 100
    assert ok(api().get(f"projects/{mine.pk}"))["freelancer_score"] == 100
    assert "100% success" in search_card_html(client, mine.pk)
    page = client.get(reverse("web:project_detail", args=[mine.pk])).content.decode()
    assert "100% success" in page
    # And the other freelancer, without a score, shows none
    assert card_score(api, theirs.pk) is None
    assert "% success" not in search_card_html(client, theirs.pk)
    other = client.get(reverse("web:project_detail", args=[theirs.pk])).content.decode()
    assert "% success" not in other


@pytest.mark.parametrize("viewer", ["anonymous", "owner", "client", "stranger", "operator"])
def test_everyone_who_may_see_the_project_sees_the_same_score(
    api: Any,
    people: dict[str, Any],
    viewer: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    fiona = people["fiona"]
    project = make_project(fiona)
    with django_capture_on_commit_callbacks(execute=True):
        complete(api, people["ann"], fiona, project)
        complete(api, people["ben"], fiona, project)
    # The ending itself is an input of the score: two clients' completed contracts
    assert FreelancerScore.objects.get(user=fiona).score == 100
    user = {
        "anonymous": None,
        "owner": fiona,
        "client": people["ann"],
        "stranger": people["stranger"],
        "operator": people["operator"],
    }[viewer]
    assert ok(api(user).get(f"projects/{project.pk}"))["freelancer_score"] == 100
    assert card_score(lambda: api(user), project.pk) == 100


def top_rated(api: Any, **params: Any) -> list[int]:
    return [i["id"] for i in ok(api().get("projects", {"sort": "rating", **params}))["items"]]


def test_top_rated_follows_published_ratings_and_their_removal_or_hiding(
    api: Any, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    fiona, gus = people["fiona"], people["gus"]
    mine = make_project(fiona)
    theirs = make_project(gus)
    # Given no ratings yet: ties go to the higher id
    assert top_rated(api) == [theirs.pk, mine.pk]
    # And a completed contract whose feedback is not published yet (one side wrote)
    cid = complete(api, people["ann"], fiona, mine)
    with django_capture_on_commit_callbacks(execute=True):
        ok(api(people["ann"]).post(f"contracts/{cid}/feedback", {"rating": 4, "private_rating": 4}))
    assert top_rated(api) == [theirs.pk, mine.pk]

    # When the other side writes too, publishing both
    with django_capture_on_commit_callbacks(execute=True):
        ok(api(fiona).post(f"contracts/{cid}/feedback", {"rating": 5, "private_rating": 5}))
    # Then the rated project leads "top rated", with its rating on the card and the page
    assert top_rated(api) == [mine.pk, theirs.pk]
    assert top_rated(api, min_rating=400) == [mine.pk]
    detail = ok(api().get(f"projects/{mine.pk}"))
    assert (detail["rating_x100"], detail["rating_count"]) == (400, 1)

    # When the freelancer removes that feedback, the order goes back
    with django_capture_on_commit_callbacks(execute=True):
        ok(api(fiona).post(f"contracts/{cid}/feedback/remove"))
    assert top_rated(api) == [theirs.pk, mine.pk]
    assert top_rated(api, min_rating=100) == []
    assert ok(api().get(f"projects/{mine.pk}"))["rating_count"] == 0

    # When a second client rates it 5 stars, it leads again
    cid = complete(api, people["ben"], fiona, mine)
    both_leave_feedback(
        api, people["ben"], fiona, cid, rating=5, hooks=django_capture_on_commit_callbacks
    )
    assert top_rated(api) == [mine.pk, theirs.pk]
    assert ok(api().get(f"projects/{mine.pk}"))["rating_x100"] == 500

    # When an operator hides that feedback after a report, the order goes back again
    feedback = Feedback.objects.get(contract_id=cid, author_role="client")
    report = reviews.feedback_report(
        user=people["stranger"], feedback_id=feedback.pk, reason="Not about the work."
    )
    with django_capture_on_commit_callbacks(execute=True):
        reviews.report_decide(
            operator=people["operator"], report_id=report.pk, hide=True, note="Off topic."
        )
    assert top_rated(api) == [theirs.pk, mine.pk]
    assert ok(api().get(f"projects/{mine.pk}"))["rating_x100"] == 0


def test_scores_on_cards_and_the_page_add_no_query(
    api: Any,
    people: dict[str, Any],
    client: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    # Given two freelancers with shown scores and several projects each
    projects = []
    for name in ("fiona", "gus"):
        freelancer = people[name]
        projects += [make_project(freelancer) for _ in range(3)]
        with django_capture_on_commit_callbacks(execute=True):
            complete(api, people["ann"], freelancer, projects[-1])
            complete(api, people["ben"], freelancer, projects[-2])
    assert FreelancerScore.objects.filter(score__isnull=False).count() == 2
    anonymous = api()
    # Then the search API is still the word's plan (2 statements, remembered in production),
    # the ranking and the cards
    with django_assert_num_queries(2 + 2):
        items = anonymous.get("projects", {"q": "logo"}).json()["items"]
    assert {i["freelancer_score"] for i in items} == {100}
    assert len(items) == 6
    # And the project API and page are still the live row and the parts (budget: 2)
    with django_assert_num_queries(2):
        assert anonymous.get(f"projects/{projects[0].pk}").json()["freelancer_score"] == 100
    with django_assert_num_queries(2):
        page = client.get(reverse("web:project_detail", args=[projects[0].pk]))
    assert "100% success" in page.content.decode()


def test_the_web_sort_menu_calls_the_rating_sort_top_rated(client: Any) -> None:
    html = client.get(reverse("web:search")).content.decode()
    assert '<option value="rating">Top rated</option>' in html
