"""Uploads: files people send, known to the rest of the code only by the id we issued.

An ``Upload`` is made by ``services.upload_create`` (which enforces every rule of
``kinds``) before anything uses it, then attached to a contract inside the transition
that uses it (a requirements answer, a delivery). Nobody ever names a file by a path:
answers and deliveries carry the ``public_id``, a random UUID, and the file is served
only through the contract it is attached to. The storage name is random too and says
nothing about the contract, the person or the original name.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fairlance.files.kinds import Purpose

# Not yet used by anything: neither a contract's nor a quote request's. Only such uploads
# count against the uploader's quota, may be attached, discarded or purged.
UNATTACHED = Q(contract__isnull=True, quote_request__isnull=True)


class Upload(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    purpose = models.CharField(max_length=20, choices=[(p.value, p.name.title()) for p in Purpose])
    # Set once, by the transition that uses the upload; an upload is attached at most once.
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="uploads",
    )
    # Set once, when a quote request is made with the upload (purpose ``quote``). When an
    # offer on that request is accepted the upload gets the new ``contract`` too and stays
    # linked here: the request's page and the contract's room serve the same file.
    quote_request = models.ForeignKey(
        "quotes.QuoteRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="uploads",
    )
    # The storage name (random, see services.storage_name), never anything the user sent.
    file = models.FileField(max_length=200)
    # The name the uploader gave, sanitised: shown to people and used as the download name.
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    # What the file is served as (kinds: never a type a browser would run).
    content_type = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The worker's sweep of uploads never attached (uploads_purge_stale).
            models.Index(
                fields=["created_at"],
                condition=Q(contract__isnull=True),
                name="upload_unattached_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.public_id})"
