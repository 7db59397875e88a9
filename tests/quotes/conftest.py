"""Quote helpers: a published project, a quote request and an offer through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.contracts.conftest import _fast_passwords, clock, make_project  # noqa: F401

OFFER_PRICE = 50_000


def ask(api_client: Any, project_id: int, **extra: Any) -> Any:
    body = {"need": "A 50-page document about our brand.", "budget_minor": 40_000, **extra}
    return api_client.post(f"projects/{project_id}/quote-requests", body)


def offer_body(**extra: Any) -> dict[str, Any]:
    return {
        "scope": "50 pages, two drafts.",
        "price_minor": OFFER_PRICE,
        "delivery_days": 10,
        "revisions": 2,
        "milestones": [
            {"title": "First 25 pages", "amount_minor": 20_000, "delivery_days": 5},
            {"title": "Last 25 pages", "amount_minor": 30_000, "delivery_days": 5},
        ],
        "expires_at": (timezone.now() + timedelta(days=3)).isoformat(),
        **extra,
    }
