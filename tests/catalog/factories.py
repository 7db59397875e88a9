"""Catalog test data, made through the real services."""

from __future__ import annotations

from typing import Any

from fairlance.accounts.models import User
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_create, project_publish


def tier(name: str = "Basic", price_minor: int = 5_000, delivery_days: int = 3, **extra: Any):
    return TierInput(name=name, price_minor=price_minor, delivery_days=delivery_days, **extra)


def make_project(freelancer: User, **overrides: Any) -> Project:
    fields: dict[str, Any] = {
        "title": "A hand-drawn logo for your brand",
        "category_slug": "design",
        "description": "I draw **logos** by hand.",
        "tags": ["logo", "Illustration"],
        "tiers": [
            tier("Basic", 5_000, 5, deliverables=("1 concept",)),
            tier("Standard", 12_000, 3, revisions=3),
        ],
        "addons": [AddOnInput(title="Source files", price_minor=2_000, extra_delivery_days=1)],
        "questions": [
            QuestionInput(prompt="Your brand name?"),
            QuestionInput(prompt="Style?", kind="single", choices=("Flat", "Vintage")),
        ],
        "faq": [FaqInput(question="Do you do mascots?", answer="Yes.")],
    }
    fields.update(overrides)
    return project_create(freelancer=freelancer, **fields)


def make_published(freelancer: User, **overrides: Any) -> Project:
    project = make_project(freelancer, **overrides)
    return project_publish(project=project, actor=freelancer)


def project_json(**overrides: Any) -> dict[str, Any]:
    """A valid POST /projects body."""
    body: dict[str, Any] = {
        "title": "Clean WordPress landing pages",
        "category": "development",
        "description": "Fast pages.\n\n- responsive\n- accessible",
        "tags": ["wordpress", "Landing Page"],
        "tiers": [
            {
                "name": "Basic",
                "price_minor": 15_000,
                "delivery_days": 7,
                "deliverables": ["1 page"],
            },
            {"name": "Pro", "price_minor": 40_000, "delivery_days": 10, "revisions": 3},
        ],
        "addons": [{"title": "Extra page", "price_minor": 8_000, "extra_delivery_days": 2}],
        "questions": [
            {"prompt": "Link to your brand guide?"},
            {"prompt": "Which CMS?", "kind": "multiple", "choices": ["WordPress", "Ghost"]},
        ],
        "faq": [{"question": "Hosting included?", "answer": "No."}],
    }
    body.update(overrides)
    return body
