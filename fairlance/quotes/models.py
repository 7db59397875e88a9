"""Custom quotes (SPEC section 4): a client's quote request and the freelancer's offers.

A quote request asks the freelancer of a published project for work the catalog does not
sell as is ("a 50-page document"). The freelancer answers with an ``Offer`` (or declines);
the client accepts one offer and pays, which creates a contract through the contract
engine (``contracts.services.contract_purchase_offer``). Statuses change only through
``quotes.services``; an offer's acceptance is a compare-and-set on its row, under its
lock, in the transaction that creates the contract.

Expiry is lazy: nothing runs when ``expires_at`` passes. An open offer past it reads as
``expired`` (``Offer.status_at``) and is refused at accept; no worker job, no timer row.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class QuoteRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the freelancer"
    OFFERED = "offered", "Offer sent"
    DECLINED = "declined", "Declined by the freelancer"
    CLOSED = "closed", "Closed: an offer was accepted"


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined by the client"
    WITHDRAWN = "withdrawn", "Withdrawn by the freelancer"
    EXPIRED = "expired", "Expired"


class QuoteRequest(models.Model):
    project = models.ForeignKey(
        "catalog.Project", on_delete=models.PROTECT, related_name="quote_requests"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quote_requests_sent"
    )
    # The project's freelancer when the request was made (who answers it).
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quote_requests_received"
    )
    need = models.TextField(max_length=5000)
    budget_minor = models.PositiveIntegerField(null=True, blank=True)
    wished_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=QuoteRequestStatus.choices, default=QuoteRequestStatus.OPEN
    )
    decline_reason = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-id"]),
            models.Index(fields=["freelancer", "-id"]),
        ]

    def __str__(self) -> str:
        return f"quote request {self.pk} ({self.status})"


class Offer(models.Model):
    quote_request = models.ForeignKey(QuoteRequest, on_delete=models.CASCADE, related_name="offers")
    scope = models.TextField(max_length=5000)
    price_minor = models.PositiveIntegerField()
    # Counted in the freelancer's working days, from the moment the client pays.
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(default=0)
    # [{"title": str, "amount_minor": int, "delivery_days": int}, ...], amounts summing to
    # ``price_minor`` (``quotes.services.offer_send`` checks it).
    milestones = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    # Stored statuses; ``expired`` is never stored (see the module docstring).
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    decline_reason = models.TextField(max_length=5000, blank=True)
    contract = models.OneToOneField(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offer",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["quote_request_id", "id"]

    def __str__(self) -> str:
        return f"offer {self.pk} ({self.status})"

    def status_at(self, now: datetime) -> str:
        """The status people see: an open offer past its expiry is ``expired``."""
        if self.status == OfferStatus.OPEN and now >= self.expires_at:
            return OfferStatus.EXPIRED
        return self.status
