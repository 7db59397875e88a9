"""Milestones funded, delivered, reviewed and released in order (issue 12, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from fairlance.contracts import milestones, services
from fairlance.contracts.milestones import MilestoneIn, milestone_add, milestone_change_price
from fairlance.contracts.models import Contract, Milestone, MilestoneState
from fairlance.core.errors import Conflict, InvalidInput
from fairlance.core.policy import policy_for_version
from fairlance.ledger.accounts import escrow, freelancer_pending
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.notifications.models import Notification
from tests.contracts.conftest import FEE, PRICE, assert_money_settled, buy, make_project

pytestmark = pytest.mark.django_db

FIRST, SECOND = 4_000, 6_000  # of PRICE; the service fee is 10% of each
FIRST_DAYS, SECOND_DAYS = 5, 3


def worker() -> None:
    call_command("worker", "--once", verbosity=0)


def ok(resp: Any) -> dict[str, Any]:
    assert resp.status_code in (200, 201), resp.content[:2000]
    return dict(resp.json())


@pytest.fixture
def two_milestones() -> Iterator[None]:
    """Purchases made meanwhile get two milestones (Draft, Final) instead of the tier.

    Custom offers will create such contracts; until they exist, the catalog purchase's own
    call of ``milestones_create`` is given the two items, so the contract, its funding
    entries and its clocks come from the real purchase path.
    """
    real = milestones.milestones_create

    def split(contract: Contract, items: list[MilestoneIn], *, now: Any) -> list[Milestone]:
        assert sum(i.amount_minor for i in items) == FIRST + SECOND
        return real(
            contract,
            [MilestoneIn("Draft", FIRST, FIRST_DAYS), MilestoneIn("Final", SECOND, SECOND_DAYS)],
            now=now,
        )

    with mock.patch.object(services.milestones, "milestones_create", split):
        yield


def started(api: Any, client_user: Any, freelancer: Any) -> tuple[Any, Any, int]:
    project = make_project(freelancer, questions=False, delivery_days=FIRST_DAYS)
    c = api(client_user)
    body = ok(buy(c, project))
    assert body["state"] == "in_progress"
    return c, api(freelancer), body["id"]


def references(cid: int) -> list[str]:
    return sorted(
        JournalEntry.objects.filter(reference__startswith=f"contract:{cid}:").values_list(
            "reference", flat=True
        )
    )


def deliver_and_approve(c: Any, f: Any, cid: int) -> dict[str, Any]:
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Here it is"}))
    return ok(c.post(f"contracts/{cid}/approve"))


def test_approving_the_first_milestone_releases_only_it_and_starts_the_second(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given a two-milestone contract in progress: one funding entry per milestone
    c, f, cid = started(api, client_user, freelancer)
    assert references(cid) == [f"contract:{cid}:capture", f"contract:{cid}:capture:2"]
    amounts = {
        e.reference: e.postings.get(amount__gt=0).amount
        for e in JournalEntry.objects.filter(reference__startswith=f"contract:{cid}:capture")
    }
    assert amounts == {f"contract:{cid}:capture": FIRST, f"contract:{cid}:capture:2": SECOND}
    body = ok(c.get(f"contracts/{cid}"))
    assert [(m["title"], m["state"], m["current"]) for m in body["milestones"]] == [
        ("Draft", "in_progress", True),
        ("Final", "funded", False),
    ]
    assert body["milestones"][0]["due"]["at"] == body["delivery_due_at"]

    # When the freelancer delivers the first one a day later and the client approves it
    clock.shift(timedelta(days=1))
    approved_at = timezone.now()
    body = deliver_and_approve(c, f, cid)

    # Then exactly the first milestone's amount, less its fee, is released
    assert balance(freelancer_pending(freelancer.pk)) == FIRST - FIRST // 10
    assert balance(escrow(cid)) == SECOND
    assert ledger_check() == []
    # And the contract is back in progress on the second, due 3 days after the approval
    assert body["state"] == "in_progress"
    assert body["outcome"] is None
    first, second = body["milestones"]
    assert (first["state"], first["current"], first["released_at"]) == (
        "released",
        False,
        approved_at.isoformat(),
    )
    assert (second["state"], second["current"]) == ("in_progress", True)
    due = approved_at + timedelta(days=SECOND_DAYS)
    assert second["due"]["at"] == due.isoformat() == body["delivery_due_at"]
    assert "approval" in second["due"]["explanation"]
    assert "delivery_due" in {d["name"] for d in body["deadlines"]}
    assert body["revisions_left"] == 1  # the contract's, not given again per milestone

    # When the second is delivered and approved, the contract completes with all paid out
    body = deliver_and_approve(c, f, cid)
    assert (body["state"], body["outcome"]) == ("completed", "completed")
    assert [m["state"] for m in body["milestones"]] == ["released", "released"]
    assert not any(m["current"] for m in body["milestones"])
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)
    assert len([r for r in references(cid) if ":release:" in r]) == 2


def test_auto_approve_releases_each_milestone_after_its_own_review_window(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given the first milestone delivered
    c, f, cid = started(api, client_user, freelancer)
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Draft"}))
    # When the review window (7 days) passes and the worker runs
    clock.shift(timedelta(days=7, minutes=1))
    worker()
    # Then only the first milestone is released and work goes on with the second
    contract = Contract.objects.get(pk=cid)
    assert contract.state == "in_progress"
    assert balance(escrow(cid)) == SECOND
    assert balance(freelancer_pending(freelancer.pk)) == FIRST - FIRST // 10
    # And the second's review window starts at its own delivery: a day before it ends
    # nothing happens, after it the worker completes the contract
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Final"}))
    clock.shift(timedelta(days=6))
    worker()
    assert Contract.objects.get(pk=cid).state == "delivered"
    clock.shift(timedelta(days=1, minutes=1))
    worker()
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.ending) == ("completed", "auto_approve")
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


def notes(kind: str, cid: int, user: Any) -> list[Notification]:
    return list(
        Notification.objects.filter(kind=f"contract.{kind}", contract_id=cid, user=user).order_by(
            "id"
        )
    )


def test_approving_a_milestone_tells_the_freelancer_that_milestone_and_the_next_due(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given the first milestone delivered
    c, f, cid = started(api, client_user, freelancer)
    # When the client approves it
    body = deliver_and_approve(c, f, cid)
    # Then the freelancer hears about that milestone only, and when the next one is due
    (note,) = notes("approve", cid, freelancer)
    assert note.title == f"Milestone approved: {body['title']}, $36 released"
    assert 'approved Milestone 1, "Draft" of' in note.body
    assert "$36 (its $40 less the service fee)" in note.body
    assert 'Milestone 2, "Final" is due ' in note.body
    assert "Delivery approved" not in note.title and "$90" not in note.body
    # When the last one is approved, the whole contract's notice is sent instead
    deliver_and_approve(c, f, cid)
    first, last = notes("approve", cid, freelancer)
    assert last.title.startswith("Delivery approved:") and "$90" in last.title


def test_auto_approving_a_milestone_tells_both_sides_that_milestone_only(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Draft"}))
    clock.shift(timedelta(days=7, minutes=1))
    worker()
    (to_freelancer,) = notes("auto_approve", cid, freelancer)
    (to_client,) = notes("auto_approve", cid, client_user)
    assert to_freelancer.title.startswith("Milestone approved:")
    assert "$36 released" in to_freelancer.title
    assert 'Milestone 2, "Final" is due ' in to_freelancer.body
    assert to_client.title.startswith("Milestone approved automatically:")
    assert 'Milestone 1, "Draft"' in to_client.body and "its $40 released" in to_client.body


def test_late_flag_belongs_to_the_current_milestone(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given the first milestone late (its 5 days passed)
    c, f, cid = started(api, client_user, freelancer)
    clock.shift(timedelta(days=FIRST_DAYS, minutes=1))
    worker()
    assert ok(c.get(f"contracts/{cid}"))["late"] is True
    # When it is delivered late and approved
    body = deliver_and_approve(c, f, cid)
    # Then the second milestone starts on time, not late
    assert (body["state"], body["late"]) == ("in_progress", False)
    assert "cancel_late" not in body["available_transitions"]
    # And it becomes late only when its own due passes
    clock.shift(timedelta(days=SECOND_DAYS) - timedelta(minutes=1))
    worker()
    assert Contract.objects.get(pk=cid).late is False
    clock.shift(timedelta(minutes=2))
    worker()
    assert Contract.objects.get(pk=cid).late is True


def test_refund_after_the_first_release_gives_back_only_the_rest(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given the first milestone released
    c, f, cid = started(api, client_user, freelancer)
    deliver_and_approve(c, f, cid)
    # When the freelancer refunds in full
    body = ok(f.post(f"contracts/{cid}/refund", {"note": "Cannot finish"}))
    # Then the client gets the second milestone back and the first stays paid
    assert body["state"] == "cancelled"
    assert body["money"]["refunded"]["minor"] == SECOND
    assert [m["state"] for m in body["milestones"]] == ["released", "refunded"]
    assert_money_settled(cid, freelancer_gets=FIRST - FIRST // 10)


def test_dispute_after_the_first_release_splits_only_the_rest(
    clock, api, client_user, freelancer, operator, two_milestones
) -> None:
    # Given the first milestone released and a dispute about the second
    c, f, cid = started(api, client_user, freelancer)
    deliver_and_approve(c, f, cid)
    ok(c.post(f"contracts/{cid}/open_dispute", {"reason": "The final is missing"}))
    ok(f.post(f"contracts/{cid}/answer_dispute", {"note": "It is on its way."}))
    # When both sides are heard and an operator gives the freelancer half of what is left
    body = {"freelancer_percent": 50, "note": "Half done.", "fault": "none"}
    body = ok(api(operator).post(f"contracts/{cid}/resolve_dispute", body))
    # Then half of the second milestone is paid, the first stays paid, the rest refunded
    assert body["state"] == "completed"
    assert body["money"]["refunded"]["minor"] == SECOND // 2
    assert [m["state"] for m in body["milestones"]] == ["released", "split"]
    half = SECOND // 2
    assert_money_settled(cid, freelancer_gets=FIRST - FIRST // 10 + half - half // 10)


def test_partial_refund_comes_off_the_current_milestone(
    clock, api, client_user, freelancer, two_milestones
) -> None:
    # Given the second milestone running
    c, f, cid = started(api, client_user, freelancer)
    deliver_and_approve(c, f, cid)
    # When the freelancer tries to give back more than it costs, then 1,000 of it
    too_much = f.post(f"contracts/{cid}/partial_refund", {"amount_minor": SECOND})
    assert too_much.status_code == 422
    assert balance(escrow(cid)) == SECOND
    ok(f.post(f"contracts/{cid}/partial_refund", {"amount_minor": 1_000}))
    # Then the second milestone costs 1,000 less, and approving it settles everything
    body = deliver_and_approve(c, f, cid)
    assert [m["amount"]["minor"] for m in body["milestones"]] == [FIRST, SECOND - 1_000]
    assert_money_settled(cid, freelancer_gets=(PRICE - 1_000) - (PRICE - 1_000) // 10)


def test_a_catalog_purchase_keeps_one_milestone_and_its_references(
    clock, api, client_user, freelancer
) -> None:
    # Given a catalog purchase, delivered and approved
    c, f, cid = started(api, client_user, freelancer)
    body = ok(c.get(f"contracts/{cid}"))
    (only,) = body["milestones"]
    assert (only["title"], only["amount"]["minor"], only["current"]) == ("Basic", PRICE, True)
    assert only["delivery_days"] == FIRST_DAYS
    assert only["due"]["at"] == body["delivery_due_at"]
    body = deliver_and_approve(c, f, cid)
    # Then it completes at once, with the references a purchase always had
    assert body["state"] == "completed"
    assert references(cid) == [f"contract:{cid}:capture", f"contract:{cid}:release:3"]
    assert_money_settled(cid, freelancer_gets=PRICE - FEE)


def test_milestones_are_shown_to_the_parties_and_operators_only(
    clock, api, client_user, freelancer, stranger, operator, two_milestones
) -> None:
    _, _, cid = started(api, client_user, freelancer)
    for who in (client_user, freelancer, operator):
        assert len(ok(api(who).get(f"contracts/{cid}"))["milestones"]) == 2
    assert api(stranger).get(f"contracts/{cid}").status_code == 404
    assert api(None).get(f"contracts/{cid}").status_code == 401


# --- the domain functions the change orders will call ----------------------------------------


def _locked(cid: int) -> Contract:
    return Contract.objects.select_for_update().get(pk=cid)


def test_milestone_add_funded_books_its_money_and_raises_the_price(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    with transaction.atomic():
        contract = _locked(cid)
        policy = policy_for_version(contract.policy_version)
        added = milestone_add(
            contract,
            title="Extra page",
            amount_minor=2_000,
            delivery_days=2,
            funded=True,
            policy=policy,
            now=timezone.now(),
        )
        contract.save()
    assert (added.position, added.state) == (1, MilestoneState.FUNDED)
    assert f"contract:{cid}:capture:2" in references(cid)
    assert balance(escrow(cid)) == PRICE + 2_000
    contract = Contract.objects.get(pk=cid)
    assert (contract.price_minor, contract.fee_minor) == (PRICE + 2_000, FEE + 200)
    # And the contract now runs it after the first: two approvals settle everything
    assert deliver_and_approve(c, f, cid)["state"] == "in_progress"
    assert deliver_and_approve(c, f, cid)["state"] == "completed"
    assert_money_settled(cid, freelancer_gets=PRICE + 2_000 - FEE - 200)


def test_milestone_add_unfunded_waits_and_only_it_may_change_price(
    clock, api, client_user, freelancer
) -> None:
    _, _, cid = started(api, client_user, freelancer)
    with transaction.atomic():
        contract = _locked(cid)
        added = milestone_add(
            contract,
            title="Maybe later",
            amount_minor=3_000,
            delivery_days=2,
            funded=False,
            policy=policy_for_version(contract.policy_version),
            now=timezone.now(),
        )
    assert added.state == MilestoneState.UNFUNDED
    assert balance(escrow(cid)) == PRICE
    assert Contract.objects.get(pk=cid).price_minor == PRICE
    # The unfunded one changes its price; the funded first one cannot
    assert milestone_change_price(added, 2_500).amount_minor == 2_500
    assert Milestone.objects.get(pk=added.pk).amount_minor == 2_500
    first = Milestone.objects.get(contract_id=cid, position=0)
    with pytest.raises(Conflict) as refused:
        milestone_change_price(first, 1)
    assert refused.value.code == "milestone_funded"
    with pytest.raises(InvalidInput):
        milestone_change_price(added, 0)
    assert Milestone.objects.get(pk=first.pk).amount_minor == PRICE


def test_milestone_add_refused_on_an_ended_contract_and_bad_input(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = started(api, client_user, freelancer)
    with transaction.atomic(), pytest.raises(InvalidInput) as bad:
        contract = _locked(cid)
        milestone_add(
            contract,
            title=" ",
            amount_minor=0,
            delivery_days=0,
            funded=True,
            policy=policy_for_version(contract.policy_version),
            now=timezone.now(),
        )
    fields = {e["field"] for e in bad.value.errors}
    assert fields == {
        "milestones.0.title",
        "milestones.0.amount_minor",
        "milestones.0.delivery_days",
    }
    deliver_and_approve(c, f, cid)
    with transaction.atomic(), pytest.raises(Conflict):
        contract = _locked(cid)
        milestone_add(
            contract,
            title="Too late",
            amount_minor=100,
            delivery_days=1,
            funded=True,
            policy=policy_for_version(contract.policy_version),
            now=timezone.now(),
        )
    assert Milestone.objects.filter(contract_id=cid).count() == 1
    assert balance(escrow(cid)) == 0


def test_milestones_must_add_up_to_the_price(clock, api, client_user, freelancer) -> None:
    _, _, cid = started(api, client_user, freelancer)
    contract = Contract.objects.get(pk=cid)
    with pytest.raises(InvalidInput) as refused:
        milestones.milestones_create(
            contract,
            [MilestoneIn("A", PRICE - 1, FIRST_DAYS), MilestoneIn("B", 2, 1)],
            now=timezone.now(),
        )
    assert refused.value.errors[0]["code"] == "sum"
    assert Milestone.objects.filter(contract_id=cid).count() == 1
