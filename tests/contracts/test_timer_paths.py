"""The worker's batched path (``TimerBatch``) writes exactly what the one-by-one path does.

Every timer transition of the table is fired on two identical contracts: once by the
worker, whose batch stages rows and flushes them in bulk, and once as a single
``apply_transition`` by the system actor in its own transaction (``IMMEDIATE`` writes,
the person path). The rows each wrote must be the same, ids aside.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from fairlance.contracts import engine, process
from fairlance.contracts.models import Contract, ContractEvent, Proposal, Timer, TimerStatus
from fairlance.ledger.models import JournalEntry
from fairlance.notifications.models import Notification
from fairlance.payments.models import ProviderIntent
from tests.contracts.conftest import answers_for, buy, make_project

Setup = Callable[[Any, Any, Any], int]


def _requested(api: Any, client_user: Any, freelancer: Any) -> int:
    project = make_project(freelancer, mode="request")
    return int(buy(api(client_user), project, answers=answers_for(project)).json()["id"])


def _awaiting_requirements(api: Any, client_user: Any, freelancer: Any) -> int:
    return int(buy(api(client_user), make_project(freelancer)).json()["id"])


def _in_progress(api: Any, client_user: Any, freelancer: Any) -> int:
    project = make_project(freelancer, questions=False, delivery_days=1)
    return int(buy(api(client_user), project).json()["id"])


def _delivered(api: Any, client_user: Any, freelancer: Any) -> int:
    cid = _in_progress(api, client_user, freelancer)
    r = api(freelancer).post(f"contracts/{cid}/deliver", {"note": "Here it is."})
    assert r.status_code == 200, r.content
    return cid


def _proposed_cancellation(api: Any, client_user: Any, freelancer: Any) -> int:
    # A cancellation: its expiry also resumes the clocks it paused (re-arms state timers).
    cid = _delivered(api, client_user, freelancer)
    body = {"kind": "cancel", "percent_to_freelancer": 50, "note": "Let us stop here."}
    r = api(freelancer).post(f"contracts/{cid}/proposals", body)
    assert r.status_code == 201, r.content
    return cid


def _disputed(api: Any, client_user: Any, freelancer: Any) -> int:
    # The freelancer's answer is due: its expiry records the answer as missing.
    cid = _delivered(api, client_user, freelancer)
    r = api(client_user).post(f"contracts/{cid}/open_dispute", {"reason": "Not as agreed."})
    assert r.status_code == 200, r.content
    return cid


def _ended_with_one_feedback(api: Any, client_user: Any, freelancer: Any) -> int:
    # Completed, the client wrote and the freelancer did not: the window's close publishes.
    cid = _delivered(api, client_user, freelancer)
    assert api(client_user).post(f"contracts/{cid}/approve").status_code == 200
    body = {"rating": 4, "public_text": "Good work.", "private_rating": 4}
    r = api(client_user).post(f"contracts/{cid}/feedback", body)
    assert r.status_code == 201, r.content
    return cid


# One setup per timer transition of the table (a test below keeps this list complete).
SETUPS: dict[str, Setup] = {
    "expire_request": _requested,
    "expire_requirements": _awaiting_requirements,
    "mark_late": _in_progress,
    "auto_approve": _delivered,
    "expire_proposal": _proposed_cancellation,
    "expire_dispute_answer": _disputed,
    "close_feedback": _ended_with_one_feedback,
}


def test_every_timer_transition_has_a_setup() -> None:
    timed = {t.name for t in process.TRANSITIONS if t.timer is not None}
    assert timed == set(SETUPS)


def _rows(cid: int) -> dict[str, Any]:
    """What a contract's transitions wrote, with its own id taken out of texts."""
    contract = Contract.objects.get(pk=cid)
    # Each setup makes its own project: the ids differ, nothing else may.
    skip = {"id", "charge_ref", "authorization_ref", "project_id", "snapshot", "answers"}
    fields = {
        f.attname: getattr(contract, f.attname)
        for f in Contract._meta.concrete_fields
        if f.attname not in skip
    }

    def norm(value: Any) -> Any:
        return re.sub(rf"((?:contracts?|Contract number)[ :/]+){cid}\b", r"\1N", str(value))

    return {
        "contract": fields,
        "events": [
            (*row[:6], _same_contract_ids(cid, row[6]), row[7])
            for row in ContractEvent.objects.filter(contract_id=cid)
            .order_by("seq")
            .values_list(
                "seq",
                "name",
                "actor_role",
                "actor_id",
                "from_state",
                "to_state",
                "data",
                "created_at",
            )
        ],
        "proposals": list(
            Proposal.objects.filter(contract_id=cid)
            .order_by("id")
            .values_list("kind", "status", "proposed_by", "expires_at", "answered_at")
        ),
        "timers": sorted(
            (
                t.transition,
                t.clock,
                t.fire_at,
                t.explanation,
                t.armed_at_event_seq,
                t.status,
                t.subject_type,
                t.last_error,
            )
            for t in Timer.objects.filter(contract_id=cid)
        ),
        "ledger": sorted(
            (
                norm(e.reference),
                norm(e.memo),
                e.phase,
                tuple(sorted((norm(p.account.name), p.amount) for p in e.postings.all())),
            )
            for e in JournalEntry.objects.filter(contract_id=cid)
        ),
        "intents": sorted(
            (i.kind, norm(i.reference), i.amount_minor)
            for i in ProviderIntent.objects.filter(contract_id=cid)
        ),
        "notifications": sorted(
            (n.user_id, n.kind, n.title, norm(n.body), _when(n.send_after), n.about_entry_seq)
            for n in Notification.objects.filter(contract_id=cid)
        ),
    }


def _same_contract_ids(cid: int, data: dict[str, Any]) -> dict[str, Any]:
    """Event data with the id of the contract's own proposal taken out."""
    pid = data.get("proposal_id")
    if pid is not None:
        assert Proposal.objects.filter(pk=pid, contract_id=cid).exists()
        return {**data, "proposal_id": "own"}
    return data


def _when(send_after: Any) -> Any:
    # A person's notification due at once has no send_after; the batch writes the instant
    # it was written at (never later than the real time). Both mean "send now".
    return "now" if send_after is None or send_after <= timezone.now() else send_after


def _fire_one_by_one(cid: int, name: str) -> None:
    """The one-by-one path: the system actor's transition in a transaction of its own."""
    timer = Timer.objects.get(contract_id=cid, transition=name, status=TimerStatus.PENDING)
    with transaction.atomic():
        engine.apply_transition(
            contract_id=cid, name=name, actor=engine.SYSTEM, payload=engine.timer_payload(timer)
        )
        # What the worker records of a fired timer (the transition left any other pending).
        Timer.objects.filter(pk=timer.pk).update(
            status=TimerStatus.FIRED, fired_at=timezone.now(), attempts=1, last_error=""
        )


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_batched_worker_writes_what_one_by_one_firing_writes(
    name, clock, api, client_user, freelancer
) -> None:
    # Given two contracts set up the same way, at the same instant
    batched = SETUPS[name](api, client_user, freelancer)
    single = SETUPS[name](api, client_user, freelancer)
    due = Timer.objects.get(contract_id=batched, transition=name).fire_at
    # (reminders before the deadline go out to both through the worker alike)
    clock.move_to(due - timedelta(seconds=1))
    engine.fire_due_timers()
    # When the deadline passes, one is fired alone and the other by the worker's batch
    clock.move_to(due + timedelta(seconds=1))
    _fire_one_by_one(single, name)
    assert engine.fire_due_timers() == 1
    # Then both wrote the same rows
    assert Contract.objects.get(pk=batched).last_event_seq > 1
    got, want = _rows(batched), _rows(single)
    for key in want:
        assert got[key] == want[key], key
