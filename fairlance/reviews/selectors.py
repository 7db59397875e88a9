"""Reads on feedback and scores: what each viewer may see of them.

Double-blind: before publication a side sees only its own feedback and whether the other
side has written. Private feedback (the private rating and text) is for the platform: no
selector here returns it to anyone; operators read it on their own pages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from fairlance.contracts.models import Contract
from fairlance.reviews.models import (
    Feedback,
    FeedbackRemoval,
    FeedbackReport,
    FreelancerScore,
    ReportStatus,
    Side,
)
from fairlance.reviews.services import feedback_closes_at


def shown(qs: QuerySet[Feedback]) -> QuerySet[Feedback]:
    """Published and neither removed by the freelancer nor hidden by an operator."""
    return qs.filter(published_at__isnull=False, removed_at__isnull=True, hidden_at__isnull=True)


@dataclass(frozen=True)
class ContractFeedback:
    """A contract's feedback as one viewer (a party or an operator) may see it."""

    contract: Contract
    counts: bool  # the ending lets both sides leave feedback
    closes_at: datetime | None
    window_open: bool
    viewer_role: str  # "client" | "freelancer" | "operator"
    can_write: bool
    # The viewer's own feedback (always visible to its author).
    mine: Feedback | None
    # The other side's: only once published.
    theirs: Feedback | None
    # Whether the other side has written (told before publication, without the words).
    theirs_written: bool
    # For operators: both sides' feedback, whatever their state.
    both: tuple[Feedback, ...] = ()

    @property
    def can_reply(self) -> bool:
        """The reviewed party may reply once to published, shown feedback about them."""
        f = self.theirs
        return (
            f is not None
            and f.shown
            and f.replied_at is None
            and self.viewer_role in (Side.CLIENT, Side.FREELANCER)
        )

    @property
    def can_remove(self) -> bool:
        """The freelancer may remove shown feedback from the client (quota permitting)."""
        return self.viewer_role == Side.FREELANCER and self.theirs is not None and self.theirs.shown


def contract_feedback(
    *, viewer: Any, contract: Contract, policy: Any, now: datetime
) -> ContractFeedback:
    """The viewer's view of ``contract``'s feedback (the caller checked access)."""
    if viewer.pk == contract.client_id:
        role = Side.CLIENT.value
    elif viewer.pk == contract.freelancer_id:
        role = Side.FREELANCER.value
    else:
        role = "operator"
    closes = feedback_closes_at(contract, policy)
    window_open = closes is not None and now < closes
    rows = (
        list(Feedback.objects.filter(contract=contract).select_related("author"))
        if contract.counts_for_trust
        else []
    )
    by_role = {f.author_role: f for f in rows}
    if role == "operator":
        return ContractFeedback(
            contract=contract,
            counts=contract.counts_for_trust,
            closes_at=closes,
            window_open=window_open,
            viewer_role=role,
            can_write=False,
            mine=None,
            theirs=None,
            theirs_written=False,
            both=tuple(rows),
        )
    other = Side.FREELANCER.value if role == Side.CLIENT else Side.CLIENT.value
    mine = by_role.get(role)
    theirs = by_role.get(other)
    return ContractFeedback(
        contract=contract,
        counts=contract.counts_for_trust,
        closes_at=closes,
        window_open=window_open,
        viewer_role=role,
        can_write=window_open and mine is None,
        mine=mine,
        theirs=theirs if theirs is not None and theirs.published_at is not None else None,
        theirs_written=theirs is not None,
    )


def feedback_received(*, user_id: int, by: str = Side.CLIENT.value) -> QuerySet[Feedback]:
    """Shown feedback about ``user_id`` written by the ``by`` side, newest first."""
    return (
        shown(Feedback.objects.filter(subject_id=user_id, author_role=by))
        .select_related("author", "contract")
        .order_by("-published_at", "-id")
    )


def feedback_given(*, user_id: int, as_role: str = Side.CLIENT.value) -> QuerySet[Feedback]:
    """Published feedback written by ``user_id`` as ``as_role`` (not hidden by an operator:
    removal is the reviewed freelancer's choice about their own profile, and does not
    change what the author gave)."""
    return Feedback.objects.filter(
        author_id=user_id, author_role=as_role, published_at__isnull=False, hidden_at__isnull=True
    )


def work_history(*, freelancer_id: int) -> QuerySet[Contract]:
    """Ended contracts where money was paid to the freelancer, newest first (SPEC 6)."""
    return (
        Contract.objects.filter(
            freelancer_id=freelancer_id, ended_at__isnull=False, paid_out_minor__gt=0
        )
        .select_related("client")
        .order_by("-ended_at", "-id")
    )


def stored_score(*, user_id: int) -> FreelancerScore | None:
    return FreelancerScore.objects.filter(user_id=user_id).first()


def open_reports() -> QuerySet[FeedbackReport]:
    """Open reports on feedback, the oldest first, with the feedback, its contract and the
    people involved (the operators' queue)."""
    return (
        FeedbackReport.objects.filter(status=ReportStatus.OPEN)
        .select_related(
            "reporter",
            "feedback",
            "feedback__author",
            "feedback__subject",
            "feedback__contract",
        )
        .order_by("created_at", "id")
    )


def removal_log() -> QuerySet[FeedbackRemoval]:
    """Every feedback removal, newest first: who removed which feedback, when (operators)."""
    return FeedbackRemoval.objects.select_related(
        "feedback", "feedback__author", "freelancer"
    ).order_by("-removed_at", "-id")
