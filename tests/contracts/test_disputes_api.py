"""Disputes with both sides heard, through the API (issue 12 item 5).

The side that did not open a dispute answers once, with words and files, within its answer
window (3 working days of its own calendar); the worker records a missing answer; an
operator resolves only once both sides are heard, with a note both sides read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.core.models import AuditEntry
from fairlance.files.models import Upload
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance
from tests.conftest import assert_problem
from tests.contracts.conftest import PRICE, START, answers_for, buy, make_project
from tests.contracts.test_contract_files import upload

pytestmark = pytest.mark.django_db

REASON = "The logo is not in the colours we agreed."
ANSWER = "The colours are the ones in the brief, page 2."
DECISION = {"freelancer_percent": 40, "note": "Colours differ from the brief.", "fault": "none"}
# START is Wednesday 10:00 UTC: three working days later is Monday 10:00 UTC.
ANSWER_DUE = START + timedelta(days=5)


def disputed(api: Any, client_user: Any, freelancer: Any) -> tuple[Any, Any, int]:
    """A delivered contract the client disputes: the freelancer is to answer."""
    project = make_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = int(buy(c, project).json()["id"])
    resp = c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)})
    assert resp.status_code == 200, resp.content
    assert f.post(f"contracts/{cid}/deliver", {"note": "Logo attached."}).status_code == 200
    resp = c.post(f"contracts/{cid}/open_dispute", {"reason": REASON})
    assert resp.status_code == 200, resp.content
    return c, f, cid


def written(cid: int) -> tuple[Any, ...]:
    """What a refused call must leave alone."""
    c = Contract.objects.get(pk=cid)
    return (
        c.state,
        c.dispute_answered_at,
        c.dispute_answer_missed,
        ContractEvent.objects.filter(contract_id=cid).count(),
        balance(escrow(cid)),
        AuditEntry.objects.count(),
    )


# --- answering --------------------------------------------------------------------------------


def test_opening_stores_the_answer_due_in_the_answerers_working_days(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = disputed(api, client_user, freelancer)
    contract = Contract.objects.get(pk=cid)
    assert contract.dispute_answer_due_at == ANSWER_DUE
    body = f.get(f"contracts/{cid}").json()
    assert body["available_transitions"] == ["answer_dispute"]
    assert body["dispute"]["answerer"] == "freelancer"
    assert body["dispute"]["answer_due_at"] == ANSWER_DUE.isoformat()
    assert body["dispute"]["both_heard"] is False
    clock_ = next(d for d in body["deadlines"] if d["name"] == "dispute_answer")
    assert clock_["at"] == ANSWER_DUE.isoformat()
    assert "working days" in clock_["explanation"]
    # The opener may withdraw, not answer
    assert c.get(f"contracts/{cid}").json()["available_transitions"] == ["withdraw_dispute"]


def test_the_other_side_answers_with_words_and_files(clock, api, client_user, freelancer) -> None:
    c, f, cid = disputed(api, client_user, freelancer)
    file_id = upload(f, "brief-page-2.png", b"\x89PNG...", "dispute")
    resp = f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER, "files": [file_id]})
    assert resp.status_code == 200, resp.content
    dispute = resp.json()["dispute"]
    assert dispute["answer"] == ANSWER
    assert [x["name"] for x in dispute["answer_files"]] == ["brief-page-2.png"]
    assert dispute["both_heard"] is True
    assert resp.json()["state"] == "disputed"
    assert Upload.objects.get(public_id=file_id).contract_id == cid
    # The client reads the answer and downloads its file through the contract's door
    seen = c.get(f"contracts/{cid}").json()["dispute"]
    assert seen["answer"] == ANSWER
    assert c.get(seen["answer_files"][0]["url"]).status_code == 200
    # The answer clock no longer shows
    assert "dispute_answer" not in [
        d["name"] for d in c.get(f"contracts/{cid}").json()["deadlines"]
    ]


def test_an_answer_needs_words(clock, api, client_user, freelancer) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    before = written(cid)
    body = assert_problem(f.post(f"contracts/{cid}/answer_dispute", {}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "note"
    assert written(cid) == before


def test_a_delivery_upload_is_not_dispute_evidence(clock, api, client_user, freelancer) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    wrong = upload(f, "x.png", b"\x89PNG", "delivery")
    before = written(cid)
    resp = f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER, "files": [wrong]})
    assert_problem(resp, 422)
    assert written(cid) == before
    assert Upload.objects.get(public_id=wrong).contract_id is None


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("client", 409, "transition_not_available"),  # the opener
        ("operator", 403, "not_your_transition"),
        ("stranger", 404, None),
        ("anonymous", 401, None),
    ],
)
def test_only_the_other_side_may_answer(
    clock, api, client_user, freelancer, operator, stranger, who, status, code
) -> None:
    _, _, cid = disputed(api, client_user, freelancer)
    caller = {
        "client": api(client_user),
        "operator": api(operator),
        "stranger": api(stranger),
        "anonymous": api(),
    }[who]
    before = written(cid)
    assert_problem(caller.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER}), status, code)
    assert written(cid) == before


def test_a_second_answer_is_409(clock, api, client_user, freelancer) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    assert f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER}).status_code == 200
    before = written(cid)
    resp = f.post(f"contracts/{cid}/answer_dispute", {"note": "And one more thing."})
    assert_problem(resp, 409, "transition_not_available")
    assert written(cid) == before


def test_the_freelancer_opens_and_the_client_answers(clock, api, client_user, freelancer) -> None:
    project = make_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = int(buy(c, project).json()["id"])
    c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)})
    evidence = upload(f, "chat.png", b"\x89PNG", "dispute")
    f.post(f"contracts/{cid}/open_dispute", {"reason": "No feedback.", "files": [evidence]})
    assert_problem(f.post(f"contracts/{cid}/answer_dispute", {"note": "x"}), 409)
    assert c.post(f"contracts/{cid}/answer_dispute", {"note": "I was away."}).status_code == 200
    dispute = c.get(f"contracts/{cid}").json()["dispute"]
    assert (dispute["opened_by"], dispute["answerer"]) == ("freelancer", "client")
    assert [x["name"] for x in dispute["reason_files"]] == ["chat.png"]


# --- the answer clock --------------------------------------------------------------------------


def test_the_worker_records_a_missing_answer_when_the_window_passes(
    clock, api, client_user, freelancer, operator
) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    o = api(operator)
    # Before the window ends: nothing fires and the operator cannot decide yet
    clock.move_to(ANSWER_DUE - timedelta(minutes=1))
    call_command("worker", "--once", verbosity=0)
    assert not Contract.objects.get(pk=cid).dispute_answer_missed
    assert o.get(f"contracts/{cid}").json()["available_transitions"] == []
    # When it passes, the worker records the answer missing, the contract stays disputed
    clock.move_to(ANSWER_DUE)
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    assert (contract.state, contract.dispute_answer_missed) == ("disputed", True)
    assert contract.events.filter(name="expire_dispute_answer", actor_role="system").count() == 1
    # Then the answer is refused and the operator may decide
    assert_problem(f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER}), 409)
    assert o.get(f"contracts/{cid}").json()["available_transitions"] == ["resolve_dispute"]
    assert o.post(f"contracts/{cid}/resolve_dispute", DECISION).status_code == 200


def test_an_answered_dispute_skips_its_answer_timer(clock, api, client_user, freelancer) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER})
    clock.move_to(ANSWER_DUE + timedelta(hours=1))
    call_command("worker", "--once", verbosity=0)
    contract = Contract.objects.get(pk=cid)
    assert not contract.dispute_answer_missed
    assert not contract.events.filter(name="expire_dispute_answer").exists()
    timer = Timer.objects.get(contract_id=cid, transition="expire_dispute_answer")
    assert timer.status == "skipped"


def test_a_dispute_opened_again_gets_a_new_answer_window(
    clock, api, client_user, freelancer
) -> None:
    c, f, cid = disputed(api, client_user, freelancer)
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER})
    c.post(f"contracts/{cid}/withdraw_dispute")
    clock.shift(timedelta(days=1))  # Thursday
    c.post(f"contracts/{cid}/open_dispute", {"reason": "Still wrong."})
    contract = Contract.objects.get(pk=cid)
    assert contract.dispute_answered_at is None
    assert contract.dispute_answer_due_at == ANSWER_DUE + timedelta(days=1)  # Tuesday
    body = f.get(f"contracts/{cid}").json()
    assert body["dispute"]["reason"] == "Still wrong."
    assert body["dispute"]["answer"] is None
    assert body["available_transitions"] == ["answer_dispute"]


# --- resolving --------------------------------------------------------------------------------


def test_resolve_is_refused_before_both_sides_are_heard(
    clock, api, client_user, freelancer, operator
) -> None:
    _, _, cid = disputed(api, client_user, freelancer)
    before = written(cid)
    resp = api(operator).post(f"contracts/{cid}/resolve_dispute", DECISION)
    body = assert_problem(resp, 409, "transition_not_available")
    assert "both sides heard" in body["detail"]
    assert written(cid) == before


def test_resolution_after_the_answer_is_shown_to_both_and_audited(
    clock, api, client_user, freelancer, operator
) -> None:
    c, f, cid = disputed(api, client_user, freelancer)
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER})
    resp = api(operator).post(f"contracts/{cid}/resolve_dispute", DECISION)
    assert resp.status_code == 200, resp.content
    for side in (c, f):
        dispute = side.get(f"contracts/{cid}").json()["dispute"]
        assert dispute["resolution"]["note"] == DECISION["note"]
        assert dispute["resolution"]["freelancer_percent"] == 40
        assert dispute["answer"] == ANSWER
        events = side.get(f"contracts/{cid}/events").json()["results"]
        assert events[-1]["data"]["note"] == DECISION["note"]
    audit = AuditEntry.objects.get(action="dispute_resolve")
    assert (audit.actor_id, audit.target_id, audit.note) == (
        operator.pk,
        str(cid),
        DECISION["note"],
    )


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_lists_the_proposals_made_before_the_dispute(
    clock, api, client_user, freelancer, operator
) -> None:
    # Given a delivered contract on which the freelancer offered to settle, and was declined
    project = make_project(freelancer)
    c, f = api(client_user), api(freelancer)
    cid = int(buy(c, project).json()["id"])
    c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)})
    f.post(f"contracts/{cid}/deliver", {"note": "Logo attached."})
    body = {"kind": "cancel", "percent_to_freelancer": 60, "note": "Let us settle at 60%."}
    made = f.post(f"contracts/{cid}/proposals", body)
    assert made.status_code == 201, made.content
    assert c.post(f"proposals/{made.json()['id']}/decline", {}).status_code == 200
    # When the client opens a dispute
    assert c.post(f"contracts/{cid}/open_dispute", {"reason": REASON}).status_code == 200
    # Then the evidence both sides and the operator read holds the declined settlement
    for caller in (c, f, api(operator)):
        (proposal,) = caller.get(f"contracts/{cid}/evidence").json()["proposals"]
        assert proposal["kind"] == "cancel" and proposal["status"] == "declined"
        assert proposal["proposed_by"] == "freelancer"
        assert "60%" in proposal["summary"] and proposal["note"] == "Let us settle at 60%."


@pytest.mark.parametrize(
    ("who", "status"),
    [("client", 200), ("freelancer", 200), ("operator", 200), ("stranger", 404), ("anon", 401)],
)
def test_evidence_access(clock, api, client_user, freelancer, operator, stranger, who, status):
    _, f, cid = disputed(api, client_user, freelancer)
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER})
    caller = {
        "client": api(client_user),
        "freelancer": f,
        "operator": api(operator),
        "stranger": api(stranger),
        "anon": api(),
    }[who]
    resp = caller.get(f"contracts/{cid}/evidence")
    if status != 200:
        assert_problem(resp, status)
        return
    body = resp.json()
    assert body["dispute"]["reason"] == REASON
    assert body["dispute"]["answer"] == ANSWER
    assert [d["note"] for d in body["deliveries"]] == ["Logo attached."]
    assert body["proposals"] == []


def test_an_operators_file_download_is_audited_a_partys_is_not(
    clock, api, client_user, freelancer, operator
) -> None:
    c, f, cid = disputed(api, client_user, freelancer)
    file_id = upload(f, "proof.png", b"\x89PNG", "dispute")
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER, "files": [file_id]})
    url = f"contracts/{cid}/files/{file_id}"
    assert c.get(url).status_code == 200
    assert not AuditEntry.objects.filter(action="contract_file_view").exists()
    assert api(operator).get(url).status_code == 200
    entry = AuditEntry.objects.get(action="contract_file_view")
    assert (entry.actor_id, entry.target_id, entry.data["file_id"]) == (
        operator.pk,
        str(cid),
        file_id,
    )


# --- operator endpoints -----------------------------------------------------------------------


def test_operator_queue_lists_open_disputes_oldest_first_with_answers(
    clock, api, client_user, freelancer, operator
) -> None:
    _, f, first = disputed(api, client_user, freelancer)
    clock.shift(timedelta(hours=2))
    _, _, second = disputed(api, client_user, freelancer)
    f.post(f"contracts/{first}/answer_dispute", {"note": ANSWER})
    rows = api(operator).get("operator/disputes").json()["results"]
    assert [(r["contract_id"], r["answered"], r["both_heard"]) for r in rows] == [
        (first, True, True),
        (second, False, False),
    ]
    assert rows[0]["reason"] == REASON


def test_operator_dispute_detail_shows_both_sides_timeline_and_money(
    clock, api, client_user, freelancer, operator
) -> None:
    _, f, cid = disputed(api, client_user, freelancer)
    f.post(f"contracts/{cid}/answer_dispute", {"note": ANSWER})
    body = api(operator).get(f"operator/disputes/{cid}").json()
    assert (body["dispute"]["reason"], body["dispute"]["answer"]) == (REASON, ANSWER)
    assert [e["name"] for e in body["timeline"]][-2:] == ["open_dispute", "answer_dispute"]
    assert body["money"]["held_minor"] == PRICE
    by_percent = {s["freelancer_percent"]: s for s in body["money"]["splits"]}
    assert by_percent[0]["client_back_minor"] == PRICE
    assert by_percent[100]["freelancer_receives_minor"] == PRICE - PRICE // 10
    assert by_percent[50]["client_back_minor"] == PRICE // 2


@pytest.mark.parametrize("path", ["operator/disputes", "operator/disputes/{cid}"])
@pytest.mark.parametrize(("who", "status"), [("client", 403), ("stranger", 403), ("anon", 401)])
def test_operator_endpoints_refuse_everyone_else(
    clock, api, client_user, freelancer, stranger, path, who, status
) -> None:
    _, _, cid = disputed(api, client_user, freelancer)
    caller = {"client": api(client_user), "stranger": api(stranger), "anon": api()}[who]
    assert_problem(caller.get(path.format(cid=cid)), status)


def test_operator_detail_of_a_contract_without_dispute_is_404(
    clock, api, client_user, freelancer, operator
) -> None:
    project = make_project(freelancer)
    cid = int(buy(api(client_user), project).json()["id"])
    assert_problem(api(operator).get(f"operator/disputes/{cid}"), 404, "no_dispute")
    assert_problem(api(operator).get("operator/disputes/999999"), 404)
