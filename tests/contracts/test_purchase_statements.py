"""Statements per purchase: the benchmark's purchase, counted, and where its lock sits.

A purchase through the API with an Idempotency-Key ran 54 statements (savepoints
included); each is a round trip, and under load the round trips are most of a purchase's
time. These tests pin the count so a new query in the purchase path shows here first,
and pin the order that keeps the shared row locks short.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fairlance.contracts.models import Contract
from fairlance.ledger.selectors import ledger_check
from tests.contracts.conftest import buy, make_project

pytestmark = pytest.mark.django_db

# Token, idempotency claim, project (tier + 2 prefetches), policy; the purchase attempt
# and its capacity slot in a transaction of their own (2 savepoint statements here, BEGIN
# and COMMIT in production), so that a full project refuses before the card is charged;
# the sandbox's replay check and the payment log; in the purchase's transaction (2
# savepoint statements): the contract (inserted by the engine's save, already in the
# state its first transition chose), event, clock timer and the two notifications (the
# freelancer's and the client's receipt; a new contract has no timers to skip, no earlier
# events to read, and its next clock is the timer just armed), milestone, escrow account,
# the escrow entry (lock the accounts, then entry, postings and balances: one statement
# on PostgreSQL, three elsewhere) and the attempt kept; then the ledger's sums for the
# response's ``money`` (what the ledger did, read rather than assumed: one grouped SELECT
# after commit) and the stored idempotent result (nothing else is read: the purchase
# holds the contract's timers and policy). A project with questions arms one more timer
# (the requirements reminder).
BUDGET = {False: 28, True: 29}
LEDGER_WRITE = {"postgresql": 1}  # statements for entry, postings and balances
LOCK_ACCOUNTS = 'SELECT "id", "name", "kind", "balance" FROM "ledger_ledgeraccount"'


def _purchase_statements(api: Any, client_user: Any, freelancer: Any, questions: bool) -> Any:
    c = api(client_user)
    # Warm up: the first purchase ever also stores policy version 1 and creates the
    # world account; every later one finds them.
    assert buy(c, make_project(freelancer), **{"Idempotency-Key": "warm"}).status_code == 201
    project = make_project(freelancer, questions=questions)
    buy_kwargs = {"Idempotency-Key": "k1"}
    tier_id = project.tiers.get().pk  # read before counting, like a client that knows it
    body = {"tier_id": tier_id, "card_number": "4242424242424242"}
    with CaptureQueriesContext(connection) as ctx:
        resp = c.post(f"projects/{project.pk}/purchase", body, **buy_kwargs)
    assert resp.status_code == 201, resp.content
    return resp, project, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("questions", [False, True])
def test_a_purchase_runs_a_fixed_small_number_of_statements(
    api, client_user, freelancer, questions
) -> None:
    # Given a warmed-up marketplace, when a client buys through the API with a key
    resp, _, statements = _purchase_statements(api, client_user, freelancer, questions)

    # Then the purchase stays within its budget (it was 54 before this was tuned)
    budget = BUDGET[questions] - 3 + LEDGER_WRITE.get(connection.vendor, 3)
    assert len(statements) <= budget, "\n".join(s[:120] for s in statements)
    # and it really happened, in full
    contract = Contract.objects.get(pk=resp.json()["id"])
    assert contract.state == ("awaiting_requirements" if questions else "in_progress")
    assert ledger_check() == []


def test_the_shared_locks_are_held_for_a_few_statements(api, client_user, freelancer):
    # Given a purchase's statements
    _, project, statements = _purchase_statements(api, client_user, freelancer, False)

    # Then the project's row is locked by the last statement of a short transaction of its
    # own (right before its commit; here a RELEASE SAVEPOINT), which writes the attempt and
    # takes the slot, before the card is charged: a full project refuses before that.
    capacity = next(i for i, s in enumerate(statements) if s.startswith('UPDATE "catalog_project"'))
    assert statements[capacity - 1].startswith('INSERT INTO "contracts_purchaseattempt"')
    assert statements[capacity + 1].startswith("RELEASE SAVEPOINT")
    charged = next(i for i, s in enumerate(statements) if "payments_paymentattempt" in s)
    assert capacity < charged
    # And the purchase's transaction locks no project: the ledger accounts (``world``,
    # which every purchase updates) are locked near its end, after the event, the timers
    # and the notifications, so other purchases wait for a few statements, not the whole
    # transition; then only the attempt's own row is marked kept.
    release = max(i for i, s in enumerate(statements) if s.startswith("RELEASE SAVEPOINT"))
    assert statements[release - 1].startswith('UPDATE "contracts_purchaseattempt"')
    lock = next(i for i, s in enumerate(statements) if s.startswith(LOCK_ACCOUNTS))
    last_other = max(
        i for i, s in enumerate(statements) if "notifications_notification" in s and i < release
    )
    assert charged < last_other < lock
    assert not any("catalog_project" in s for s in statements[charged:])
    # lock, the ledger write, the attempt kept
    assert release - lock == 2 + LEDGER_WRITE.get(connection.vendor, 3)
    project.refresh_from_db()
    assert project.active_contracts == 1


def test_a_replay_costs_three_statements(api, client_user, freelancer) -> None:
    # Given a purchase made with a key
    c = api(client_user)
    buy(c, make_project(freelancer), **{"Idempotency-Key": "warm"})
    project = make_project(freelancer)
    body = {"tier_id": project.tiers.get().pk, "card_number": "4242424242424242"}
    first = c.post(f"projects/{project.pk}/purchase", body, **{"Idempotency-Key": "again"})

    # When it is repeated, then it is answered from the stored result: the token, the
    # claim that finds the key taken and the read of the stored response
    with CaptureQueriesContext(connection) as ctx:
        second = c.post(f"projects/{project.pk}/purchase", body, **{"Idempotency-Key": "again"})
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert len(ctx.captured_queries) == 3
    assert Contract.objects.filter(project=project).count() == 1
