"""The double-entry ledger: accounts, immutable journal entries and their postings.

Each ``JournalEntry`` is one atomic money movement with a unique ``reference``; its
``Posting`` rows are signed amounts per account that sum to zero. ``LedgerAccount.balance``
is a cache of the sum of the account's *posted* postings, maintained by ``ledger.services``
in the same transaction under a row lock, and verified by ``ledger_check()``.

Two-phase movements (TigerBeetle's pending transfers, formance's holds): a ``pending``
entry records money promised but not moved (a card authorization); its postings balance
like any entry's but change no balance. Exactly one later entry ``resolves`` it: a
``posted`` entry with the same postings (the capture; balances change then), or a ``void``
entry with the opposite postings (the release; balances never change). The link is unique,
so the database refuses a second resolution, and the pending entry itself is never edited.

Nothing here is ever updated or deleted: ``services.py`` is the only writer, and on
PostgreSQL migration 0002 adds triggers that reject UPDATE/DELETE and check at commit that
each entry balances (the django-hordak approach).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from fairlance.ledger import accounts as names


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        WORLD = names.KIND_WORLD, "World (outside the platform)"
        ESCROW = names.KIND_ESCROW, "Contract escrow"
        FREELANCER_PENDING = names.KIND_PENDING, "Freelancer pending"
        FREELANCER_AVAILABLE = names.KIND_AVAILABLE, "Freelancer available"
        PLATFORM = names.KIND_PLATFORM, "Platform"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    # Sum of this account's postings; updated only with F() under a row lock.
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JournalEntry(models.Model):
    class Phase(models.TextChoices):
        POSTED = "posted", "Posted (moves balances)"
        PENDING = "pending", "Pending (a hold)"
        VOID = "void", "Void (releases a hold)"

    reference = models.CharField(max_length=200, unique=True)
    memo = models.CharField(max_length=300, blank=True)
    # A plain integer rather than a foreign key: the ledger must not depend on the contracts
    # app, and an entry outlives anything that happens to a contract row.
    contract_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Set on a reversing entry; unique, so an entry can be reversed only once.
    reversal_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    phase = models.CharField(max_length=8, choices=Phase.choices, default=Phase.POSTED)
    # Set on the entry that posts or voids a pending entry; unique, so a hold is resolved
    # at most once, whichever way.
    resolves = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="resolution"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"
        constraints = [
            # A hold is resolved by a posted or void entry, never by another hold; a void
            # always releases one.
            models.CheckConstraint(
                condition=models.Q(resolves__isnull=True) | ~models.Q(phase="pending"),
                name="ledger_entry_pending_resolves_nothing",
            ),
            models.CheckConstraint(
                condition=~models.Q(phase="void") | models.Q(resolves__isnull=False),
                name="ledger_entry_void_resolves_a_hold",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Posting(models.Model):
    """One leg of an entry: a signed amount on one account (credit +, debit -)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="ledger_posting_amount_nonzero"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount:+d}"


class PendingClearance(models.Model):
    """Money in a freelancer's pending account that becomes available at ``available_at``.

    ``released_entry`` is set in the same transaction that posts pending -> available, so a
    clearance is released at most once. A release that cannot be posted (the pending money
    is gone, which the lifecycle should never allow) records ``blocked_reason`` and is left
    for an operator instead of being retried forever.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pending_clearances"
    )
    amount = models.BigIntegerField()
    available_at = models.DateTimeField()
    reference = models.CharField(max_length=200, unique=True)
    contract_id = models.BigIntegerField(null=True, blank=True)
    released_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="clearance"
    )
    blocked_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["available_at", "id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="ledger_clearance_due_idx",
                condition=models.Q(released_entry__isnull=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="ledger_clearance_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"clearance {self.reference} ({self.amount})"
