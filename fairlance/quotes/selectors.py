"""Reads of quote requests and offers, and who may see them.

Like ``contracts.selectors.access_contract``: the client, the freelancer and operators see
a quote request and its offers; everyone else gets ``NotFound``, as for an id that does
not exist.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from fairlance.contracts.selectors import valid_id
from fairlance.core.errors import NotFound
from fairlance.files.models import Upload
from fairlance.files.selectors import as_uuid
from fairlance.quotes.models import Offer, QuoteRequest, QuoteRequestStatus


def _visible(user: Any) -> QuerySet[QuoteRequest]:
    qs = QuoteRequest.objects.select_related("project", "client", "freelancer")
    if getattr(user, "is_operator", False):
        return qs
    return qs.filter(Q(client=user) | Q(freelancer=user))


def access_quote_request(*, user: Any, request_id: int) -> QuoteRequest:
    """The quote request (its offers and attachments prefetched, oldest first) if ``user``
    may see it."""
    if user is None or not getattr(user, "is_authenticated", False) or not valid_id(request_id):
        raise NotFound()
    found = (
        _visible(user)
        .prefetch_related(
            Prefetch("offers", queryset=Offer.objects.order_by("id")),
            Prefetch("uploads", queryset=Upload.objects.order_by("id")),
        )
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def access_offer(*, user: Any, offer_id: int) -> Offer:
    """The offer (with its quote request) if ``user`` may see its quote request."""
    if user is None or not getattr(user, "is_authenticated", False) or not valid_id(offer_id):
        raise NotFound()
    qs = Offer.objects.select_related(
        "quote_request__project", "quote_request__client", "quote_request__freelancer"
    )
    if not getattr(user, "is_operator", False):
        qs = qs.filter(Q(quote_request__client=user) | Q(quote_request__freelancer=user))
    found = qs.filter(pk=offer_id).first()
    if found is None:
        raise NotFound()
    return found


def quote_requests_of_user(*, user: Any, role: str | None = None) -> QuerySet[QuoteRequest]:
    """The user's quote requests, as client and/or freelancer, newest first, offers
    prefetched."""
    if role == "client":
        qs = QuoteRequest.objects.filter(client=user)
    elif role == "freelancer":
        qs = QuoteRequest.objects.filter(freelancer=user)
    else:
        qs = QuoteRequest.objects.filter(Q(client=user) | Q(freelancer=user))
    return (
        qs.select_related("project", "client", "freelancer")
        .prefetch_related(
            Prefetch("offers", queryset=Offer.objects.order_by("id")),
            Prefetch("uploads", queryset=Upload.objects.order_by("id")),
        )
        .order_by("-id")
    )


DASHBOARD_LIMIT = 20


def quote_requests_for_dashboard(*, user: Any, limit: int = DASHBOARD_LIMIT) -> list[QuoteRequest]:
    """The user's quote requests still in play (not closed by an accepted offer), either
    side, newest activity first, in one query.

    Each row carries its latest offer's id, status, price and expiry as ``latest_offer_*``
    annotations rather than a prefetch: the dashboard only needs the offer that decides what
    happens next (earlier offers were declined, withdrawn or replaced), and the page keeps
    one query for this list however many requests and offers there are.
    """
    latest = Offer.objects.filter(quote_request=OuterRef("pk")).order_by("-id")
    return list(
        QuoteRequest.objects.filter(Q(client=user) | Q(freelancer=user))
        .exclude(status=QuoteRequestStatus.CLOSED)
        .select_related("project", "client", "freelancer")
        .annotate(
            latest_offer_id=Subquery(latest.values("id")[:1]),
            latest_offer_status=Subquery(latest.values("status")[:1]),
            latest_offer_price=Subquery(latest.values("price_minor")[:1]),
            latest_offer_expires_at=Subquery(latest.values("expires_at")[:1]),
        )
        .order_by("-updated_at", "-id")[:limit]
    )


def access_quote_file(*, user: Any, request_id: int, file_id: Any) -> Upload:
    """The file ``file_id`` attached to quote request ``request_id``, if ``user`` may see
    the request (its client, its freelancer, operators). Everything else, a malformed id
    or another request's file included, is the same ``NotFound``."""
    qr = access_quote_request(user=user, request_id=request_id)
    public_id = as_uuid(file_id)
    upload = (
        Upload.objects.filter(public_id=public_id, quote_request=qr).first()
        if public_id is not None
        else None
    )
    if upload is None:
        raise NotFound()
    return upload
