"""The payment attempts log: one row per charge or refund sent to a provider."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PaymentAttempt(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    # The caller's reference ("purchase:contract:12"); a provider treats a repeat as a replay.
    reference = models.CharField(max_length=200, db_index=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    payer_id = models.BigIntegerField(null=True, blank=True)
    # Only the last four digits are kept; a full card number never reaches the database.
    card_last4 = models.CharField(max_length=4, blank=True)
    # For refunds: the provider reference of the charge being refunded.
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
