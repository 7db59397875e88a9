"""core.idempotency: Idempotency-Key handling for money-moving endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.utils import timezone

from fairlance.core import idempotency
from fairlance.core.errors import Conflict
from fairlance.core.idempotency import (
    idempotency_attempt_abandon,
    idempotency_lease,
    idempotency_purge,
    idempotent,
    idempotent_attempt,
)
from fairlance.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


class Counter:
    """A handler that counts its calls and answers with the call number."""

    def __init__(self, status: int = 201) -> None:
        self.calls = 0
        self.status = status

    def __call__(self) -> HttpResponse:
        self.calls += 1
        return JsonResponse({"call": self.calls}, status=self.status)


def _request(user, key: str | None = None):
    headers = {} if key is None else {"Idempotency-Key": key}
    request = RequestFactory().post("/api/v1/x", headers=headers)
    request.user = user
    return request


def test_without_a_key_the_handler_always_runs(freelancer) -> None:
    handler = Counter()
    idempotent(_request(freelancer), "s", {"a": 1}, handler)
    idempotent(_request(freelancer), "s", {"a": 1}, handler)
    assert handler.calls == 2
    assert IdempotencyRecord.objects.count() == 0


def test_replay_returns_the_stored_response(freelancer) -> None:
    # given a first request with a key
    handler = Counter()
    first = idempotent(_request(freelancer, "key-1"), "payout", {"amount": 5}, handler)

    # when it is repeated with the same key and params
    second = idempotent(_request(freelancer, "key-1"), "payout", {"amount": 5}, handler)

    # then the handler ran once and the replay carries the same status and body
    assert handler.calls == 1
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.status_code) == ("completed", 201)


def test_the_stored_result_holds_the_whole_response(freelancer) -> None:
    # When a request with a key completes at a known time
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        idempotent(_request(freelancer, "key-2"), "payout", {"amount": 5}, Counter())

    # Then its record keeps status, content type, body and the completion time
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.status_code, record.content_type) == (
        "completed",
        201,
        "application/json",
    )
    assert record.body == '{"call": 1}'
    assert record.completed_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_params_order_does_not_matter(freelancer) -> None:
    handler = Counter()
    idempotent(_request(freelancer, "k"), "s", {"a": 1, "b": [1, 2]}, handler)
    idempotent(_request(freelancer, "k"), "s", {"b": [1, 2], "a": 1}, handler)
    assert handler.calls == 1


def test_same_key_different_params_is_422(freelancer) -> None:
    handler = Counter()
    idempotent(_request(freelancer, "k"), "s", {"amount": 5}, handler)

    resp = idempotent(_request(freelancer, "k"), "s", {"amount": 6}, handler)

    assert resp.status_code == 422
    assert resp["Content-Type"] == "application/problem+json"
    assert b"idempotency_key_reused" in resp.content
    assert handler.calls == 1


@pytest.mark.parametrize("key", ["x" * 256, "", "   "])
def test_invalid_key_is_400_and_nothing_runs(freelancer, key: str) -> None:
    handler = Counter()

    resp = idempotent(_request(freelancer, key), "s", {}, handler)

    assert resp.status_code == 400
    assert b"idempotency_key_invalid" in resp.content
    assert handler.calls == 0
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_of_255_characters_is_accepted(freelancer) -> None:
    handler = Counter()
    idempotent(_request(freelancer, "k" * 255), "s", {}, handler)
    assert handler.calls == 1


def test_duplicate_while_the_first_is_running_gets_409(freelancer) -> None:
    # given a handler that, while running, receives the same request again
    inner_responses: list[HttpResponse] = []
    inner = Counter()

    def handler() -> HttpResponse:
        inner_responses.append(idempotent(_request(freelancer, "k"), "s", {}, inner))
        return JsonResponse({"ok": True}, status=201)

    # when the first request runs
    first = idempotent(_request(freelancer, "k"), "s", {}, handler)

    # then the duplicate was told the first is in progress and never ran
    assert first.status_code == 201
    assert inner_responses[0].status_code == 409
    assert b"idempotency_in_progress" in inner_responses[0].content
    assert inner.calls == 0


def test_an_exception_frees_the_key_for_a_retry(freelancer) -> None:
    # given a handler that crashes once
    def crash() -> HttpResponse:
        raise RuntimeError("provider timeout")

    with pytest.raises(RuntimeError):
        idempotent(_request(freelancer, "k"), "s", {}, crash)
    assert IdempotencyRecord.objects.count() == 0

    # when retried with the same key, it runs
    handler = Counter()
    resp = idempotent(_request(freelancer, "k"), "s", {}, handler)
    assert (resp.status_code, handler.calls) == (201, 1)


def test_a_5xx_answer_is_not_stored(freelancer) -> None:
    failing = Counter(status=503)
    idempotent(_request(freelancer, "k"), "s", {}, failing)
    assert IdempotencyRecord.objects.count() == 0
    handler = Counter()
    idempotent(_request(freelancer, "k"), "s", {}, handler)
    assert handler.calls == 1


def test_domain_errors_are_stored_and_replayed(freelancer) -> None:
    # given a handler refusing with a domain error (a declined card)
    calls = []

    def decline() -> HttpResponse:
        calls.append(1)
        raise Conflict("The card was declined.", code="card_declined")

    # when sent twice
    first = idempotent(_request(freelancer, "k"), "s", {}, decline)
    second = idempotent(_request(freelancer, "k"), "s", {}, decline)

    # then both are the same 409 problem, and the second is a replay
    assert first.status_code == second.status_code == 409
    assert second.content == first.content
    assert b"card_declined" in second.content
    assert second["Content-Type"] == "application/problem+json"
    assert len(calls) == 1


def test_keys_are_per_user_and_per_scope(freelancer, stranger) -> None:
    handler = Counter()
    idempotent(_request(freelancer, "k"), "payout", {}, handler)
    idempotent(_request(stranger, "k"), "payout", {}, handler)
    idempotent(_request(freelancer, "k"), "purchase:project:1", {}, handler)
    assert handler.calls == 3


def test_anonymous_callers_get_no_idempotency() -> None:
    handler = Counter()
    idempotent(_request(AnonymousUser(), "k"), "s", {}, handler)
    idempotent(_request(AnonymousUser(), "k"), "s", {}, handler)
    assert handler.calls == 2


def test_purge_keeps_records_for_24_hours(freelancer) -> None:
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        idempotent(_request(freelancer, "old"), "s", {}, Counter())
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        idempotent(_request(freelancer, "new"), "s", {}, Counter())

    # 23 hours after the first: nothing is old enough
    assert idempotency_purge(now=start + timedelta(hours=23)) == 0
    # 25 hours after the first: only the first goes
    assert idempotency_purge(now=start + timedelta(hours=25)) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_handler_learns_its_attempt_which_a_retry_after_a_5xx_does_not_share(
    freelancer,
) -> None:
    attempts: list[str | None] = []

    def handler(status: int):
        def run(attempt: str | None) -> HttpResponse:
            attempts.append(attempt)
            return JsonResponse({}, status=status)

        return run

    # Without a key the call is a one-off attempt
    idempotent_attempt(_request(freelancer), "s", {}, handler(201))
    # With one, the attempt names the key's claim; a 5xx frees the key, and the retry's
    # claim is a new attempt
    idempotent_attempt(_request(freelancer, "k"), "s", {}, handler(502))
    idempotent_attempt(_request(freelancer, "k"), "s", {}, handler(201))
    record = IdempotencyRecord.objects.get()
    assert attempts[0] is None
    assert attempts[2] == f"idem:{record.pk}"
    assert attempts[1] is not None and attempts[1] != attempts[2]
    # A replay runs nothing
    idempotent_attempt(_request(freelancer, "k"), "s", {}, handler(201))
    assert len(attempts) == 3


# --- the lease of a claim in progress (issue 11, item 19) ------------------------------------


class Recorder:
    """A handler that records the attempt it was given and answers ``status``."""

    def __init__(self, status: int = 201, body: str = "ok") -> None:
        self.attempts: list[str | None] = []
        self.status = status
        self.body = body

    def __call__(self, attempt: str | None) -> HttpResponse:
        self.attempts.append(attempt)
        return JsonResponse({"body": self.body}, status=self.status)


def _claim_of_a_dead_run(user, key: str = "k") -> IdempotencyRecord:
    """A claim whose run never finished (its process was killed): in progress for good."""

    def killed(attempt: str | None) -> HttpResponse:
        raise KeyboardInterrupt  # stands for the kill; the claim is then left as it was

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(idempotency, "_release", lambda record: None)
        with pytest.raises(KeyboardInterrupt):
            idempotent_attempt(_request(user, key), "s", {"a": 1}, killed)
    return IdempotencyRecord.objects.get()


START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_a_duplicate_inside_the_lease_is_told_when_to_retry(freelancer) -> None:
    with time_machine.travel(START, tick=False) as clock:
        _claim_of_a_dead_run(freelancer)
        clock.shift(timedelta(seconds=12))
        handler = Recorder()
        resp = idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, handler)
    assert resp.status_code == 409 and b"idempotency_in_progress" in resp.content
    assert resp["Retry-After"] == str(idempotency_lease().seconds - 12)
    assert handler.attempts == []


def test_after_the_lease_a_duplicate_runs_the_same_attempt_again(freelancer) -> None:
    with time_machine.travel(START, tick=False) as clock:
        dead = _claim_of_a_dead_run(freelancer)
        clock.shift(idempotency_lease() + timedelta(seconds=1))
        handler = Recorder()
        resp = idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, handler)
        # The claim was taken over, not made anew: the handler runs as the same attempt
        # (so a processor replays what the dead run paid), and its answer is stored
        assert resp.status_code == 201
        assert handler.attempts == [f"idem:{dead.pk}"]
        record = IdempotencyRecord.objects.get()
        assert (record.pk, record.state) == (dead.pk, "completed")
        replay = idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, handler)
    assert replay["Idempotent-Replayed"] == "true" and handler.attempts == [f"idem:{dead.pk}"]


def test_after_the_lease_other_parameters_are_still_refused(freelancer) -> None:
    with time_machine.travel(START, tick=False) as clock:
        _claim_of_a_dead_run(freelancer)
        clock.shift(idempotency_lease() + timedelta(seconds=1))
        handler = Recorder()
        resp = idempotent_attempt(_request(freelancer, "k"), "s", {"a": 2}, handler)
    assert resp.status_code == 422 and handler.attempts == []


def test_a_takeover_starts_a_new_lease_so_only_one_retry_runs(freelancer) -> None:
    with time_machine.travel(START, tick=False) as clock:
        _claim_of_a_dead_run(freelancer)
        clock.shift(idempotency_lease() + timedelta(seconds=1))
        # Given a retry that took the claim over and is still running ...
        inner = Recorder()
        inner_responses: list[HttpResponse] = []

        def running(attempt: str | None) -> HttpResponse:
            clock.shift(timedelta(seconds=5))
            inner_responses.append(
                idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, inner)
            )
            return JsonResponse({}, status=201)

        idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, running)
    # ... then a second retry is told to wait for the new lease
    (second,) = inner_responses
    assert second.status_code == 409
    assert second["Retry-After"] == str(idempotency_lease().seconds - 5)
    assert inner.attempts == []


@pytest.mark.parametrize("status", [201, 502])
def test_a_run_overtaken_by_a_takeover_stores_and_frees_nothing(freelancer, status) -> None:
    # Given a run so slow that a retry takes its claim over and answers first
    with time_machine.travel(START, tick=False) as clock:
        retry = Recorder(body="the retry's answer")

        def slow(attempt: str | None) -> HttpResponse:
            clock.shift(idempotency_lease() + timedelta(seconds=1))
            idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, retry)
            return JsonResponse({"body": "the slow run's answer"}, status=status)

        idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, slow)
    # Then the key keeps the answer of the run that owned it last, whatever the slow one
    # answered afterwards (a 5xx does not free the key the retry completed)
    record = IdempotencyRecord.objects.get()
    assert record.state == "completed" and "the retry's answer" in record.body


def test_the_lease_is_a_setting(freelancer, settings) -> None:
    settings.FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS = 5
    assert idempotency_lease() == timedelta(seconds=5)
    with time_machine.travel(START, tick=False) as clock:
        _claim_of_a_dead_run(freelancer)
        clock.shift(timedelta(seconds=6))
        handler = Recorder()
        assert (
            idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, handler).status_code == 201
        )
    assert len(handler.attempts) == 1


def test_abandoning_an_attempt_frees_its_key_only_once_its_lease_ran_out(freelancer) -> None:
    with time_machine.travel(START, tick=False) as clock:
        dead = _claim_of_a_dead_run(freelancer)
        attempt = f"idem:{dead.pk}"
        # While the lease runs, a run may still decide: the claim stays
        assert idempotency_attempt_abandon(attempt=attempt, now=timezone.now()) is False
        assert IdempotencyRecord.objects.filter(pk=dead.pk).exists()
        # Once it has run out, the claim is deleted: the next retry is a new attempt
        clock.shift(idempotency_lease())
        assert idempotency_attempt_abandon(attempt=attempt, now=timezone.now()) is True
        assert not IdempotencyRecord.objects.exists()
        handler = Recorder()
        idempotent_attempt(_request(freelancer, "k"), "s", {"a": 1}, handler)
        assert handler.attempts[0] not in (None, attempt)
    # A finished claim, or an attempt that is no claim's, has nothing to wait for
    done = IdempotencyRecord.objects.get()
    assert idempotency_attempt_abandon(attempt=f"idem:{done.pk}", now=START) is True
    assert IdempotencyRecord.objects.filter(pk=done.pk).exists()
    assert idempotency_attempt_abandon(attempt="0f3a9c", now=START) is True
