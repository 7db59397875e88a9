"""contracts/0007: every contract's single milestone takes its terms, clock and state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DUE = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)
ENDED = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)


def before_and_latest() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    mine = next(
        k for k in graph.nodes if k[0] == "contracts" and k[1].endswith("milestone_state_and_clock")
    )
    return sorted(parent.key for parent in graph.node_map[mine].parents), graph.leaf_nodes()


BEFORE, LATEST = before_and_latest()


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_milestones_backfilled_from_their_contract_and_back() -> None:
    old = migrate(BEFORE)
    try:
        # Given contracts in several states, one (bulk-loaded) without its milestone
        user = old.get_model("accounts", "User")
        client = user.objects.create(email="c@example.com", display_name="C")
        freelancer = user.objects.create(email="f@example.com", display_name="F")
        contract_model = old.get_model("contracts", "Contract")
        milestone_model = old.get_model("contracts", "Milestone")

        def contract(state: str, **fields: Any) -> Any:
            made = contract_model.objects.create(
                client=client,
                freelancer=freelancer,
                snapshot={"tier": {"name": "Basic"}},
                purchase_mode="instant",
                price_minor=9_000,
                policy_version=1,
                state=state,
                delivery_days=4,
                **fields,
            )
            return made

        running = contract(
            "in_progress",
            delivery_due_at=DUE,
            clock_notes={"delivery_due": "Delivery due 4 days after work starts"},
        )
        disputed = contract("disputed", previous_state="delivered", delivery_due_at=DUE)
        approved = contract("completed", outcome="completed", ending="approve", ended_at=ENDED)
        refunded = contract("cancelled", outcome="cancelled", ending="refund", ended_at=ENDED)
        bare = contract("awaiting_requirements")
        for c in (running, disputed, approved, refunded):
            # The price was 10,000 at purchase; a partial refund lowered it since.
            milestone_model.objects.create(contract=c, title="Basic", amount_minor=10_000)

        # When the migration runs
        new = migrate(LATEST)

        # Then each milestone has the contract's price, clock and a state from the contract's
        rows = {
            m.contract_id: m
            for m in new.get_model("contracts", "Milestone").objects.order_by("contract_id")
        }
        assert len(rows) == 5
        got = {
            c.pk: (rows[c.pk].state, rows[c.pk].amount_minor, rows[c.pk].delivery_days)
            for c in (running, disputed, approved, refunded, bare)
        }
        assert got == {
            running.pk: ("in_progress", 9_000, 4),
            disputed.pk: ("delivered", 9_000, 4),
            approved.pk: ("released", 9_000, 4),
            refunded.pk: ("refunded", 9_000, 4),
            bare.pk: ("funded", 9_000, 4),
        }
        assert rows[running.pk].due_at == DUE
        assert rows[running.pk].due_explanation == "Delivery due 4 days after work starts"
        assert rows[approved.pk].released_at == ENDED
        assert rows[refunded.pk].released_at is None
        assert rows[bare.pk].title == "Basic"

        # And backwards the columns go, the milestones stay
        back = migrate(BEFORE)
        names = {f.name for f in back.get_model("contracts", "Milestone")._meta.get_fields()}
        assert "state" not in names
        assert back.get_model("contracts", "Milestone").objects.count() == 5
    finally:
        migrate(LATEST)
