"""The dashboard's contract sections (``contracts_needing_action``, ``contracts_all``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from fairlance.web import contract_presenters

register = template.Library()


@register.inclusion_tag("contracts/dashboard_action.html")
def contracts_needing_action(user: Any) -> dict[str, Any]:
    """The contracts waiting for ``user``, as freelancer and as client."""
    return {"board": contract_presenters.dashboard(user=user, now=timezone.now()), "user": user}


@register.inclusion_tag("contracts/dashboard_all.html")
def contracts_all(user: Any) -> dict[str, Any]:
    """The user's latest contracts, both sides."""
    return {"recent": contract_presenters.recent_contracts(user=user), "user": user}


@register.filter
def state_words(state: Any) -> str:
    """``in_progress`` -> ``In progress``."""
    return str(state or "").replace("_", " ").capitalize()
