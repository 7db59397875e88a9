"""Two accepts of the same offer on PostgreSQL (real threads, committed transactions).

Paired with a naive claim (read the status, then write it) run the same way, to show the
test would catch the race if the compare-and-set were removed.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from fairlance.catalog.models import Project
from fairlance.contracts.models import Contract, PurchaseAttempt
from fairlance.ledger.selectors import ledger_check
from fairlance.payments.models import ProviderIntent
from fairlance.quotes import services
from fairlance.quotes.models import Offer, OfferStatus
from tests.concurrency import run_in_threads
from tests.conftest import is_postgres, make_user
from tests.contracts.conftest import GOOD_CARD, make_project

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


def an_open_offer() -> tuple[Any, Offer]:
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False, capacity=5)
    qr = services.quote_request_create(client=client, project_id=project.pk, need="50 pages")
    offer = services.offer_send(
        freelancer=freelancer,
        request_id=qr.pk,
        scope="50 pages",
        price_minor=50_000,
        delivery_days=10,
        revisions=1,
        expires_at=timezone.now() + timedelta(days=3),
    )
    return client, offer


def accept_twice(client: Any, offer: Offer) -> list[Any]:
    def attempt(i: int) -> Any:
        return services.offer_accept(
            client=client, offer_id=offer.pk, card_number=GOOD_CARD, attempt=f"race-{i}"
        ).contract

    return run_in_threads(2, attempt)


def test_two_accepts_of_one_offer_make_one_contract_and_refund_the_other_charge() -> None:
    client, offer = an_open_offer()
    # Both pass the check before the charge: only the claim inside the transaction decides.
    read_done = threading.Barrier(2)
    real = services._offer_claim

    def claim_after_both_paid(contract: Contract, *, offer_id: int) -> None:
        read_done.wait(timeout=10)
        real(contract, offer_id=offer_id)

    with mock.patch.object(services, "_offer_claim", claim_after_both_paid):
        results = accept_twice(client, offer)

    won = [r for r in results if isinstance(r, Contract)]
    lost = [r for r in results if not isinstance(r, Contract)]
    assert len(won) == 1
    assert [getattr(e, "code", repr(e)) for e in lost] == ["offer_accepted"]
    assert Contract.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).contract_id == won[0].pk
    # The loser's charge went back, and its slot with it
    assert sorted(PurchaseAttempt.objects.values_list("state", flat=True)) == [
        "given_back",
        "kept",
    ]
    assert ProviderIntent.objects.filter(kind="refund").count() == 1
    assert Project.objects.get(pk=offer.quote_request.project_id).active_contracts == 1
    assert ledger_check() == []


def test_a_naive_claim_that_reads_then_writes_makes_two_contracts() -> None:
    client, offer = an_open_offer()
    read_done = threading.Barrier(2)

    def naive(contract: Contract, *, offer_id: int) -> None:
        row = Offer.objects.get(pk=offer_id)  # no lock, no compare-and-set
        still_open = row.status == OfferStatus.OPEN
        read_done.wait(timeout=10)
        if not still_open:
            raise AssertionError("unreachable in this race")
        Offer.objects.filter(pk=offer_id).update(status=OfferStatus.ACCEPTED, contract=contract)

    with mock.patch.object(services, "_offer_claim", naive):
        results = accept_twice(client, offer)

    assert all(isinstance(r, Contract) for r in results), results
    assert Contract.objects.count() == 2
