"""Shared by the feedback tests: contracts ended through the API, feedback left through it.

Import the fixtures into a test module (``from tests.reviews.feedback_helpers import clock,
parties``): the contract tests' ``clock`` lives in ``tests/contracts/conftest.py``, which
pytest does not offer to this package.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from fairlance.accounts.models import User
from fairlance.core.models import PolicyVersion
from fairlance.core.policy import DEFAULT_POLICY
from fairlance.reviews.models import Feedback, Side
from tests.contracts.conftest import START
from tests.contracts.endings import Parties, ok, reach, worker

__all__ = ["Parties", "ok", "reach", "worker"]

WINDOW = timedelta(days=DEFAULT_POLICY.feedback_window_days)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def parties(api: Any, client_user: User, freelancer: User, operator: User, clock: Any) -> Parties:
    return Parties(
        api=api, client=client_user, freelancer=freelancer, operator=operator, clock=clock
    )


def body(rating: int = 5, private_rating: int = 4, **extra: Any) -> dict[str, Any]:
    return {
        "rating": rating,
        "public_text": extra.pop("public_text", f"Public words, {rating} stars."),
        "private_rating": private_rating,
        "private_text": extra.pop("private_text", "Only for the platform."),
        **extra,
    }


def leave(api_client: Any, cid: int, **kw: Any) -> dict[str, Any]:
    return ok(api_client.post(f"contracts/{cid}/feedback", body(**kw)))


def both_wrote(p: Parties, cid: int) -> tuple[Feedback, Feedback]:
    """Both sides leave feedback on contract ``cid``; (the client's, the freelancer's)."""
    leave(p.api(p.client), cid, rating=4, public_text="Client says: good work.")
    leave(p.api(p.freelancer), cid, rating=5, public_text="Freelancer says: a clear brief.")
    return (
        Feedback.objects.get(contract_id=cid, author_role=Side.CLIENT),
        Feedback.objects.get(contract_id=cid, author_role=Side.FREELANCER),
    )


def set_policy(**values: Any) -> None:
    """A new policy version, as an operator stores one."""
    latest = PolicyVersion.objects.order_by("-version").first()
    version = (latest.version if latest else 1) + 1
    PolicyVersion.objects.create(version=version, values={**DEFAULT_POLICY.values(), **values})
