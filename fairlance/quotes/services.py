"""Custom quotes: asking for a quote, answering with an offer or a decline, and accepting,
declining or withdrawing an offer (SPEC section 4, issue 12 item 1).

The web views and the API call these functions and nothing else, so every rule lives here
once. Each write runs in one transaction and tells the other side (a notification written
in the same transaction, emailed after commit). Accepting an offer is a purchase: it goes
through ``contracts.services.contract_purchase_offer`` (attempt row, charge, one
transaction that creates the contract through the ``accept_offer`` transition), and the
offer's ``open -> accepted`` compare-and-set runs inside that transaction.

Expiry is lazy (decision 0016): an open offer past ``expires_at`` reads as expired and
every write here refuses it; nothing needs to run when it passes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fairlance.accounts.services import away_until, user_local_today
from fairlance.catalog.models import Project, ProjectStatus
from fairlance.contracts.models import Contract
from fairlance.contracts.payload import PARAGRAPH, REQUIRED_PARAGRAPH
from fairlance.contracts.selectors import valid_id
from fairlance.contracts.services import (
    OfferTerms,
    Purchase,
    contract_purchase_offer,
    offer_bought_by_attempt,
)
from fairlance.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, field_error
from fairlance.core.money import format_minor
from fairlance.core.site import site_url
from fairlance.core.text import TextError, TextRule, clean_text
from fairlance.files.kinds import RULES, Purpose
from fairlance.files.models import Upload
from fairlance.files.services import uploads_attach, uploads_resolve
from fairlance.notifications.services import notify
from fairlance.quotes.models import Offer, OfferStatus, QuoteRequest, QuoteRequestStatus
from fairlance.quotes.selectors import access_offer, access_quote_request

MAX_PRICE_MINOR = 100_000_000  # 1,000,000.00: larger work is several offers
MAX_DELIVERY_DAYS = 365
MAX_REVISIONS = 20
MAX_MILESTONES = 10
MAX_EXPIRY = timedelta(days=30)
MILESTONE_TITLE = TextRule(min_length=1, max_length=200)


@dataclass(frozen=True)
class MilestoneIn:
    title: str
    amount_minor: int
    delivery_days: int


def quote_url(request_id: int) -> str:
    return site_url(reverse("web:quote_request", args=[request_id]))


def offer_url(offer_id: int) -> str:
    return site_url(reverse("web:offer", args=[offer_id]))


def _text(value: Any, field: str, rule: TextRule, required: str | None = None) -> str:
    if not isinstance(value, str):
        raise InvalidInput(errors=[field_error(field, "Send text.", "invalid")])
    try:
        return clean_text(value, rule=rule)
    except TextError as exc:
        message = required if required and exc.code == "required" else exc.message
        raise InvalidInput(errors=[field_error(field, message, exc.code)]) from None


# --- asking for a quote ----------------------------------------------------------------------


def quote_request_create(
    *,
    client: Any,
    project_id: int,
    need: str,
    budget_minor: int | None = None,
    wished_date: date | None = None,
    files: list[str] | None = None,
) -> QuoteRequest:
    """Ask the freelancer of published project ``project_id`` for a quote.

    ``files`` are ids of the client's own unattached uploads for purpose ``quote``
    (``POST /uploads``); they are attached to the request in the transaction that makes
    it, so a refused request keeps none.

    Raises ``NotFound`` for a project the client cannot see (drafts, pending review),
    ``Conflict`` (``not_published``, ``own_project``, ``account_suspended``,
    ``freelancer_suspended``) and ``InvalidInput`` (an empty need, a budget below 1, a
    wished date in the past, too many files, a file id that is not the client's usable
    upload: ``unknown_upload``, ``wrong_purpose``, ``already_attached``).
    """
    if not valid_id(project_id):
        raise NotFound()
    project = (
        Project.objects.select_related("freelancer", "freelancer__calendar")
        .filter(pk=project_id)
        .first()
    )
    if project is None or project.status in (ProjectStatus.DRAFT, ProjectStatus.PENDING_REVIEW):
        raise NotFound()
    if project.freelancer_id == client.pk:
        raise Conflict("You cannot ask yourself for a quote.", code="own_project")
    if client.is_suspended:
        raise Conflict("Your account is suspended.", code="account_suspended")
    if project.freelancer.is_suspended:
        raise Conflict("This freelancer's projects are not available.", code="freelancer_suspended")
    if project.status != ProjectStatus.PUBLISHED:
        raise Conflict("This project is not taking requests now.", code="not_published")
    now = timezone.now()
    errors: list[dict[str, Any]] = []
    try:
        clean_need = _text(need, "need", REQUIRED_PARAGRAPH, "Say what you need.")
    except InvalidInput as exc:
        errors.extend(exc.errors)
        clean_need = ""
    if budget_minor is not None and not 1 <= budget_minor <= MAX_PRICE_MINOR:
        errors.append(field_error("budget_minor", "Enter a budget above zero.", "out_of_range"))
    if wished_date is not None and wished_date < user_local_today(user=client, now=now):
        errors.append(field_error("wished_date", "Choose a date from today on.", "in_the_past"))
    refs = {f"files.{i}": ref for i, ref in enumerate(files or [])}
    rules = RULES[Purpose.QUOTE]
    if len(refs) > rules.max_files:
        errors.append(field_error("files", f"Attach at most {rules.max_files} files.", "too_many"))
    elif refs:
        # Checked here too (attach checks again under lock) so that one answer names every
        # bad field, files included.
        errors.extend(uploads_resolve(uploader_id=client.pk, purpose=Purpose.QUOTE, refs=refs)[1])
    if errors:
        raise InvalidInput("Some fields of the quote request are invalid.", errors=errors)
    with transaction.atomic():
        request = QuoteRequest.objects.create(
            project=project,
            client=client,
            freelancer=project.freelancer,
            need=clean_need,
            budget_minor=budget_minor,
            wished_date=wished_date,
            created_at=now,
            updated_at=now,
        )
        attached = uploads_attach(
            quote_request=request,
            uploader_id=client.pk,
            purpose=Purpose.QUOTE,
            refs=refs,
            now=now,
        )
        budget = format_minor(budget_minor) if budget_minor is not None else "not given"
        notify(
            user=project.freelancer,
            role="freelancer",
            kind="quote_requested",
            title=f"Quote request: {project.title} from {client.public_name}",
            body=(
                f'{client.public_name} asks for a quote for "{project.title}":\n\n'
                f"{_quoted(clean_need)}\n\nBudget: {budget}. Wished date: "
                f"{wished_date.isoformat() if wished_date else 'not given'}. "
                f"Files attached: {len(attached)}.\n\n"
                f"Answer with an offer or decline: {quote_url(request.pk)}"
            ),
            data={"quote_request_id": request.pk},
        )
    return request


def quote_request_decline(*, freelancer: Any, request_id: int, reason: str) -> QuoteRequest:
    """The freelancer declines the quote request with a reason; any open offer on it is
    withdrawn with it. Raises ``NotFound``, ``PermissionDenied`` (not the freelancer),
    ``Conflict(code="quote_request_closed")`` and ``InvalidInput`` (no reason)."""
    access_quote_request(user=freelancer, request_id=request_id)
    clean = _text(reason, "reason", REQUIRED_PARAGRAPH, "Say why you decline, in a few words.")
    now = timezone.now()
    with transaction.atomic():
        request = QuoteRequest.objects.select_for_update().get(pk=request_id)
        if request.freelancer_id != freelancer.pk:
            raise PermissionDenied(
                "Only the freelancer asked may decline.", code="not_the_freelancer"
            )
        if request.status in (QuoteRequestStatus.DECLINED, QuoteRequestStatus.CLOSED):
            raise _request_closed(request)
        request.offers.filter(status=OfferStatus.OPEN).update(
            status=OfferStatus.WITHDRAWN, updated_at=now
        )
        request.status = QuoteRequestStatus.DECLINED
        request.decline_reason = clean
        request.updated_at = now
        request.save(update_fields=["status", "decline_reason", "updated_at"])
        notify(
            user=request.client,
            role="client",
            kind="quote_declined",
            title=f"Quote request declined: {request.project.title}",
            body=(
                f"{freelancer.public_name} declined your quote request for "
                f'"{request.project.title}". Their message:\n\n{_quoted(clean)}\n\n'
                f"{quote_url(request.pk)}"
            ),
            data={"quote_request_id": request.pk},
        )
    return request


def _request_closed(request: QuoteRequest) -> Conflict:
    return Conflict(
        f"This quote request is {request.get_status_display().lower()}.",
        code="quote_request_closed",
        request_status=request.status,
    )


# --- the freelancer's offer --------------------------------------------------------------------


def offer_send(
    *,
    freelancer: Any,
    request_id: int,
    scope: str,
    price_minor: int,
    delivery_days: int,
    revisions: int,
    expires_at: datetime,
    milestones: list[MilestoneIn] | None = None,
) -> Offer:
    """The freelancer answers quote request ``request_id`` with a custom offer.

    ``milestones`` split the price (they must sum to it); none means one milestone of
    the whole price and delivery. Raises ``NotFound``, ``PermissionDenied``
    (``not_the_freelancer``), ``Conflict`` (``freelancer_suspended``, ``freelancer_away``,
    ``quote_request_closed``) and ``InvalidInput`` naming each bad field.
    """
    access_quote_request(user=freelancer, request_id=request_id)
    now = timezone.now()
    with transaction.atomic():
        request = (
            QuoteRequest.objects.select_for_update()
            .select_related("project", "client", "freelancer")
            .get(pk=request_id)
        )
        if request.freelancer_id != freelancer.pk:
            raise PermissionDenied(
                "Only the freelancer asked may send an offer.", code="not_the_freelancer"
            )
        _check_can_offer(request.freelancer, now)
        if request.status in (QuoteRequestStatus.DECLINED, QuoteRequestStatus.CLOSED):
            raise _request_closed(request)
        terms = _clean_offer(
            scope=scope,
            price_minor=price_minor,
            delivery_days=delivery_days,
            revisions=revisions,
            expires_at=expires_at,
            milestones=milestones,
            now=now,
        )
        offer = Offer.objects.create(
            quote_request=request, created_at=now, updated_at=now, status=OfferStatus.OPEN, **terms
        )
        request.status = QuoteRequestStatus.OFFERED
        request.updated_at = now
        request.save(update_fields=["status", "updated_at"])
        notify(
            user=request.client,
            role="client",
            kind="offer_received",
            title=f"Offer: {request.project.title}, {format_minor(offer.price_minor)}",
            body=(
                f"{freelancer.public_name} sent you an offer for "
                f'"{request.project.title}":\n\n{_quoted(offer.scope)}\n\n'
                f"Price {format_minor(offer.price_minor)}, delivery in {offer.delivery_days} "
                f"working days, {offer.revisions} revisions, {len(offer.milestones)} "
                f"milestone(s). The offer expires {offer.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
                f"Accept and pay, or decline: {offer_url(offer.pk)}"
            ),
            data={"offer_id": offer.pk, "quote_request_id": request.pk},
            deadline=offer.expires_at,
        )
    return offer


def _check_can_offer(freelancer: Any, now: datetime) -> None:
    """A suspended freelancer, or one away today (in their own time zone), sends no offer:
    the same rule that pauses their projects' purchases."""
    if freelancer.is_suspended:
        raise Conflict(
            "Your account is suspended: you cannot send offers.", code="freelancer_suspended"
        )
    back = away_until(user=freelancer, today=user_local_today(user=freelancer, now=now))
    if back is not None:
        raise Conflict(
            f"You are away until {back.isoformat()}: end your time off to send offers.",
            code="freelancer_away",
            away_until=back.isoformat(),
        )


def _clean_offer(
    *,
    scope: str,
    price_minor: int,
    delivery_days: int,
    revisions: int,
    expires_at: datetime,
    milestones: list[MilestoneIn] | None,
    now: datetime,
) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    clean_scope = ""
    try:
        clean_scope = _text(scope, "scope", REQUIRED_PARAGRAPH, "Describe what you will deliver.")
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if not 1 <= price_minor <= MAX_PRICE_MINOR:
        errors.append(field_error("price_minor", "Enter a price above zero.", "out_of_range"))
    if not 1 <= delivery_days <= MAX_DELIVERY_DAYS:
        errors.append(
            field_error(
                "delivery_days",
                f"Delivery takes 1 to {MAX_DELIVERY_DAYS} working days.",
                "out_of_range",
            )
        )
    if not 0 <= revisions <= MAX_REVISIONS:
        errors.append(
            field_error("revisions", f"Offer 0 to {MAX_REVISIONS} revisions.", "out_of_range")
        )
    if timezone.is_naive(expires_at) or not now < expires_at <= now + MAX_EXPIRY:
        errors.append(
            field_error(
                "expires_at",
                "The offer must expire in the future, within 30 days.",
                "out_of_range",
            )
        )
    rows = milestones if milestones else [MilestoneIn("Delivery", price_minor, delivery_days)]
    if len(rows) > MAX_MILESTONES:
        errors.append(
            field_error("milestones", f"At most {MAX_MILESTONES} milestones.", "too_many")
        )
    clean_rows: list[dict[str, Any]] = []
    for i, m in enumerate(rows):
        try:
            title = _text(m.title, f"milestones.{i}.title", MILESTONE_TITLE, "Name the milestone.")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            title = ""
        if not 1 <= m.amount_minor <= MAX_PRICE_MINOR:
            errors.append(
                field_error(
                    f"milestones.{i}.amount_minor", "Enter an amount above zero.", "out_of_range"
                )
            )
        if not 1 <= m.delivery_days <= MAX_DELIVERY_DAYS:
            errors.append(
                field_error(
                    f"milestones.{i}.delivery_days",
                    f"Delivery takes 1 to {MAX_DELIVERY_DAYS} working days.",
                    "out_of_range",
                )
            )
        clean_rows.append(
            {"title": title, "amount_minor": m.amount_minor, "delivery_days": m.delivery_days}
        )
    if milestones and sum(m.amount_minor for m in milestones) != price_minor:
        errors.append(
            field_error(
                "milestones",
                f"The milestones must add up to the price ({format_minor(price_minor)}).",
                "sum_mismatch",
            )
        )
    if errors:
        raise InvalidInput("Some fields of the offer are invalid.", errors=errors)
    return {
        "scope": clean_scope,
        "price_minor": price_minor,
        "delivery_days": delivery_days,
        "revisions": revisions,
        "expires_at": expires_at,
        "milestones": clean_rows,
    }


def _not_open(offer: Offer, now: datetime) -> Conflict:
    """The 409 for an offer that is no longer open, with its status as the code."""
    status = offer.status_at(now)
    return Conflict(
        {
            OfferStatus.EXPIRED: "This offer has expired.",
            OfferStatus.WITHDRAWN: "The freelancer withdrew this offer.",
            OfferStatus.DECLINED: "This offer was declined.",
            OfferStatus.ACCEPTED: "This offer was accepted already.",
        }.get(OfferStatus(status), "This offer is not open."),
        code=f"offer_{status}",
        offer_status=status,
    )


def _locked_offer(offer_id: int) -> Offer:
    """The offer, its row locked until the commit, with what its notices name."""
    return (
        Offer.objects.select_for_update()
        .select_related(
            "quote_request__project", "quote_request__client", "quote_request__freelancer"
        )
        .get(pk=offer_id)
    )


def _refuse_unless_open(offer: Offer, now: datetime) -> None:
    if offer.status_at(now) != OfferStatus.OPEN:
        raise _not_open(offer, now)


def offer_withdraw(*, freelancer: Any, offer_id: int) -> Offer:
    """The freelancer takes back an open offer. Raises ``NotFound``, ``PermissionDenied``
    (``not_the_freelancer``) and ``Conflict`` (``offer_<status>``)."""
    access_offer(user=freelancer, offer_id=offer_id)
    now = timezone.now()
    with transaction.atomic():
        offer = _locked_offer(offer_id)
        if offer.quote_request.freelancer_id != freelancer.pk:
            raise PermissionDenied(
                "Only the freelancer who sent it may withdraw it.", code="not_the_freelancer"
            )
        _refuse_unless_open(offer, now)
        offer.status = OfferStatus.WITHDRAWN
        offer.updated_at = now
        offer.save(update_fields=["status", "updated_at"])
        request = offer.quote_request
        notify(
            user=request.client,
            role="client",
            kind="offer_withdrawn",
            title=f"Offer withdrawn: {request.project.title}",
            body=(
                f"{freelancer.public_name} withdrew their offer for "
                f'"{request.project.title}". It can no longer be accepted.\n\n'
                f"{offer_url(offer.pk)}"
            ),
            data={"offer_id": offer.pk, "quote_request_id": request.pk},
        )
    return offer


def offer_decline(*, client: Any, offer_id: int, reason: str = "") -> Offer:
    """The client declines an open offer (a reason is optional). Raises ``NotFound``,
    ``PermissionDenied`` (``not_the_client``) and ``Conflict`` (``offer_<status>``)."""
    access_offer(user=client, offer_id=offer_id)
    clean = _text(reason, "reason", PARAGRAPH)
    now = timezone.now()
    with transaction.atomic():
        offer = _locked_offer(offer_id)
        if offer.quote_request.client_id != client.pk:
            raise PermissionDenied(
                "Only the client who asked may decline the offer.", code="not_the_client"
            )
        _refuse_unless_open(offer, now)
        offer.status = OfferStatus.DECLINED
        offer.decline_reason = clean
        offer.updated_at = now
        offer.save(update_fields=["status", "decline_reason", "updated_at"])
        request = offer.quote_request
        notify(
            user=request.freelancer,
            role="freelancer",
            kind="offer_declined",
            title=f"Offer declined: {request.project.title}",
            body=(
                f"{client.public_name} declined your offer for "
                f'"{request.project.title}". Their message:\n\n{_quoted(clean)}\n\n'
                f"You may send another offer: {quote_url(request.pk)}"
            ),
            data={"offer_id": offer.pk, "quote_request_id": request.pk},
        )
    return offer


# --- accepting: pay and start the contract -------------------------------------------------------


def offer_accept(
    *, client: Any, offer_id: int, card_number: str, attempt: str | None = None
) -> Purchase:
    """The client accepts an open offer and pays; returns the new contract's ``Purchase``.

    Checked first, with nothing written and no card charged: who (``not_the_client``),
    the offer still open (``offer_expired``, ``offer_withdrawn``, ``offer_declined``,
    ``offer_accepted``), nobody suspended. Then ``contract_purchase_offer`` charges and
    creates the contract; inside its transaction ``_offer_claim`` moves the offer from
    open to accepted by a compare-and-set on its row, so of two accepts racing for one
    offer exactly one makes a contract and the other's charge is refunded at once (409).
    ``attempt`` is the Idempotency-Key's attempt, as for ``contract_purchase``.
    Precondition: outside any transaction.
    """
    offer = access_offer(user=client, offer_id=offer_id)
    request = offer.quote_request
    if request.client_id != client.pk:
        raise PermissionDenied(
            "Only the client who asked may accept the offer.", code="not_the_client"
        )
    now = timezone.now()
    if offer.status_at(now) != OfferStatus.OPEN:
        # A retry of the attempt that accepted it, whose process died before answering,
        # gets that contract; anyone else is refused before any card is charged.
        bought = (
            offer_bought_by_attempt(
                client_id=client.pk, project_id=request.project_id, attempt=attempt
            )
            if attempt is not None
            else None
        )
        if bought is not None:
            return bought
        raise _not_open(offer, now)
    if client.is_suspended:
        raise Conflict("Your account is suspended.", code="account_suspended")
    if request.freelancer.is_suspended:
        raise Conflict("This freelancer cannot take new work now.", code="freelancer_suspended")
    terms = OfferTerms(
        offer_id=offer.pk,
        quote_request_id=request.pk,
        project=Project.objects.select_related("freelancer", "category").get(pk=request.project_id),
        scope=offer.scope,
        requirements=request.need,
        price=offer.price_minor,
        delivery_days=offer.delivery_days,
        revisions=offer.revisions,
        milestones=list(offer.milestones),
        files=tuple(
            str(public_id)
            for public_id in Upload.objects.filter(quote_request_id=request.pk)
            .order_by("id")
            .values_list("public_id", flat=True)
        ),
    )
    return contract_purchase_offer(
        client=client,
        terms=terms,
        card_number=card_number,
        attempt=attempt,
        claim=functools.partial(_offer_claim, offer_id=offer.pk),
    )


def _offer_claim(contract: Contract, *, offer_id: int) -> None:
    """Inside the accept's transaction: open -> accepted, or ``Conflict``.

    One conditional UPDATE: it takes the offer's row lock and re-checks the status and
    the expiry under it. On PostgreSQL a second accept of the same offer waits here for
    the first's commit, then finds it accepted and changes nothing.
    """
    now = timezone.now()
    won = Offer.objects.filter(pk=offer_id, status=OfferStatus.OPEN, expires_at__gt=now).update(
        status=OfferStatus.ACCEPTED, contract=contract, updated_at=now
    )
    if won != 1:
        raise _not_open(Offer.objects.get(pk=offer_id), now)
    QuoteRequest.objects.filter(offers__pk=offer_id).update(
        status=QuoteRequestStatus.CLOSED, updated_at=now
    )
    # The request's attachments become the contract's requirement files: the contract's
    # one file door (``access_contract_file``) then serves them to its parties, and the
    # request's page keeps serving them to the same two people.
    Upload.objects.filter(quote_request__offers__pk=offer_id, contract__isnull=True).update(
        contract=contract
    )


def _quoted(text: str) -> str:
    if not text.strip():
        return "(no message)"
    return "\n".join(f"> {line}" for line in text.strip().splitlines())
