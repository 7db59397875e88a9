"""The payment provider interface and the built-in sandbox card processor.

Domain code calls ``get_provider().charge(...)`` / ``.refund(...)``; the object returned
records every call in ``PaymentAttempt`` (in the caller's transaction) whatever the
backend. The backend is chosen by ``settings.FAIRLANCE_PAYMENT_PROVIDER``: ``"sandbox"``
(default) or the dotted path of a class implementing ``PaymentProvider``.

Providers never raise for a business outcome (declined, insufficient funds): they return a
result with ``ok=False`` and a stable ``error_code``. They raise only for programming
errors (a non-positive amount).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from fairlance.core.money import currency
from fairlance.core.sql import insert_or_skip
from fairlance.payments.models import PaymentAttempt

# Sandbox test cards (the Stripe numbers people already know).
CARD_SUCCESS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"


@dataclass(frozen=True, slots=True)
class ChargeResult:
    ok: bool
    provider_ref: str | None
    error_code: str | None
    message: str


@dataclass(frozen=True, slots=True)
class RefundResult:
    ok: bool
    provider_ref: str | None
    error_code: str | None
    message: str


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ChargeResult:
        """Capture ``amount_minor`` from the card. ``reference`` makes retries safe."""
        ...

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        """Return up to the charge's unrefunded amount to the card it came from."""
        ...


def normalize_card_number(card_number: str) -> str:
    """Digits only: people type spaces and dashes."""
    return "".join(ch for ch in str(card_number) if ch not in " -")


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch)
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _check_amount(amount_minor: int) -> None:
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise ValueError(f"amount_minor must be a positive int, got {amount_minor!r}")


@functools.cache
def _replayed_sql() -> str:
    # Written once from the model's names, not compiled by the ORM on every charge: the
    # compilation cost more than the query (an index lookup on ``reference``). Newest
    # first, as the model's default ordering; values are parameters.
    qn = connection.ops.quote_name
    return (
        f"SELECT amount_minor, provider_ref FROM {qn(PaymentAttempt._meta.db_table)} "  # noqa: S608
        "WHERE kind = %s AND provider = %s AND reference = %s AND ok "
        "ORDER BY created_at DESC, id DESC LIMIT 1"
    )


def _replayed(kind: str, provider: str, reference: str) -> tuple[int, str | None] | None:
    """The amount and provider reference of the newest successful ``kind`` attempt of
    ``provider`` with ``reference`` (a repeated request), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_replayed_sql(), [kind, provider, reference])
        row = cursor.fetchone()
    return (int(row[0]), row[1]) if row is not None else None


class SandboxProvider:
    """Behaves like a card processor, keeping its state in the ``PaymentAttempt`` log.

    Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined
    (``card_declined``), 4000 0000 0000 9995 has insufficient funds
    (``insufficient_funds``); any other number failing the Luhn check is ``invalid_card``
    and any other valid number succeeds. A repeated charge ``reference`` that succeeded
    before returns the original result instead of charging twice.
    """

    name = "sandbox"

    def charge(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ChargeResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.CHARGE, self.name, reference)
        if previous is not None:
            previous_amount, previous_ref = previous
            if previous_amount != amount_minor:
                # Like a real processor's idempotency: one reference, one request.
                return ChargeResult(
                    False,
                    None,
                    "reference_reused",
                    "This payment reference was already used for a different amount.",
                )
            return ChargeResult(True, previous_ref, None, "Already charged (replay).")
        number = normalize_card_number(card_number)
        if number == CARD_DECLINED:
            return ChargeResult(False, None, "card_declined", "The card was declined.")
        if number == CARD_INSUFFICIENT_FUNDS:
            return ChargeResult(
                False, None, "insufficient_funds", "The card has insufficient funds."
            )
        if not luhn_valid(number):
            return ChargeResult(False, None, "invalid_card", "The card number is not valid.")
        return ChargeResult(True, f"sb_ch_{uuid.uuid4().hex}", None, "Charged.")

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.REFUND, self.name, reference)
        if previous is not None:
            return RefundResult(True, previous[1], None, "Already refunded (replay).")
        charge = PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.CHARGE, provider=self.name, provider_ref=charge_ref, ok=True
        ).first()
        if charge is None:
            return RefundResult(False, None, "charge_not_found", "No such charge.")
        refunded = sum(
            PaymentAttempt.objects.filter(
                kind=PaymentAttempt.Kind.REFUND, charge_ref=charge_ref, ok=True
            ).values_list("amount_minor", flat=True)
        )
        if refunded + amount_minor > charge.amount_minor:
            return RefundResult(
                False,
                None,
                "refund_exceeds_charge",
                f"Only {charge.amount_minor - refunded} of the charge is left to refund.",
            )
        return RefundResult(True, f"sb_re_{uuid.uuid4().hex}", None, "Refunded.")


class LoggedProvider:
    """Wraps a backend and writes a ``PaymentAttempt`` row for every charge and refund."""

    def __init__(self, inner: PaymentProvider) -> None:
        self.inner = inner
        self.name = inner.name

    def charge(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ChargeResult:
        result = self.inner.charge(
            amount_minor=amount_minor,
            card_number=card_number,
            reference=reference,
            payer_id=payer_id,
        )
        number = normalize_card_number(card_number)
        _log(
            kind=PaymentAttempt.Kind.CHARGE,
            provider=self.name,
            reference=reference[:200],
            amount_minor=amount_minor,
            payer_id=payer_id,
            card_last4=number[-4:] if number.isdigit() else "",
            charge_ref="",
            ok=result.ok,
            provider_ref=result.provider_ref,
            error_code=result.error_code or "",
            message=result.message[:300],
        )
        return result

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        result = self.inner.refund(
            charge_ref=charge_ref, amount_minor=amount_minor, reference=reference
        )
        _log(
            kind=PaymentAttempt.Kind.REFUND,
            provider=self.name,
            reference=reference[:200],
            amount_minor=amount_minor,
            payer_id=None,
            card_last4="",
            charge_ref=charge_ref[:100],
            ok=result.ok,
            provider_ref=result.provider_ref,
            error_code=result.error_code or "",
            message=result.message[:300],
        )
        return result


def _log(**values: Any) -> None:
    """Write one ``PaymentAttempt``; a replayed result (same provider reference) is not.

    ``provider_ref`` is unique, so INSERT ... ON CONFLICT DO NOTHING skips a replay in one
    statement (no SELECT first, and no error that would need a savepoint). Failed
    attempts carry no provider reference and are always written.
    """
    insert_or_skip(
        PaymentAttempt,
        [{**values, "currency": currency(), "created_at": timezone.now()}],
    )


def get_provider() -> LoggedProvider:
    """The configured payment provider, wrapped so every call is logged."""
    configured = getattr(settings, "FAIRLANCE_PAYMENT_PROVIDER", "sandbox") or "sandbox"
    backend: PaymentProvider = (
        SandboxProvider() if configured == "sandbox" else import_string(configured)()
    )
    return LoggedProvider(backend)
