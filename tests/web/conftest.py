"""Helpers for page tests: projects made through the real catalog services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fairlance.accounts.models import User
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_create, project_publish
from fairlance.core.models import PolicyVersion
from fairlance.core.policy import DEFAULT_POLICY


def make_project(
    owner: User, *, title: str = "Hand-drawn logo", publish: bool = True, **overrides: Any
) -> Project:
    fields: dict[str, Any] = {
        "title": title,
        "category_slug": "design",
        "description": "A **memorable** logo, drawn by hand.",
        "tags": ("logo", "branding"),
        "tiers": (
            TierInput(
                name="Basic",
                price_minor=12_000,
                delivery_days=3,
                revisions=1,
                deliverables=("PNG file",),
            ),
            TierInput(
                name="Premium",
                price_minor=30_000,
                delivery_days=7,
                revisions=3,
                deliverables=("PNG file", "Vector source"),
            ),
        ),
        "addons": (AddOnInput(title="Express delivery", price_minor=5_000),),
        "questions": (QuestionInput(prompt="What is the brand name?"),),
        "faq": (FaqInput(question="Do you do revisions?", answer="Yes, per tier."),),
    }
    fields.update(overrides)
    project = project_create(freelancer=owner, **fields)
    if publish:
        project = project_publish(project=project, actor=owner)
    return project


def login(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def require_review_policy() -> None:
    """Switch on "publishing needs an operator's review" as a new policy version."""
    values = DEFAULT_POLICY.values()
    values["publish_requires_review"] = True
    PolicyVersion.objects.create(version=2, values=values, note="review on")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings: Any) -> None:
    # Tests run without collectstatic, so the hashed-manifest storage has no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def published(freelancer: User) -> Project:
    return make_project(freelancer)
