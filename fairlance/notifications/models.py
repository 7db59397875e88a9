"""In-app notifications, which double as the outbox for email.

A notification row is written in the same transaction as the change it reports, so a
rolled-back change never notifies anyone; the email goes out only after commit.

An email that asks the recipient to act ("a new request to answer") may wait for quiet
hours; by then the contract may have moved on (the client withdrew). Such a row records
what it is about (``contract`` and ``about_entry_seq``, the contract's state entry it was
written in), and the sender drops its email when the contract has left that entry: the
in-app row stays, the email is recorded as dropped (``email_dropped_at``) and never sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Where the notification points, e.g. {"contract_id": 12}.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Quiet hours: an email to a freelancer outside their working hours waits until this
    # instant; the worker sends it then. Null means "send right after commit".
    send_after = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # What the notification is about. No index: nothing looks notifications up by contract
    # yet, and every transition writes rows here.
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # Set on notices that need the recipient's action in the state the contract was in:
    # its ``state_entry_seq`` then. The email is dropped once the contract has left it.
    about_entry_seq = models.PositiveIntegerField(null=True, blank=True)
    # When the sender dropped the email because the contract had moved on; ``send_after``
    # is cleared at the same time, so the row leaves the outbox.
    email_dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"]),
            models.Index(fields=["emailed_at", "send_after"]),
            # The email outbox: only the rows still to send, in the order they come due.
            # ``notifications_send_due`` walks it and stops at its limit; the index above
            # cannot give that order (``emailed_at IS NULL`` is not an equality for
            # PostgreSQL's ordering), so every call sorted all due rows, sent ones included
            # until vacuum (200,000 rows after a burst of 100,000 timers).
            models.Index(
                fields=["send_after"],
                name="notification_outbox_idx",
                condition=models.Q(emailed_at__isnull=True, send_after__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
