"""Schemathesis hooks: the rules the OpenAPI document can only state in words.

JSON Schema describes one value at a time. A few of the API's rules join fields (working
hours in order, the dates of a time off, a delivery's note or files) or depend on what is
stored (which tiers and questions a project has, how much a contract still costs); the
document states them in its descriptions and the API answers 422 when they are broken.
Schemathesis cannot read prose, so for the requests it means as *valid* (positive cases)
these hooks make the values obey those rules, as a client reading the documentation
would; stored data is read from the run's database (the same ``DATABASE_URL`` as the
server). Negative cases are never touched, and no check or operation is left out.

Every hook names the description it follows. Loaded with SCHEMATHESIS_HOOKS by run.sh;
``FAIRLANCE_ST_USER`` is the email of the account whose token the run sends ("" when
anonymous).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from functools import cache
from typing import Any

import schemathesis
from schemathesis.core.file_samples import FILE_SAMPLES

# The sandbox processor's card that always succeeds (README, "Demo accounts").
GOOD_CARD = "4242 4242 4242 4242"
PNG = FILE_SAMPLES["png"]


@cache
def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    django.setup()


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


@schemathesis.hook
def map_case(ctx: Any, case: Any) -> Any:
    if not _positive(case):
        return case
    if case.path == "/api/v1/projects" and case.method.upper() == "GET" and case.query:
        # SearchQuery: "cursor: only a next_cursor this search returned".
        case.query.pop("cursor", None)
        # SearchQuery: "max_price is not below min_price".
        low, high = case.query.get("min_price"), case.query.get("max_price")
        if low is not None and high is not None and _number(high) < _number(low):
            case.query["min_price"], case.query["max_price"] = high, low
    if not isinstance(case.body, dict):
        return case
    fix = _FIXES.get((case.method.upper(), case.path))
    if fix is not None:
        fix(case.body, case.path_parameters or {})
    return case


def _calendar(body: dict[str, Any], path: dict[str, Any]) -> None:
    # CalendarIn: "work_end must be later than work_start".
    start, end = body.get("work_start"), body.get("work_end")
    if isinstance(start, str) and isinstance(end, str) and end <= start:
        body["work_start"], body["work_end"] = "09:00", "17:00"
    # CalendarIn: "holiday_subdivision must be one of holiday_country's regions".
    body["holiday_subdivision"] = None


def _time_off(body: dict[str, Any], path: dict[str, Any]) -> None:
    # TimeOffIn: end not before start, at most 366 days, not already over.
    start = date.today() + timedelta(days=400)
    body["start_date"] = body["end_date"] = start.isoformat()


def _project(body: dict[str, Any], path: dict[str, Any]) -> None:
    # TierIn: "tier names are different from each other (compared ignoring case)".
    seen: set[str] = set()
    for i, tier in enumerate(body.get("tiers") or []):
        if isinstance(tier, dict) and isinstance(tier.get("name"), str):
            if tier["name"].strip().casefold() in seen:
                tier["name"] = f"Tier {i + 1}"
            seen.add(tier["name"].strip().casefold())
    # QuestionIn: "2 to 20 different choices (compared ignoring case)".
    for question in body.get("questions") or []:
        if isinstance(question, dict) and question.get("choices"):
            question["choices"] = [f"Choice {j + 1}" for j in range(len(question["choices"]))]


def _answers(questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Valid answers to ``questions`` (snapshot shape): PurchaseIn's "answers"."""
    answers: dict[str, Any] = {}
    for q in questions:
        if q["kind"] == "single":
            answers[str(q["id"])] = q["choices"][0]
        elif q["kind"] == "multiple":
            answers[str(q["id"])] = q["choices"][:1]
        elif q["kind"] == "file":
            upload = _upload()
            if upload:
                answers[str(q["id"])] = upload
        else:
            answers[str(q["id"])] = "An answer."
    return answers


def _upload() -> str | None:
    """A fresh requirement upload of the run's user, as POST /uploads would make."""
    email = os.environ.get("FAIRLANCE_ST_USER", "")
    if not email:
        return None
    _django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fairlance.accounts.models import User
    from fairlance.files.models import UNATTACHED, Upload
    from fairlance.files.services import upload_create

    user = User.objects.get(email=email)
    # Reuse a file that no answers took yet: generated requests that are refused leave
    # theirs unattached, and fresh ones would soon reach the user's pending-upload limit.
    waiting = Upload.objects.filter(UNATTACHED, uploader=user, purpose="requirement").first()
    if waiting is not None:
        return str(waiting.public_id)
    upload = upload_create(
        uploader=user,
        purpose="requirement",
        content=SimpleUploadedFile("brief.png", PNG, content_type="image/png"),
    )
    return str(upload.public_id)


def _purchase(body: dict[str, Any], path: dict[str, Any]) -> None:
    # PurchaseIn: "tier_id and addon_ids are the project's own; answers answer its
    # questions; card_number passes the Luhn check".
    body["card_number"] = GOOD_CARD
    project_id = _int(path.get("project_id"))
    if project_id is None:
        return
    _django()
    from fairlance.catalog.models import Project

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return
    tier = project.tiers.order_by("pk").first()
    if tier is not None:
        body["tier_id"] = tier.pk
    body["addon_ids"] = list(project.addons.values_list("pk", flat=True)[:1])
    body["answers"] = _answers(
        [
            {"id": q.pk, "kind": q.kind, "choices": list(q.choices)}
            for q in project.questions.order_by("pk")
        ]
    )


def _transition(body: dict[str, Any], path: dict[str, Any]) -> None:
    # TransitionIn: "request_revision a note, open_dispute a reason, resolve_dispute a
    # note, a freelancer_percent and a fault, deliver a note or files, submit_requirements
    # the answers".
    body["note"] = "Because of the details above."
    body["reason"] = "The work is not what was agreed."
    body.pop("files", None)
    body["freelancer_percent"] = 50
    body["fault"] = "none"
    contract_id = _int(path.get("contract_id"))
    if contract_id is None:
        return
    _django()
    from fairlance.contracts.models import Contract

    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is not None:
        body["answers"] = _answers(contract.snapshot.get("questions", []))


def _partial_refund(body: dict[str, Any], path: dict[str, Any]) -> None:
    # PartialRefundIn: "amount_minor is less than the contract's price".
    body["amount_minor"] = 1


def _proposal(body: dict[str, Any], path: dict[str, Any]) -> None:
    # ProposalIn: "extend_deadline: days; add_revisions: revisions; reduce_scope:
    # amount_minor less than the price and a note; cancel: percent_to_freelancer and a note".
    body["note"] = "Because of the details above."
    body["amount_minor"] = 1
    # add_milestone: title, amount_minor, delivery_days; change_price: a milestone's number.
    for name, value in (
        ("days", 1),
        ("revisions", 1),
        ("percent_to_freelancer", 50),
        ("title", "More pages"),
        ("delivery_days", 1),
        ("milestone", 2),
    ):
        if body.get(name) is None:
            body[name] = value


def _delivery(body: dict[str, Any], path: dict[str, Any]) -> None:
    # The delivery endpoint: "a note or files", each file of an accepted type.
    body["files"] = [PNG]
    body["note"] = "Here is the work."


def _gallery(body: dict[str, Any], path: dict[str, Any]) -> None:
    # The gallery endpoint: "a PNG, JPEG or WebP image".
    body["upload"] = PNG


def _uploads(body: dict[str, Any], path: dict[str, Any]) -> None:
    # POST /uploads: "per purpose, the extensions and bytes accepted".
    body["file"] = PNG


_FIXES = {
    ("PUT", "/api/v1/me/calendar"): _calendar,
    ("POST", "/api/v1/me/time-off"): _time_off,
    ("POST", "/api/v1/projects"): _project,
    ("PATCH", "/api/v1/projects/{project_id}"): _project,
    ("POST", "/api/v1/projects/{project_id}/purchase"): _purchase,
    ("POST", "/api/v1/contracts/{contract_id}/{transition}"): _transition,
    ("POST", "/api/v1/contracts/{contract_id}/partial-refund"): _partial_refund,
    ("POST", "/api/v1/contracts/{contract_id}/deliveries"): _delivery,
    ("POST", "/api/v1/contracts/{contract_id}/proposals"): _proposal,
    ("POST", "/api/v1/projects/{project_id}/gallery"): _gallery,
    ("POST", "/api/v1/uploads"): _uploads,
}
