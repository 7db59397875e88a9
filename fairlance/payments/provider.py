"""The payment provider interface and the built-in sandbox card processor.

Domain code calls ``get_provider().charge(...)`` / ``.refund(...)`` for one-step payments and
``.authorize(...)`` / ``.capture(...)`` / ``.void(...)`` for two-step ones (a hold that is
later taken or released); the object returned records every call in ``PaymentAttempt`` (in
the caller's transaction) whatever the backend. The backend is chosen by
``settings.FAIRLANCE_PAYMENT_PROVIDER``: ``"sandbox"`` (default) or the dotted path of a
class implementing ``PaymentProvider``.

Providers never raise for a business outcome (declined, insufficient funds): they return a
result with ``ok=False`` and a stable ``error_code``. They raise only for programming
errors (a non-positive amount).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import timedelta
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
# Authorizes, but the hold is gone by the time anyone captures it: every capture fails with
# ``authorization_expired`` (Stripe's "attaches, but charging it fails" number).
CARD_EXPIRED_HOLD = "4000000000000341"
# How long a sandbox hold lasts before a capture fails (real processors: about 7 days).
DEFAULT_HOLD_DAYS = 7


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """What a provider answers to any call: ``ok``, its reference, or a stable error code."""

    ok: bool
    provider_ref: str | None
    error_code: str | None
    message: str


# The names callers have always used; every call answers the same shape.
ChargeResult = ProviderResult
RefundResult = ProviderResult


class PaymentProvider(Protocol):
    name: str

    def charge(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ChargeResult:
        """Capture ``amount_minor`` from the card. ``reference`` makes retries safe."""
        ...

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        """Return up to the unrefunded amount of a charge or capture to its card."""
        ...

    def authorize(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ProviderResult:
        """Hold ``amount_minor`` on the card without taking it; ``provider_ref`` names the hold."""
        ...

    def capture(
        self, *, authorization_ref: str, amount_minor: int, reference: str
    ) -> ProviderResult:
        """Take at most the held amount, once; ``provider_ref`` is what refunds then name.

        Fails with ``authorization_expired`` (the hold lapsed), ``authorization_voided``,
        ``already_captured`` or ``authorization_not_found``.
        """
        ...

    def void(self, *, authorization_ref: str, amount_minor: int, reference: str) -> ProviderResult:
        """Release a hold (``amount_minor`` is what it held, for the log); fails with
        ``already_captured`` once it was taken. Releasing a lapsed or released hold is ok."""
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


def hold_days() -> int:
    """How many days a sandbox hold lasts (``FAIRLANCE_SANDBOX_HOLD_DAYS``)."""
    return int(getattr(settings, "FAIRLANCE_SANDBOX_HOLD_DAYS", DEFAULT_HOLD_DAYS))


def _card_refusal(number: str) -> ProviderResult | None:
    """Why the sandbox refuses this card for a charge or a hold, or None."""
    if number == CARD_DECLINED:
        return ChargeResult(False, None, "card_declined", "The card was declined.")
    if number == CARD_INSUFFICIENT_FUNDS:
        return ChargeResult(False, None, "insufficient_funds", "The card has insufficient funds.")
    if not luhn_valid(number):
        return ChargeResult(False, None, "invalid_card", "The card number is not valid.")
    return None


# The sandbox marks a hold on ``CARD_EXPIRED_HOLD`` in its own reference (only the last four
# digits of a card reach the log, which many cards share): its captures always fail.
_EXPIRED_HOLD_PREFIX = "sb_au_expired_"


def _succeeded(kind: str, provider: str, *, charge_ref: str) -> bool:
    return PaymentAttempt.objects.filter(
        kind=kind, provider=provider, charge_ref=charge_ref, ok=True
    ).exists()


class SandboxProvider:
    """Behaves like a card processor, keeping its state in the ``PaymentAttempt`` log.

    Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined
    (``card_declined``), 4000 0000 0000 9995 has insufficient funds
    (``insufficient_funds``), 4000 0000 0000 0341 authorizes but its hold cannot be
    captured (``authorization_expired``); any other number failing the Luhn check is
    ``invalid_card`` and any other valid number succeeds. A repeated ``reference`` that
    succeeded before returns the original result instead of acting twice.

    Holds: a capture takes at most the held amount, once; a hold lapses
    ``FAIRLANCE_SANDBOX_HOLD_DAYS`` after it was made (``timezone.now()``), and a
    captured hold cannot be voided nor a voided one captured. Refunds work on a capture as
    on a charge.
    """

    name = "sandbox"

    def charge(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ChargeResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.CHARGE, self.name, reference)
        if previous is not None:
            return _replay_or_reused(previous, amount_minor, "Already charged (replay).")
        refusal = _card_refusal(normalize_card_number(card_number))
        if refusal is not None:
            return refusal
        return ChargeResult(True, f"sb_ch_{uuid.uuid4().hex}", None, "Charged.")

    def authorize(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ProviderResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.AUTHORIZE, self.name, reference)
        if previous is not None:
            return _replay_or_reused(previous, amount_minor, "Already authorized (replay).")
        number = normalize_card_number(card_number)
        refusal = _card_refusal(number)
        if refusal is not None:
            return refusal
        prefix = _EXPIRED_HOLD_PREFIX if number == CARD_EXPIRED_HOLD else "sb_au_"
        return ChargeResult(True, f"{prefix}{uuid.uuid4().hex}", None, "Authorized (held).")

    def capture(
        self, *, authorization_ref: str, amount_minor: int, reference: str
    ) -> ProviderResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.CAPTURE, self.name, reference)
        if previous is not None:
            return _replay_or_reused(previous, amount_minor, "Already captured (replay).")
        hold = self._hold(authorization_ref)
        if hold is None:
            return ProviderResult(False, None, "authorization_not_found", "No such hold.")
        if _succeeded(PaymentAttempt.Kind.VOID, self.name, charge_ref=authorization_ref):
            return ProviderResult(
                False, None, "authorization_voided", "The hold was released before the capture."
            )
        if _succeeded(PaymentAttempt.Kind.CAPTURE, self.name, charge_ref=authorization_ref):
            return ProviderResult(False, None, "already_captured", "The hold was already taken.")
        if self._lapsed(hold):
            return ProviderResult(
                False, None, "authorization_expired", "The card hold expired before the capture."
            )
        if amount_minor > hold.amount_minor:
            return ProviderResult(
                False,
                None,
                "capture_exceeds_authorization",
                f"Only {hold.amount_minor} is held.",
            )
        return ProviderResult(True, f"sb_cp_{uuid.uuid4().hex}", None, "Captured.")

    def void(self, *, authorization_ref: str, amount_minor: int, reference: str) -> ProviderResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.VOID, self.name, reference)
        if previous is not None:
            return ProviderResult(True, previous[1], None, "Already released (replay).")
        hold = self._hold(authorization_ref)
        if hold is None:
            return ProviderResult(False, None, "authorization_not_found", "No such hold.")
        if _succeeded(PaymentAttempt.Kind.CAPTURE, self.name, charge_ref=authorization_ref):
            return ProviderResult(
                False, None, "already_captured", "The hold was taken; refund it instead."
            )
        # Releasing a hold that lapsed or was released already leaves the card as it is,
        # which is what the caller wants: nothing of it is taken.
        return ProviderResult(True, f"sb_vo_{uuid.uuid4().hex}", None, "Released.")

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        _check_amount(amount_minor)
        previous = _replayed(PaymentAttempt.Kind.REFUND, self.name, reference)
        if previous is not None:
            return RefundResult(True, previous[1], None, "Already refunded (replay).")
        charge = PaymentAttempt.objects.filter(
            kind__in=(PaymentAttempt.Kind.CHARGE, PaymentAttempt.Kind.CAPTURE),
            provider=self.name,
            provider_ref=charge_ref,
            ok=True,
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

    def _hold(self, authorization_ref: str) -> PaymentAttempt | None:
        return PaymentAttempt.objects.filter(
            kind=PaymentAttempt.Kind.AUTHORIZE,
            provider=self.name,
            provider_ref=authorization_ref,
            ok=True,
        ).first()

    @staticmethod
    def _lapsed(hold: PaymentAttempt) -> bool:
        if (hold.provider_ref or "").startswith(_EXPIRED_HOLD_PREFIX):
            return True
        return timezone.now() >= hold.created_at + timedelta(days=hold_days())


def _replay_or_reused(
    previous: tuple[int, str | None], amount_minor: int, message: str
) -> ProviderResult:
    previous_amount, previous_ref = previous
    if previous_amount != amount_minor:
        # Like a real processor's idempotency: one reference, one request.
        return ChargeResult(
            False,
            None,
            "reference_reused",
            "This payment reference was already used for a different amount.",
        )
    return ChargeResult(True, previous_ref, None, message)


class LoggedProvider:
    """Wraps a backend and writes a ``PaymentAttempt`` row for every call."""

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
        self._log_card(
            PaymentAttempt.Kind.CHARGE,
            result,
            amount_minor,
            card_number,
            reference,
            payer_id=payer_id,
        )
        return result

    def authorize(
        self, *, amount_minor: int, card_number: str, reference: str, payer_id: int | None
    ) -> ProviderResult:
        result = self.inner.authorize(
            amount_minor=amount_minor,
            card_number=card_number,
            reference=reference,
            payer_id=payer_id,
        )
        self._log_card(
            PaymentAttempt.Kind.AUTHORIZE,
            result,
            amount_minor,
            card_number,
            reference,
            payer_id=payer_id,
        )
        return result

    def capture(
        self, *, authorization_ref: str, amount_minor: int, reference: str
    ) -> ProviderResult:
        result = self.inner.capture(
            authorization_ref=authorization_ref, amount_minor=amount_minor, reference=reference
        )
        self._log_on(
            PaymentAttempt.Kind.CAPTURE, result, amount_minor, authorization_ref, reference
        )
        return result

    def void(self, *, authorization_ref: str, amount_minor: int, reference: str) -> ProviderResult:
        result = self.inner.void(
            authorization_ref=authorization_ref, amount_minor=amount_minor, reference=reference
        )
        self._log_on(PaymentAttempt.Kind.VOID, result, amount_minor, authorization_ref, reference)
        return result

    def refund(self, *, charge_ref: str, amount_minor: int, reference: str) -> RefundResult:
        result = self.inner.refund(
            charge_ref=charge_ref, amount_minor=amount_minor, reference=reference
        )
        self._log_on(PaymentAttempt.Kind.REFUND, result, amount_minor, charge_ref, reference)
        return result

    def _log_card(
        self,
        kind: str,
        result: ProviderResult,
        amount_minor: int,
        card_number: str,
        reference: str,
        *,
        payer_id: int | None,
    ) -> None:
        number = normalize_card_number(card_number)
        _log(
            kind=kind,
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

    def _log_on(
        self, kind: str, result: ProviderResult, amount_minor: int, acted_on: str, reference: str
    ) -> None:
        _log(
            kind=kind,
            provider=self.name,
            reference=reference[:200],
            amount_minor=amount_minor,
            payer_id=None,
            card_last4="",
            charge_ref=acted_on[:100],
            ok=result.ok,
            provider_ref=result.provider_ref,
            error_code=result.error_code or "",
            message=result.message[:300],
        )


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
