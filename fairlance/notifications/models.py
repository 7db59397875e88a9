"""In-app notifications, which double as the outbox for email.

A notification row is written in the same transaction as the change it reports, so a
rolled-back change never notifies anyone; the email goes out only after commit.
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
