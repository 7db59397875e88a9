"""Every transition of the table, walked through the HTTP API, with the money checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.catalog.models import Project
from fairlance.contracts.models import Contract, Delivery, Milestone, Timer
from fairlance.ledger.accounts import PLATFORM_FEES, escrow
from fairlance.ledger.selectors import balance
from fairlance.payments.models import PaymentAttempt
from tests.conftest import assert_problem, make_user
from tests.contracts.conftest import (
    BAD_CARD,
    FEE,
    PRICE,
    answers_for,
    assert_money_settled,
    buy,
    make_project,
)

pytestmark = pytest.mark.django_db


def started(api: Any, client_user: Any, freelancer: Any, **project_kw: Any) -> tuple[Any, Any, int]:
    """An instant purchase with requirements sent: the contract is in progress."""
    project = make_project(freelancer, **project_kw)
    c = api(client_user)
    resp = buy(c, project)
    assert resp.status_code == 201, resp.content
    cid = resp.json()["id"]
    if resp.json()["state"] == "awaiting_requirements":
        resp = c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)})
        assert resp.status_code == 200, resp.content
    return c, api(freelancer), cid


def delivered(api: Any, client_user: Any, freelancer: Any, **kw: Any) -> tuple[Any, Any, int]:
    c, f, cid = started(api, client_user, freelancer, **kw)
    resp = f.post(f"contracts/{cid}/deliver", {"note": "Here it is"})
    assert resp.status_code == 200, resp.content
    return c, f, cid


def test_instant_purchase_with_questions_waits_for_requirements(
    clock, api, client_user, freelancer
) -> None:
    # Given a published instant project that asks a question
    project = make_project(freelancer)
    # When the client buys it
    resp = buy(api(client_user), project)
    # Then the contract waits for requirements, with the payment in escrow
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["state"] == "awaiting_requirements"
    assert body["snapshot"]["tier"]["price_minor"] == PRICE
    assert body["money"]["freelancer_receives"]["minor"] == PRICE - FEE
    assert body["available_transitions"] == [
        "submit_requirements",
        "cancel_before_start",
        "propose",
    ]
    assert [d["name"] for d in body["deadlines"]] == ["requirements_window"]
    assert balance(escrow(body["id"])) == PRICE
    assert Milestone.objects.filter(contract_id=body["id"]).count() == 1
    assert Project.objects.get(pk=project.pk).active_contracts == 1


def test_instant_purchase_without_questions_starts_work_at_once(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer, questions=False)
    resp = buy(api(client_user), project)
    assert resp.status_code == 201
    body = resp.json()
    assert body["state"] == "in_progress"
    names = {d["name"] for d in body["deadlines"]}
    assert names == {"grace", "delivery_due"}


def test_declined_card_creates_no_contract(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    resp = buy(api(client_user), project, card=BAD_CARD)
    assert_problem(resp, 402, "card_declined")
    assert Contract.objects.count() == 0
    assert Project.objects.get(pk=project.pk).active_contracts == 0
    assert PaymentAttempt.objects.filter(ok=False).count() == 1


def test_submit_deliver_approve_releases_escrow(clock, api, client_user, freelancer) -> None:
    # Given a delivered contract
    c, f, cid = delivered(api, client_user, freelancer)
    assert c.get(f"contracts/{cid}").json()["available_transitions"] == [
        "approve",
        "request_revision",
        "open_dispute",
        "propose",
    ]
    # When the client approves
    resp = c.post(f"contracts/{cid}/approve")
    # Then it is completed, the freelancer's pending balance holds price minus fee
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["state"], body["outcome"], body["ending"], body["fault"]) == (
        "completed",
        "completed",
        "approve",
        "none",
    )
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)
    assert balance(PLATFORM_FEES) == FEE
    assert Delivery.objects.get(contract_id=cid).note == "Here it is"
    assert Project.objects.get().active_contracts == 0
    # Only the feedback window stays open after the end (SPEC section 6).
    pending = Timer.objects.filter(contract_id=cid, status="pending")
    assert list(pending.values_list("transition", flat=True)) == ["close_feedback"]


# --- request mode -------------------------------------------------------------------------


def requested(api: Any, client_user: Any, freelancer: Any) -> tuple[Any, Any, int]:
    project = make_project(freelancer, mode="request")
    c = api(client_user)
    resp = buy(c, project, answers=answers_for(project))
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == "requested"
    return c, api(freelancer), resp.json()["id"]


def test_request_mode_needs_answers_up_front(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer, mode="request")
    resp = buy(api(client_user), project)
    body = assert_problem(resp, 422, "invalid_input")
    assert body["errors"][0]["code"] == "required"
    assert Contract.objects.count() == 0
    assert PaymentAttempt.objects.count() == 0


def test_request_then_accept_starts_delivery_clock_without_grace(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = requested(api, client_user, freelancer)
    assert f.get(f"contracts/{cid}").json()["available_transitions"] == ["accept", "decline"]
    assert [d["name"] for d in c.get(f"contracts/{cid}").json()["deadlines"]] == ["request_window"]
    resp = f.post(f"contracts/{cid}/accept")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "in_progress"
    assert [d["name"] for d in body["deadlines"]] == ["delivery_due"]
    assert "decline_in_grace" not in body["available_transitions"]


@pytest.mark.parametrize(("who", "name"), [("freelancer", "decline"), ("client", "withdraw")])
def test_request_declined_or_withdrawn_releases_the_hold_without_fault(
    clock, api, client_user, freelancer, who, name, django_capture_on_commit_callbacks
) -> None:
    c, f, cid = requested(api, client_user, freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        resp = (f if who == "freelancer" else c).post(f"contracts/{cid}/{name}")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["state"], body["outcome"], body["ending"], body["fault"]) == (
        "cancelled",
        "cancelled",
        name,
        "none",
    )
    assert_money_settled(cid, freelancer_gets=0)
    # Nothing was ever taken from the card: the hold is released, nothing refunded
    assert list(PaymentAttempt.objects.order_by("id").values_list("kind", "ok")) == [
        ("authorize", True),
        ("void", True),
    ]


def test_request_expires_after_two_working_days(clock, api, client_user, freelancer) -> None:
    # Given a request made on Wednesday 10:00 UTC (freelancer works Mon-Fri in UTC)
    _, _, cid = requested(api, client_user, freelancer)
    # When Friday 09:59 comes, the window is still open
    clock.shift(timedelta(days=2) - timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "requested"
    # Then at Friday 10:00 the worker expires it with a full refund
    clock.shift(timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == (
        "cancelled",
        "expire_request",
        "none",
    )
    assert_money_settled(cid, freelancer_gets=0)


# --- before work starts --------------------------------------------------------------------


def test_cancel_before_start_refunds(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    c = api(client_user)
    cid = buy(c, project).json()["id"]
    resp = c.post(f"contracts/{cid}/cancel_before_start")
    assert resp.status_code == 200
    assert resp.json()["ending"] == "cancel_before_start"
    assert_money_settled(cid, freelancer_gets=0)


def test_requirements_window_expires_after_three_calendar_days(
    clock, api, client_user, freelancer
) -> None:
    project = make_project(freelancer)
    cid = buy(api(client_user), project).json()["id"]
    clock.shift(timedelta(days=3))
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == (
        "cancelled",
        "expire_requirements",
        "none",
    )
    assert_money_settled(cid, freelancer_gets=0)


def test_submit_requirements_validates_answers(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    c = api(client_user)
    cid = buy(c, project).json()["id"]
    resp = c.post(f"contracts/{cid}/submit_requirements", {"answers": {"999": "x"}})
    assert_problem(resp, 422, "invalid_input")
    assert Contract.objects.get(pk=cid).state == "awaiting_requirements"


# --- grace window ---------------------------------------------------------------------------


def test_decline_in_grace_is_no_fault_and_closes_feedback(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    assert "decline_in_grace" in f.get(f"contracts/{cid}").json()["available_transitions"]
    resp = f.post(f"contracts/{cid}/decline_in_grace")
    assert resp.status_code == 200, resp.content
    contract = Contract.objects.get(pk=cid)
    assert (contract.ending, contract.fault, contract.counts_for_trust) == (
        "decline_in_grace",
        "none",
        False,
    )
    assert_money_settled(cid, freelancer_gets=0)


def test_decline_in_grace_refused_after_the_grace_window(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    clock.shift(timedelta(days=1))  # Wednesday 10:00 -> Thursday 10:00: 1 working day
    assert "decline_in_grace" not in f.get(f"contracts/{cid}").json()["available_transitions"]
    assert_problem(f.post(f"contracts/{cid}/decline_in_grace"), 409, "transition_not_available")
    assert Contract.objects.get(pk=cid).state == "in_progress"


# --- late -----------------------------------------------------------------------------------


def test_late_flag_then_cancel_late_after_late_grace(clock, api, client_user, freelancer) -> None:
    # Given work started Wednesday 10:00 with 5 calendar days to deliver
    c, f, cid = started(api, client_user, freelancer)
    # When the due instant passes and the worker runs
    clock.shift(timedelta(days=5))
    call_command("worker", "--once", verbosity=0)
    body = c.get(f"contracts/{cid}").json()
    # Then the contract is late but still in progress, and the client must wait the late grace
    assert (body["state"], body["late"]) == ("in_progress", True)
    assert "late_grace" in {d["name"] for d in body["deadlines"]}
    assert_problem(c.post(f"contracts/{cid}/cancel_late"), 409, "transition_not_available")
    clock.shift(timedelta(days=1))
    assert "cancel_late" in c.get(f"contracts/{cid}").json()["available_transitions"]
    resp = c.post(f"contracts/{cid}/cancel_late")
    assert resp.status_code == 200, resp.content
    contract = Contract.objects.get(pk=cid)
    assert (contract.outcome, contract.ending, contract.fault) == (
        "cancelled",
        "cancel_late",
        "freelancer",
    )
    assert_money_settled(cid, freelancer_gets=0)


def test_cancel_late_refused_when_not_late(clock, api, client_user, freelancer) -> None:
    c, _, cid = started(api, client_user, freelancer)
    assert_problem(c.post(f"contracts/{cid}/cancel_late"), 409, "transition_not_available")


def test_delivering_before_due_means_the_late_timer_is_skipped(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = delivered(api, client_user, freelancer)
    clock.shift(timedelta(days=5))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).late is False
    assert (
        Timer.objects.filter(contract_id=cid, transition="mark_late", status="skipped").count() == 1
    )


# --- delivery and review --------------------------------------------------------------------


def test_request_revision_uses_up_revisions(clock, api, client_user, freelancer) -> None:
    c, f, cid = delivered(api, client_user, freelancer, revisions=1)
    # A revision says what should change: without words it is refused and changes nothing,
    # as on the web (one rule, in the transition's action)
    body = assert_problem(c.post(f"contracts/{cid}/request_revision"), 422, "invalid_input")
    assert body["errors"][0]["field"] == "note"
    assert c.get(f"contracts/{cid}").json()["revisions_left"] == 1
    resp = c.post(f"contracts/{cid}/request_revision", {"note": "Bigger letters, please."})
    assert resp.status_code == 200, resp.content
    assert (resp.json()["state"], resp.json()["revisions_left"]) == ("in_progress", 0)
    f.post(f"contracts/{cid}/deliver", {"note": "v2"})
    assert "request_revision" not in c.get(f"contracts/{cid}").json()["available_transitions"]
    again = c.post(f"contracts/{cid}/request_revision", {"note": "Smaller, now."})
    assert_problem(again, 409, "transition_not_available")
    assert Delivery.objects.filter(contract_id=cid).count() == 2


def test_auto_approve_counts_from_the_latest_delivery(clock, api, client_user, freelancer) -> None:
    # Given a first delivery, a revision 3 days later and a second delivery 2 days after that
    c, f, cid = delivered(api, client_user, freelancer)
    clock.shift(timedelta(days=3))
    c.post(f"contracts/{cid}/request_revision", {"note": "Warmer colours."})
    clock.shift(timedelta(days=2))
    f.post(f"contracts/{cid}/deliver", {"note": "v2"})
    # When 7 days after the FIRST delivery pass, nothing happens
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "delivered"
    # Then 7 days after the latest delivery the worker approves and releases the escrow
    clock.shift(timedelta(days=5))
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending, contract.fault) == (
        "completed",
        "auto_approve",
        "none",
    )
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


def test_approve_after_auto_approve_is_a_clean_409_and_releases_once(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = delivered(api, client_user, freelancer)
    clock.shift(timedelta(days=7))
    call_command("worker", "--once", verbosity=0)
    assert_problem(c.post(f"contracts/{cid}/approve"), 409, "transition_not_available")
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


def test_auto_approve_timer_is_skipped_after_a_manual_approve(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = delivered(api, client_user, freelancer)
    assert c.post(f"contracts/{cid}/approve").status_code == 200
    clock.shift(timedelta(days=8))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).ending == "approve"
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


# --- refunds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["awaiting_requirements", "in_progress", "delivered"])
def test_freelancer_full_refund_from_each_open_state(
    clock, api, client_user, freelancer, stage
) -> None:
    if stage == "awaiting_requirements":
        project = make_project(freelancer)
        cid = buy(api(client_user), project).json()["id"]
        f = api(freelancer)
    elif stage == "in_progress":
        _, f, cid = started(api, client_user, freelancer)
    else:
        _, f, cid = delivered(api, client_user, freelancer)
    resp = f.post(f"contracts/{cid}/refund")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["ending"], resp.json()["fault"]) == ("refund", "none")
    assert_money_settled(cid, freelancer_gets=0)


def test_partial_refund_lowers_the_price_and_the_fee(clock, api, client_user, freelancer) -> None:
    c, f, cid = delivered(api, client_user, freelancer)
    resp = f.post(f"contracts/{cid}/partial-refund", {"amount_minor": 3_000})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "delivered"
    assert body["money"]["price"]["minor"] == 7_000
    assert body["money"]["refunded"]["minor"] == 3_000
    assert balance(escrow(cid)) == 7_000
    c.post(f"contracts/{cid}/approve")
    assert_money_settled(cid, freelancer_gets=7_000 - 700)


@pytest.mark.parametrize("amount", [0, -5, PRICE, PRICE + 1, "100", 1.5])
def test_partial_refund_rejects_bad_amounts(clock, api, client_user, freelancer, amount) -> None:
    _, f, cid = started(api, client_user, freelancer)
    resp = f.post(f"contracts/{cid}/partial-refund", {"amount_minor": amount})
    assert_problem(resp, 422)
    assert balance(escrow(cid)) == PRICE


def test_client_cannot_partial_refund(clock, api, client_user, freelancer) -> None:
    c, _, cid = started(api, client_user, freelancer)
    assert_problem(c.post(f"contracts/{cid}/partial-refund", {"amount_minor": 100}), 403)


# --- disputes ---------------------------------------------------------------------------------


def test_dispute_freezes_clocks_and_withdraw_resumes(clock, api, client_user, freelancer) -> None:
    # Given an in-progress contract due in 5 days
    c, f, cid = started(api, client_user, freelancer)
    due_before = Contract.objects.get(pk=cid).delivery_due_at
    # When the client opens a dispute for 2 days and withdraws it
    resp = c.post(f"contracts/{cid}/open_dispute", {"reason": "No news"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["state"] == "disputed"
    # Only the answer clock of the other side runs while the dispute is open
    pending = Timer.objects.filter(contract_id=cid, status="pending")
    assert [t.transition for t in pending] == ["expire_dispute_answer"]
    clock.shift(timedelta(days=2))
    assert_problem(f.post(f"contracts/{cid}/withdraw_dispute"), 409, "transition_not_available")
    resp = c.post(f"contracts/{cid}/withdraw_dispute")
    assert resp.status_code == 200, resp.content
    # Then the contract is back in progress with the delivery due moved by 2 days
    contract = Contract.objects.get(pk=cid)
    assert contract.state == "in_progress"
    assert contract.delivery_due_at == due_before + timedelta(days=2)
    timer = Timer.objects.get(contract_id=cid, status="pending", transition="mark_late")
    assert timer.fire_at == contract.delivery_due_at


def test_open_dispute_needs_a_reason(clock, api, client_user, freelancer) -> None:
    c, _, cid = started(api, client_user, freelancer)
    assert_problem(c.post(f"contracts/{cid}/open_dispute", {}), 422, "invalid_input")
    assert Contract.objects.get(pk=cid).state == "in_progress"


def test_operator_resolves_dispute_with_a_split(
    clock, api, client_user, freelancer, operator, django_capture_on_commit_callbacks
) -> None:
    c, f, cid = delivered(api, client_user, freelancer)
    f.post(f"contracts/{cid}/open_dispute", {"reason": "No answer"})
    c.post(f"contracts/{cid}/answer_dispute", {"note": "The work is not done."})
    o = api(operator)
    assert o.get(f"contracts/{cid}").json()["available_transitions"] == ["resolve_dispute"]
    with django_capture_on_commit_callbacks(execute=True):
        resp = o.post(
            f"contracts/{cid}/resolve_dispute",
            {"freelancer_percent": 60, "note": "Most work was done.", "fault": "client"},
        )
    assert resp.status_code == 200, resp.content
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.outcome, contract.ending, contract.fault) == (
        "completed",
        "completed",
        "resolve_dispute",
        "client",
    )
    assert_money_settled(cid, freelancer_gets=6_000 - 600)
    assert PaymentAttempt.objects.filter(kind="refund", amount_minor=4_000).count() == 1


def test_operator_zero_split_cancels(clock, api, client_user, freelancer, operator) -> None:
    c, f, cid = started(api, client_user, freelancer)
    c.post(f"contracts/{cid}/open_dispute", {"reason": "Nothing delivered"})
    f.post(f"contracts/{cid}/answer_dispute", {"note": "I was ill."})
    resp = api(operator).post(
        f"contracts/{cid}/resolve_dispute", {"freelancer_percent": 0, "note": "Refund in full."}
    )
    assert resp.status_code == 200, resp.content
    assert (resp.json()["outcome"], resp.json()["fault"]) == ("cancelled", "none")
    assert_money_settled(cid, freelancer_gets=0)


def test_an_operator_cannot_resolve_their_own_dispute(clock, api, freelancer) -> None:
    # Given an operator who bought a project and disputes it
    buyer_operator = make_user("oscar@example.com", is_operator=True)
    c, _, cid = started(api, buyer_operator, freelancer)
    c.post(f"contracts/{cid}/open_dispute", {"reason": "Not what I asked for"})
    # Then resolving is not offered to them and is refused when tried
    assert "resolve_dispute" not in c.get(f"contracts/{cid}").json()["available_transitions"]
    body = {"freelancer_percent": 0, "note": "Refund me."}
    assert_problem(c.post(f"contracts/{cid}/resolve_dispute", body), 409)
    assert Contract.objects.get(pk=cid).state == "disputed"
    assert balance(escrow(cid)) == PRICE


@pytest.mark.parametrize(
    "body", [{"freelancer_percent": 101, "note": "x"}, {"freelancer_percent": 50}, {"note": "x"}]
)
def test_resolve_dispute_rejects_bad_decisions(
    clock, api, client_user, freelancer, operator, body
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    c.post(f"contracts/{cid}/open_dispute", {"reason": "x"})
    f.post(f"contracts/{cid}/answer_dispute", {"note": "y"})
    assert_problem(api(operator).post(f"contracts/{cid}/resolve_dispute", body), 422)
    assert Contract.objects.get(pk=cid).state == "disputed"
    assert balance(escrow(cid)) == PRICE


def test_time_in_dispute_does_not_count_on_the_review_clock(
    clock, api, client_user, freelancer
) -> None:
    # Given a delivery, then a dispute from day 2 to day 4
    c, f, cid = delivered(api, client_user, freelancer)
    clock.shift(timedelta(days=2))
    c.post(f"contracts/{cid}/open_dispute", {"reason": "Wrong colours"})
    clock.shift(timedelta(days=2))
    assert c.post(f"contracts/{cid}/withdraw_dispute").json()["state"] == "delivered"
    # When day 7 after the delivery passes, the review window is still open
    clock.shift(timedelta(days=3))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).state == "delivered"
    # Then it closes 7 days of non-dispute time after the delivery (day 9)
    clock.shift(timedelta(days=2))
    call_command("worker", "--once", verbosity=0)
    assert Contract.objects.get(pk=cid).ending == "auto_approve"
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


def test_deliver_with_attachments(clock, api, client_user, freelancer) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c, f, cid = started(api, client_user, freelancer)
    resp = f.client.post(
        f"/api/v1/contracts/{cid}/deliveries",
        {"note": "Final files", "files": [SimpleUploadedFile("logo.pdf", b"%PDF-1.4 logo")]},
        headers=f.headers,
    )
    assert resp.status_code == 200, resp.content
    delivery = c.get(f"contracts/{cid}").json()["deliveries"][0]
    (delivered,) = delivery["files"]
    assert (delivery["note"], delivered["name"], delivered["size"]) == (
        "Final files",
        "logo.pdf",
        13,
    )
    # The event log names the delivered files by the ids the upload was given
    assert c.get(f"contracts/{cid}/events").json()["results"][-1]["data"]["files"] == [
        delivered["id"]
    ]


def test_deliver_refuses_executable_attachments(clock, api, client_user, freelancer) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    c, f, cid = started(api, client_user, freelancer)
    resp = f.client.post(
        f"/api/v1/contracts/{cid}/deliveries",
        {"files": [SimpleUploadedFile("run.html", b"<script>")]},
        headers=f.headers,
    )
    assert_problem(resp, 422, "invalid_input")
    assert Contract.objects.get(pk=cid).state == "in_progress"
    assert not Delivery.objects.exists()
    # And the client cannot deliver at all
    resp = c.client.post(f"/api/v1/contracts/{cid}/deliveries", {"note": "x"}, headers=c.headers)
    assert_problem(resp, 403)
