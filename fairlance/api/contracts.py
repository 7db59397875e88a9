"""Contract endpoints: purchase, read contracts and their events, fire person transitions.

Thin by design: parse, call one domain function (``contract_purchase`` or
``contract_transition``), render. Who may do what is decided by ``access_contract`` (who may
see the contract) and the engine (who may fire which transition).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.clients import client_card_json
from fairlance.api.errors import problems
from fairlance.api.openapi import FILE_DOWNLOAD, WholeInt, bounds, text_field
from fairlance.contracts import disputes, process
from fairlance.contracts.deadlines import open_clocks
from fairlance.contracts.engine import Actor, available_transitions, roles_of
from fairlance.contracts.milestones import current_index, milestones_of
from fairlance.contracts.models import Contract, ContractEvent, Delivery, Milestone
from fairlance.contracts.payload import (
    MAX_FILE_ID,
    PARAGRAPH,
    PayloadField,
    generic_fields,
    person_fields,
)
from fairlance.contracts.selectors import (
    MAX_ID,
    access_contract,
    client_card,
    contract_deliveries,
    contract_events,
    contract_files,
    contracts_of_user,
)
from fairlance.contracts.services import (
    MAX_ADDONS,
    Purchase,
    contract_purchase,
    contract_transition,
)
from fairlance.core.errors import InvalidInput, NotFound, field_error
from fairlance.core.idempotency import idempotent, idempotent_attempt
from fairlance.core.money import currency, format_minor
from fairlance.core.workdays import format_local_day
from fairlance.files.kinds import RULES, Purpose
from fairlance.files.models import Upload
from fairlance.files.responses import upload_response
from fairlance.files.services import upload_create, uploads_discard
from fairlance.ledger.selectors import contract_money

router = Router(tags=["contracts"])

PAGE_SIZE = 20


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# A text answer, the choices of a multiple-choice question, or an upload id (file).
Answer = str | list[str] | None
Answers = Annotated[
    dict[Annotated[str, Field(pattern="^[0-9]+$")], Answer],
    Field(
        description="Keyed by question id, each question of the project at most once",
        json_schema_extra={"propertyNames": {"pattern": "^[0-9]+$"}},
    ),
]


class PurchaseIn(Schema):
    """``tier_id`` and ``addon_ids`` are the project's own; ``answers`` answer its
    questions (all required ones for a request to buy); ``card_number`` passes the Luhn
    check. Each is a 422 naming the field otherwise; a card the processor refuses is 402."""

    # Unknown fields are refused, so that a typo never passes silently.
    model_config = ConfigDict(extra="forbid")

    tier_id: Id
    addon_ids: list[Id] = Field(default_factory=list, max_length=MAX_ADDONS)
    answers: Answers = Field(default_factory=dict)
    card_number: str = Field(
        pattern=r"^[0-9 -]*$", max_length=40, description="12 to 19 digits (spaces allowed)"
    )


def _field_type(f: PayloadField, **described: Any) -> tuple[Any, FieldInfo]:
    """The pydantic type of a declared payload field. Bounds and choices are published
    (``bounds``) and checked by ``payload.clean_payload``, which words them; a choice is
    a ``Literal`` so that an optional one still publishes its values beside ``null``."""
    if f.kind == "paragraph":
        return str, text_field(PARAGRAPH, **described)
    if f.kind == "amount":
        return WholeInt, bounds(1, **described)
    if f.kind == "percent":
        return WholeInt, bounds(0, 100, **described)
    if f.kind == "choice":
        return Literal[f.choices], Field(**described)  # type: ignore[valid-type]
    if f.kind == "answers":
        return Answers, Field(**described)
    return list[Annotated[str, Field(max_length=MAX_FILE_ID)]], Field(
        max_length=f.max_items or None, **described
    )


def payload_schema(
    name: str, fields: list[PayloadField], *, doc: str, all_optional: bool = False
) -> type[Schema]:
    """A pydantic input schema built from payload declarations; unknown fields are refused,
    so that a typo never passes silently."""
    members: dict[str, Any] = {}
    for f in fields:
        # The one schema of every transition describes fields in the per-transition list
        # of its docstring; a transition's own schema says what the field is for.
        words = {} if all_optional else {"description": f.help or f.label}
        if f.required and not all_optional:
            members[f.name] = _field_type(f, **words)
        else:
            kind, info = _field_type(f, default=None, **words)
            members[f.name] = (kind | None, info)
    model: type[Schema] = create_model(  # type: ignore[call-overload]
        name, __base__=Schema, __doc__=doc, **members
    )
    model.model_config["extra"] = "forbid"
    model.model_rebuild(force=True)
    return model


def _transition_doc() -> str:
    lines = [
        "Fields some transitions read; each transition ignores the ones it does not use.",
        "",
        "What each transition reads (422 naming the field when one is missing or wrong):",
    ]
    for t in process.TRANSITIONS:
        fields = generic_fields(t)
        if fields and process.INITIAL not in t.from_states:
            lines.append(f"``{t.name}``: " + ", ".join(f.describe for f in fields) + ".")
    return "\n".join(lines)


if TYPE_CHECKING:
    # Built at import time from the table: to the type checker, schemas like any other.
    TransitionIn = Schema
    PartialRefundIn = Schema
else:
    TransitionIn = payload_schema(
        "TransitionIn", list(person_fields().values()), doc=_transition_doc(), all_optional=True
    )
    PartialRefundIn = payload_schema(
        "PartialRefundIn",
        list(process.BY_NAME["partial_refund"].payload),
        doc="``amount_minor`` is less than the contract's price (refund in full otherwise): "
        "a larger amount is a 422 naming the field.",
    )


class ListQuery(Schema):
    role: Literal["client", "freelancer"] | None = None
    state: str | None = Field(None, max_length=30)
    cursor: str | None = Field(None, pattern="^[0-9]+$", max_length=20)


class AmountOut(Schema):
    minor: int = Field(description="integer minor units (cents); compute with this")
    display: str = Field(description="formatted for people")


class ContractMoneyOut(Schema):
    """A contract's money: its terms, then what the ledger did."""

    currency: str
    client_pays: AmountOut = Field(
        description="what the client pays for the contract: price + client_fee (charged, "
        "or only held on the card while a request waits: see on_hold)"
    )
    price: AmountOut = Field(description="tier + add-ons, minus partial refunds")
    freelancer_fee: AmountOut = Field(description="the platform's fee taken from the price")
    client_fee: AmountOut = Field(description="the marketplace fee added for the client")
    freelancer_receives: AmountOut = Field(description="price - freelancer_fee")
    paid_in: AmountOut = Field(description="what the ledger took from the client into escrow")
    refunded: AmountOut = Field(description="what the ledger gave back to the client so far")
    to_freelancer: AmountOut = Field(
        description="what the ledger released to the freelancer, after the service fee"
    )
    to_platform: AmountOut = Field(description="the fees the ledger kept")
    held: AmountOut = Field(description="what the contract's escrow holds now")
    on_hold: AmountOut = Field(
        description="held on the client's card and not charged (a request waiting for the "
        "freelancer); in none of the other ledger amounts until accept captures it"
    )


class ContractOut(Schema):
    """The contract as its client, freelancer or an operator reads it; the API guide
    (docs/api.md) describes the members besides money."""

    model_config = ConfigDict(extra="allow")

    id: int
    state: str
    money: ContractMoneyOut


def _caller(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _viewer_tz(user: User) -> str:
    calendar = getattr(user, "calendar", None)
    return str(calendar.time_zone) if calendar is not None else "UTC"


def _money(minor: int) -> dict[str, Any]:
    return {"minor": minor, "display": format_minor(minor)}


def contract_summary(contract: Contract, user: User) -> dict[str, Any]:
    return {
        "id": contract.pk,
        "title": contract.title,
        "state": contract.state,
        "late": contract.late,
        "your_roles": roles_of(contract, user),
        "client_id": contract.client_id,
        "freelancer_id": contract.freelancer_id,
        "price_minor": contract.price_minor,
        "created_at": contract.created_at.isoformat(),
    }


def contract_detail(
    contract: Contract,
    user: User,
    *,
    deliveries: list[Delivery] | None = None,
    purchase: Purchase | None = None,
) -> dict[str, Any]:
    """The contract as its client, freelancer or an operator reads it.

    ``deliveries`` (with their files prefetched) is read from the database unless the
    caller already knows it (a contract just bought has none). For a contract just
    bought, ``purchase`` holds its timers and policy, which are then not read either.
    """
    now = timezone.now()
    if deliveries is None:
        deliveries = contract_deliveries(contract=contract)
    tz = _viewer_tz(user)
    price = contract.price_minor
    fee = contract.fee_minor
    # What the ledger did, read even right after a purchase: the terms say what should
    # happen, only the ledger says what did (a request may hold the card, not charge it).
    ledger = contract_money(contract_id=contract.pk)
    roles = roles_of(contract, user)
    body = contract_summary(contract, user)
    body.update(
        {
            "project_id": contract.project_id,
            "purchase_mode": contract.purchase_mode,
            "snapshot": contract.snapshot,
            "answers": contract.answers,
            "policy_version": contract.policy_version,
            "revisions_left": contract.revisions_left,
            # The tier's days plus the add-ons' (at least 1), counted as the snapshot's
            # ``delivery_in_working_days`` says.
            "delivery_days": contract.delivery_days,
            "delivery_due_at": contract.delivery_due_at.isoformat()
            if contract.delivery_due_at
            else None,
            "previous_state": contract.previous_state or None,
            "dispute_opened_by": contract.dispute_opened_by or None,
            "outcome": contract.outcome,
            "ending": contract.ending,
            "fault": contract.fault,
            "ended_at": contract.ended_at.isoformat() if contract.ended_at else None,
            "money": {
                "currency": currency(),
                "client_pays": _money(price + contract.client_fee_minor),
                "price": _money(price),
                "freelancer_fee": _money(fee),
                "client_fee": _money(contract.client_fee_minor),
                "freelancer_receives": _money(price - fee),
                # From the ledger (fairlance.ledger.selectors.ContractMoney):
                "paid_in": _money(ledger.paid_in),
                "refunded": _money(ledger.refunded),
                "to_freelancer": _money(ledger.to_freelancer),
                "to_platform": _money(ledger.to_platform),
                "held": _money(ledger.held),
                "on_hold": _money(ledger.on_hold),
            },
            "deadlines": [
                {
                    "name": c.name,
                    "at": c.at.isoformat(),
                    "local": c.local,
                    "explanation": c.explanation,
                }
                for c in open_clocks(
                    contract,
                    viewer_tz=tz,
                    now=now,
                    pending=purchase.timers if purchase is not None else None,
                )
            ],
            "available_transitions": available_transitions(
                contract, user, now=now, policy=purchase.policy if purchase is not None else None
            ),
            "milestones": milestones_json(
                contract, tz, purchase.milestones if purchase is not None else None
            ),
            "requirement_files": _requirement_files(contract),
            "deliveries": [
                {
                    "number": d.number,
                    "note": d.note,
                    "created_at": d.created_at.isoformat(),
                    "files": [_file(contract, f.upload) for f in d.files.all()],
                }
                for d in deliveries
            ],
        }
    )
    if contract.dispute_opened_by or contract.ending == "resolve_dispute":
        # Read only for a contract that has a dispute: the others save the events query.
        view = disputes.dispute_view(contract, list(contract_events(contract=contract)))
        body["dispute"] = dispute_json(contract, view, now=now) if view is not None else None
    else:
        body["dispute"] = None
    if "freelancer" in roles or "operator" in roles:
        # The freelancer decides and works knowing who the client is (docs/trust.md).
        body["client_card"] = client_card_json(client_card(client_id=contract.client_id))
    return body


def milestones_json(
    contract: Contract, tz: str, rows: list[Milestone] | None = None
) -> list[dict[str, Any]]:
    """The contract's milestones in order (``rows``, read unless a purchase just made
    them); ``current`` marks the one worked on or reviewed (none once all are settled)."""
    rows = milestones_of(contract) if rows is None else rows
    index = current_index(rows)
    return [
        {
            "number": i + 1,
            "title": m.title,
            "amount": _money(m.amount_minor),
            "delivery_days": m.delivery_days,
            "state": m.state,
            "state_label": m.get_state_display(),
            "current": i == index,
            "due": {
                "at": m.due_at.isoformat(),
                "local": format_local_day(m.due_at, tz),
                "explanation": m.due_explanation,
            }
            if m.due_at is not None
            else None,
            "released_at": m.released_at.isoformat() if m.released_at else None,
        }
        for i, m in enumerate(rows)
    ]


def _file(contract: Contract, upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.public_id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        # Downloads with the caller's own credentials (bearer token or session).
        "url": reverse(
            "api:contract_file",
            kwargs={"contract_id": contract.pk, "file_id": str(upload.public_id)},
        ),
    }


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None


def dispute_json(contract: Contract, view: disputes.DisputeView, *, now: Any) -> dict[str, Any]:
    """The latest dispute as both sides and operators read it (docs/api.md, "Disputes")."""
    answer = view.answer
    resolution = view.resolution
    return {
        "opened_by": view.opened_by,
        "answerer": view.answerer,
        "open": view.open,
        "opened_at": view.opening.at.isoformat(),
        "reason": view.opening.text,
        "reason_files": [_file(contract, f) for f in view.opening.files],
        "answer_due_at": _iso(view.answer_due_at),
        "answered_at": _iso(answer.at) if answer is not None else None,
        "answer": answer.text if answer is not None else None,
        "answer_files": [_file(contract, f) for f in answer.files] if answer is not None else [],
        "answer_missed": view.answer_missed,
        "both_heard": disputes.both_heard(contract, now),
        "resolution": {
            "freelancer_percent": resolution.freelancer_percent,
            "fault": resolution.fault,
            "note": resolution.note,
            "at": resolution.at.isoformat(),
        }
        if resolution is not None
        else None,
    }


def evidence_json(contract: Contract, evidence: disputes.Evidence, *, now: Any) -> dict[str, Any]:
    return {
        "contract_id": contract.pk,
        "dispute": dispute_json(contract, evidence.dispute, now=now)
        if evidence.dispute is not None
        else None,
        "deliveries": [
            {
                "number": d.number,
                "note": d.note,
                "created_at": d.created_at.isoformat(),
                "files": [_file(contract, f.upload) for f in d.files.all()],
            }
            for d in evidence.deliveries
        ],
        "proposals": list(evidence.proposals),
    }


def _requirement_files(contract: Contract) -> dict[str, Any]:
    """The files answering file questions, keyed by question id like ``answers``."""
    asked = [
        str(q["id"])
        for q in contract.snapshot.get("questions", [])
        if q.get("kind") == "file" and str(q["id"]) in contract.answers
    ]
    if not asked:
        return {}
    files = contract_files(contract=contract, public_ids=[contract.answers[k] for k in asked])
    return {
        key: _file(contract, files[contract.answers[key]])
        for key in asked
        if contract.answers[key] in files
    }


def _event(e: ContractEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "name": e.name,
        "actor_role": e.actor_role,
        "actor_id": e.actor_id,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "data": e.data,
        "created_at": e.created_at.isoformat(),
    }


@router.post(
    "/projects/{project_id}/purchase",
    response={201: ContractOut},
    auth=REQUIRED_AUTH,
    summary="Buy a project tier (accepts an Idempotency-Key header)",
    openapi_extra=problems(402, 409, 503),
)
def purchase(request: HttpRequest, project_id: int, payload: PurchaseIn) -> HttpResponse:
    user = _caller(request)

    def run(attempt: str | None) -> HttpResponse:
        bought = contract_purchase(
            client=user,
            project_id=project_id,
            tier_id=payload.tier_id,
            addon_ids=payload.addon_ids,
            answers=payload.answers,
            card_number=payload.card_number,
            attempt=attempt,
        )
        # The instance the purchase returns is the contract as committed (the engine saved
        # every field on it) with its client and freelancer loaded, and the buyer is its
        # client: re-reading it through access_contract would only cost a query. A new
        # contract has no deliveries, and its timers and policy are the purchase's, so
        # none of those is read either. One an earlier run of this attempt made (a retry
        # after that run died) may have moved on, so it is read in full.
        if bought.recovered:
            return JsonResponse(contract_detail(bought.contract, user), status=201)
        return JsonResponse(
            contract_detail(bought.contract, user, deliveries=[], purchase=bought), status=201
        )

    # The card number is part of the fingerprint (a different card is a different
    # request) but only its hash is stored by ``idempotent``.
    params = payload.model_dump(mode="json")
    return idempotent_attempt(request, f"purchase:project:{project_id}", params, run)


@router.get("/contracts", response=dict, auth=REQUIRED_AUTH)
def list_contracts(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    user = _caller(request)
    qs = contracts_of_user(user=user, role=query.role, state=query.state)
    if query.cursor:
        # isdigit() alone accepts superscript and fullwidth digits, which int() refuses or misreads.
        if not (query.cursor.isascii() and query.cursor.isdigit()):
            raise InvalidInput(errors=[field_error("cursor", "Malformed cursor.")])
        qs = qs.filter(pk__lt=min(int(query.cursor), MAX_ID))
    rows = list(qs[: PAGE_SIZE + 1])
    page = rows[:PAGE_SIZE]
    return {
        "results": [contract_summary(c, user) for c in page],
        "next_cursor": str(page[-1].pk) if len(rows) > PAGE_SIZE else None,
    }


@router.get("/contracts/{contract_id}", response=ContractOut, auth=REQUIRED_AUTH)
def get_contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = _caller(request)
    # Sent as built, like every other answer with the contract: ``ContractOut`` documents
    # the money block and lets the other members through, but validating against it would
    # keep only the members it names.
    return JsonResponse(contract_detail(access_contract(user=user, contract_id=contract_id), user))


@router.get(
    "/contracts/{contract_id}/evidence",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="A dispute's evidence: both sides' words and files, the deliveries, proposals",
    description="For the contract's parties and operators (others: 404). Files download "
    "through `GET /contracts/{id}/files/{file_id}`; an operator's downloads are audited.",
)
def get_evidence(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = _caller(request)
    contract = access_contract(user=user, contract_id=contract_id)
    return evidence_json(contract, disputes.dispute_evidence(contract=contract), now=timezone.now())


@router.get("/contracts/{contract_id}/events", response=dict, auth=REQUIRED_AUTH)
def get_events(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    user = _caller(request)
    contract = access_contract(user=user, contract_id=contract_id)
    return {"results": [_event(e) for e in contract_events(contract=contract)]}


def _fire(
    request: HttpRequest, contract_id: int, name: str, payload: dict[str, Any]
) -> HttpResponse:
    user = _caller(request)
    # Visibility first: a stranger learns nothing, not even whether the transition exists.
    access_contract(user=user, contract_id=contract_id)
    t = process.BY_NAME.get(name)
    # A subject's transitions (a proposal's answers) go through that subject's endpoints.
    if t is None or not t.by_person or t.subject:
        raise NotFound(f"There is no transition {name!r}.", code="unknown_transition")

    def run() -> HttpResponse:
        contract_transition(
            contract_id=contract_id, name=name, actor=Actor("person", user), payload=payload
        )
        contract = access_contract(user=user, contract_id=contract_id)
        return JsonResponse(contract_detail(contract, user), status=200)

    if t.money:
        return idempotent(request, f"contract:{contract_id}:{name}", payload, run)
    return run()


@router.post(
    "/contracts/{contract_id}/partial-refund",
    response=ContractOut,
    auth=REQUIRED_AUTH,
    summary="Freelancer gives part of the price back (accepts an Idempotency-Key header)",
    openapi_extra=problems(403, 409),
)
def partial_refund(
    request: HttpRequest,
    contract_id: int,
    payload: PartialRefundIn,
) -> HttpResponse:
    return _fire(request, contract_id, "partial_refund", payload.model_dump(exclude_none=True))


@router.post(
    "/contracts/{contract_id}/deliveries",
    response=ContractOut,
    auth=REQUIRED_AUTH,
    summary="Deliver with attachments (multipart: note, files); fires `deliver`",
    description=(
        "Each file is uploaded as `POST /uploads` would (purpose `delivery`), then `deliver` "
        "fires with their ids. All or nothing: if a file is refused or the delivery is, "
        "none of the files is kept. " + RULES[Purpose.DELIVERY].help_text
    ),
    openapi_extra=problems(403, 409),
)
def deliver_with_files(
    request: HttpRequest,
    contract_id: int,
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    note: Form[str] = "",
) -> HttpResponse:
    user = _caller(request)
    # A stranger learns nothing and stores nothing.
    access_contract(user=user, contract_id=contract_id)
    created: list[Upload] = []
    errors: list[dict[str, Any]] = []
    try:
        for i, upload in enumerate(files or []):
            try:
                created.append(
                    upload_create(
                        uploader=user,
                        purpose=Purpose.DELIVERY,
                        content=upload,
                        field=f"files.{i}",
                    )
                )
            except InvalidInput as exc:
                errors.extend(exc.errors)
        if errors:
            raise InvalidInput("Some files cannot be delivered.", errors=errors)
        return _fire(
            request,
            contract_id,
            "deliver",
            {"note": note, "files": [str(u.public_id) for u in created]},
        )
    except BaseException:
        uploads_discard(uploader=user, uploads=created)
        raise


@router.get(
    "/contracts/{contract_id}/files/{file_id}",
    auth=REQUIRED_AUTH,
    url_name="contract_file",
    summary="Download a file of the contract (a delivery, requirement or dispute file)",
    description=(
        "An operator's download is recorded in the audit log. Always a download (`Content-Disposition: attachment`), with "
        "`X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy; SVG and "
        "other types a browser could run are sent as `application/octet-stream`."
    ),
    openapi_extra=FILE_DOWNLOAD,
)
def download_file(request: HttpRequest, contract_id: int, file_id: str) -> FileResponse:
    upload = disputes.contract_file_open(
        user=_caller(request), contract_id=contract_id, file_id=file_id
    )
    return upload_response(upload)


@router.post(
    "/contracts/{contract_id}/{transition}",
    response=ContractOut,
    auth=REQUIRED_AUTH,
    summary="Fire a person transition (accept, decline, deliver, approve, ...)",
    openapi_extra=problems(400, 402, 403, 409, 413, 415, 502),
)
def fire_transition(
    request: HttpRequest,
    contract_id: int,
    transition: str,
    payload: TransitionIn | None = None,
) -> HttpResponse:
    body = payload.model_dump(exclude_none=True) if payload is not None else {}
    return _fire(request, contract_id, transition.replace("-", "_")[:40], body)
