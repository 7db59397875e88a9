"""The sandbox's two-step payments: a hold (authorize), then capture or void, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import (
    CARD_EXPIRED_HOLD,
    CARD_SUCCESS,
    LoggedProvider,
    get_provider,
    luhn_valid,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def hold(provider: LoggedProvider, amount: int = 1_000, card: str = CARD_SUCCESS) -> str:
    result = provider.authorize(
        amount_minor=amount, card_number=card, reference=f"hold:{amount}:{card}", payer_id=7
    )
    assert result.ok and result.provider_ref, result
    return result.provider_ref


def test_authorize_holds_without_charging_and_is_logged() -> None:
    # When a card is authorized
    provider = get_provider()
    ref = hold(provider, 2_500)
    # Then the hold is logged (payer, last four digits) and nothing is charged
    attempt = PaymentAttempt.objects.get()
    assert (attempt.kind, attempt.ok, attempt.provider_ref) == ("authorize", True, ref)
    assert (attempt.amount_minor, attempt.payer_id, attempt.card_last4) == (2_500, 7, "4242")
    assert not PaymentAttempt.objects.filter(kind="charge").exists()


@pytest.mark.parametrize(
    ("card", "code"),
    [("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds")],
)
def test_a_refused_card_holds_nothing(card: str, code: str) -> None:
    result = get_provider().authorize(amount_minor=100, card_number=card, reference="r", payer_id=1)
    assert (result.ok, result.error_code, result.provider_ref) == (False, code, None)


def test_capture_takes_at_most_the_held_amount_once() -> None:
    provider = get_provider()
    ref = hold(provider, 1_000)
    # A capture above the hold is refused; the whole hold is captured once
    too_much = provider.capture(authorization_ref=ref, amount_minor=1_001, reference="c0")
    assert (too_much.ok, too_much.error_code) == (False, "capture_exceeds_authorization")
    captured = provider.capture(authorization_ref=ref, amount_minor=1_000, reference="c1")
    assert captured.ok and captured.provider_ref and captured.provider_ref.startswith("sb_cp_")
    # The same reference replays the capture; another one is refused
    replay = provider.capture(authorization_ref=ref, amount_minor=1_000, reference="c1")
    assert replay.ok and replay.provider_ref == captured.provider_ref
    second = provider.capture(authorization_ref=ref, amount_minor=1_000, reference="c2")
    assert (second.ok, second.error_code) == (False, "already_captured")
    # And the capture is logged against the hold it took
    logged = PaymentAttempt.objects.get(kind="capture", ok=True)
    assert (logged.charge_ref, logged.amount_minor) == (ref, 1_000)


def test_a_voided_hold_cannot_be_captured_and_a_captured_one_cannot_be_voided() -> None:
    provider = get_provider()
    voided, captured = hold(provider, 1_000), hold(provider, 2_000)
    assert provider.void(authorization_ref=voided, amount_minor=1_000, reference="v1").ok
    late = provider.capture(authorization_ref=voided, amount_minor=1_000, reference="c1")
    assert (late.ok, late.error_code) == (False, "authorization_voided")

    assert provider.capture(authorization_ref=captured, amount_minor=2_000, reference="c2").ok
    refused = provider.void(authorization_ref=captured, amount_minor=2_000, reference="v2")
    assert (refused.ok, refused.error_code) == (False, "already_captured")


def test_voiding_twice_or_by_replay_is_harmless() -> None:
    provider = get_provider()
    ref = hold(provider)
    first = provider.void(authorization_ref=ref, amount_minor=1_000, reference="v")
    replay = provider.void(authorization_ref=ref, amount_minor=1_000, reference="v")
    other = provider.void(authorization_ref=ref, amount_minor=1_000, reference="v-again")
    assert first.ok and replay.ok and other.ok
    assert replay.provider_ref == first.provider_ref
    assert PaymentAttempt.objects.filter(kind="void", reference="v").count() == 1


def test_unknown_holds_are_not_found() -> None:
    provider = get_provider()
    for result in (
        provider.capture(authorization_ref="sb_au_nope", amount_minor=1, reference="c"),
        provider.void(authorization_ref="sb_au_nope", amount_minor=1, reference="v"),
    ):
        assert (result.ok, result.error_code) == (False, "authorization_not_found")


def test_refunds_work_on_a_capture_like_on_a_charge() -> None:
    provider = get_provider()
    capture = provider.capture(
        authorization_ref=hold(provider, 1_000), amount_minor=1_000, reference="c"
    )
    assert capture.provider_ref is not None
    part = provider.refund(charge_ref=capture.provider_ref, amount_minor=600, reference="r1")
    rest = provider.refund(charge_ref=capture.provider_ref, amount_minor=400, reference="r2")
    more = provider.refund(charge_ref=capture.provider_ref, amount_minor=1, reference="r3")
    assert part.ok and rest.ok
    assert (more.ok, more.error_code) == (False, "refund_exceeds_charge")


def test_a_hold_lapses_after_the_configured_number_of_days(settings) -> None:
    # Given holds that last 7 days (the default), made on a Wednesday
    settings.FAIRLANCE_SANDBOX_HOLD_DAYS = 7
    with time_machine.travel(NOW, tick=False) as clock:
        provider = get_provider()
        kept, lapsed = hold(provider, 1_000), hold(provider, 2_000)
        # When one is captured a moment before the week is over, it is taken
        clock.shift(timedelta(days=7) - timedelta(seconds=1))
        assert provider.capture(authorization_ref=kept, amount_minor=1_000, reference="c1").ok
        # Then the other, a second later, has lapsed; releasing it is still fine
        clock.shift(timedelta(seconds=1))
        late = provider.capture(authorization_ref=lapsed, amount_minor=2_000, reference="c2")
        assert (late.ok, late.error_code) == (False, "authorization_expired")
        assert provider.void(authorization_ref=lapsed, amount_minor=2_000, reference="v").ok


def test_a_shorter_hold_setting_is_read_at_capture_time(settings) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        provider = get_provider()
        ref = hold(provider)
        clock.shift(timedelta(days=1))
        settings.FAIRLANCE_SANDBOX_HOLD_DAYS = 1
        result = provider.capture(authorization_ref=ref, amount_minor=1_000, reference="c")
        assert result.error_code == "authorization_expired"


def test_the_expired_hold_card_authorizes_but_never_captures() -> None:
    # Given the test card whose hold lapses (a Luhn-valid number, like Stripe's)
    assert luhn_valid(CARD_EXPIRED_HOLD)
    provider = get_provider()
    ref = hold(provider, 1_000, card=CARD_EXPIRED_HOLD)
    # When captured at once, it fails as a lapsed hold; it can still be released
    result = provider.capture(authorization_ref=ref, amount_minor=1_000, reference="c")
    assert (result.ok, result.error_code) == (False, "authorization_expired")
    assert provider.void(authorization_ref=ref, amount_minor=1_000, reference="v").ok
    # And as a plain charge it is an ordinary good card
    assert provider.charge(
        amount_minor=1, card_number=CARD_EXPIRED_HOLD, reference="ch", payer_id=None
    ).ok


def test_an_authorization_reference_replays_and_refuses_another_amount() -> None:
    provider = get_provider()
    first = provider.authorize(
        amount_minor=500, card_number=CARD_SUCCESS, reference="a", payer_id=1
    )
    again = provider.authorize(
        amount_minor=500, card_number=CARD_SUCCESS, reference="a", payer_id=1
    )
    other = provider.authorize(
        amount_minor=501, card_number=CARD_SUCCESS, reference="a", payer_id=1
    )
    assert again.ok and again.provider_ref == first.provider_ref
    assert (other.ok, other.error_code) == (False, "reference_reused")
    assert PaymentAttempt.objects.filter(kind="authorize", ok=True).count() == 1
