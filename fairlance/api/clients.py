"""Client cards: what a freelancer may know about a client (SPEC section 6, docs/trust.md).

Thin: ``access_client_card`` decides who may read a card and computes it; this module only
shapes it as JSON. The contract detail embeds the same card for the freelancer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.contracts.selectors import ClientCard, access_client_card
from fairlance.core.money import currency, format_minor

router = Router(tags=["clients"])


def client_card_json(card: ClientCard) -> dict[str, Any]:
    """The card with amounts as ``{minor, display}`` and rates as whole percentages."""
    return {
        "client_id": card.client_id,
        "name": card.name,
        "member_since": card.member_since.isoformat(),
        "country": card.country or None,
        "country_name": card.country_name or None,
        "payment_verified": card.payment_verified,
        "total_spent": {
            "minor": card.total_spent_minor,
            "display": format_minor(card.total_spent_minor),
            "currency": currency(),
        },
        "contracts": card.contracts,
        "completions": card.completions,
        "client_caused_endings": card.client_caused_endings,
        "completion_rate_percent": card.completion_rate_percent,
        "cancellation_rate_percent": card.cancellation_rate_percent,
        # Averages of published public ratings (1-5, two places); null while none exists.
        "average_rating_given": card.average_rating_given,
        "average_rating_received": card.average_rating_received,
        "ratings_given_count": card.ratings_given_count,
        "ratings_received_count": card.ratings_received_count,
        # The freelancers' latest public words about the client (never private feedback).
        "recent_feedback": [
            {
                "rating": f.rating,
                "text": f.text,
                "published_at": f.published_at.isoformat(),
                "project_title": f.project_title,
            }
            for f in card.recent_feedback
        ],
    }


@router.get(
    "/clients/{client_id}/card",
    response=dict,
    auth=REQUIRED_AUTH,
    summary="A client's card: the client, freelancers they contacted or bought from, operators",
)
def get_client_card(request: HttpRequest, client_id: int) -> dict[str, Any]:
    viewer = request.auth  # type: ignore[attr-defined]
    assert isinstance(viewer, User)
    return client_card_json(access_client_card(viewer=viewer, client_id=client_id))
