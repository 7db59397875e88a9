"""Card refunds and hold releases outside the lock (issue 10, item 10).

A transition that gives money back records an intent next to its ledger entry; the
processor is called only after the commit, retried by the worker, never twice.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fairlance.contracts import actions
from fairlance.contracts.engine import SYSTEM, Actor, apply_transition, fire_due_timers
from fairlance.contracts.models import Contract
from fairlance.ledger.accounts import escrow
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt, ProviderIntent
from fairlance.payments.provider import ProviderResult, SandboxProvider, get_provider
from fairlance.payments.services import INTENT_MAX_ATTEMPTS
from tests.contracts.conftest import PRICE, answers_for, buy, make_project

pytestmark = pytest.mark.django_db


def in_progress(api: Any, client_user: Any, freelancer: Any) -> tuple[Any, int]:
    """An instant purchase of a project without questions: work has started."""
    resp = buy(api(client_user), make_project(freelancer, questions=False))
    assert resp.status_code == 201, resp.content
    return api(freelancer), resp.json()["id"]


class RefundSpy:
    """Counts the processor's refund calls and can make them fail."""

    def __init__(self, monkeypatch: Any) -> None:
        self.calls: list[str] = []
        self.down = False
        real = SandboxProvider.refund
        spy = self

        def refund(provider: Any, **kwargs: Any) -> ProviderResult:
            spy.calls.append(kwargs["reference"])
            if spy.down:
                return ProviderResult(False, None, "processor_down", "The processor is down.")
            return real(provider, **kwargs)

        monkeypatch.setattr(SandboxProvider, "refund", refund)


def ok_refunds() -> list[PaymentAttempt]:
    return list(PaymentAttempt.objects.filter(kind="refund", ok=True))


def worker() -> None:
    call_command("worker", "--once", verbosity=0)


def test_the_processor_is_called_after_the_commit(
    clock, api, client_user, freelancer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    spy = RefundSpy(monkeypatch)
    f, cid = in_progress(api, client_user, freelancer)
    # When the freelancer refunds, and the transaction has not committed yet
    with django_capture_on_commit_callbacks() as callbacks:
        assert f.post(f"contracts/{cid}/refund").status_code == 200
        # Then the ledger entry and the intent are written, but no processor was called
        intent = ProviderIntent.objects.get(contract_id=cid)
        assert (intent.kind, intent.status, intent.attempts) == ("refund", "pending", 0)
        assert JournalEntry.objects.filter(reference=intent.reference).exists()
        assert spy.calls == [] and ok_refunds() == []
    # When it commits, the refund is made, with the intent's reference
    for callback in callbacks:
        callback()
    intent.refresh_from_db()
    assert spy.calls == [intent.reference]
    assert (intent.status, intent.attempts) == ("done", 1)
    (refund,) = ok_refunds()
    assert (refund.reference, refund.amount_minor) == (intent.reference, PRICE)
    assert intent.provider_ref == refund.provider_ref
    assert refund.charge_ref == Contract.objects.get(pk=cid).charge_ref
    assert ledger_check() == []


def test_a_transition_rolled_back_after_its_refund_leaves_no_intent_and_no_call(
    clock, api, client_user, freelancer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    spy = RefundSpy(monkeypatch)
    f, cid = in_progress(api, client_user, freelancer)

    # Given an ending that fails after the refund was recorded (the capacity slot)
    def broken(contract: Any, ctx: Any, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the capacity slot could not be given back")

    monkeypatch.setattr(actions, "_end", broken)
    # When the freelancer's refund runs and rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        apply_transition(
            contract_id=cid, name="refund", actor=Actor("freelancer", freelancer), payload={}
        )
    # Then nothing of it remains: no intent, no call to make, no call made, escrow intact
    assert callbacks == []
    assert not ProviderIntent.objects.exists()
    assert spy.calls == []
    assert balance(escrow(cid)) == PRICE
    assert Contract.objects.get(pk=cid).state == "in_progress"
    assert ledger_check() == []


def test_a_processor_failure_is_retried_by_the_worker_and_never_refunds_twice(
    clock, api, client_user, freelancer, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # Given a processor that is down
    spy = RefundSpy(monkeypatch)
    spy.down = True
    f, cid = in_progress(api, client_user, freelancer)
    # When the freelancer refunds, the contract is refunded in the ledger all the same,
    # and the card's refund waits
    with django_capture_on_commit_callbacks(execute=True):
        assert f.post(f"contracts/{cid}/refund").status_code == 200
    assert Contract.objects.get(pk=cid).state == "cancelled" and balance(escrow(cid)) == 0
    intent = ProviderIntent.objects.get()
    assert (intent.status, intent.attempts, intent.error_code) == ("pending", 1, "processor_down")
    # The worker leaves it alone until it is due again
    worker()
    assert len(spy.calls) == 1
    # When the processor is back and the intent is due, the worker refunds
    spy.down = False
    clock.shift(timedelta(minutes=1))
    worker()
    intent.refresh_from_db()
    assert (intent.status, intent.attempts, intent.error_code) == ("done", 2, "")
    assert len(ok_refunds()) == 1
    # And later runs never call again
    clock.shift(timedelta(hours=2))
    worker()
    worker()
    assert len(spy.calls) == 2 and len(ok_refunds()) == 1
    assert ledger_check() == []


def test_a_retry_after_a_call_that_went_through_unrecorded_is_a_replay(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a refund the processor made whose outcome was never recorded (the process
    # died right after the call): the intent is still pending
    spy = RefundSpy(monkeypatch)
    f, cid = in_progress(api, client_user, freelancer)
    assert f.post(f"contracts/{cid}/refund").status_code == 200
    intent = ProviderIntent.objects.get()
    get_provider().refund(
        charge_ref=intent.payment_ref, amount_minor=intent.amount_minor, reference=intent.reference
    )
    # When the worker retries it
    clock.shift(timedelta(minutes=1))
    worker()
    # Then the processor answers with the first refund: the card got the money once
    intent.refresh_from_db()
    assert intent.status == "done"
    assert len(spy.calls) == 2 and len(ok_refunds()) == 1
    assert intent.provider_ref == ok_refunds()[0].provider_ref


def test_an_intent_that_keeps_failing_is_left_for_an_operator(
    clock, api, client_user, freelancer, monkeypatch
) -> None:
    # Given a processor that refuses every refund
    spy = RefundSpy(monkeypatch)
    spy.down = True
    f, cid = in_progress(api, client_user, freelancer)
    assert f.post(f"contracts/{cid}/refund").status_code == 200
    # When the worker keeps trying for two days
    for _ in range(48):
        clock.shift(timedelta(hours=1))
        worker()
    # Then it gave up after a bounded number of attempts, with backoff between them
    intent = ProviderIntent.objects.get()
    assert (intent.status, intent.attempts) == ("failed", INTENT_MAX_ATTEMPTS)
    assert len(spy.calls) == INTENT_MAX_ATTEMPTS
    # And the operators' check lists it and fails
    problem = (
        f"payment intent {intent.reference} (refund of {PRICE} on {intent.payment_ref}) "
        f"failed after {INTENT_MAX_ATTEMPTS} attempts: processor_down: The processor is down."
    )
    assert ledger_check() == [problem]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("ledger", "check", stdout=out)
    assert problem in out.getvalue()


@pytest.mark.parametrize(
    ("name", "payload", "amount"),
    [
        ("refund", {}, PRICE),
        ("partial_refund", {"amount_minor": 2_500}, 2_500),
        ("resolve_dispute", {"freelancer_percent": 60, "note": "Split.", "fault": "none"}, 4_000),
    ],
)
def test_every_refund_records_its_intent_next_to_its_entry(
    clock, api, client_user, freelancer, operator, name, payload, amount
) -> None:
    f, cid = in_progress(api, client_user, freelancer)
    who = f
    if name == "resolve_dispute":
        f.post(f"contracts/{cid}/open_dispute", {"reason": "Stuck"})
        api(client_user).post(f"contracts/{cid}/answer_dispute", {"note": "Not stuck"})
        who = api(operator)
    assert who.post(f"contracts/{cid}/{name}", payload).status_code == 200
    # One intent per refund, named like the ledger entry that moved the money
    intent = ProviderIntent.objects.get()
    refund = JournalEntry.objects.get(reference=intent.reference)
    assert refund.reference.startswith(f"contract:{cid}:refund:")
    assert (intent.kind, intent.amount_minor) == ("refund", amount)
    assert sorted(refund.postings.values_list("amount", flat=True)) == [-amount, amount]
    assert intent.payment_ref == Contract.objects.get(pk=cid).charge_ref


# --- the worker's batch writes what a person's transaction writes ------------------------------


def _rows(contract_id: int) -> dict[str, Any]:
    """The money rows an ending wrote for ``contract_id``, with its id taken out."""

    def plain(text: str) -> str:
        return text.replace(f":{contract_id}:", ":N:")

    contract = Contract.objects.get(pk=contract_id)
    intents = [
        {
            "kind": i.kind,
            "reference": plain(i.reference),
            "payment_ref_is_the_contracts": i.payment_ref
            in (contract.charge_ref, contract.authorization_ref),
            "amount_minor": i.amount_minor,
            "status": i.status,
            "attempts": i.attempts,
            "next_attempt_at": i.next_attempt_at,
            "created_at": i.created_at,
        }
        for i in ProviderIntent.objects.filter(contract_id=contract_id).order_by("id")
    ]
    entries = [
        (plain(e.reference), e.phase, plain(e.resolves.reference) if e.resolves else None)
        for e in JournalEntry.objects.filter(contract_id=contract_id).order_by("id")
    ]
    return {"state": (contract.state, contract.ending), "intents": intents, "entries": entries}


@pytest.mark.parametrize(
    ("mode", "name"), [("request", "expire_request"), ("instant", "expire_requirements")]
)
def test_the_worker_batch_records_the_same_intents_as_a_transaction_of_its_own(
    clock, api, client_user, freelancer, mode, name
) -> None:
    # Given two identical contracts waiting for the same deadline
    project = make_project(freelancer, mode=mode)
    c = api(client_user)
    answers = answers_for(project) if mode == "request" else None
    ids = [buy(c, project, answers=answers).json()["id"] for _ in range(2)]
    clock.shift(timedelta(days=3))
    # When one expires in a transaction of its own and the worker's batch expires the other
    apply_transition(contract_id=ids[0], name=name, actor=SYSTEM)
    assert fire_due_timers(now=timezone.now()) >= 1
    # Then both wrote the same money rows: ledger entries, intents (kind, reference,
    # amount, status, timestamps)
    person, batch = _rows(ids[0]), _rows(ids[1])
    assert person["state"] == batch["state"] == ("cancelled", name)
    assert person == batch
    assert len(person["intents"]) == 1
    assert ledger_check() == []
