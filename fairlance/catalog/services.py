"""Writes on the catalog: creating and editing projects, their status and their gallery.

Every function here is a complete change in one transaction. Functions that change an
existing project first take the project row lock (``select_for_update``) through
``access_project_for_owner``, so two editors (or an editor and an operator) never
interleave half-applied edits. After anything searchable changes (title, description,
tags, category, status, tiers and prices) the project is re-indexed inside the same
transaction, so the search index never disagrees with a committed row.

Validation collects every problem before raising, so a form or API client learns about all
its mistakes at once; field paths follow the input shape (``tiers.1.price_minor``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.catalog import images
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.catalog.models import (
    AddOn,
    Category,
    FaqEntry,
    GalleryImage,
    Project,
    ProjectStatus,
    PurchaseMode,
    QuestionKind,
    RequirementQuestion,
    Tier,
)
from fairlance.catalog.selectors import access_project_for_owner
from fairlance.core.audit import audit_record
from fairlance.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from fairlance.core.markdown import render_markdown
from fairlance.core.money import MAX_PRICE_MINOR, format_minor
from fairlance.core.policy import current_policy
from fairlance.core.text import TextError, TextRule, clean_text

# Limits (SPEC section 1 and the catalog brief). Kept here, in one place, so the API
# schemas and the web forms can quote the same numbers.
TITLE_MIN, TITLE_MAX = 10, 120
DESCRIPTION_MAX = 20_000
MAX_TAGS, TAG_MAX = 10, 30
MIN_TIERS, MAX_TIERS = 1, 3
TIER_NAME_MAX, TIER_DESCRIPTION_MAX = 40, 300
PRICE_MIN, PRICE_MAX = 100, MAX_PRICE_MINOR
DELIVERY_MIN, DELIVERY_MAX = 1, 365
REVISIONS_MIN, REVISIONS_MAX = 0, 20
MAX_DELIVERABLES, DELIVERABLE_MAX = 10, 200
MAX_ADDONS, ADDON_TITLE_MAX = 10, 120
# An add-on may shorten delivery (express) or lengthen it. Shortening by more than two
# months is no real offer; a purchase never gets fewer than 1 day whatever the add-ons
# (contracts.deadlines.purchase_delivery_days).
EXTRA_DAYS_MIN, EXTRA_DAYS_MAX = -60, 365
MAX_QUESTIONS, PROMPT_MAX = 15, 300
CHOICES_MIN, CHOICES_MAX, CHOICE_MAX = 2, 20, 100
MAX_FAQ, FAQ_QUESTION_MAX, FAQ_ANSWER_MAX = 15, 200, 2000
CAPACITY_MIN, CAPACITY_MAX = 1, 100
REVIEW_NOTE_MAX = 500
ALT_TEXT_MAX = 200

# What each text field accepts (fairlance.core.text): names are lines, the rest paragraphs.
# The API's schemas publish these same rules.
TITLE = TextRule(min_length=TITLE_MIN, max_length=TITLE_MAX)
DESCRIPTION = TextRule(max_length=DESCRIPTION_MAX, multiline=True)
TAG = TextRule(min_length=1, max_length=TAG_MAX)
TIER_NAME = TextRule(min_length=1, max_length=TIER_NAME_MAX)
TIER_DESCRIPTION = TextRule(max_length=TIER_DESCRIPTION_MAX, multiline=True)
DELIVERABLE = TextRule(min_length=1, max_length=DELIVERABLE_MAX)
ADDON_TITLE = TextRule(min_length=1, max_length=ADDON_TITLE_MAX)
PROMPT = TextRule(min_length=1, max_length=PROMPT_MAX, multiline=True)
CHOICE = TextRule(min_length=1, max_length=CHOICE_MAX)
FAQ_QUESTION = TextRule(min_length=1, max_length=FAQ_QUESTION_MAX)
FAQ_ANSWER = TextRule(min_length=1, max_length=FAQ_ANSWER_MAX, multiline=True)
APPROVAL_NOTE = TextRule(max_length=REVIEW_NOTE_MAX, multiline=True)
REJECTION_NOTE = TextRule(min_length=1, max_length=REVIEW_NOTE_MAX, multiline=True)
ALT_TEXT = TextRule(max_length=ALT_TEXT_MAX)

PROJECT_FIELDS = frozenset(
    {
        "title",
        "category_slug",
        "description",
        "tags",
        "purchase_mode",
        "delivery_in_working_days",
        "capacity",
        "tiers",
        "addons",
        "questions",
        "faq",
    }
)


# --- validation --------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.items.append(field_error(field, message, code))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(
                "; ".join(f"{e['field']}: {e['message']}" for e in self.items)[:1000],
                errors=self.items,
            )


def _text(errors: _Errors, field: str, value: object, rule: TextRule) -> str:
    if not isinstance(value, str):
        errors.add(field, "Must be text.", "type")
        return ""
    try:
        return clean_text(value, rule=rule)
    except TextError as exc:
        errors.add(field, exc.message, exc.code)
        return ""


def _int(errors: _Errors, field: str, value: object, *, lo: int, hi: int) -> int:
    # bool is an int in Python; True is never a price.
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(field, "Must be a whole number.", "type")
        return lo
    if value < lo or value > hi:
        errors.add(field, f"Must be between {lo} and {hi}.", "out_of_range")
    return value


def _amount(errors: _Errors, field: str, value: object, *, lo: int, hi: int) -> int:
    """``_int`` for money: the same checks, with the bounds said as people read prices."""
    if isinstance(value, int) and not isinstance(value, bool) and not lo <= value <= hi:
        errors.add(
            field,
            f"Enter an amount between {format_minor(lo)} and {format_minor(hi)}.",
            "out_of_range",
        )
        return value
    return _int(errors, field, value, lo=lo, hi=hi)


def _bool(errors: _Errors, field: str, value: object) -> bool:
    if not isinstance(value, bool):
        errors.add(field, "Must be true or false.", "type")
        return False
    return value


def _sequence(errors: _Errors, field: str, value: object, *, max_items: int) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        errors.add(field, "Must be a list.", "type")
        return []
    if len(value) > max_items:
        errors.add(field, f"At most {max_items} items.", "too_many")
        return []
    return list(value)


def _clean_tags(errors: _Errors, value: object) -> list[str]:
    tags: list[str] = []
    for i, raw in enumerate(_sequence(errors, "tags", value, max_items=MAX_TAGS)):
        tag = _text(errors, f"tags.{i}", raw, TAG)
        # Tags are matched case-insensitively in search, so they are stored lowercase and
        # with inner whitespace collapsed; duplicates after normalising are dropped.
        tag = " ".join(tag.lower().split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _clean_tiers(errors: _Errors, value: object) -> list[dict[str, Any]]:
    items = _sequence(errors, "tiers", value, max_items=MAX_TIERS)
    if not items and not any(e["field"] == "tiers" for e in errors.items):
        errors.add("tiers", f"Give between {MIN_TIERS} and {MAX_TIERS} tiers.", "required")
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, tier in enumerate(items):
        path = f"tiers.{i}"
        if not isinstance(tier, TierInput):
            errors.add(path, "Must be a tier.", "type")
            continue
        name = _text(errors, f"{path}.name", tier.name, TIER_NAME)
        if name.casefold() in seen:
            errors.add(f"{path}.name", "Tier names must be different.", "duplicate")
        seen.add(name.casefold())
        deliverables = [
            _text(
                errors,
                f"{path}.deliverables.{j}",
                d,
                DELIVERABLE,
            )
            for j, d in enumerate(
                _sequence(
                    errors, f"{path}.deliverables", tier.deliverables, max_items=MAX_DELIVERABLES
                )
            )
        ]
        cleaned.append(
            {
                "name": name,
                "description": _text(
                    errors,
                    f"{path}.description",
                    tier.description,
                    TIER_DESCRIPTION,
                ),
                "price_minor": _amount(
                    errors, f"{path}.price_minor", tier.price_minor, lo=PRICE_MIN, hi=PRICE_MAX
                ),
                "delivery_days": _int(
                    errors,
                    f"{path}.delivery_days",
                    tier.delivery_days,
                    lo=DELIVERY_MIN,
                    hi=DELIVERY_MAX,
                ),
                "revisions": _int(
                    errors, f"{path}.revisions", tier.revisions, lo=REVISIONS_MIN, hi=REVISIONS_MAX
                ),
                "deliverables": deliverables,
            }
        )
    return cleaned


def _extra_days(errors: _Errors, field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(field, "Enter a whole number of days.", "type")
        return 0
    if not EXTRA_DAYS_MIN <= value <= EXTRA_DAYS_MAX:
        errors.add(
            field,
            f"Enter a number of days from {EXTRA_DAYS_MIN} to {EXTRA_DAYS_MAX}: a negative "
            "number shortens delivery, a positive one adds days.",
            "out_of_range",
        )
    return value


def _clean_addons(errors: _Errors, value: object) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for i, addon in enumerate(_sequence(errors, "addons", value, max_items=MAX_ADDONS)):
        path = f"addons.{i}"
        if not isinstance(addon, AddOnInput):
            errors.add(path, "Must be an add-on.", "type")
            continue
        cleaned.append(
            {
                "title": _text(
                    errors,
                    f"{path}.title",
                    addon.title,
                    ADDON_TITLE,
                ),
                "price_minor": _amount(
                    errors, f"{path}.price_minor", addon.price_minor, lo=PRICE_MIN, hi=PRICE_MAX
                ),
                "extra_delivery_days": _extra_days(
                    errors, f"{path}.extra_delivery_days", addon.extra_delivery_days
                ),
            }
        )
    return cleaned


def _clean_questions(errors: _Errors, value: object) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for i, question in enumerate(_sequence(errors, "questions", value, max_items=MAX_QUESTIONS)):
        path = f"questions.{i}"
        if not isinstance(question, QuestionInput):
            errors.add(path, "Must be a question.", "type")
            continue
        kind = question.kind
        if kind not in QuestionKind.values:
            errors.add(
                f"{path}.kind", f"Must be one of {', '.join(QuestionKind.values)}.", "choice"
            )
        raw_choices = _sequence(errors, f"{path}.choices", question.choices, max_items=CHOICES_MAX)
        choices = [
            _text(errors, f"{path}.choices.{j}", c, CHOICE) for j, c in enumerate(raw_choices)
        ]
        if kind in {QuestionKind.SINGLE, QuestionKind.MULTIPLE}:
            if len(raw_choices) < CHOICES_MIN:
                errors.add(
                    f"{path}.choices",
                    f"Choice questions need {CHOICES_MIN} to {CHOICES_MAX} choices.",
                    "too_few",
                )
            elif len({c.casefold() for c in choices}) != len(choices):
                errors.add(f"{path}.choices", "Choices must be different.", "duplicate")
        elif raw_choices:
            errors.add(f"{path}.choices", "Only choice questions have choices.", "not_allowed")
        cleaned.append(
            {
                "prompt": _text(
                    errors,
                    f"{path}.prompt",
                    question.prompt,
                    PROMPT,
                ),
                "kind": kind,
                "choices": choices,
                "required": _bool(errors, f"{path}.required", question.required),
            }
        )
    return cleaned


def _clean_faq(errors: _Errors, value: object) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for i, entry in enumerate(_sequence(errors, "faq", value, max_items=MAX_FAQ)):
        path = f"faq.{i}"
        if not isinstance(entry, FaqInput):
            errors.add(path, "Must be a question and answer.", "type")
            continue
        cleaned.append(
            {
                "question": _text(
                    errors,
                    f"{path}.question",
                    entry.question,
                    FAQ_QUESTION,
                ),
                "answer": _text(
                    errors,
                    f"{path}.answer",
                    entry.answer,
                    FAQ_ANSWER,
                ),
            }
        )
    return cleaned


def _public_name(name: str) -> str:
    # Forms and the API call the field "category" (its value is the slug).
    return "category" if name == "category_slug" else name


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Check the given project fields; return cleaned values or raise ``InvalidInput``."""
    errors = _Errors()
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            errors.add(_public_name(name), "This field may not be null.", "required")
            continue
        if name == "title":
            clean[name] = _text(errors, name, value, TITLE)
        elif name == "description":
            clean[name] = _text(errors, name, value, DESCRIPTION)
        elif name == "category_slug":
            slug = value if isinstance(value, str) else ""
            category = Category.objects.filter(slug=slug[:60]).first() if slug else None
            if category is None:
                errors.add(_public_name(name), "No such category.", "unknown_category")
            clean["category"] = category
        elif name == "tags":
            clean[name] = _clean_tags(errors, value)
        elif name == "purchase_mode":
            if value not in PurchaseMode.values:
                errors.add(name, f"Must be one of {', '.join(PurchaseMode.values)}.", "choice")
            clean[name] = value
        elif name == "delivery_in_working_days":
            clean[name] = _bool(errors, name, value)
        elif name == "capacity":
            clean[name] = _int(errors, name, value, lo=CAPACITY_MIN, hi=CAPACITY_MAX)
        elif name == "tiers":
            clean[name] = _clean_tiers(errors, value)
        elif name == "addons":
            clean[name] = _clean_addons(errors, value)
        elif name == "questions":
            clean[name] = _clean_questions(errors, value)
        elif name == "faq":
            clean[name] = _clean_faq(errors, value)
        else:  # pragma: no cover - programming error, the API only passes known names
            raise TypeError(f"unknown project field {name!r}")
    errors.raise_if_any()
    return clean


# --- applying changes ----------------------------------------------------------------------


def _index(project_id: int) -> None:
    # Imported here: the search package imports catalog models, and catalog services are
    # imported by the API at start-up; a lazy import keeps that cycle harmless.
    from fairlance.catalog.search import index_project

    index_project(project_id)


def _replace_rows(project: Project, related: str, model: Any, rows: list[dict[str, Any]]) -> None:
    """Make the project's ``related`` rows equal ``rows``, in order.

    Existing rows are updated in place by position rather than deleted and re-created:
    ids stay stable for clients that hold them (a checkout page open on tier 2), and rows
    other tables may point at are only deleted when the list really got shorter.
    """
    existing = list(getattr(project, related).order_by("position", "id"))
    for position, values in enumerate(rows):
        if position < len(existing):
            row = existing[position]
            for key, val in values.items():
                setattr(row, key, val)
            row.position = position  # type: ignore[attr-defined]
            row.save()
        else:
            model.objects.create(project=project, position=position, **values)
    surplus = [row.pk for row in existing[len(rows) :]]
    if surplus:
        try:
            model.objects.filter(pk__in=surplus).delete()
        except ProtectedError as exc:
            raise Conflict(
                "Some of these rows are referenced by contracts and cannot be removed.",
                code="in_use",
            ) from exc


def _apply(project: Project, clean: dict[str, Any]) -> None:
    """Write cleaned fields to ``project`` and its parts; caller holds the row lock."""
    for name in (
        "title",
        "category",
        "tags",
        "purchase_mode",
        "delivery_in_working_days",
        "capacity",
    ):
        if name in clean:
            setattr(project, name, clean[name])
    if "description" in clean:
        project.description = clean["description"]
        project.description_html = render_markdown(project.description)
    project.save()
    for name, related, model in (
        ("tiers", "tiers", Tier),
        ("addons", "addons", AddOn),
        ("questions", "questions", RequirementQuestion),
        ("faq", "faq", FaqEntry),
    ):
        if name in clean:
            _replace_rows(project, related, model, clean[name])


def _sync_derived(project: Project) -> None:
    """Recompute the denormalised browse columns from the tiers and stamp ``updated_at``."""
    tiers = list(Tier.objects.filter(project=project).values_list("price_minor", "delivery_days"))
    project.from_price_minor = min((p for p, _ in tiers), default=0)
    project.min_delivery_days = min((d for _, d in tiers), default=0)
    project.updated_at = timezone.now()
    project.save(update_fields=["from_price_minor", "min_delivery_days", "updated_at"])


def project_create(
    *,
    freelancer: User,
    title: str,
    category_slug: str,
    description: str,
    tags: Sequence[str] = (),
    purchase_mode: str = PurchaseMode.INSTANT,
    delivery_in_working_days: bool = True,
    capacity: int | None = None,
    tiers: Sequence[TierInput],
    addons: Sequence[AddOnInput] = (),
    questions: Sequence[QuestionInput] = (),
    faq: Sequence[FaqInput] = (),
) -> Project:
    """Create a draft project owned by ``freelancer``."""
    clean = _clean_fields(
        {
            "title": title,
            "category_slug": category_slug,
            "description": description,
            "tags": tags,
            "purchase_mode": purchase_mode,
            "delivery_in_working_days": delivery_in_working_days,
            "capacity": current_policy().default_capacity if capacity is None else capacity,
            "tiers": tiers,
            "addons": addons,
            "questions": questions,
            "faq": faq,
        }
    )
    with transaction.atomic():
        now = timezone.now()
        project = Project(
            freelancer=freelancer, status=ProjectStatus.DRAFT, created_at=now, updated_at=now
        )
        _apply(project, clean)
        _sync_derived(project)
        _index(project.pk)
    return project


def project_update(*, project: Project, actor: User, **fields: Any) -> Project:
    """Change some fields of the actor's project; list fields replace the whole list.

    Returns the updated project (a fresh instance; ``project`` itself is not touched).
    Archived projects cannot be edited. Contracts already bought keep their snapshot, so
    editing a published project is allowed and changes only future purchases.
    """
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise TypeError(f"unknown project fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = access_project_for_owner(user=actor, project_id=project.pk, for_update=True)
        if locked.status == ProjectStatus.ARCHIVED:
            raise Conflict("Archived projects cannot be edited.", code="project_archived")
        clean = _clean_fields(fields)
        _apply(locked, clean)
        _sync_derived(locked)
        _index(locked.pk)
    return locked


# --- status --------------------------------------------------------------------------------


def _status_conflict(project: Project, action: str) -> Conflict:
    return Conflict(
        f"A {project.get_status_display().lower()} project cannot be {action}.",
        code="invalid_project_status",
        status_now=project.status,
    )


def _set_status(project: Project, status: str) -> Project:
    now = timezone.now()
    project.status = status
    project.updated_at = now
    if status == ProjectStatus.PUBLISHED and project.published_at is None:
        project.published_at = now
    project.save(update_fields=["status", "updated_at", "published_at", "review_note"])
    _index(project.pk)
    return project


def _owner_action(
    *, project: Project, actor: User, change: Callable[[Project], Project]
) -> Project:
    with transaction.atomic():
        locked = access_project_for_owner(user=actor, project_id=project.pk, for_update=True)
        return change(locked)


def project_publish(*, project: Project, actor: User) -> Project:
    """Offer a draft for sale: published, or ``pending_review`` when the policy says so.

    Publishing an already published (or waiting) project changes nothing.
    """

    def change(locked: Project) -> Project:
        if locked.status in {ProjectStatus.PUBLISHED, ProjectStatus.PENDING_REVIEW}:
            return locked
        if locked.status != ProjectStatus.DRAFT:
            raise _status_conflict(locked, "published")
        if actor.is_suspended:
            raise PermissionDenied(
                "Your account is suspended; projects cannot be published.",
                code="account_suspended",
            )
        if not locked.tiers.exists():
            raise InvalidInput(
                "Add at least one tier before publishing.",
                errors=[field_error("tiers", "Add at least one tier.", "required")],
            )
        locked.review_note = ""
        if current_policy().publish_requires_review:
            return _set_status(locked, ProjectStatus.PENDING_REVIEW)
        return _set_status(locked, ProjectStatus.PUBLISHED)

    return _owner_action(project=project, actor=actor, change=change)


def project_pause(*, project: Project, actor: User) -> Project:
    """Stop new purchases of a published project; running contracts are not affected."""

    def change(locked: Project) -> Project:
        if locked.status == ProjectStatus.PAUSED:
            return locked
        if locked.status != ProjectStatus.PUBLISHED:
            raise _status_conflict(locked, "paused")
        return _set_status(locked, ProjectStatus.PAUSED)

    return _owner_action(project=project, actor=actor, change=change)


def project_resume(*, project: Project, actor: User) -> Project:
    """Put a paused project back on sale. It was reviewed when first published."""

    def change(locked: Project) -> Project:
        if locked.status == ProjectStatus.PUBLISHED:
            return locked
        if locked.status != ProjectStatus.PAUSED:
            raise _status_conflict(locked, "resumed")
        if actor.is_suspended:
            raise PermissionDenied(
                "Your account is suspended; projects cannot be resumed.",
                code="account_suspended",
            )
        return _set_status(locked, ProjectStatus.PUBLISHED)

    return _owner_action(project=project, actor=actor, change=change)


def project_archive(*, project: Project, actor: User) -> Project:
    """Retire a project for good: hidden and no longer editable. Contracts run on."""

    def change(locked: Project) -> Project:
        if locked.status == ProjectStatus.ARCHIVED:
            return locked
        return _set_status(locked, ProjectStatus.ARCHIVED)

    return _owner_action(project=project, actor=actor, change=change)


def project_review_decide(
    *, project: Project, operator: User, approve: bool, note: str = ""
) -> Project:
    """An operator approves (published) or rejects (back to draft, with a note) a project.

    Rejections must say why: the note is what the freelancer sees. Audited either way.
    """
    if not operator.is_operator:
        raise PermissionDenied("Only operators review projects.")
    errors = _Errors()
    clean_note = _text(errors, "note", note, APPROVAL_NOTE if approve else REJECTION_NOTE)
    errors.raise_if_any()
    with transaction.atomic():
        locked = Project.objects.select_for_update().filter(pk=project.pk).first()
        if locked is None:
            raise NotFound()
        if locked.status != ProjectStatus.PENDING_REVIEW:
            raise Conflict(
                "This project is not waiting for review.",
                code="invalid_project_status",
                status_now=locked.status,
            )
        locked.review_note = "" if approve else clean_note
        _set_status(locked, ProjectStatus.PUBLISHED if approve else ProjectStatus.DRAFT)
        audit_record(
            actor=operator,
            action="project_approve" if approve else "project_reject",
            target=locked,
            note=clean_note,
        )
    return locked


# --- gallery -------------------------------------------------------------------------------


def gallery_image_add(
    *, project: Project, actor: User, upload: UploadedFile, alt_text: str = ""
) -> GalleryImage:
    """Add an image to the actor's project gallery (validated and re-encoded first)."""
    errors = _Errors()
    clean_alt = _text(errors, "alt_text", alt_text, ALT_TEXT)
    errors.raise_if_any()
    # Check ownership before spending CPU on decoding, but decode outside the row lock.
    access_project_for_owner(user=actor, project_id=project.pk)
    processed = images.process_upload(upload, size=upload.size)
    with transaction.atomic():
        locked = access_project_for_owner(user=actor, project_id=project.pk, for_update=True)
        if locked.status == ProjectStatus.ARCHIVED:
            raise Conflict("Archived projects cannot be edited.", code="project_archived")
        count = locked.gallery.count()
        if count >= images.MAX_IMAGES_PER_PROJECT:
            raise Conflict(
                f"A gallery holds at most {images.MAX_IMAGES_PER_PROJECT} images.",
                code="gallery_full",
            )
        last = locked.gallery.aggregate(m=models.Max("position"))["m"]
        image = GalleryImage(
            project=locked, position=0 if last is None else last + 1, alt_text=clean_alt
        )
        image.image.save(processed.content.name or "image", processed.content, save=False)
        # If the transaction rolls back, the file just written must not linger.
        stored_name = image.image.name or ""
        try:
            image.save()
            locked.updated_at = timezone.now()
            locked.save(update_fields=["updated_at"])
        except Exception:
            image.image.storage.delete(stored_name)
            raise
    return image


def gallery_image_remove(*, project: Project, actor: User, image_id: int) -> None:
    """Remove an image from the actor's project gallery (its file goes after commit)."""
    with transaction.atomic():
        locked = access_project_for_owner(user=actor, project_id=project.pk, for_update=True)
        image = GalleryImage.objects.filter(project=locked, pk=image_id).first()
        if image is None:
            raise NotFound()
        storage, name = image.image.storage, image.image.name or ""
        image.delete()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
        if name:
            transaction.on_commit(lambda: storage.delete(name))


def project_ratings_store(*, freelancer_id: int, ratings: dict[int, tuple[int, int]]) -> None:
    """Store each of the freelancer's projects' rating (hundredths, count) where it changed,
    on the project and on its search postings (the "top rated" sort and the minimum-rating
    filter read the postings, never a per-row computation). ``ratings`` maps project id to
    (rating_x100, count); the freelancer's other projects have none."""
    from fairlance.catalog.models import SearchPosting

    current = Project.objects.filter(freelancer_id=freelancer_id).values_list(
        "id", "rating_x100", "rating_count"
    )
    for project_id, rating_x100, rating_count in list(current):
        wanted = ratings.get(project_id, (0, 0))
        if (rating_x100, rating_count) == wanted:
            continue
        Project.objects.filter(pk=project_id).update(rating_x100=wanted[0], rating_count=wanted[1])
        SearchPosting.objects.filter(project_id=project_id).update(
            rating_x100=wanted[0], rating_count=wanted[1]
        )
