"""Feedback between the two sides of an ended contract, and the scores made from it.

SPEC section 6. A contract whose ending counts (``Contract.counts_for_trust``, decided by the
ending transition's ``counts`` declaration in ``contracts/process.py``) takes one
``Feedback`` from each side within the feedback window. Both stay hidden until both have
written or the window closes (``published_at``); then neither changes again, except for one
public reply by the reviewed party. A freelancer may remove feedback about them within the
policy's quota (``FeedbackRemoval``, the log operators read); an operator may hide feedback
that breaks the rules after a report (``FeedbackReport``, audited). The freelancer's success
score is stored (``FreelancerScore``) and recomputed when one of its inputs changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Side(models.TextChoices):
    CLIENT = "client", "Client"
    FREELANCER = "freelancer", "Freelancer"


class Feedback(models.Model):
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="feedback"
    )
    # Who wrote it, as which side of the contract, about whom.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_given"
    )
    author_role = models.CharField(max_length=12, choices=Side.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_received"
    )
    rating = models.PositiveSmallIntegerField()  # 1..5, public
    public_text = models.TextField(blank=True)
    # To the platform only: never shown to the other side or the public.
    private_rating = models.PositiveSmallIntegerField()  # 1..5
    private_text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once, when both have written or the window closed; null while double-blind.
    published_at = models.DateTimeField(null=True, blank=True)
    reply_text = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    # Taken off the subject's profile and score by the freelancer (within the quota).
    removed_at = models.DateTimeField(null=True, blank=True)
    # Hidden by an operator after a report (it broke the rules).
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "author_role"], name="feedback_one_per_side"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"
            ),
            models.CheckConstraint(
                condition=models.Q(private_rating__gte=1, private_rating__lte=5),
                name="feedback_private_rating_1_5",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subject", "author_role", "-published_at"], name="feedback_subject_idx"
            ),
            models.Index(
                fields=["author", "author_role", "-published_at"], name="feedback_author_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"feedback by the {self.author_role} on contract {self.contract_id}"

    @property
    def shown(self) -> bool:
        """Published and neither removed nor hidden: what profiles and scores read."""
        return self.published_at is not None and self.removed_at is None and self.hidden_at is None


class FeedbackRemoval(models.Model):
    """One use of a freelancer's removal quota: the log operators read."""

    feedback = models.OneToOneField(Feedback, on_delete=models.PROTECT, related_name="removal")
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_removals"
    )
    removed_at = models.DateTimeField(default=timezone.now)
    # The calendar month of ``removed_at`` in the freelancer's time zone then ("2026-12"):
    # the quota counts removals per local month.
    local_month = models.CharField(max_length=7)
    time_zone = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["freelancer", "local_month"], name="removal_month_idx")]

    def __str__(self) -> str:
        return f"removal of feedback {self.feedback_id} ({self.local_month})"


class ReportStatus(models.TextChoices):
    OPEN = "open", "Open"
    HIDDEN = "hidden", "Feedback hidden"
    DISMISSED = "dismissed", "Dismissed"


class FeedbackReport(models.Model):
    """Someone says a published feedback breaks the rules; an operator decides."""

    feedback = models.ForeignKey(Feedback, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_reports"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One open report per person and feedback: reporting again adds nothing.
            models.UniqueConstraint(
                fields=["feedback", "reporter"],
                condition=models.Q(status="open"),
                name="report_one_open_per_reporter",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="report_queue_idx")]

    def __str__(self) -> str:
        return f"report {self.pk} on feedback {self.feedback_id} ({self.status})"


class FreelancerScore(models.Model):
    """A freelancer's stored trust numbers (``reviews.score``), recomputed when an input
    changes (an ending, a publication, a removal, a hiding) and when a counted contract
    leaves the 12-month window (``valid_until``), never on a page view."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    # 0..100, or null while fewer than 2 clients count (not shown then).
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    clients = models.PositiveIntegerField(default=0)
    counted = models.PositiveIntegerField(default=0)
    # Average public rating received from clients (shown feedback only), hundredths.
    rating_x100 = models.PositiveSmallIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)
    # Contracts where money was paid (the work history's length).
    jobs = models.PositiveIntegerField(default=0)
    # The full breakdown (``score.Breakdown.as_json``), shown to its owner only.
    breakdown = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # When the oldest counted contract leaves the window: recompute then.
    valid_until = models.DateTimeField(null=True, blank=True)
    # An input changed since ``computed_at``: the commit hook or the worker recomputes.
    dirty = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["valid_until"], name="score_valid_until_idx"),
            models.Index(fields=["dirty"], name="score_dirty_idx", condition=models.Q(dirty=True)),
        ]

    def __str__(self) -> str:
        return f"score of user {self.user_id}: {self.score}"


class ScorePoint(models.Model):
    """The score on one day (the last computation of that day): the history chart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_points"
    )
    day = models.DateField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="score_point_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}: {self.score}"
