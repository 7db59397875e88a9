"""The payment attempts log and the intents of calls that give money back or release holds."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PaymentAttempt(models.Model):
    """One call sent to a provider (charge, authorize, capture, void, refund) and its answer."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        AUTHORIZE = "authorize", "Authorize (hold)"
        CAPTURE = "capture", "Capture a hold"
        VOID = "void", "Void a hold"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    # The caller's reference ("purchase:contract:12"); a provider treats a repeat as a replay.
    reference = models.CharField(max_length=200, db_index=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payer_id = models.BigIntegerField(null=True, blank=True)
    # Only the last four digits are kept; a full card number never reaches the database.
    card_last4 = models.CharField(max_length=4, blank=True)
    # The provider reference this call acts on: the charge or capture a refund gives back,
    # the authorization (hold) a capture takes or a void releases.
    charge_ref = models.CharField(max_length=100, blank=True, db_index=True)
    ok = models.BooleanField()
    provider_ref = models.CharField(max_length=100, null=True, blank=True, unique=True)
    error_code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else self.error_code
        return f"{self.kind} {self.reference} {self.amount_minor} {outcome}"


class ProviderIntent(models.Model):
    """A refund or a hold's void that was decided, and the state of carrying it out.

    The transition that decides to give money back writes this row in its own transaction,
    next to the ledger entry that moves the money, so a rollback forgets both and a commit
    keeps both. The processor is called only after the commit (``payments.services``):
    a refund can never have happened for a decision that was rolled back, and a slow
    processor never holds the contract's lock. A processor that fails leaves the intent
    ``pending``; the worker retries it with backoff, and after ``INTENT_MAX_ATTEMPTS`` it
    is ``failed`` and listed by ``fairlance ledger check`` for an operator.
    """

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        VOID = "void", "Void a hold"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Unique, and sent to the provider as the call's reference: a retry is a replay there.
    reference = models.CharField(max_length=200, unique=True)
    # The provider reference acted on: a charge or capture (refund), an authorization (void).
    payment_ref = models.CharField(max_length=100)
    amount_minor = models.BigIntegerField()
    # A plain integer, like the ledger's: the intent outlives anything done to a contract row.
    contract_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the worker may (re)try it; pushed forward when an attempt is taken (a lease).
    next_attempt_at = models.DateTimeField()
    # The provider's reference of the refund or void, once done.
    provider_ref = models.CharField(max_length=100, blank=True)
    # The last answer that was not a plain success, for operators.
    error_code = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="payments_intent_due_idx",
                condition=models.Q(status="pending"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payments_intent_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} intent {self.reference} ({self.status})"
