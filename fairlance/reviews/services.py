"""Feedback, replies, removals, reports and the stored scores (SPEC section 6).

Leaving feedback and closing the feedback window are transitions of the contract's process
(``leave_feedback``, ``close_feedback`` in ``contracts/process.py``): they run under the
contract's lock, append to its event log and tell the other side like every other
transition, and the window's close is a durable timer that fires once. This module holds
their guard and actions, and the plain services that act on published feedback (a reply, a
removal, a report and an operator's decision), each one transaction under a row lock.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from fairlance.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from fairlance.core.text import TextError, TextRule, clean_text
from fairlance.core.workdays import calendar_days_after
from fairlance.reviews.models import (
    Feedback,
    FeedbackRemoval,
    FeedbackReport,
    FreelancerScore,
    ReportStatus,
    ScorePoint,
    Side,
)

if TYPE_CHECKING:
    from fairlance.contracts.models import Contract
    from fairlance.contracts.process import Context
    from fairlance.core.policy import Policy

FEEDBACK_TEXT = TextRule(max_length=5000, multiline=True)
REPLY_TEXT = TextRule(min_length=1, max_length=2000, multiline=True)
REPORT_TEXT = TextRule(min_length=1, max_length=2000, multiline=True)
OTHER_SIDE = {Side.CLIENT.value: Side.FREELANCER.value, Side.FREELANCER.value: Side.CLIENT.value}


# --- the window ---------------------------------------------------------------------------


# The clock of the ``close_feedback`` timer (process.py declares it with this name).
WINDOW_CLOCK = "feedback_window"


def feedback_closes_at(contract: Contract, policy: Policy) -> datetime | None:
    """When the contract's feedback window closes; None when its ending does not count."""
    if not contract.counts_for_trust or contract.ended_at is None:
        return None
    return calendar_days_after(contract.ended_at, policy.feedback_window_days)


def window_opens(contract: Contract) -> bool:
    """The feedback timer's ``when``: only an ending that counts opens a window."""
    return contract.counts_for_trust


# --- the transitions' guards and actions (the contract is locked) -------------------------


def feedback_open(contract: Contract, ctx: Context) -> bool:
    """an ending that counts, the feedback window still open, and no feedback from this side yet"""
    closes = feedback_closes_at(contract, ctx.policy)
    if closes is None or ctx.now >= closes:
        return False
    return not Feedback.objects.filter(contract=contract, author_role=ctx.role).exists()


def window_counts(contract: Contract, ctx: Context) -> bool:
    """an ending that counts"""
    return contract.counts_for_trust


def _rating(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise InvalidInput(
            "A rating is a whole number from 1 to 5.",
            errors=[field_error(name, "Give 1 to 5 stars.", "out_of_range")],
        )
    return value


def _text(payload: dict[str, Any], name: str, rule: TextRule) -> str:
    value = payload.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(errors=[field_error(name, "Send text.", "invalid")])
    try:
        return clean_text(value, rule=rule)
    except TextError as exc:
        raise InvalidInput(exc.message, errors=[field_error(name, exc.message, exc.code)]) from None


def record_feedback(contract: Contract, ctx: Context) -> None:
    """Store this side's feedback; when the other side's is there too, publish both."""
    role = str(ctx.role)
    rating = _rating(ctx.payload, "rating")
    private_rating = _rating(ctx.payload, "private_rating")
    public_text = _text(ctx.payload, "public_text", FEEDBACK_TEXT)
    private_text = _text(ctx.payload, "private_text", FEEDBACK_TEXT)
    subject_id = contract.freelancer_id if role == Side.CLIENT else contract.client_id
    Feedback.objects.create(
        contract=contract,
        author=ctx.user,
        author_role=role,
        subject_id=subject_id,
        rating=rating,
        public_text=public_text,
        private_rating=private_rating,
        private_text=private_text,
        created_at=ctx.now,
    )
    if Feedback.objects.filter(contract=contract, author_role=OTHER_SIDE[role]).exists():
        _publish(contract, ctx.now)
        # Both wrote: the window has nothing left to wait for, so its clock leaves the
        # contract's deadlines now rather than firing later to publish nothing.
        from fairlance.contracts.models import TimerStatus

        contract.timers.filter(clock=WINDOW_CLOCK, status=TimerStatus.PENDING).update(
            status=TimerStatus.SKIPPED, last_error="both sides wrote", fired_at=ctx.now
        )


def publish_feedback(contract: Contract, ctx: Context) -> None:
    """The window closed: publish what was written (whoever wrote it)."""
    _publish(contract, ctx.now)


def _publish(contract: Contract, now: datetime) -> None:
    """Publish the contract's unpublished feedback, once: only rows still unpublished are
    touched, under the contract's lock, so a racing timer finds nothing left."""
    published = Feedback.objects.filter(contract=contract, published_at__isnull=True).update(
        published_at=now
    )
    if published:
        trust_inputs_changed(freelancer_id=contract.freelancer_id)


# --- what people do with published feedback ------------------------------------------------


def _published_about(contract_id: int, subject: Any, *, for_update: bool) -> Feedback:
    qs = Feedback.objects.filter(
        contract_id=contract_id, subject=subject, published_at__isnull=False
    ).select_related("contract")
    if for_update:
        qs = qs.select_for_update()
    feedback = qs.first()
    if feedback is None:
        raise NotFound(
            "There is no published feedback about you on this contract.", code="no_feedback"
        )
    return feedback


def feedback_reply(
    *, user: Any, contract_id: int, text: Any, now: datetime | None = None
) -> Feedback:
    """The reviewed party's one public reply to published feedback about them."""
    from fairlance.contracts.selectors import access_contract

    now = now or timezone.now()
    reply = _text({"text": text}, "text", REPLY_TEXT)
    with transaction.atomic():
        access_contract(user=user, contract_id=contract_id)
        feedback = _published_about(contract_id, user, for_update=True)
        if feedback.hidden_at is not None or feedback.removed_at is not None:
            raise Conflict("This feedback is no longer shown.", code="feedback_not_shown")
        if feedback.replied_at is not None:
            raise Conflict("You already replied to this feedback.", code="already_replied")
        feedback.reply_text = reply
        feedback.replied_at = now
        feedback.save(update_fields=["reply_text", "replied_at"])
    return feedback


@dataclass(frozen=True)
class RemovalQuota:
    """A freelancer's feedback removals this calendar month (in their time zone)."""

    limit: int  # per month; 0: removals are switched off
    used: int
    time_zone: str
    month: str  # "2026-12"
    # The first instant of the next local month, when this month's count starts again.
    resets_at: datetime

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def next_removal_at(self) -> datetime | None:
        """When the freelancer may remove one: now while some are left, else when the
        month resets; None when removals are switched off."""
        if self.limit == 0:
            return None
        return None if self.left else self.resets_at


def _zone_of(user_id: int) -> str:
    from fairlance.accounts.models import WorkingCalendar

    zone = (
        WorkingCalendar.objects.filter(user_id=user_id).values_list("time_zone", flat=True).first()
    )
    return zone or "UTC"


def removal_quota(*, user_id: int, now: datetime | None = None) -> RemovalQuota:
    from fairlance.core.policy import current_policy

    now = now or timezone.now()
    zone_name = _zone_of(user_id)
    zone = zoneinfo.ZoneInfo(zone_name)
    local = now.astimezone(zone)
    month = f"{local.year:04d}-{local.month:02d}"
    first_next = date(local.year + (local.month == 12), local.month % 12 + 1, 1)
    resets_at = datetime.combine(first_next, time(0), tzinfo=zone).astimezone(
        zoneinfo.ZoneInfo("UTC")
    )
    used = FeedbackRemoval.objects.filter(freelancer_id=user_id, local_month=month).count()
    return RemovalQuota(
        limit=current_policy().feedback_removals_per_month,
        used=used,
        time_zone=zone_name,
        month=month,
        resets_at=resets_at,
    )


def feedback_remove(*, user: Any, contract_id: int, now: datetime | None = None) -> Feedback:
    """The freelancer takes the client's published feedback off their profile and score,
    within the policy's monthly quota (counted in the freelancer's own time zone)."""
    from fairlance.accounts.models import User
    from fairlance.contracts.selectors import access_contract

    now = now or timezone.now()
    with transaction.atomic():
        contract = access_contract(user=user, contract_id=contract_id)
        if contract.freelancer_id != user.pk:
            raise PermissionDenied(
                "Only the freelancer may remove feedback about them.", code="not_the_freelancer"
            )
        # The freelancer's row serialises their removals: two at once cannot both pass the
        # quota.
        User.objects.select_for_update().filter(pk=user.pk).first()
        feedback = _published_about(contract_id, user, for_update=True)
        if feedback.removed_at is not None:
            raise Conflict("You already removed this feedback.", code="already_removed")
        if feedback.hidden_at is not None:
            raise Conflict("An operator already hid this feedback.", code="feedback_not_shown")
        quota = removal_quota(user_id=user.pk, now=now)
        if quota.limit == 0:
            raise Conflict(
                "Removing feedback is switched off on this marketplace.",
                code="removals_disabled",
                removals_left=0,
                next_removal_at=None,
            )
        if quota.left == 0:
            frees = quota.resets_at.astimezone(zoneinfo.ZoneInfo(quota.time_zone))
            raise Conflict(
                f"You have used your {quota.limit} feedback removal"
                f"{'s' if quota.limit != 1 else ''} for {quota.month}; the next one frees up "
                f"on {frees:%-d %B %Y} ({quota.time_zone}).",
                code="removal_quota_used",
                removals_left=0,
                # In the freelancer's zone: the month that frees up is theirs.
                next_removal_at=frees.isoformat(),
                next_removal_date=frees.date().isoformat(),
            )
        feedback.removed_at = now
        feedback.save(update_fields=["removed_at"])
        FeedbackRemoval.objects.create(
            feedback=feedback,
            freelancer=user,
            removed_at=now,
            local_month=quota.month,
            time_zone=quota.time_zone,
        )
        trust_inputs_changed(freelancer_id=user.pk)
    return feedback


def feedback_report(*, user: Any, feedback_id: int, reason: Any) -> FeedbackReport:
    """Anyone signed in may report published, shown feedback as breaking the rules, once.

    Feedback that is not public (unpublished, removed or hidden) is a 404 like an id that
    names nothing: a report must not reveal that it exists. Its author may not report it.
    A reporter whose report was decided may not file it again: the operator has answered.
    """
    text = _text({"reason": reason}, "reason", REPORT_TEXT)
    feedback = (
        Feedback.objects.filter(
            pk=feedback_id,
            published_at__isnull=False,
            removed_at__isnull=True,
            hidden_at__isnull=True,
        ).first()
        if 0 < feedback_id < 2**63
        else None
    )
    if feedback is None:
        raise NotFound("No such feedback.")
    if feedback.author_id == user.pk:
        raise PermissionDenied("You cannot report your own feedback.", code="own_feedback")
    already = Conflict(
        "You already reported this feedback; an operator will look at it.",
        code="already_reported",
    )
    if FeedbackReport.objects.filter(feedback=feedback, reporter=user).exists():
        raise already
    try:
        with transaction.atomic():
            return FeedbackReport.objects.create(feedback=feedback, reporter=user, reason=text)
    except IntegrityError:
        raise already from None


def report_decide(
    *, operator: Any, report_id: int, hide: bool, note: Any, now: datetime | None = None
) -> FeedbackReport:
    """An operator upholds a report (the feedback is hidden) or dismisses it; audited."""
    from fairlance.core.audit import audit_record

    if not getattr(operator, "is_operator", False):
        raise PermissionDenied("Operators only.", code="operators_only")
    now = now or timezone.now()
    decision = _text({"note": note}, "note", REPORT_TEXT)
    with transaction.atomic():
        report = (
            FeedbackReport.objects.select_for_update()
            .select_related("feedback")
            .filter(pk=report_id)
            .first()
            if 0 < report_id < 2**63
            else None
        )
        if report is None:
            raise NotFound("No such report.")
        if report.status != ReportStatus.OPEN:
            raise Conflict("This report was already decided.", code="report_decided")
        feedback = (
            Feedback.objects.select_for_update()
            .select_related("contract")
            .get(pk=report.feedback_id)
        )
        if operator.pk in (feedback.contract.client_id, feedback.contract.freelancer_id):
            # Like a dispute, a report is decided by someone with no stake in it.
            raise PermissionDenied(
                "You are a party to this contract; another operator decides this report.",
                code="operator_is_a_party",
            )
        status = ReportStatus.HIDDEN if hide else ReportStatus.DISMISSED
        open_reports = FeedbackReport.objects.filter(feedback=feedback, status=ReportStatus.OPEN)
        if hide:
            # One decision answers every open report of the same feedback.
            open_reports.update(
                status=status, decided_by=operator, decided_at=now, decision_note=decision
            )
            feedback.hidden_at = now
            feedback.save(update_fields=["hidden_at"])
        else:
            open_reports.filter(pk=report.pk).update(
                status=status, decided_by=operator, decided_at=now, decision_note=decision
            )
        audit_record(
            actor=operator,
            action="feedback_hide" if hide else "feedback_report_dismiss",
            target=feedback,
            note=decision,
            report_id=report.pk,
        )
        if hide:
            contract = feedback.contract
            trust_inputs_changed(freelancer_id=contract.freelancer_id)
        report.refresh_from_db()
    return report


# --- stored scores -------------------------------------------------------------------------


def trust_inputs_changed(*, freelancer_id: int) -> None:
    """An input of the freelancer's trust numbers changed (inside the change's transaction):
    mark their score dirty; it is recomputed right after the commit, and by the worker if
    that did not happen (a crash between the two)."""
    FreelancerScore.objects.bulk_create(
        [FreelancerScore(user_id=freelancer_id, dirty=True)],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["dirty"],
    )
    transaction.on_commit(lambda: score_refresh_if_dirty(freelancer_id=freelancer_id))


def score_refresh_if_dirty(*, freelancer_id: int) -> None:
    """The commit hook: one transaction that ended several of the freelancer's contracts
    (a worker's batch) registers one hook each; the first recomputes, the rest find the
    score clean."""
    if FreelancerScore.objects.filter(user_id=freelancer_id, dirty=True).exists():
        score_refresh(freelancer_id=freelancer_id)


def score_rows(freelancer_id: int, *, since: datetime) -> list[Any]:
    """The freelancer's contracts that ended after ``since``, as the formula reads them."""
    from fairlance.contracts.models import Contract
    from fairlance.contracts.process import ending_transition
    from fairlance.reviews.score import ContractRow

    contracts = list(
        Contract.objects.filter(freelancer_id=freelancer_id, ended_at__gt=since)
        .order_by("-ended_at", "-id")
        .values(
            "id",
            "snapshot",
            "client_id",
            "ended_at",
            "ending",
            "fault",
            "counts_for_trust",
            "paid_out_minor",
            "price_minor",
            "late",
        )
    )
    feedback = {
        f["contract_id"]: f
        for f in Feedback.objects.filter(
            contract_id__in=[c["id"] for c in contracts], author_role=Side.CLIENT
        ).values(
            "contract_id", "rating", "private_rating", "published_at", "removed_at", "hidden_at"
        )
    }
    rows = []
    for c in contracts:
        f = feedback.get(c["id"])
        note = ""
        shown = False
        if f is not None:
            if f["published_at"] is None:
                note = "feedback not published yet"
            elif f["hidden_at"] is not None:
                note = "feedback hidden by an operator: its ratings do not count"
            elif f["removed_at"] is not None:
                note = "feedback removed by you: its ratings do not count"
            else:
                shown = True
        t = ending_transition(c["ending"] or "")
        rows.append(
            ContractRow(
                contract_id=c["id"],
                # The snapshot keeps the project's title as ``project_title``
                # (``Contract.title``).
                title=str((c["snapshot"] or {}).get("project_title") or f"Contract {c['id']}"),
                client_id=c["client_id"],
                ended_at=c["ended_at"] or since,
                ending=c["ending"] or "",
                fault=c["fault"] or "none",
                counts_for_trust=c["counts_for_trust"],
                paid_out_minor=c["paid_out_minor"],
                price_minor=c["price_minor"],
                late=c["late"],
                rating=f["rating"] if shown and f else None,
                private_rating=f["private_rating"] if shown and f else None,
                feedback_note=note,
                not_counted=t.not_counted if t is not None else "",
            )
        )
    return rows


def score_refresh(*, freelancer_id: int, now: datetime | None = None) -> FreelancerScore:
    """Recompute and store the freelancer's score, ratings and history point."""
    from fairlance.contracts.models import Contract
    from fairlance.reviews import score

    now = now or timezone.now()
    with transaction.atomic():
        FreelancerScore.objects.bulk_create(
            [FreelancerScore(user_id=freelancer_id)],
            ignore_conflicts=True,
        )
        stored = FreelancerScore.objects.select_for_update().get(user_id=freelancer_id)
        breakdown = score.compute(score_rows(freelancer_id, since=now - score.WINDOW), now=now)
        ratings = Feedback.objects.filter(
            subject_id=freelancer_id,
            author_role=Side.CLIENT,
            published_at__isnull=False,
            removed_at__isnull=True,
            hidden_at__isnull=True,
        ).aggregate(avg=Avg("rating"), n=Count("id"))
        stored.score = breakdown.score
        stored.clients = breakdown.clients
        stored.counted = len(breakdown.counted)
        stored.rating_count = ratings["n"] or 0
        stored.rating_x100 = round((ratings["avg"] or 0) * 100)
        stored.jobs = Contract.objects.filter(
            freelancer_id=freelancer_id, paid_out_minor__gt=0
        ).count()
        stored.breakdown = breakdown.as_json()
        stored.computed_at = now
        stored.valid_until = breakdown.valid_until
        stored.dirty = False
        stored.save()
        day = now.date()
        ScorePoint.objects.update_or_create(
            user_id=freelancer_id, day=day, defaults={"score": breakdown.score}
        )
        _project_ratings_refresh(freelancer_id)
    return stored


def _project_ratings_refresh(freelancer_id: int) -> None:
    """Each of the freelancer's projects: the average of its clients' shown ratings."""
    from fairlance.catalog.services import project_ratings_store

    per_project = {
        row["contract__project_id"]: (round((row["avg"] or 0) * 100), row["n"])
        for row in Feedback.objects.filter(
            subject_id=freelancer_id,
            author_role=Side.CLIENT,
            published_at__isnull=False,
            removed_at__isnull=True,
            hidden_at__isnull=True,
            contract__project_id__isnull=False,
        )
        .values("contract__project_id")
        .annotate(avg=Avg("rating"), n=Count("id"))
    }
    project_ratings_store(freelancer_id=freelancer_id, ratings=per_project)


def scores_refresh_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """The worker's job: scores marked dirty (a commit hook that never ran) and scores
    whose oldest contract left the 12-month window."""
    now = now or timezone.now()
    ids = list(
        FreelancerScore.objects.filter(Q(dirty=True) | Q(valid_until__lte=now))
        .order_by("user_id")
        .values_list("user_id", flat=True)[:limit]
    )
    for user_id in ids:
        score_refresh(freelancer_id=user_id, now=now)
    return len(ids)


# --- leaving feedback (the one door for the web and the API) ---------------------------------


def feedback_leave(
    *,
    user: Any,
    contract_id: int,
    rating: Any,
    public_text: Any = "",
    private_rating: Any,
    private_text: Any = "",
) -> Feedback:
    """Leave the caller's side's feedback on an ended contract (``leave_feedback``).

    Says why when it cannot be left (the ending does not count, the window closed, this side
    already wrote) before the engine checks the same again under the contract's lock.
    """
    from fairlance.contracts.engine import Actor, apply_transition
    from fairlance.contracts.selectors import access_contract
    from fairlance.core.policy import policy_for_version

    contract = access_contract(user=user, contract_id=contract_id)
    if user.pk not in (contract.client_id, contract.freelancer_id):
        raise PermissionDenied(
            "Only the client and the freelancer leave feedback.", code="not_a_party"
        )
    if contract.ended_at is None:
        raise Conflict(
            "Feedback opens when the contract ends.", code="feedback_not_open", state=contract.state
        )
    if not contract.counts_for_trust:
        raise Conflict(
            "This contract ended without money paid or anyone at fault, so it takes no "
            "feedback and counts for no one.",
            code="feedback_not_allowed",
        )
    closes = feedback_closes_at(contract, policy_for_version(contract.policy_version))
    if closes is not None and timezone.now() >= closes:
        raise Conflict(
            "The feedback window of this contract has closed.",
            code="feedback_window_closed",
            closed_at=closes.isoformat(),
        )
    role = Side.CLIENT.value if user.pk == contract.client_id else Side.FREELANCER.value
    if Feedback.objects.filter(contract=contract, author_role=role).exists():
        raise Conflict(
            "You already left feedback on this contract; it cannot be changed.",
            code="feedback_already_left",
        )
    apply_transition(
        contract_id=contract_id,
        name="leave_feedback",
        actor=Actor("person", user),
        payload={
            "rating": rating,
            "public_text": public_text,
            "private_rating": private_rating,
            "private_text": private_text,
        },
    )
    return Feedback.objects.get(contract_id=contract_id, author_role=role)
