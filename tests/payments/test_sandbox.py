"""The sandbox card processor and the payment attempts log."""

from __future__ import annotations

import pytest

from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import (
    LoggedProvider,
    SandboxProvider,
    get_provider,
    luhn_valid,
)

pytestmark = pytest.mark.django_db


def test_success_card_charges_and_logs_the_attempt(client_user) -> None:
    # when charging the success card (typed with spaces)
    result = get_provider().charge(
        amount_minor=5_000,
        card_number="4242 4242 4242 4242",
        reference="purchase:1",
        payer_id=client_user.pk,
    )

    # then it succeeds with a provider reference that is logged, without the card number
    assert result.ok and result.error_code is None
    assert result.provider_ref and result.provider_ref.startswith("sb_ch_")
    attempt = PaymentAttempt.objects.get()
    assert (attempt.kind, attempt.ok, attempt.provider_ref) == ("charge", True, result.provider_ref)
    assert (attempt.amount_minor, attempt.payer_id, attempt.card_last4) == (
        5_000,
        client_user.pk,
        "4242",
    )


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4242424242424241", "invalid_card"),
        ("not a card", "invalid_card"),
        ("", "invalid_card"),
    ],
)
def test_failing_cards_return_a_code_and_are_logged(card: str, code: str) -> None:
    result = get_provider().charge(amount_minor=100, card_number=card, reference="r", payer_id=None)

    assert not result.ok
    assert result.error_code == code
    assert result.provider_ref is None
    attempt = PaymentAttempt.objects.get()
    assert (attempt.ok, attempt.error_code) == (False, code)


def test_other_valid_numbers_succeed() -> None:
    assert luhn_valid("5555555555554444")
    result = get_provider().charge(
        amount_minor=100, card_number="5555555555554444", reference="r", payer_id=None
    )
    assert result.ok


def test_repeated_charge_reference_does_not_charge_twice() -> None:
    provider = get_provider()
    first = provider.charge(
        amount_minor=100, card_number="4242424242424242", reference="same", payer_id=None
    )
    second = provider.charge(
        amount_minor=100, card_number="4242424242424242", reference="same", payer_id=None
    )
    assert second.ok and second.provider_ref == first.provider_ref
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1
    # the same reference for another amount is refused rather than charged
    other = provider.charge(
        amount_minor=101, card_number="4242424242424242", reference="same", payer_id=None
    )
    assert (other.ok, other.error_code) == (False, "reference_reused")


def test_refunds_are_limited_to_the_charge() -> None:
    # given a charge of 1000
    provider = get_provider()
    charge = provider.charge(
        amount_minor=1_000, card_number="4242424242424242", reference="c", payer_id=None
    )
    assert charge.provider_ref is not None

    # when refunding 600, then 400, then 1 more
    partial = provider.refund(charge_ref=charge.provider_ref, amount_minor=600, reference="r1")
    rest = provider.refund(charge_ref=charge.provider_ref, amount_minor=400, reference="r2")
    too_much = provider.refund(charge_ref=charge.provider_ref, amount_minor=1, reference="r3")

    # then the first two succeed and the third is refused; all are logged
    assert partial.ok and rest.ok
    assert (too_much.ok, too_much.error_code) == (False, "refund_exceeds_charge")
    assert PaymentAttempt.objects.filter(kind="refund").count() == 3


def test_refund_of_unknown_charge_fails() -> None:
    result = get_provider().refund(charge_ref="sb_ch_nope", amount_minor=1, reference="r")
    assert (result.ok, result.error_code) == (False, "charge_not_found")


def test_non_positive_amount_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        SandboxProvider().charge(
            amount_minor=0, card_number="4242424242424242", reference="r", payer_id=None
        )
    assert PaymentAttempt.objects.count() == 0


class _AlwaysDeclines:
    name = "declines"

    def charge(self, **kwargs):
        from fairlance.payments.provider import ChargeResult

        return ChargeResult(False, None, "card_declined", "no")

    def refund(self, **kwargs):
        raise NotImplementedError


def test_provider_is_chosen_by_setting(settings) -> None:
    settings.FAIRLANCE_PAYMENT_PROVIDER = "tests.payments.test_sandbox._AlwaysDeclines"

    provider = get_provider()
    result = provider.charge(
        amount_minor=1, card_number="4242424242424242", reference="r", payer_id=None
    )

    assert isinstance(provider, LoggedProvider) and provider.name == "declines"
    assert result.error_code == "card_declined"
    assert PaymentAttempt.objects.get().provider == "declines"


def test_a_declined_charge_is_not_replayed() -> None:
    # Given a declined attempt with a reference
    provider = get_provider()
    declined = provider.charge(
        amount_minor=100, card_number="4000000000000002", reference="retry", payer_id=None
    )
    # When the same reference is charged again with a good card, it is charged (only a
    # successful charge is replayed), and a third call replays that one
    charged = provider.charge(
        amount_minor=100, card_number="4242424242424242", reference="retry", payer_id=None
    )
    again = provider.charge(
        amount_minor=100, card_number="4242424242424242", reference="retry", payer_id=None
    )
    assert not declined.ok and charged.ok
    assert again.ok and again.provider_ref == charged.provider_ref
    assert again.message == "Already charged (replay)."


def test_repeated_refund_reference_refunds_once() -> None:
    provider = get_provider()
    charge = provider.charge(
        amount_minor=1_000, card_number="4242424242424242", reference="c", payer_id=None
    )
    assert charge.provider_ref is not None
    first = provider.refund(charge_ref=charge.provider_ref, amount_minor=600, reference="r")
    second = provider.refund(charge_ref=charge.provider_ref, amount_minor=600, reference="r")
    assert first.ok and second.ok and second.provider_ref == first.provider_ref
    assert PaymentAttempt.objects.filter(kind="refund", ok=True).count() == 1
