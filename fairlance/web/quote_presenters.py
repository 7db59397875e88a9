"""The dashboard's "Quotes and offers" section: (quote requests, viewer) -> rows to show.

Each side leads with what waits for it: the freelancer with quote requests to answer, the
client with offers to accept or decline. The rest (offers sent, requests still waiting for
the other side or declined) follows, so nobody has to open a request to learn where it
stands. Pure over its inputs, like ``contract_presenters``; the query is
``quotes.selectors.quote_requests_for_dashboard``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import reverse

from fairlance.core.money import format_minor
from fairlance.quotes.models import OfferStatus, QuoteRequest, QuoteRequestStatus
from fairlance.web.contract_presenters import local_time, relative, zone_of

OFFER_WORDS: dict[str, str] = {
    OfferStatus.OPEN: "Offer {price} sent, waiting for the client — expires {expiry}",
    OfferStatus.EXPIRED: "Offer {price} expired unanswered",
    OfferStatus.DECLINED: "Offer {price} declined by the client",
    OfferStatus.WITHDRAWN: "Offer {price} withdrawn",
}
CLIENT_OFFER_WORDS: dict[str, str] = {
    OfferStatus.EXPIRED: "Offer {price} expired",
    OfferStatus.DECLINED: "You declined the offer of {price}",
    OfferStatus.WITHDRAWN: "Offer {price} withdrawn by the freelancer",
}


@dataclass(frozen=True)
class QuoteRow:
    title: str
    # The other side's public name.
    other: str
    why: str
    url: str
    action: bool = False


@dataclass
class QuoteBoard:
    selling: list[QuoteRow] = field(default_factory=list)
    buying: list[QuoteRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.selling or self.buying)


def _latest_status(qr: QuoteRequest, now: datetime) -> str | None:
    """The latest offer's status as people see it (an open offer past expiry is expired)."""
    status = getattr(qr, "latest_offer_status", None)
    expires_at = getattr(qr, "latest_offer_expires_at", None)
    if status == OfferStatus.OPEN and expires_at is not None and now >= expires_at:
        return OfferStatus.EXPIRED
    return status


def quote_board(*, user: Any, requests: list[QuoteRequest], now: datetime) -> QuoteBoard:
    """Rows for ``user`` from their dashboard quote requests (annotated with the latest
    offer, see the selector). Rows that need the viewer come first on each side."""
    tz_name = zone_of(user)
    board = QuoteBoard()
    for qr in requests:
        request_url = reverse("web:quote_request", args=[qr.pk])
        status = _latest_status(qr, now)
        price = format_minor(getattr(qr, "latest_offer_price", 0)) if status is not None else ""
        expires_at = getattr(qr, "latest_offer_expires_at", None)
        expiry = (
            f"{local_time(expires_at, tz_name)}, {relative(expires_at, now)}" if expires_at else ""
        )
        offer_url = (
            reverse("web:offer", args=[getattr(qr, "latest_offer_id", 0)])
            if status is not None
            else request_url
        )
        title = qr.project.title
        if qr.freelancer_id == user.pk:
            other = qr.client.public_name
            if qr.status == QuoteRequestStatus.OPEN:
                board.selling.append(
                    QuoteRow(title, other, "Quote request to answer", request_url, action=True)
                )
            elif qr.status == QuoteRequestStatus.DECLINED:
                board.selling.append(QuoteRow(title, other, "You declined", request_url))
            elif status is not None:
                words = OFFER_WORDS.get(status, "Offer {price}")
                why = words.format(price=price, expiry=expiry)
                board.selling.append(QuoteRow(title, other, why, offer_url))
        elif qr.client_id == user.pk:
            other = qr.freelancer.public_name
            if status == OfferStatus.OPEN:
                why = f"Offer {price} to accept or decline — expires {expiry}"
                board.buying.append(QuoteRow(title, other, why, offer_url, action=True))
            elif qr.status == QuoteRequestStatus.DECLINED:
                board.buying.append(
                    QuoteRow(title, other, "Declined by the freelancer", request_url)
                )
            elif status is not None:
                why = CLIENT_OFFER_WORDS.get(status, "Offer {price}").format(price=price)
                board.buying.append(QuoteRow(title, other, why, offer_url))
            else:
                board.buying.append(
                    QuoteRow(title, other, "Waiting for the freelancer's answer", request_url)
                )
    # Needs-action rows first; otherwise the selector's order (latest activity first).
    board.selling.sort(key=lambda row: not row.action)
    board.buying.sort(key=lambda row: not row.action)
    return board
