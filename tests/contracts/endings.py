"""Every way a contract ends, reached through the HTTP API and the worker as people do.

``reach(ending, ...)`` buys a fresh contract and drives it to one ending of the lifecycle
table; the client card and contract room tests walk all of them. Timer endings move the
frozen clock (the ``clock`` fixture) and run ``worker --once`` like the real worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.management import call_command

from fairlance.contracts.models import Contract
from tests.contracts.conftest import answers_for, buy, make_project

# Each ending of the table with what it records: (outcome, fault).
ENDINGS: dict[str, tuple[str, str]] = {
    "approve": ("completed", "none"),
    "auto_approve": ("completed", "none"),
    "partial_refund_then_approve": ("completed", "none"),
    "resolve_dispute_30": ("completed", "none"),
    "resolve_dispute_30_freelancer_fault": ("completed", "freelancer"),
    "resolve_dispute_0": ("cancelled", "freelancer"),
    "resolve_dispute_client_fault": ("completed", "client"),
    "decline": ("cancelled", "none"),
    "withdraw": ("cancelled", "none"),
    "expire_request": ("cancelled", "none"),
    "cancel_before_start": ("cancelled", "none"),
    "expire_requirements": ("cancelled", "none"),
    "decline_in_grace": ("cancelled", "none"),
    "cancel_late": ("cancelled", "freelancer"),
    "refund": ("cancelled", "none"),
}
# The endings that are nobody's fault and complete nothing: a client card counts them as
# neither a completion nor a cancellation.
NO_FAULT_CANCELLATIONS = (
    "decline",
    "withdraw",
    "expire_request",
    "decline_in_grace",
    "refund",
    "expire_requirements",
    "cancel_before_start",
)
PARTIAL_REFUND = 2_000


@dataclass
class Parties:
    api: Any  # the ``api`` fixture
    client: Any
    freelancer: Any
    operator: Any
    clock: Any


def ok(resp: Any) -> dict[str, Any]:
    assert resp.status_code in (200, 201), resp.content[:2000]
    return dict(resp.json())


def worker() -> None:
    call_command("worker", "--once", verbosity=0)


def _bought(p: Parties, *, mode: str = "instant") -> tuple[Any, Any, int, Any]:
    project = make_project(p.freelancer, mode=mode)
    c, f = p.api(p.client), p.api(p.freelancer)
    answers = answers_for(project) if mode == "request" else None
    cid = ok(buy(c, project, answers=answers))["id"]
    return c, f, cid, project


def _started(p: Parties) -> tuple[Any, Any, int]:
    c, f, cid, project = _bought(p)
    ok(c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)}))
    return c, f, cid


def _delivered(p: Parties) -> tuple[Any, Any, int]:
    c, f, cid = _started(p)
    ok(f.post(f"contracts/{cid}/deliver", {"note": "Here it is"}))
    return c, f, cid


def _until(p: Parties, cid: int, done: Any, *, step: timedelta, most: int = 30) -> None:
    """Move the clock by ``step`` and run the worker until ``done(contract)`` holds."""
    for _ in range(most):
        if done(Contract.objects.get(pk=cid)):
            return
        p.clock.shift(step)
        worker()
    raise AssertionError(f"contract {cid} never reached the expected state")


def _resolve(p: Parties, percent: int, fault: str) -> int:
    c, f, cid = _delivered(p)
    ok(c.post(f"contracts/{cid}/open_dispute", {"reason": "Not what we agreed"}))
    ok(f.post(f"contracts/{cid}/answer_dispute", {"note": "It is what we agreed."}))
    body = {"freelancer_percent": percent, "note": "Decided on the evidence.", "fault": fault}
    ok(p.api(p.operator).post(f"contracts/{cid}/resolve_dispute", body))
    return cid


def reach(ending: str, p: Parties) -> int:
    """Buy a new contract and end it by ``ending`` (a key of ``ENDINGS``); its id."""
    if ending == "approve":
        c, _, cid = _delivered(p)
        ok(c.post(f"contracts/{cid}/approve"))
    elif ending == "auto_approve":
        _, _, cid = _delivered(p)
        _until(p, cid, lambda k: k.state == "completed", step=timedelta(days=1))
    elif ending == "partial_refund_then_approve":
        c, f, cid = _delivered(p)
        ok(f.post(f"contracts/{cid}/partial-refund", {"amount_minor": PARTIAL_REFUND}))
        ok(c.post(f"contracts/{cid}/approve"))
    elif ending == "resolve_dispute_30":
        cid = _resolve(p, 30, "none")
    elif ending == "resolve_dispute_30_freelancer_fault":
        cid = _resolve(p, 30, "freelancer")
    elif ending == "resolve_dispute_0":
        cid = _resolve(p, 0, "freelancer")
    elif ending == "resolve_dispute_client_fault":
        cid = _resolve(p, 100, "client")
    elif ending in ("decline", "withdraw"):
        c, f, cid, _ = _bought(p, mode="request")
        ok((f if ending == "decline" else c).post(f"contracts/{cid}/{ending}", {}))
    elif ending == "expire_request":
        _, _, cid, _ = _bought(p, mode="request")
        _until(p, cid, lambda k: k.state == "cancelled", step=timedelta(hours=12))
    elif ending == "cancel_before_start":
        c, _, cid, _ = _bought(p)
        ok(c.post(f"contracts/{cid}/cancel_before_start"))
    elif ending == "expire_requirements":
        _, _, cid, _ = _bought(p)
        _until(p, cid, lambda k: k.state == "cancelled", step=timedelta(hours=12))
    elif ending == "decline_in_grace":
        _, f, cid = _started(p)
        ok(f.post(f"contracts/{cid}/decline_in_grace", {}))
    elif ending == "cancel_late":
        c, _, cid = _started(p)
        _until(p, cid, lambda k: k.late, step=timedelta(days=1))
        for _ in range(5):
            if "cancel_late" in ok(c.get(f"contracts/{cid}"))["available_transitions"]:
                break
            p.clock.shift(timedelta(hours=12))
        ok(c.post(f"contracts/{cid}/cancel_late"))
    elif ending == "refund":
        _, f, cid = _started(p)
        ok(f.post(f"contracts/{cid}/refund", {"note": "Sorry, I cannot do it after all."}))
    else:  # pragma: no cover - a typo in a test
        raise ValueError(ending)
    contract = Contract.objects.get(pk=cid)
    assert (contract.outcome, contract.fault) == ENDINGS[ending], (ending, contract.ending)
    return cid
