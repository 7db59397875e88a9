"""Catalog endpoints: browse and search projects, and the freelancer's project editor.

Handlers are thin: the schemas below check types and lengths (strict: a price sent as
``"12"`` or ``12.5`` is refused, not coerced), then one domain function does the work and
enforces the rules. Money is always an integer of minor units with a ``currency`` beside it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder
from pydantic import ConfigDict, Field, StrictBool, StrictStr

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH, optional_user
from fairlance.api.errors import problems
from fairlance.api.openapi import WholeInt, bounds, not_nullable, text_field
from fairlance.catalog import selectors, services
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.catalog.models import GalleryImage, Project
from fairlance.catalog.search.base import Facets, SearchResult
from fairlance.core.errors import NotFound, PermissionDenied
from fairlance.core.money import MAX_PRICE_MINOR, currency
from fairlance.core.text import text_pattern
from fairlance.reviews.models import FreelancerScore

router = Router(tags=["catalog"])

# Ids beyond a signed 64-bit integer cannot exist; refusing them early keeps the database
# driver from overflowing (a 500) on a hostile URL.
MAX_ID = 2**63 - 1


def _id(value: int) -> int:
    if value < 1 or value > MAX_ID:
        raise NotFound()
    return value


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


# --- input schemas ----------------------------------------------------------------------


class StrictSchema(Schema):
    # Unknown fields are an error: a typo in a PATCH must not silently change nothing.
    model_config = ConfigDict(extra="forbid")


TierName = Annotated[StrictStr, text_field(services.TIER_NAME)]
TierDescription = Annotated[StrictStr, text_field(services.TIER_DESCRIPTION)]
Deliverable = Annotated[StrictStr, text_field(services.DELIVERABLE)]
AddOnTitle = Annotated[StrictStr, text_field(services.ADDON_TITLE)]
Prompt = Annotated[StrictStr, text_field(services.PROMPT)]
Choice = Annotated[StrictStr, text_field(services.CHOICE)]
FaqQuestion = Annotated[StrictStr, text_field(services.FAQ_QUESTION)]
FaqAnswer = Annotated[StrictStr, text_field(services.FAQ_ANSWER)]
Tag = Annotated[StrictStr, text_field(services.TAG)]
Title = Annotated[StrictStr, text_field(services.TITLE)]
Description = Annotated[StrictStr, text_field(services.DESCRIPTION)]
ApprovalNote = Annotated[StrictStr, text_field(services.APPROVAL_NOTE)]
RejectionNote = Annotated[StrictStr, text_field(services.REJECTION_NOTE)]
Price = Annotated[WholeInt, bounds(services.PRICE_MIN, services.PRICE_MAX)]
DeliveryDays = Annotated[WholeInt, bounds(services.DELIVERY_MIN, services.DELIVERY_MAX)]
Revisions = Annotated[WholeInt, bounds(services.REVISIONS_MIN, services.REVISIONS_MAX)]
ExtraDays = Annotated[WholeInt, bounds(services.EXTRA_DAYS_MIN, services.EXTRA_DAYS_MAX)]
Capacity = Annotated[WholeInt, bounds(services.CAPACITY_MIN, services.CAPACITY_MAX)]
# The slugs of GET /categories: document_inputs lists them when it builds the document.
CategorySlug = Annotated[
    StrictStr, Field(max_length=60, json_schema_extra={"x-enum-from": "categories"})
]


class TierIn(StrictSchema):
    """A tier; tier names are different from each other (compared ignoring case)."""

    name: TierName
    price_minor: Price
    delivery_days: DeliveryDays
    revisions: Revisions = 1
    deliverables: Annotated[
        list[Deliverable],
        Field(max_length=services.MAX_DELIVERABLES),
    ] = []
    description: TierDescription = ""

    def to_input(self) -> TierInput:
        return TierInput(
            name=self.name,
            price_minor=self.price_minor,
            delivery_days=self.delivery_days,
            revisions=self.revisions,
            deliverables=tuple(self.deliverables),
            description=self.description,
        )


class AddOnIn(StrictSchema):
    title: AddOnTitle
    price_minor: Price
    extra_delivery_days: ExtraDays = 0

    def to_input(self) -> AddOnInput:
        return AddOnInput(
            title=self.title,
            price_minor=self.price_minor,
            extra_delivery_days=self.extra_delivery_days,
        )


class QuestionIn(StrictSchema):
    """A requirement question: ``single`` and ``multiple`` questions have 2 to 20
    different choices (compared ignoring case), the other kinds none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {
                "properties": {"kind": {"enum": ["single", "multiple"]}},
                "required": ["kind"],
            },
            "then": {
                "properties": {"choices": {"minItems": services.CHOICES_MIN}},
                "required": ["choices"],
            },
            "else": {"properties": {"choices": {"maxItems": 0}}},
        },
    )

    prompt: Prompt
    kind: Literal["text", "single", "multiple", "file"] = "text"
    choices: Annotated[
        list[Choice],
        Field(max_length=services.CHOICES_MAX),
    ] = []
    required: StrictBool = True

    def to_input(self) -> QuestionInput:
        return QuestionInput(
            prompt=self.prompt,
            kind=self.kind,
            choices=tuple(self.choices),
            required=self.required,
        )


class FaqIn(StrictSchema):
    question: FaqQuestion
    answer: FaqAnswer

    def to_input(self) -> FaqInput:
        return FaqInput(question=self.question, answer=self.answer)


Tags = Annotated[
    list[Tag],
    Field(max_length=services.MAX_TAGS),
]
Tiers = Annotated[list[TierIn], Field(min_length=services.MIN_TIERS, max_length=services.MAX_TIERS)]
AddOns = Annotated[list[AddOnIn], Field(max_length=services.MAX_ADDONS)]
Questions = Annotated[list[QuestionIn], Field(max_length=services.MAX_QUESTIONS)]
Faqs = Annotated[list[FaqIn], Field(max_length=services.MAX_FAQ)]


class ProjectIn(StrictSchema):
    title: Title
    category: CategorySlug
    description: Description = ""
    tags: Tags = []
    purchase_mode: Literal["instant", "request"] = "instant"
    # Delivery days count the freelancer's working days unless the project says otherwise.
    delivery_in_working_days: StrictBool = True
    capacity: Capacity | None = Field(None, description="null: the policy's default")
    tiers: Tiers
    addons: AddOns = []
    questions: Questions = []
    faq: Faqs = []


class ProjectPatch(StrictSchema):
    """Only the fields sent change; a list sent replaces the whole list. A field sent as
    null is refused (the catalog services refuse it): leave it out instead."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=not_nullable)

    title: Title | None = None
    category: CategorySlug | None = None
    description: Description | None = None
    tags: Tags | None = None
    purchase_mode: Literal["instant", "request"] | None = None
    delivery_in_working_days: StrictBool | None = None
    capacity: Capacity | None = None
    tiers: Tiers | None = None
    addons: AddOns | None = None
    questions: Questions | None = None
    faq: Faqs | None = None


def _domain_fields(payload: ProjectIn | ProjectPatch, *, only_sent: bool) -> dict[str, Any]:
    """Schema values → keyword arguments of the catalog services."""
    sent = payload.model_fields_set if only_sent else set(type(payload).model_fields)
    fields: dict[str, Any] = {}
    for name in sent:
        value = getattr(payload, name)
        if name in {"tiers", "addons", "questions", "faq"} and value is not None:
            value = [item.to_input() for item in value]
        elif name == "tags" and value is not None:
            value = list(value)
        fields["category_slug" if name == "category" else name] = value
    return fields


class ApprovalIn(StrictSchema):
    note: ApprovalNote = ""


class RejectionIn(StrictSchema):
    note: RejectionNote = Field(description="Why: the freelancer reads it")


class SearchQuery(Schema):
    """Filters of the search; ``max_price`` is not below ``min_price`` (422 otherwise)."""

    q: Annotated[str, Field(max_length=200)] = ""
    category: Annotated[str, Field(pattern="^[-a-zA-Z0-9_]{1,60}$")] | None = None
    min_price: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)] | None = None
    max_price: Annotated[int, Field(ge=0, le=MAX_PRICE_MINOR)] | None = None
    max_delivery_days: Annotated[int, Field(ge=1, le=services.DELIVERY_MAX)] | None = None
    min_rating: Annotated[int, Field(ge=0, le=500, description="hundredths: 450 = 4.5")] | None = (
        None
    )
    available: bool = False
    sort: Literal["relevance", "price", "-price", "rating", "newest"] = "relevance"
    cursor: (
        Annotated[
            str,
            Field(
                max_length=500,
                pattern="^[A-Za-z0-9_-]+$",
                description="Only a next_cursor or prev_cursor this same search returned (422 "
                "invalid_cursor otherwise)",
            ),
        ]
        | None
    ) = None
    limit: Annotated[int, Field(ge=1, le=50)] = 24
    facets: bool = Field(
        default=False,
        description="Also count the matches per category and price band (docs/search.md)",
    )


# --- output schemas ---------------------------------------------------------------------


class CategoryOut(Schema):
    slug: str
    name: str
    description: str


class FreelancerOut(Schema):
    id: int
    display_name: str
    headline: str
    country: str
    time_zone: str


class TierOut(Schema):
    id: int
    name: str
    description: str
    price_minor: int
    currency: str
    delivery_days: int
    revisions: int
    deliverables: list[str]


class AddOnOut(Schema):
    id: int
    title: str
    price_minor: int
    currency: str
    extra_delivery_days: int


class QuestionOut(Schema):
    id: int
    prompt: str
    kind: str
    choices: list[str]
    required: bool


class FaqOut(Schema):
    id: int
    question: str
    answer: str


class ImageOut(Schema):
    id: int
    url: str
    width: int
    height: int
    alt_text: str


class AvailabilityOut(Schema):
    purchasable: bool
    reason_code: str | None
    message: str
    back_on: date | None


class ProjectSummaryOut(Schema):
    id: int
    title: str
    category: CategoryOut
    tags: list[str]
    status: str
    purchase_mode: str
    currency: str
    from_price_minor: int
    min_delivery_days: int
    rating_x100: int
    rating_count: int
    # The freelancer's success score (0..100), stored; null until they have worked with
    # at least 2 clients.
    freelancer_score: int | None
    freelancer: FreelancerOut
    cover_image: ImageOut | None
    published_at: datetime | None
    updated_at: datetime


class ProjectOut(ProjectSummaryOut):
    description: str
    description_html: str
    delivery_in_working_days: bool
    capacity: int
    tiers: list[TierOut]
    addons: list[AddOnOut]
    questions: list[QuestionOut]
    faq: list[FaqOut]
    gallery: list[ImageOut]
    availability: AvailabilityOut
    # Only the owner and operators see these; null for everyone else.
    review_note: str | None
    active_contracts: int | None


class SearchItemOut(ProjectSummaryOut):
    delivery_in_working_days: bool
    # The last day of the freelancer's away mode when it covers today (UTC); purchases
    # wait until the day after.
    away_until: date | None
    fully_booked: bool
    # Escaped HTML of the description around the searched words, each in <mark>.
    snippet_html: str


class FacetOut(Schema):
    value: str = Field(description="The category slug, or the price band's key")
    label: str
    count: int
    min_price: int | None = Field(description="A price band's lower bound (minor units)")
    max_price: int | None = Field(description="A price band's upper bound, excluded")


class FacetsOut(Schema):
    categories: list[FacetOut]
    price_bands: list[FacetOut]


class ProjectPageOut(Schema):
    items: list[SearchItemOut]
    next_cursor: str | None
    prev_cursor: str | None = Field(description="The page before this one; null on the first")
    did_you_mean: str | None = Field(
        description="The query with a typo corrected, when a word was found only that way"
    )
    facets: FacetsOut | None = Field(description="Only when asked for with facets=true")


class ReviewQueueOut(Schema):
    items: list[ProjectSummaryOut]


# --- presenters ---------------------------------------------------------------------------


def _image(request: HttpRequest, image: GalleryImage | selectors.ImagePart) -> dict[str, Any]:
    url = image.url if isinstance(image, selectors.ImagePart) else image.image.url
    return {
        "id": image.pk if isinstance(image, GalleryImage) else image.id,
        "url": request.build_absolute_uri(url),
        "width": image.width,
        "height": image.height,
        "alt_text": image.alt_text,
    }


def _freelancer(user: User) -> dict[str, Any]:
    calendar = getattr(user, "calendar", None)
    return {
        "id": user.pk,
        "display_name": user.public_name,
        "headline": user.headline,
        "country": user.country,
        "time_zone": calendar.time_zone if calendar is not None else "UTC",
    }


def _summary(request: HttpRequest, project: Project) -> dict[str, Any]:
    """A project's summary; its freelancer's stored score must be loaded with it
    (``select_related("freelancer__score")``)."""
    gallery = list(project.gallery.all())
    try:
        score = project.freelancer.score.score
    except FreelancerScore.DoesNotExist:
        score = None
    return _summary_with_cover(
        project, _image(request, gallery[0]) if gallery else None, freelancer_score=score
    )


def _summary_with_cover(
    project: Project, cover: dict[str, Any] | None, *, freelancer_score: int | None
) -> dict[str, Any]:
    return {
        "id": project.pk,
        "title": project.title,
        "category": {
            "slug": project.category.slug,
            "name": project.category.name,
            "description": project.category.description,
        },
        "tags": list(project.tags),
        "status": project.status,
        "purchase_mode": project.purchase_mode,
        "currency": currency(),
        "from_price_minor": project.from_price_minor,
        "min_delivery_days": project.min_delivery_days,
        "rating_x100": project.rating_x100,
        "rating_count": project.rating_count,
        "freelancer_score": freelancer_score,
        "freelancer": _freelancer(project.freelancer),
        "cover_image": cover,
        "published_at": project.published_at,
        "updated_at": project.updated_at,
    }


def _detail(request: HttpRequest, read: selectors.ProjectRead, viewer: Any) -> dict[str, Any]:
    """The project's full public shape: the live row from ``read`` plus its cached parts."""
    project = read.project
    parts = selectors.project_parts(project=project)
    code = currency()
    privileged = bool(
        getattr(viewer, "is_authenticated", False)
        and (viewer.pk == project.freelancer_id or viewer.is_operator)
    )
    availability = selectors.project_read_availability(read=read, now=timezone.now())
    gallery = [_image(request, image) for image in parts.gallery]
    return {
        **_summary_with_cover(
            project, gallery[0] if gallery else None, freelancer_score=read.freelancer_score
        ),
        "description": project.description,
        "description_html": project.description_html,
        "delivery_in_working_days": project.delivery_in_working_days,
        "capacity": project.capacity,
        "tiers": [
            {
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "price_minor": t.price_minor,
                "currency": code,
                "delivery_days": t.delivery_days,
                "revisions": t.revisions,
                "deliverables": list(t.deliverables),
            }
            for t in parts.tiers
        ],
        "addons": [
            {
                "id": a.id,
                "title": a.title,
                "price_minor": a.price_minor,
                "currency": code,
                "extra_delivery_days": a.extra_delivery_days,
            }
            for a in parts.addons
        ],
        "questions": [
            {
                "id": q.id,
                "prompt": q.prompt,
                "kind": q.kind,
                "choices": list(q.choices),
                "required": q.required,
            }
            for q in parts.questions
        ],
        "faq": [{"id": f.id, "question": f.question, "answer": f.answer} for f in parts.faq],
        "gallery": gallery,
        "availability": {
            "purchasable": availability.purchasable,
            "reason_code": availability.reason_code,
            "message": availability.message,
            "back_on": availability.back_on,
        },
        "review_note": project.review_note if privileged else None,
        "active_contracts": project.active_contracts if privileged else None,
    }


def _detail_for(request: HttpRequest, viewer: Any, project_id: int) -> dict[str, Any]:
    read = selectors.project_read_for_viewer(
        viewer=viewer, project_id=project_id, now=timezone.now()
    )
    return _detail(request, read, viewer)


# --- public endpoints ---------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], auth=None)
def list_categories(request: HttpRequest) -> Any:
    return list(selectors.categories_list())


def _result_summary(request: HttpRequest, result: SearchResult) -> dict[str, Any]:
    """A search result in the shape of ``_summary`` (ProjectSummaryOut)."""
    cover = result.cover
    freelancer = result.freelancer
    return {
        "id": result.id,
        "title": result.title,
        "category": {
            "slug": result.category.slug,
            "name": result.category.name,
            "description": result.category.description,
        },
        "tags": result.tags,
        "status": result.status,
        "purchase_mode": result.purchase_mode,
        "currency": currency(),
        "from_price_minor": result.from_price_minor,
        "min_delivery_days": result.min_delivery_days,
        "rating_x100": result.rating_x100,
        "rating_count": result.rating_count,
        "freelancer_score": result.freelancer_score,
        "freelancer": {
            "id": freelancer.id,
            "display_name": freelancer.public_name,
            "headline": freelancer.headline,
            "country": freelancer.country,
            "time_zone": freelancer.time_zone or "UTC",
        },
        "cover_image": None
        if cover is None
        else {
            "id": cover.id,
            "url": request.build_absolute_uri(cover.url),
            "width": cover.width,
            "height": cover.height,
            "alt_text": cover.alt_text,
        },
        "published_at": result.published_at,
        "updated_at": result.updated_at,
        "delivery_in_working_days": result.delivery_in_working_days,
        "away_until": result.away_until,
        "fully_booked": result.fully_booked,
        "snippet_html": result.snippet_html,
    }


def _facets(facets: Facets | None) -> dict[str, Any] | None:
    if facets is None:
        return None
    return {
        "categories": [dataclasses.asdict(f) for f in facets.categories],
        "price_bands": [dataclasses.asdict(f) for f in facets.price_bands],
    }


@router.get("/projects", response=ProjectPageOut, auth=None)
def search_projects(request: HttpRequest, filters: Query[SearchQuery]) -> Any:
    from fairlance.catalog.search import SearchParams
    from fairlance.catalog.search import search_projects as run_search

    # The API returns no total, so the search skips its count query.
    query = filters.model_dump()
    with_facets = query.pop("facets")
    page = run_search(SearchParams(**query, with_total=False, with_facets=with_facets))
    # Rendered as is: the values come typed from SearchResult, and validating 24 nested
    # summaries again field by field (ninja's response validation) was a third of the
    # request's CPU. test_a_search_item_is_the_summary_of_the_project_page checks the shape.
    body = {
        "items": [_result_summary(request, r) for r in page.results],
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
        "did_you_mean": page.did_you_mean,
        "facets": _facets(page.facets),
    }
    from fairlance.api.main import api  # the API this router belongs to (imports it)

    return api.create_response(request, body, status=200)


@router.get("/projects/{project_id}", response=ProjectOut, auth=None)
def get_project(request: HttpRequest, project_id: int) -> Any:
    data = _detail_for(request, optional_user(request), _id(project_id))
    # Returned as a response, not a dict: ninja would validate the dict against ProjectOut
    # first, about a third of this endpoint's time for a project with three tiers (issue 4).
    # ``_detail`` builds exactly that shape from typed parts, and the tests compare the
    # body with the schema; ninja's own encoder keeps the encoding identical.
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


# --- the freelancer's editor ----------------------------------------------------------------


@router.post("/projects", response={201: ProjectOut}, auth=REQUIRED_AUTH)
def create_project(request: HttpRequest, payload: ProjectIn) -> Any:
    user = _caller(request)
    fields = _domain_fields(payload, only_sent=False)
    project = services.project_create(freelancer=user, **fields)
    return Status(201, _detail_for(request, user, project.pk))


@router.patch(
    "/projects/{project_id}",
    response=ProjectOut,
    auth=REQUIRED_AUTH,
    openapi_extra=problems(409),
)
def update_project(request: HttpRequest, project_id: int, payload: ProjectPatch) -> Any:
    user = _caller(request)
    project = selectors.access_project_for_owner(user=user, project_id=_id(project_id))
    services.project_update(project=project, actor=user, **_domain_fields(payload, only_sent=True))
    return _detail_for(request, user, project.pk)


def _status_endpoint(action: str, service: Any) -> None:
    @router.post(
        f"/projects/{{project_id}}/{action}",
        response=ProjectOut,
        auth=REQUIRED_AUTH,
        operation_id=f"project_{action}",
        summary=f"{action.capitalize()} a project (owner)",
        openapi_extra=problems(403, 409),
    )
    def endpoint(request: HttpRequest, project_id: int) -> Any:
        user = _caller(request)
        project = selectors.access_project_for_owner(user=user, project_id=_id(project_id))
        service(project=project, actor=user)
        return _detail_for(request, user, project.pk)


_status_endpoint("publish", services.project_publish)
_status_endpoint("pause", services.project_pause)
_status_endpoint("resume", services.project_resume)
_status_endpoint("archive", services.project_archive)


@router.post(
    "/projects/{project_id}/gallery",
    response={201: ImageOut},
    auth=REQUIRED_AUTH,
    openapi_extra=problems(409),
)
def add_gallery_image(
    request: HttpRequest,
    project_id: int,
    upload: File[UploadedFile],
    # The alt text's rule (fairlance.core.text) as a pattern: for a field that may be
    # empty it is a plain character class, which pydantic's regex engine reads too.
    alt_text: str = Form(
        "", max_length=services.ALT_TEXT_MAX, pattern=text_pattern(services.ALT_TEXT)
    ),
) -> Any:
    user = _caller(request)
    project = selectors.access_project_for_owner(user=user, project_id=_id(project_id))
    image = services.gallery_image_add(
        project=project, actor=user, upload=upload, alt_text=alt_text
    )
    return Status(201, _image(request, image))


@router.delete(
    "/projects/{project_id}/gallery/{image_id}", response={204: None}, auth=REQUIRED_AUTH
)
def remove_gallery_image(request: HttpRequest, project_id: int, image_id: int) -> Any:
    user = _caller(request)
    project = selectors.access_project_for_owner(user=user, project_id=_id(project_id))
    services.gallery_image_remove(project=project, actor=user, image_id=_id(image_id))
    return Status(204, None)


# --- operators ----------------------------------------------------------------------------


def _operator(request: HttpRequest) -> User:
    user = _caller(request)
    if not user.is_operator:
        raise PermissionDenied("Only operators may do this.")
    return user


@router.get(
    "/operator/review-queue",
    response=ReviewQueueOut,
    auth=REQUIRED_AUTH,
    openapi_extra=problems(403),
)
def review_queue(request: HttpRequest) -> Any:
    _operator(request)
    projects = list(selectors.projects_pending_review()[:100])
    prefetch_related_objects(projects, "freelancer__calendar", "gallery")
    return {"items": [_summary(request, p) for p in projects]}


def _decision_endpoint(action: str, approve: bool, schema: type[StrictSchema]) -> None:
    def endpoint(request: HttpRequest, project_id: int, payload: Any) -> Any:
        operator = _operator(request)
        project = Project.objects.filter(pk=_id(project_id)).first()
        if project is None:
            raise NotFound()
        services.project_review_decide(
            project=project, operator=operator, approve=approve, note=payload.note
        )
        return _detail_for(request, operator, project.pk)

    # Approve and reject read different bodies (a rejection must say why); the annotation
    # is set here because annotations in this module are strings, read at import.
    endpoint.__annotations__["payload"] = schema
    router.post(
        f"/operator/projects/{{project_id}}/{action}",
        response=ProjectOut,
        auth=REQUIRED_AUTH,
        operation_id=f"operator_project_{action}",
        summary=f"{action.capitalize()} a project waiting for review (operator)",
        openapi_extra=problems(403, 409),
    )(endpoint)


_decision_endpoint("approve", approve=True, schema=ApprovalIn)
_decision_endpoint("reject", approve=False, schema=RejectionIn)
