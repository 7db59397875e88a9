"""Buying: availability, capacity, idempotency, validation; the calendar of the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from fairlance.accounts.services import calendar_update, time_off_add
from fairlance.catalog.inputs import QuestionInput, TierInput
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_create, project_pause, project_publish
from fairlance.contracts.models import Contract
from fairlance.core.models import PolicyVersion
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import PRICE, answers_for, buy, make_project

pytestmark = pytest.mark.django_db


def test_contract_records_the_policy_version_in_force(clock, api, client_user, freelancer) -> None:
    assert not PolicyVersion.objects.exists()
    resp = buy(api(client_user), make_project(freelancer))
    assert resp.json()["policy_version"] == 1
    assert PolicyVersion.objects.get().version == 1


def test_snapshot_keeps_the_terms_when_the_project_changes(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer)
    cid = buy(api(client_user), project).json()["id"]
    project.tiers.update(price_minor=99_999, name="Changed")
    body = api(client_user).get(f"contracts/{cid}").json()
    assert body["snapshot"]["tier"]["name"] == "Basic"
    assert body["snapshot"]["price_minor"] == PRICE


def test_cannot_buy_own_project(clock, api, freelancer) -> None:
    assert_problem(buy(api(freelancer), make_project(freelancer)), 409, "own_project")


def test_paused_project_is_refused(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    project_pause(project=project, actor=freelancer)
    assert_problem(buy(api(client_user), project), 409, "not_published")
    assert PaymentAttempt.objects.count() == 0


def test_unknown_project_is_404(clock, api, client_user) -> None:
    resp = api(client_user).post(
        "projects/987654/purchase", {"tier_id": 1, "card_number": "4242424242424242"}
    )
    assert_problem(resp, 404)


def test_away_freelancer_is_refused_with_back_on(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    time_off_add(user=freelancer, start_date=date(2026, 3, 1), end_date=date(2026, 3, 10))
    body = assert_problem(buy(api(client_user), project), 409, "freelancer_away")
    assert body["back_on"] == "2026-03-11"


def test_capacity_full_is_refused_and_freed_when_a_contract_ends(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer, capacity=1)
    c = api(client_user)
    cid = buy(c, project).json()["id"]
    other = api(make_user("other@example.com"))
    assert_problem(buy(other, project), 409, "capacity_full")
    # Ending the first contract gives the slot back
    c.post(f"contracts/{cid}/cancel_before_start")
    assert Project.objects.get(pk=project.pk).active_contracts == 0
    assert buy(other, project).status_code == 201


def test_insufficient_funds_card(clock, api, client_user, freelancer) -> None:
    resp = buy(api(client_user), make_project(freelancer), card="4000000000009995")
    assert_problem(resp, 402, "insufficient_funds")
    assert Contract.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"tier_id": 0, "card_number": "4242424242424242"},
        {"card_number": "4242424242424242"},
        {"tier_id": "x", "card_number": "4242424242424242"},
        {"tier_id": None, "card_number": "1234"},
        {"tier_id": None, "card_number": "4242424242424242", "addon_ids": [424242]},
        {"tier_id": None, "card_number": "4242424242424242", "answers": {"nope": "x"}},
        {"tier_id": None, "card_number": "4242424242424242", "answers": ["x"]},
    ],
)
def test_bad_purchase_input_is_422_and_writes_nothing(
    clock, api, client_user, freelancer, body
) -> None:
    project = make_project(freelancer)
    if body.get("tier_id", 0) is None:
        body = {**body, "tier_id": project.tiers.first().pk}
    resp = api(client_user).post(f"projects/{project.pk}/purchase", body)
    assert_problem(resp, 422)
    assert Contract.objects.count() == 0
    assert PaymentAttempt.objects.count() == 0


def test_instant_purchase_with_answers_starts_work(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    resp = buy(api(client_user), project, answers=answers_for(project))
    assert resp.json()["state"] == "in_progress"
    assert resp.json()["answers"] == answers_for(project)


def test_idempotent_purchase_replays_the_first_response(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer)
    c = api(client_user)
    first = buy(c, project, **{"Idempotency-Key": "k-1"})
    again = buy(c, project, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Contract.objects.count() == 1
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1
    assert balance(escrow(first.json()["id"])) == PRICE
    other = c.post(
        f"projects/{project.pk}/purchase",
        {"tier_id": project.tiers.first().pk, "card_number": "4000000000000002"},
        **{"Idempotency-Key": "k-1"},
    )
    assert_problem(other, 422, "idempotency_key_reused")


# --- processor references: one per purchase attempt --------------------------------------------

MONEY_TAKEN = {"instant": "charge", "request": "authorize"}
MONEY_GIVEN_BACK = {"instant": "refund", "request": "void"}


def _payment_ref(contract: Contract) -> str:
    """The processor reference of what the purchase took: the charge or the card hold."""
    return (
        contract.charge_ref if contract.purchase_mode == "instant" else contract.authorization_ref
    )


def _given_back(payment_ref: str) -> bool:
    return PaymentAttempt.objects.filter(
        kind__in=("refund", "void"), ok=True, charge_ref=payment_ref
    ).exists()


@pytest.mark.parametrize("mode", ["instant", "request"])
def test_a_retry_after_a_failed_purchase_pays_afresh(
    clock, api, client_user, freelancer, monkeypatch, mode
) -> None:
    from fairlance.contracts import actions
    from fairlance.core.models import IdempotencyRecord

    # Given a purchase with a key that fails unexpectedly after the card was charged (or
    # held): the purchase gives the money and the slot back itself and answers 500, and
    # the key is free for a retry
    project = make_project(freelancer, mode=mode)
    c = api(client_user)
    c.client.raise_request_exception = False
    answers = answers_for(project) if mode == "request" else None

    def the_database_goes_away(contract: Contract) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(actions, "capture_book", the_database_goes_away)
    monkeypatch.setattr(actions, "hold_book", the_database_goes_away)
    failed = buy(c, project, answers=answers, **{"Idempotency-Key": "k-1"})
    assert failed.status_code == 500
    (first,) = PaymentAttempt.objects.filter(kind=MONEY_TAKEN[mode], ok=True)
    assert _given_back(first.provider_ref)
    assert not Contract.objects.exists() and not IdempotencyRecord.objects.exists()
    project.refresh_from_db()
    assert project.active_contracts == 0
    # When the client retries with the same key
    monkeypatch.undo()
    retry = buy(c, project, answers=answers, **{"Idempotency-Key": "k-1"})
    # Then the retry pays with a new charge (or hold), not the one given back
    assert retry.status_code == 201, retry.content
    contract = Contract.objects.get()
    taken = PaymentAttempt.objects.get(provider_ref=_payment_ref(contract))
    assert (taken.kind, taken.ok) == (MONEY_TAKEN[mode], True)
    assert taken.provider_ref != first.provider_ref and not _given_back(taken.provider_ref)
    # named after this attempt (the key's new claim), so a re-run of the same claim would
    # be deduplicated by the processor
    record = IdempotencyRecord.objects.get(key="k-1")
    assert taken.reference == f"purchase:{client_user.pk}:{project.pk}:idem:{record.pk}"
    assert first.reference != taken.reference
    # And the money is really there: in escrow, or captured when the freelancer accepts
    if mode == "request":
        assert api(freelancer).post(f"contracts/{contract.pk}/accept").status_code == 200
    assert balance(escrow(contract.pk)) == PRICE
    assert ledger_check() == []


@pytest.mark.parametrize("mode", ["instant", "request"])
def test_one_key_on_two_projects_pays_each_contract_with_its_own_payment(
    clock, api, client_user, freelancer, mode
) -> None:
    # Given two projects of one freelancer
    projects = [make_project(freelancer, mode=mode) for _ in range(2)]
    c = api(client_user)
    # When the client buys both with the same Idempotency-Key (keys are per project)
    for project in projects:
        answers = answers_for(project) if mode == "request" else None
        resp = buy(c, project, answers=answers, **{"Idempotency-Key": "same"})
        assert resp.status_code == 201, resp.content
        assert "Idempotent-Replayed" not in resp
    # Then each contract has a payment of its own at the processor
    contracts = list(Contract.objects.order_by("pk"))
    refs = {_payment_ref(contract) for contract in contracts}
    assert len(refs) == 2 and "" not in refs
    assert PaymentAttempt.objects.filter(kind=MONEY_TAKEN[mode], ok=True).count() == 2
    # And each one's money can be taken and given back on its own
    for contract in contracts:
        if mode == "request":
            assert api(freelancer).post(f"contracts/{contract.pk}/accept").status_code == 200
        assert balance(escrow(contract.pk)) == PRICE
        assert api(freelancer).post(f"contracts/{contract.pk}/refund").status_code == 200
    intents = ProviderIntent.objects.filter(kind="refund")
    assert intents.count() == 2
    assert {i.payment_ref for i in intents} == {c.charge_ref for c in Contract.objects.all()}
    assert len({i.payment_ref for i in intents}) == 2
    assert ledger_check() == []


# --- the freelancer's calendar ---------------------------------------------------------------


def test_grace_deadline_friday_evening_is_monday_same_local_time(
    api, client_user, freelancer
) -> None:
    # Given a freelancer in Berlin (UTC+1 in winter) and an instant project without questions
    calendar_update(
        user=freelancer,
        time_zone="Europe/Berlin",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country=None,
        holiday_subdivision=None,
    )
    project = make_project(freelancer, questions=False)
    # When the client buys on Friday 18:00 Berlin time (17:00 UTC)
    with time_machine.travel(datetime(2026, 1, 16, 17, 0, tzinfo=UTC), tick=False):
        cid = buy(api(client_user), project).json()["id"]
        as_freelancer = api(freelancer).get(f"contracts/{cid}").json()
        as_client = api(client_user).get(f"contracts/{cid}").json()
    # Then the grace window ends Monday 18:00 Berlin, says why, and reads in each viewer's zone
    grace = next(d for d in as_freelancer["deadlines"] if d["name"] == "grace")
    assert grace["at"] == "2026-01-19T17:00:00+00:00"
    assert "weekend" in grace["explanation"]
    assert grace["local"] == "Mon 18:00 Europe/Berlin"
    assert (
        next(d for d in as_client["deadlines"] if d["name"] == "grace")["local"] == "Mon 17:00 UTC"
    )


def test_time_off_extends_the_request_window(api, client_user, freelancer) -> None:
    # Given the freelancer is off Thursday (not away: purchases still allowed)
    time_off_add(
        user=freelancer, start_date=date(2026, 3, 5), end_date=date(2026, 3, 5), away=False
    )
    project = make_project(freelancer, mode="request")
    # When a request arrives Wednesday 10:00 UTC
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        body = buy(api(client_user), project, answers=answers_for(project)).json()
    # Then 2 working days skip Thursday: Monday 10:00
    window = body["deadlines"][0]
    assert window["name"] == "request_window"
    assert window["at"] == "2026-03-09T10:00:00+00:00"
    assert "time off" in window["explanation"]


def test_delivery_in_working_days_skips_the_weekend(api, client_user, freelancer) -> None:
    project = make_project(freelancer, questions=False, delivery_days=2, working_days=True)
    with time_machine.travel(datetime(2026, 3, 6, 10, 0, tzinfo=UTC), tick=False):  # Friday
        body = buy(api(client_user), project).json()
    due = next(d for d in body["deadlines"] if d["name"] == "delivery_due")
    assert due["at"] == "2026-03-10T10:00:00+00:00"  # Tuesday
    assert datetime.fromisoformat(due["at"]) - datetime(2026, 3, 6, 10, tzinfo=UTC) == timedelta(
        days=4
    )


def _berlin(freelancer, holiday_country=None) -> None:
    calendar_update(
        user=freelancer,
        time_zone="Europe/Berlin",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country=holiday_country,
        holiday_subdivision=None,
    )


def _grace_at(api, client_user, freelancer, instant: datetime) -> dict:
    project = make_project(freelancer, questions=False)
    with time_machine.travel(instant, tick=False):
        cid = buy(api(client_user), project).json()["id"]
        body = api(freelancer).get(f"contracts/{cid}").json()
    return next(d for d in body["deadlines"] if d["name"] == "grace")


def test_grace_on_a_holiday_eve_skips_the_holiday(api, client_user, freelancer) -> None:
    # Given a Berlin freelancer who observes German holidays; purchase Thu 24 Dec 10:00 local
    _berlin(freelancer, holiday_country="DE")
    grace = _grace_at(api, client_user, freelancer, datetime(2026, 12, 24, 9, 0, tzinfo=UTC))
    # Then Fri 25 Dec (Christmas) and the weekend are skipped: Mon 28 Dec 10:00 local
    assert grace["at"] == "2026-12-28T09:00:00+00:00"
    assert "Christmas" in grace["explanation"]


def test_grace_across_a_dst_change_keeps_the_local_time(api, client_user, freelancer) -> None:
    # Given a purchase Fri 27 Mar 2026 18:00 Berlin (UTC+1); clocks go forward on Sunday
    _berlin(freelancer)
    grace = _grace_at(api, client_user, freelancer, datetime(2026, 3, 27, 17, 0, tzinfo=UTC))
    # Then the deadline is Mon 18:00 Berlin, now UTC+2
    assert grace["at"] == "2026-03-30T16:00:00+00:00"
    assert grace["local"] == "Mon 18:00 Europe/Berlin"


def test_suspended_freelancer_is_refused_with_the_reason(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer)
    # No suspension service exists yet (operators' issue); set the flag it will set.
    freelancer.is_suspended = True
    freelancer.save(update_fields=["is_suspended"])
    assert_problem(buy(api(client_user), project), 409, "freelancer_suspended")
    assert PaymentAttempt.objects.count() == 0


def test_draft_project_is_not_found(clock, api, client_user, freelancer) -> None:
    from fairlance.catalog.inputs import TierInput
    from fairlance.catalog.services import project_create

    draft = project_create(
        freelancer=freelancer,
        title="A draft logo project",
        category_slug="design",
        description="Not yet published.",
        tiers=[TierInput(name="Basic", price_minor=100, delivery_days=1)],
    )
    assert_problem(buy(api(client_user), draft), 404)


def test_each_clock_is_explained_in_the_zone_of_the_side_it_waits_on(
    api, client_user, freelancer
) -> None:
    # Given a freelancer in Berlin and a client in New York
    _berlin(freelancer)
    calendar_update(
        user=client_user,
        time_zone="America/New_York",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country=None,
        holiday_subdivision=None,
    )
    project = make_project(freelancer)
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        body = buy(api(client_user), project).json()
        c = api(client_user)
        requirements = next(d for d in body["deadlines"] if d["name"] == "requirements_window")
        started = c.post(
            f"contracts/{body['id']}/submit_requirements", {"answers": answers_for(project)}
        ).json()
    # Then the client's clock reads in New York time and the freelancer's in Berlin time
    assert "America/New_York" in requirements["explanation"]
    delivery = next(d for d in started["deadlines"] if d["name"] == "delivery_due")
    assert "Europe/Berlin" in delivery["explanation"]


@pytest.mark.parametrize(
    ("mode", "questions"), [("instant", False), ("instant", True), ("request", True)]
)
def test_the_purchase_answers_with_the_contract_as_it_reads_afterwards(
    clock, api, client_user, freelancer, mode: str, questions: bool
) -> None:
    # Given a purchase (its response is built from what the purchase wrote, not re-read)
    project = make_project(freelancer, mode=mode, questions=questions)
    answers = answers_for(project) if mode == "request" else None
    bought = buy(api(client_user), project, answers=answers)
    assert bought.status_code == 201, bought.content

    # Then it says what reading the contract says: same clocks, same transitions, all fields
    read = api(client_user).get(f"contracts/{bought.json()['id']}")
    assert bought.json() == read.json()
    assert bought.json()["deadlines"]  # every first state runs a clock


def test_the_snapshot_keeps_every_question_in_order(clock, api, client_user, freelancer) -> None:
    # Given a project asking three questions, one of them a choice, one optional
    project = project_create(
        freelancer=freelancer,
        title="A hand-drawn logo",
        category_slug="design",
        description="I draw logos by hand, with care.",
        purchase_mode="instant",
        tiers=[TierInput(name="Basic", price_minor=PRICE, delivery_days=5)],
        questions=[
            QuestionInput(prompt="Brand name?"),
            QuestionInput(prompt="Style?", kind="single", choices=("flat", "retro")),
            QuestionInput(prompt="Anything else?", required=False),
        ],
    )
    project = project_publish(project=project, actor=freelancer)
    brand = project.questions.get(prompt="Brand name?")
    style = project.questions.get(prompt="Style?")

    # When it is bought with the required answers
    answers = {str(brand.pk): "Acme", str(style.pk): "retro"}
    resp = buy(api(client_user), project, answers=answers)
    assert resp.status_code == 201, resp.content
    body = resp.json()

    # Then the contract keeps the questions as asked, in order, and the answers
    asked = body["snapshot"]["questions"]
    assert [(q["prompt"], q["kind"], q["choices"], q["required"]) for q in asked] == [
        ("Brand name?", "text", [], True),
        ("Style?", "single", ["flat", "retro"], True),
        ("Anything else?", "text", [], False),
    ]
    assert body["answers"] == answers
    assert body["state"] == "in_progress"


def test_a_tier_of_another_project_is_refused_after_the_projects_own_answer(
    clock, api, client_user, freelancer
) -> None:
    # Given two projects, and a purchase of the first naming the second's tier
    first, second = make_project(freelancer), make_project(freelancer)
    body = {"tier_id": second.tiers.first().pk, "card_number": "4242424242424242"}
    # Then the tier is refused (422) and nothing is charged ...
    resp = api(client_user).post(f"projects/{first.pk}/purchase", body)
    problem = assert_problem(resp, 422)
    assert [e["field"] for e in problem["errors"]] == ["tier_id"]
    assert PaymentAttempt.objects.count() == 0
    # ... unless the project itself cannot be bought, which is said first
    project_pause(project=first, actor=freelancer)
    assert_problem(
        api(client_user).post(f"projects/{first.pk}/purchase", body), 409, "not_published"
    )
    assert Contract.objects.count() == 0
