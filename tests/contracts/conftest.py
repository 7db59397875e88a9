"""Contract test helpers: projects through the catalog services, purchases through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db.models import F

from fairlance.accounts.models import User
from fairlance.catalog.inputs import QuestionInput, TierInput
from fairlance.catalog.models import Project
from fairlance.catalog.services import project_create, project_publish
from fairlance.contracts.models import Contract
from fairlance.ledger.accounts import escrow, freelancer_available, freelancer_pending
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.provider import CARD_DECLINED, CARD_SUCCESS, LoggedProvider

GOOD_CARD = CARD_SUCCESS
BAD_CARD = CARD_DECLINED
# A Wednesday, well inside working hours in UTC: no weekend inside short windows.
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PRICE = 10_000
FEE = 1_000  # 10% freelancer fee


@pytest.fixture
def clock() -> Any:
    """Time frozen at START; ``clock.move_to(...)`` / ``clock.shift(...)`` move it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def make_project(
    freelancer: User,
    *,
    mode: str = "instant",
    questions: bool = True,
    price: int = PRICE,
    delivery_days: int = 5,
    revisions: int = 1,
    capacity: int | None = None,
    working_days: bool = False,
) -> Project:
    project = project_create(
        freelancer=freelancer,
        title="A hand-drawn logo",
        category_slug="design",
        description="I draw logos by hand, with care.",
        purchase_mode=mode,
        delivery_in_working_days=working_days,
        capacity=capacity,
        tiers=[
            TierInput(
                name="Basic", price_minor=price, delivery_days=delivery_days, revisions=revisions
            )
        ],
        questions=[QuestionInput(prompt="Brand name?")] if questions else [],
    )
    return project_publish(project=project, actor=freelancer)


def answers_for(project: Project) -> dict[str, str]:
    return {str(q.pk): "Acme" for q in project.questions.all()}


def buy(
    api_client: Any, project: Project, *, card: str = GOOD_CARD, answers: Any = None, **headers: str
) -> Any:
    body: dict[str, Any] = {"tier_id": project.tiers.first().pk, "card_number": card}
    if answers is not None:
        body["answers"] = answers
    return api_client.post(f"projects/{project.pk}/purchase", body, **headers)


def request_charged_up_front(make_request: Callable[[], int]) -> int:
    """A request as the code before two-phase payments left it; returns its contract id.

    No code path makes one any more (a request now holds the card), yet a database upgraded
    while requests waited holds them. So ``make_request`` (which makes a request and returns
    its id) runs with the old code's two money steps put back: the card is charged instead
    of held, and the money booked into escrow (``contract:N:capture``) instead of a pending
    hold entry. Then the charge's reference is moved, directly in the row, to where the old
    code kept it: ``charge_ref``, with ``authorization_ref`` blank (migration 0003 added
    that column empty).
    """
    from fairlance.contracts import actions

    with (
        mock.patch.object(LoggedProvider, "authorize", LoggedProvider.charge),
        mock.patch.object(actions, "hold_book", actions.capture_book),
    ):
        contract_id = make_request()
    Contract.objects.filter(pk=contract_id).update(
        charge_ref=F("authorization_ref"), authorization_ref=""
    )
    return contract_id


def assert_money_settled(contract_id: int, *, freelancer_gets: int) -> None:
    """After an ending: the ledger is clean, escrow empty, the freelancer got what is due."""
    contract = Contract.objects.get(pk=contract_id)
    assert contract.state in ("completed", "cancelled")
    assert ledger_check() == []
    assert balance(escrow(contract_id)) == 0
    # Earnings clear from pending to available after the clearance period (the worker
    # moves them), so count both.
    earned = balance(freelancer_pending(contract.freelancer_id)) + balance(
        freelancer_available(contract.freelancer_id)
    )
    assert earned == freelancer_gets


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Users are made in every test; a slow hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
