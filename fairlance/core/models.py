from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PolicyVersion(models.Model):
    """One immutable version of the marketplace policy (see core.policy)."""

    version = models.PositiveIntegerField(unique=True)
    values = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"policy v{self.version}"


class AuditEntry(models.Model):
    """Every operator action, append-only: who did what to which object and why."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` a user sent to one money-moving endpoint (core.idempotency).

    The row is committed as ``in_progress`` before the handler runs, so a concurrent
    duplicate finds it; afterwards it holds the response to replay. While in progress it
    holds a lease (``lease_until``): a duplicate before then is told to wait, one after it
    runs the handler again as the same attempt (its process is presumed dead). Kept at
    least 24 hours.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Until when the run that claimed (or took over) the key owns it. It also names that
    # run: a run whose lease was taken over stores nothing (its successor answers).
    lease_until = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "key"], name="core_idempotency_user_scope_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} ({self.state})"
