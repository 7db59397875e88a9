"""Load the demo marketplace through the real domain functions.

``demo_load()`` is idempotent: a person is found by email and a project by (owner, title),
and only what is missing is created. Running it on a loaded database changes nothing,
except that an away range which has already ended is renewed, so the away-mode example
still shows on a demo database loaded weeks ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.accounts.services import (
    away_until,
    calendar_update,
    time_off_add,
    user_create,
    user_local_today,
    user_mark_email_verified,
)
from fairlance.catalog.models import Project, ProjectStatus
from fairlance.catalog.services import (
    gallery_image_add,
    project_create,
    project_pause,
    project_publish,
    project_review_decide,
)
from fairlance.demo.artwork import gallery_picture
from fairlance.demo.data import (
    DEMO_CARD,
    DEMO_PASSWORD,
    DEMO_RANDOM_SEED,
    PEOPLE,
    PROJECTS,
    QUOTES,
    DemoFeedback,
    DemoPerson,
    DemoProject,
    DemoPurchase,
    DemoQuote,
)


@dataclass
class DemoSummary:
    users_created: int = 0
    projects_created: int = 0
    images_created: int = 0
    contracts_created: int = 0
    quotes_created: int = 0
    feedback_left: int = 0
    time_off_added: int = 0
    # Every demo login, in the order of ``data.PEOPLE`` (for the banner and the README).
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        return bool(
            self.users_created
            or self.projects_created
            or self.images_created
            or self.contracts_created
            or self.quotes_created
            or self.feedback_left
            or self.time_off_added
        )


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, name, email) of every demo account; all share ``DEMO_PASSWORD``."""
    return [(p.role, p.display_name, p.email) for p in PEOPLE]


def demo_load(*, images: bool = True, now: datetime | None = None) -> DemoSummary:
    """Create whatever part of the demo marketplace is missing, in one transaction.

    ``images=False`` skips drawing gallery pictures (faster, for tests that do not look at
    them). ``now`` anchors the away range; it defaults to ``timezone.now()``.
    """
    moment = now or timezone.now()
    summary = DemoSummary(logins=demo_logins())
    with transaction.atomic():
        users = {person.key: _ensure_person(person, moment, summary) for person in PEOPLE}
        operator = next(users[p.key] for p in PEOPLE if p.role == "operator")
        for project in PROJECTS:
            _ensure_project(project, users, operator, summary, images=images)
        for quote in QUOTES:
            _ensure_quote(quote, users, summary)
        if summary.feedback_left:
            # The scores are stored now, with the rest (the commit hooks the feedback
            # registered then find them clean).
            from fairlance.reviews.services import score_refresh

            for person in PEOPLE:
                if person.role == "freelancer":
                    score_refresh(freelancer_id=users[person.key].pk)
    return summary


def _ensure_quote(spec: DemoQuote, users: dict[str, User], summary: DemoSummary) -> None:
    """Ask for the quote (and answer it with the offer) unless that request exists."""
    # Imported here for the reason ``_purchase`` gives: quotes pull in contracts.
    from fairlance.quotes.models import QuoteRequest
    from fairlance.quotes.services import MilestoneIn, offer_send, quote_request_create

    buyer, owner = users[spec.buyer], users[spec.owner]
    project = Project.objects.get(freelancer=owner, title=spec.project_title)
    if QuoteRequest.objects.filter(client=buyer, project=project, need=spec.need).exists():
        return
    request = quote_request_create(
        client=buyer, project_id=project.pk, need=spec.need, budget_minor=spec.budget_minor
    )
    summary.quotes_created += 1
    if spec.offer is not None:
        offer_send(
            freelancer=owner,
            request_id=request.pk,
            scope=spec.offer.scope,
            price_minor=sum(amount for _, amount, _ in spec.offer.milestones),
            delivery_days=sum(days for _, _, days in spec.offer.milestones),
            revisions=spec.offer.revisions,
            # The service measures expiry from the real clock, not the loader's ``now``.
            expires_at=timezone.now() + timedelta(days=spec.offer.expires_in_days),
            milestones=[MilestoneIn(*m) for m in spec.offer.milestones],
        )


def _ensure_person(person: DemoPerson, now: datetime, summary: DemoSummary) -> User:
    user = User.objects.filter(email=person.email).first()
    if user is None:
        is_operator = person.role == "operator"
        user = user_create(
            email=person.email,
            password=DEMO_PASSWORD,
            display_name=person.display_name,
            headline=person.headline,
            bio=person.bio,
            country=person.country,
            is_operator=is_operator,
            # Operators also get Django's admin for raw data (SPEC section 8): staff to log
            # in, superuser to see and change every model there.
            is_staff=is_operator,
            is_superuser=is_operator,
            # The demo's addresses are the platform's own: nobody could open a confirmation
            # email sent to them, and the README promises they log in with the password.
            email_verified=True,
        )
        summary.users_created += 1
        if person.calendar is not None:
            cal = person.calendar
            calendar_update(
                user=user,
                time_zone=cal.time_zone,
                working_weekdays=cal.working_weekdays,
                work_start=cal.work_start,
                work_end=cal.work_end,
                holiday_country=cal.holiday_country,
                holiday_subdivision=cal.holiday_subdivision,
            )
    else:
        # A demo loaded before addresses had to be confirmed still logs in.
        user_mark_email_verified(user=user)
        if person.role == "operator" and not user.is_superuser:
            # A demo loaded before operators were the admin's superusers gets it now.
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    if person.away is not None:
        today = user_local_today(user=user, now=now)
        if away_until(user=user, today=today) is None:
            start, end = _away_dates(today, person.away.started_days_ago, person.away.back_in_days)
            time_off_add(
                user=user, start_date=start, end_date=end, away=True, note=person.away.note
            )
            summary.time_off_added += 1
    return user


def _away_dates(today: date, started_days_ago: int, back_in_days: int) -> tuple[date, date]:
    # The range is inclusive, so it ends the day before the person is back.
    return today - timedelta(days=started_days_ago), today + timedelta(days=back_in_days - 1)


def _ensure_project(
    spec: DemoProject,
    users: dict[str, User],
    operator: User,
    summary: DemoSummary,
    *,
    images: bool,
) -> None:
    owner = users[spec.owner]
    if Project.objects.filter(freelancer=owner, title=spec.title).exists():
        return
    project = project_create(
        freelancer=owner,
        title=spec.title,
        category_slug=spec.category,
        description=spec.description,
        tags=spec.tags,
        purchase_mode=spec.purchase_mode,
        delivery_in_working_days=spec.delivery_in_working_days,
        capacity=spec.capacity,
        tiers=spec.tiers,
        addons=spec.addons,
        questions=spec.questions,
        faq=spec.faq,
    )
    summary.projects_created += 1
    if images:
        for variant in range(spec.images):
            picture = gallery_picture(
                title=spec.title,
                caption=f"{owner.public_name} · {project.category.name}",
                seed=DEMO_RANDOM_SEED,
                variant=variant,
            )
            gallery_image_add(
                project=project,
                actor=owner,
                upload=SimpleUploadedFile(
                    f"demo-{variant}.jpg", picture, content_type="image/jpeg"
                ),
                alt_text=f"Cover image for “{spec.title}”"[:200],
            )
            summary.images_created += 1
    if spec.status == "draft":
        return
    project = project_publish(project=project, actor=owner)
    if project.status == ProjectStatus.PENDING_REVIEW:
        # On a deployment where publishing needs review, the demo operator approves, the
        # same path an operator takes from the moderation queue.
        project = project_review_decide(project=project, operator=operator, approve=True)
    # Purchases happen while the project is on sale, as they would have in real life.
    for number, purchase in enumerate(spec.purchases):
        contract_id = _purchase(project, purchase, buyer=users[purchase.buyer], number=number)
        summary.contracts_created += 1
        if purchase.completed is not None:
            _complete(contract_id, purchase.completed, buyer=users[purchase.buyer], owner=owner)
            summary.feedback_left += 2
    if spec.status == "paused":
        project_pause(project=project, actor=owner)


def _demo_file(name: str, *, buyer: User) -> str:
    """Upload a small stand-in file for a file answer, as checkout does, and return its id,
    so the contract room's download link works.

    The loader runs in one transaction, which ``upload_create`` asks its callers not to
    do: if loading fails, these few small files stay in storage without their rows.
    """
    from django.core.files.base import ContentFile

    from fairlance.files.kinds import Purpose
    from fairlance.files.services import upload_create

    body = f"Demo attachment: {name}. The real file would be here.\n".encode()
    upload = upload_create(
        uploader=buyer,
        purpose=Purpose.REQUIREMENT,
        content=ContentFile(body),
        name=f"{name}.txt",
    )
    return str(upload.public_id)


def _purchase(project: Project, purchase: DemoPurchase, *, buyer: User, number: int) -> int:
    # Imported here: contracts pull in the ledger and payments, which the rest of the
    # loader does not need.
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import contract_purchase, contract_transition

    tiers = list(project.tiers.order_by("position", "id"))
    addons = list(project.addons.order_by("position", "id"))
    questions = list(project.questions.order_by("position", "id"))
    answers = {
        str(question.pk): _demo_file(answer, buyer=buyer) if question.kind == "file" else answer
        for question, answer in zip(questions, purchase.answers, strict=False)
        if answer
    }
    contract = contract_purchase(
        client=buyer,
        project_id=project.pk,
        tier_id=tiers[purchase.tier].pk,
        addon_ids=[addons[i].pk for i in purchase.addons],
        answers=answers,
        card_number=DEMO_CARD,
        # A stable attempt: the sandbox charges one reference once, like real processors.
        attempt=f"demo-{number}",
    ).contract
    if purchase.accepted:
        # Accepting captures the card hold at the processor: the same door as a click.
        contract_transition(
            contract_id=contract.pk, name="accept", actor=Actor("freelancer", project.freelancer)
        )
    return int(contract.pk)


def _complete(contract_id: int, feedback: DemoFeedback, *, buyer: User, owner: User) -> None:
    """Deliver and approve the contract, then both sides leave feedback: through the same
    transitions as the contract room (the second feedback publishes both)."""
    from fairlance.contracts.engine import Actor
    from fairlance.contracts.services import contract_transition
    from fairlance.reviews.services import feedback_leave

    contract_transition(
        contract_id=contract_id,
        name="deliver",
        actor=Actor("freelancer", owner),
        payload={"note": "Here is the finished work. Thank you!"},
    )
    contract_transition(contract_id=contract_id, name="approve", actor=Actor("client", buyer))
    feedback_leave(
        user=buyer,
        contract_id=contract_id,
        rating=feedback.rating,
        public_text=feedback.text,
        private_rating=feedback.rating,
    )
    feedback_leave(
        user=owner,
        contract_id=contract_id,
        rating=feedback.freelancer_rating,
        public_text=feedback.freelancer_text,
        private_rating=feedback.freelancer_rating,
    )
