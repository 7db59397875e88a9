"""Who may read ``GET /api/v1/freelancers/{id}``, and whose profile it answers for.

Issue 11, item 21: the endpoint answered for any active account, so walking ids listed the
marketplace's clients and operators with their country, time zone and absences. A public
profile is now a seller's only (someone who has published a project); every viewer gets
the same answer for the same person, and a client's or operator's id is simply not found.
"""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.accounts.models import User
from fairlance.catalog.inputs import TierInput
from fairlance.catalog.services import project_archive, project_create
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import make_project

pytestmark = pytest.mark.django_db

VIEWERS = ["anonymous", "client", "freelancer", "stranger", "operator"]


def viewer_client(api: Any, who: str, people: dict[str, User]) -> Any:
    return api() if who == "anonymous" else api(people[who])


@pytest.fixture
def people(freelancer: User, client_user: User, stranger: User, operator: User) -> dict[str, User]:
    make_project(freelancer)
    return {
        "freelancer": freelancer,
        "client": client_user,
        "stranger": stranger,
        "operator": operator,
    }


@pytest.mark.parametrize("who", VIEWERS)
def test_a_selling_freelancers_profile_is_public_to_every_viewer(
    api: Any, people: dict[str, User], who: str
) -> None:
    freelancer = people["freelancer"]

    resp = viewer_client(api, who, people).get(f"freelancers/{freelancer.pk}")

    assert resp.status_code == 200, (who, resp.content)
    assert resp.json()["id"] == freelancer.pk
    assert resp.json()["display_name"] == "Fran"


@pytest.mark.parametrize(
    ("who", "subject"),
    [
        (who, subject)
        for subject in ("client", "operator", "stranger")
        for who in VIEWERS
        if who != subject  # people may always read their own (tested below)
    ],
)
def test_a_client_or_operator_id_is_not_a_profile(
    api: Any, people: dict[str, User], who: str, subject: str
) -> None:
    # Given someone who never offered work (a buyer, an operator, a new account)
    target = people[subject]

    # When anyone else asks for their "freelancer" profile
    resp = viewer_client(api, who, people).get(f"freelancers/{target.pk}")

    # Then it is the same 404 as an id that does not exist: nothing about them leaks
    body = assert_problem(resp, 404, "not_found")
    missing = assert_problem(viewer_client(api, who, people).get("freelancers/999999"), 404)
    assert body == missing


def test_people_may_read_their_own_profile_before_they_sell(api: Any, people: dict[str, User]):
    client = people["client"]
    assert api(client).get(f"freelancers/{client.pk}").status_code == 200


def test_a_draft_does_not_make_a_public_profile_but_an_archived_project_does(
    api: Any, db: None
) -> None:
    # Given a freelancer with only a draft, and one who published then archived
    drafter = make_user("drafter@example.com")
    project_create(
        freelancer=drafter,
        title="A hand-drawn logo",
        category_slug="design",
        description="",
        tiers=[TierInput(name="Basic", price_minor=10_000, delivery_days=3)],
    )
    retired = make_user("retired@example.com")
    project = make_project(retired)
    project_archive(project=project, actor=retired)

    assert_problem(api().get(f"freelancers/{drafter.pk}"), 404, "not_found")
    assert api().get(f"freelancers/{retired.pk}").status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [*((v, 404) for v in VIEWERS[:2] + VIEWERS[3:4]), ("freelancer", 200), ("operator", 200)],
)
def test_a_suspended_freelancer_is_seen_only_by_themselves_and_operators(
    api: Any, people: dict[str, User], who: str, status: int
) -> None:
    freelancer = people["freelancer"]
    freelancer.is_suspended = True
    freelancer.save(update_fields=["is_suspended"])

    resp = viewer_client(api, who, people).get(f"freelancers/{freelancer.pk}")

    assert resp.status_code == status, (who, resp.content)
