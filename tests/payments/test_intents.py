"""Provider intents: one attempt at a time, outcomes recorded, retried with backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from fairlance.payments.models import ProviderIntent
from fairlance.payments.provider import CARD_SUCCESS, SandboxProvider, get_provider
from fairlance.payments.services import intent_execute, intent_record, intents_execute_due

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def charged(amount: int = 1_000) -> str:
    result = get_provider().charge(
        amount_minor=amount, card_number=CARD_SUCCESS, reference=f"c{amount}", payer_id=None
    )
    assert result.provider_ref
    return result.provider_ref


def record(kind: str, payment_ref: str, reference: str = "r1", amount: int = 1_000) -> int:
    with transaction.atomic():
        intent = intent_record(
            kind=kind,
            reference=reference,
            payment_ref=payment_ref,
            amount_minor=amount,
            contract_id=None,
            now=NOW,
        )
    return int(intent.pk)


def test_an_attempt_is_made_by_one_executor_only(clock) -> None:
    # Given a recorded refund
    intent_id = record("refund", charged())
    # When two executors try the first attempt (the on-commit call and a worker)
    first = intent_execute(intent_id=intent_id, attempts=0)
    second = intent_execute(intent_id=intent_id, attempts=0)
    # Then one made it, the other found it taken and called nobody
    assert (first, second) == ("done", None)
    assert ProviderIntent.objects.get().attempts == 1


def test_the_worker_waits_for_a_fresh_intent_then_backs_off(clock, monkeypatch) -> None:
    calls: list[str] = []

    def down(self: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["reference"])
        raise ConnectionError("no route to the processor")

    monkeypatch.setattr(SandboxProvider, "refund", down)
    intent_id = record("refund", charged())
    # A fresh intent is left to its on-commit call for a while
    assert intents_execute_due(now=NOW) == 0
    # Then the worker tries it; a processor that raises is a failed attempt, not a crash
    clock.shift(timedelta(seconds=30))
    assert intents_execute_due(now=NOW + timedelta(seconds=30)) == 1
    intent = ProviderIntent.objects.get(pk=intent_id)
    assert (intent.status, intent.attempts, intent.error_code) == ("pending", 1, "provider_error")
    assert "no route" in intent.message
    # The next attempt waits longer each time
    assert intent.next_attempt_at == NOW + timedelta(seconds=60)
    assert intents_execute_due(now=NOW + timedelta(seconds=59)) == 0
    clock.shift(timedelta(seconds=30))
    assert intents_execute_due(now=NOW + timedelta(seconds=60)) == 1
    intent.refresh_from_db()
    assert intent.next_attempt_at == NOW + timedelta(seconds=120)
    assert len(calls) == 2


def test_a_void_of_a_captured_hold_is_settled_by_the_captures_refund(clock) -> None:
    # Given a hold that was captured before its void was carried out
    provider = get_provider()
    hold = provider.authorize(amount_minor=500, card_number=CARD_SUCCESS, reference="a", payer_id=1)
    assert hold.provider_ref
    assert provider.capture(authorization_ref=hold.provider_ref, amount_minor=500, reference="c").ok
    # When the void is carried out
    intent_id = record("void", hold.provider_ref, amount=500)
    assert intent_execute(intent_id=intent_id, attempts=0) == "done"
    # Then it is done, saying why (the capture is refunded by its own undo), not retried
    intent = ProviderIntent.objects.get(pk=intent_id)
    assert (intent.status, intent.error_code) == ("done", "already_captured")
