"""Contracts, their append-only event log, durable timers, deliveries and milestones.

Only ``engine.py`` assigns ``Contract.state`` (and the fields that go with it); everything
else reads. A contract never depends on the catalog row staying the same: what was bought
is copied into ``snapshot`` at purchase.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Fault(models.TextChoices):
    NONE = "none", "No fault"
    FREELANCER = "freelancer", "Freelancer"
    CLIENT = "client", "Client"


class Contract(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts_as_client"
    )
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts_as_freelancer"
    )
    # Kept for links only; the terms live in ``snapshot``.
    project = models.ForeignKey(
        "catalog.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Project title, tier, add-ons, questions, prices, purchase mode, delivery_in_working_days.
    snapshot = models.JSONField(default=dict)
    # Requirement answers keyed by question id (as a string).
    answers = models.JSONField(default=dict, blank=True)
    purchase_mode = models.CharField(max_length=10)

    # Money, integer minor units. ``price_minor`` is what the freelancer's work costs now
    # (partial refunds lower it); ``fee_minor`` is the freelancer service fee on that price;
    # ``client_fee_minor`` the marketplace fee the client paid on top.
    price_minor = models.PositiveIntegerField()
    fee_minor = models.PositiveIntegerField(default=0)
    client_fee_minor = models.PositiveIntegerField(default=0)
    refunded_minor = models.PositiveIntegerField(default=0)
    # The processor's reference of the money taken (an instant purchase's charge, or the
    # capture when a request is accepted): what refunds name. Empty while nothing is taken.
    charge_ref = models.CharField(max_length=100, blank=True)
    # A request's card authorization (the hold), captured on accept or voided otherwise.
    authorization_ref = models.CharField(max_length=100, blank=True)
    policy_version = models.PositiveIntegerField()
    # The lifecycle table the contract runs under (``process.process_for``): set once, at
    # creation, to ``process.PROCESS_VERSION``; contracts made before versions run 1.
    process_version = models.PositiveSmallIntegerField()

    state = models.CharField(max_length=30, db_index=True)
    # The event that entered the current state; timers armed by another entry are stale.
    state_entry_seq = models.PositiveIntegerField(default=0)
    last_event_seq = models.PositiveIntegerField(default=0)
    late = models.BooleanField(default=False)
    revisions_left = models.PositiveSmallIntegerField(default=0)
    delivery_days = models.PositiveSmallIntegerField(default=0)
    work_started_at = models.DateTimeField(null=True, blank=True)
    delivery_due_at = models.DateTimeField(null=True, blank=True)
    grace_ends_at = models.DateTimeField(null=True, blank=True)
    # Explanations of the stored deadlines, keyed by clock name ("delivery_due", "grace").
    clock_notes = models.JSONField(default=dict, blank=True)

    previous_state = models.CharField(max_length=30, blank=True)
    dispute_opened_by = models.CharField(max_length=12, blank=True)
    dispute_opened_at = models.DateTimeField(null=True, blank=True)
    # The other side's answer to the open dispute (contracts/disputes.py): when it is due,
    # when it came, or that the window passed without one. An operator decides only once
    # both sides are heard. Reset each time a dispute is opened.
    dispute_answer_due_at = models.DateTimeField(null=True, blank=True)
    dispute_answered_at = models.DateTimeField(null=True, blank=True)
    dispute_answer_missed = models.BooleanField(default=False)
    # Set while an open proposal pauses the clocks (a mutual cancellation): since when.
    clocks_paused_at = models.DateTimeField(null=True, blank=True)
    # How many of its proposals are open: the room and an ending read the proposals only
    # when there are some (kept by the proposal actions, under the contract's lock).
    open_proposals = models.PositiveSmallIntegerField(default=0)

    # Filled once, when the contract ends: what scores and work history read.
    outcome = models.CharField(max_length=12, choices=Outcome.choices, null=True, blank=True)
    ending = models.CharField(max_length=40, null=True, blank=True)
    fault = models.CharField(max_length=12, choices=Fault.choices, null=True, blank=True)
    # The ending lets both sides leave feedback and enters the trust numbers: its
    # transition's ``counts`` declaration (process.py) decided, from the money paid and
    # the fault. Work history also needs ``paid_out_minor`` > 0.
    counts_for_trust = models.BooleanField(default=False)
    # What escrow released to the freelancer's side (their share plus the fees on it):
    # money actually paid for the work.
    paid_out_minor = models.PositiveBigIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["client", "-id"]),
            models.Index(fields=["freelancer", "-id"]),
            # Which contract kept a charge (purchase_charges_reconcile).
            models.Index(fields=["charge_ref"], name="contract_charge_ref_idx"),
            # Which contract kept an authorization (purchase_charges_reconcile).
            models.Index(fields=["authorization_ref"], name="contract_authorization_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"contract {self.pk} ({self.state})"

    @property
    def title(self) -> str:
        return str(self.snapshot.get("project_title", ""))

    @property
    def escrow_total_minor(self) -> int:
        """What the client paid in and was not refunded: the escrow of an open contract."""
        return self.price_minor + self.client_fee_minor

    @property
    def charged_up_front(self) -> bool:
        """The client's card was charged when the contract was bought, not held.

        True for every instant purchase, and for a request made before requests held the
        card (decision 0008): such a request has no card authorization, its money has been
        in escrow since the purchase (``charge_ref`` names the charge) and no hold entry
        exists. The one rule for that legacy shape: ``accept`` then takes nothing from the
        processor, the request's other exits refund the escrow in full, and the ledger
        check expects escrow rather than a hold (it reads this property).
        """
        return not self.authorization_ref


class ContractEvent(models.Model):
    """One applied transition. Append-only: rows are never updated or deleted."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    name = models.CharField(max_length=40)
    actor_role = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="contract_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.seq} {self.name}"


class TimerStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRED = "fired", "Fired"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class Timer(models.Model):
    """A durable clock: the worker fires ``transition`` at ``fire_at`` if still relevant."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="timers")
    transition = models.CharField(max_length=40)
    clock = models.CharField(max_length=40)
    fire_at = models.DateTimeField()
    explanation = models.CharField(max_length=300, blank=True)
    armed_at_event_seq = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=TimerStatus.choices, default=TimerStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A subject timer (``process.TimerSpec.subject``) is about one subject of the contract,
    # a proposal: keyed by (contract, subject, arming event), it survives state changes and
    # is stale once its subject is closed. A state timer leaves both empty.
    subject_type = models.CharField(max_length=20, blank=True, default="")
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "fire_at"], name="timer_due_idx"),
            # The worker's claim reads each contract's earliest pending subject timer.
            models.Index(
                fields=["contract", "fire_at"],
                name="timer_subject_pending_idx",
                condition=models.Q(status="pending") & ~models.Q(subject_type=""),
            ),
        ]

    def __str__(self) -> str:
        return f"timer {self.transition} for {self.contract_id} at {self.fire_at}"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class Proposal(models.Model):
    """A change one side of a contract asks of the other (SPEC section 4), until answered.

    Opened, accepted, declined, withdrawn and expired only by transitions of the contract's
    process (``contracts/proposals.py``), under the contract's lock. Which fields matter
    depends on ``kind`` (``proposals.KINDS``).
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=20)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    proposed_by = models.CharField(max_length=12)  # the proposer's role
    proposed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    revisions = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_minor = models.PositiveIntegerField(null=True, blank=True)
    percent_to_freelancer = models.PositiveSmallIntegerField(null=True, blank=True)
    # ``add_milestone``: the new milestone's title and delivery days (``amount_minor`` its price).
    title = models.CharField(max_length=200, blank=True)
    delivery_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # ``change_price``: the milestone's number as people count them (``amount_minor`` its price).
    milestone = models.PositiveSmallIntegerField(null=True, blank=True)
    # An accepted increase: the processor's charge that paid for it, and how much it took
    # (what a later refund of the contract may give back to it, ``actions._refund_to_card``).
    charge_ref = models.CharField(max_length=100, blank=True)
    charged_minor = models.PositiveIntegerField(null=True, blank=True)
    # An increase the client proposed: their card is held for it until it is answered
    # (decision 0019). ``hold_token`` is drawn fresh for each proposal and names the
    # authorization's reference; ``hold_ref`` is the processor's hold, ``held_minor`` its
    # amount. Captured by the freelancer's accept, voided by any other ending.
    hold_token = models.CharField(max_length=64, blank=True)
    hold_ref = models.CharField(max_length=100, blank=True)
    held_minor = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    expiry_note = models.CharField(max_length=300, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The ``propose`` event that opened it (its subject timer's arming event).
    created_event_seq = models.PositiveIntegerField()

    class Meta:
        ordering = ["contract_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "kind"],
                condition=models.Q(status="open"),
                name="proposal_one_open_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"proposal {self.pk} ({self.kind}, {self.status})"


def delivery_upload_to(instance: Any, filename: str) -> str:
    """Where delivery files went before they were uploads; migration 0001 still names it."""
    return f"deliveries/{instance.delivery.contract_id}/{filename}"


class Delivery(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="deliveries")
    number = models.PositiveSmallIntegerField()
    note = models.TextField(max_length=5000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract_id", "number"]

    def __str__(self) -> str:
        return f"delivery {self.number} of {self.contract_id}"


class DeliveryFile(models.Model):
    """One file of a delivery: an upload the freelancer made, attached by ``deliver``."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="files")
    upload = models.OneToOneField(
        "files.Upload", on_delete=models.PROTECT, related_name="delivery_file"
    )

    class Meta:
        ordering = ["delivery_id", "id"]

    def __str__(self) -> str:
        return f"{self.upload_id} in delivery {self.delivery_id}"


class MilestoneState(models.TextChoices):
    # Agreed but not paid for yet (a change order not funded yet): never worked on.
    UNFUNDED = "unfunded", "Not funded yet"
    FUNDED = "funded", "Funded, not started"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered, in review"
    RELEASED = "released", "Released to the freelancer"
    REFUNDED = "refunded", "Refunded to the client"
    # An operator's dispute decision shared it between both sides.
    SPLIT = "split", "Split by an operator"


class Milestone(models.Model):
    """A funded piece of work, worked on, delivered and released in ``position`` order.

    Catalog purchases have exactly one. The contract's state and clocks (``late``,
    ``delivery_due_at``) are those of its current milestone: the first one that is
    funded, in progress or delivered (``contracts.milestones``, which alone writes
    these rows after their creation).
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    amount_minor = models.PositiveIntegerField()
    # Counted like the contract's (the snapshot's ``delivery_in_working_days``) from when
    # work on this milestone starts: the previous milestone's approval, or the contract's
    # start for the first.
    delivery_days = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(
        max_length=12, choices=MilestoneState.choices, default=MilestoneState.FUNDED
    )
    due_at = models.DateTimeField(null=True, blank=True)
    due_explanation = models.CharField(max_length=300, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["contract_id", "position"]

    def __str__(self) -> str:
        return self.title


class PurchaseAttempt(models.Model):
    """One attempt to buy: the capacity slot it holds, and what became of its payment.

    ``contracts.services.contract_purchase`` writes it, with the slot, *before* it calls
    the card processor, so a purchase that finds the project full is refused before its
    card is charged or held. Its ``reference`` is the processor reference of the
    attempt's payment (one per attempt: a re-run of the same attempt finds this row).
    It leaves ``in_flight`` exactly once, by a compare-and-set on ``state``:

    - ``kept``: the transaction that created the contract kept the payment and the slot
      (``contract`` names it);
    - ``given_back``: the purchase failed, or its process died and the worker gave up on
      it after the lease, and the slot and the payment went back in the same transaction
      (the payment through a refund or void intent).

    So a payment is never both kept by a contract and given back, whatever runs at once
    (a purchase outliving its lease, a retry of it, the worker). The row outlives its
    outcome long enough for a retry of the same attempt to find it, then is purged.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        KEPT = "kept", "Kept by its contract"
        GIVEN_BACK = "given_back", "Given back"

    reference = models.CharField(max_length=200, unique=True)
    project = models.ForeignKey("catalog.Project", on_delete=models.CASCADE, related_name="+")
    # The Idempotency-Key claim it runs for (``idem:<record id>``), or "" for a one-off.
    attempt = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_FLIGHT)
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The worker's look for purchases that died in flight.
            models.Index(
                fields=["created_at"],
                name="purchase_attempt_flying_idx",
                condition=models.Q(state="in_flight"),
            )
        ]

    def __str__(self) -> str:
        return f"purchase attempt {self.reference} ({self.state})"


# The states a contract never leaves (process.FINAL_STATES; the ledger check reads this).
FINAL_STATES = frozenset({"completed", "cancelled"})
# The states in which the client's money is a hold on their card, not in escrow, unless
# the contract was ``charged_up_front`` (process.REQUESTED; the ledger check reads this).
HOLD_STATES = frozenset({"requested"})
