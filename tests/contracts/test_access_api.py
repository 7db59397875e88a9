"""Who may see and do what on a contract: client, freelancer, stranger, anonymous, operator."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.contracts.models import Contract
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import buy, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def cid(clock, api, client_user, freelancer) -> int:
    """An in-progress contract (instant purchase, no questions)."""
    resp = buy(api(client_user), make_project(freelancer, questions=False))
    assert resp.status_code == 201
    return int(resp.json()["id"])


def who(
    name: str, api: Any, client_user: Any, freelancer: Any, stranger: Any, operator: Any
) -> Any:
    return {
        "client": lambda: api(client_user),
        "freelancer": lambda: api(freelancer),
        "stranger": lambda: api(stranger),
        "operator": lambda: api(operator),
        "anonymous": lambda: api(),
    }[name]()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("client", 200),
        ("freelancer", 200),
        ("operator", 200),
        ("stranger", 404),
        ("anonymous", 401),
    ],
)
@pytest.mark.parametrize("path", ["contracts/{id}", "contracts/{id}/events"])
def test_reading_a_contract(
    cid, api, client_user, freelancer, stranger, operator, role, status, path
) -> None:
    resp = who(role, api, client_user, freelancer, stranger, operator).get(path.format(id=cid))
    if status == 200:
        assert resp.status_code == 200, resp.content
    else:
        assert_problem(resp, status)


def test_a_missing_id_looks_exactly_like_a_forbidden_one(cid, api, stranger) -> None:
    hidden = api(stranger).get(f"contracts/{cid}").json()
    missing = api(stranger).get(f"contracts/{cid + 1000}").json()
    assert hidden == missing


@pytest.mark.parametrize(
    ("role", "transition", "status", "code"),
    [
        ("client", "deliver", 403, "not_your_transition"),
        ("freelancer", "cancel_late", 403, "not_your_transition"),
        ("operator", "deliver", 403, "not_your_transition"),
        ("operator", "open_dispute", 403, "not_your_transition"),
        ("stranger", "deliver", 404, "not_found"),
        ("anonymous", "deliver", 401, "not_authenticated"),
        ("client", "auto_approve", 404, "unknown_transition"),
        ("client", "mark_late", 404, "unknown_transition"),
        ("client", "fly_away", 404, "unknown_transition"),
        ("stranger", "fly_away", 404, "not_found"),
        ("freelancer", "approve", 403, "not_your_transition"),
    ],
)
def test_firing_transitions(
    cid, api, client_user, freelancer, stranger, operator, role, transition, status, code
) -> None:
    before = Contract.objects.get(pk=cid)
    resp = who(role, api, client_user, freelancer, stranger, operator).post(
        f"contracts/{cid}/{transition}", {"note": "x", "reason": "x"}
    )
    assert_problem(resp, status, code)
    after = Contract.objects.get(pk=cid)
    assert (after.state, after.last_event_seq) == (before.state, before.last_event_seq)


def test_available_transitions_differ_by_viewer(
    cid, api, client_user, freelancer, stranger, operator
) -> None:
    assert api(client_user).get(f"contracts/{cid}").json()["available_transitions"] == [
        "open_dispute",
        "propose",
    ]
    assert api(freelancer).get(f"contracts/{cid}").json()["available_transitions"] == [
        "decline_in_grace",
        "deliver",
        "refund",
        "partial_refund",
        "open_dispute",
        "propose",
    ]
    assert api(operator).get(f"contracts/{cid}").json()["available_transitions"] == []


def test_events_log_each_transition_in_order(cid, api, client_user, freelancer) -> None:
    api(freelancer).post(f"contracts/{cid}/deliver", {"note": "done"})
    api(client_user).post(f"contracts/{cid}/approve")
    events = api(client_user).get(f"contracts/{cid}/events").json()["results"]
    assert [(e["seq"], e["name"], e["actor_role"], e["to_state"]) for e in events] == [
        (1, "purchase", "client", "in_progress"),
        (2, "deliver", "freelancer", "delivered"),
        (3, "approve", "client", "completed"),
    ]
    assert events[1]["data"] == {"note": "done"}
    assert "card_number" not in str(events)


def test_list_shows_only_my_contracts_with_paging(
    clock, api, client_user, freelancer, stranger
) -> None:
    project = make_project(freelancer, questions=False, capacity=30)
    c = api(client_user)
    ids = [buy(c, project).json()["id"] for _ in range(22)]
    page1 = c.get("contracts").json()
    assert [r["id"] for r in page1["results"]] == sorted(ids, reverse=True)[:20]
    page2 = c.get("contracts", {"cursor": page1["next_cursor"]}).json()
    assert [r["id"] for r in page2["results"]] == sorted(ids, reverse=True)[20:]
    assert page2["next_cursor"] is None
    assert len(api(freelancer).get("contracts", {"role": "freelancer"}).json()["results"]) == 20
    assert api(freelancer).get("contracts", {"role": "client"}).json()["results"] == []
    assert api(stranger).get("contracts").json()["results"] == []
    assert_problem(c.get("contracts", {"cursor": "abc"}), 422)
    assert_problem(api().get("contracts"), 401)


def test_notifications_reach_the_other_side_only(
    cid, api, client_user, freelancer, mailoutbox
) -> None:
    from fairlance.notifications.models import Notification

    api(freelancer).post(f"contracts/{cid}/deliver", {"note": "done"})
    kinds = list(Notification.objects.filter(user=client_user).values_list("kind", flat=True))
    assert "contract.deliver" in kinds
    assert not Notification.objects.filter(user=freelancer, kind="contract.deliver").exists()


def test_anonymous_cannot_buy(clock, api, freelancer) -> None:
    project = make_project(freelancer)
    resp = api().post(
        f"projects/{project.pk}/purchase", {"tier_id": 1, "card_number": "4242424242424242"}
    )
    assert_problem(resp, 401)
    assert make_user("late@example.com")  # the database is still usable after the 401


def test_openapi_lists_the_contract_endpoints(db, api) -> None:
    paths = api().get("openapi.json").json()["paths"]
    for path in (
        "/api/v1/projects/{project_id}/purchase",
        "/api/v1/contracts",
        "/api/v1/contracts/{contract_id}",
        "/api/v1/contracts/{contract_id}/events",
        "/api/v1/contracts/{contract_id}/partial-refund",
        "/api/v1/contracts/{contract_id}/{transition}",
    ):
        assert path in paths, path


def test_money_moving_transition_replays_with_the_same_key(
    cid, api, client_user, freelancer
) -> None:
    from fairlance.ledger.models import JournalEntry

    f = api(freelancer)
    first = f.post(
        f"contracts/{cid}/partial-refund", {"amount_minor": 1_000}, **{"Idempotency-Key": "pr-1"}
    )
    again = f.post(
        f"contracts/{cid}/partial-refund", {"amount_minor": 1_000}, **{"Idempotency-Key": "pr-1"}
    )
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert JournalEntry.objects.filter(reference__startswith=f"contract:{cid}:refund").count() == 1
    other = f.post(
        f"contracts/{cid}/partial-refund", {"amount_minor": 2_000}, **{"Idempotency-Key": "pr-1"}
    )
    assert_problem(other, 422, "idempotency_key_reused")


def test_contract_page_query_count_does_not_grow_with_history(
    cid, api, client_user, freelancer, django_assert_max_num_queries
) -> None:
    # Given a contract with several deliveries and revisions behind it
    f, c = api(freelancer), api(client_user)
    for _ in range(3):
        f.post(f"contracts/{cid}/deliver", {"note": "v"})
        c.post(f"contracts/{cid}/request_revision", {"note": "again"})  # while revisions last
    # When the client reads it, a fixed number of queries answers
    with django_assert_max_num_queries(8):
        assert c.get(f"contracts/{cid}").status_code == 200


@pytest.mark.parametrize("bad", ["99999999999999999999", "0", "-1"])
def test_absurd_ids_are_404_not_500(cid, api, client_user, bad) -> None:
    c = api(client_user)
    assert c.get(f"/api/v1/contracts/{bad}").status_code in (404, 422)
    assert c.post(f"/api/v1/contracts/{bad}/approve").status_code in (404, 422)
    resp = c.post(
        f"/api/v1/projects/{bad}/purchase", {"tier_id": int(bad), "card_number": "4242424242424242"}
    )
    assert resp.status_code in (404, 422)
    assert c.get("contracts", {"cursor": bad.lstrip("-")}).status_code == 200
