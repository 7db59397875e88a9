"""``insert_new``: a new instance's INSERT written once per model, stored like ``save()``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from fairlance.contracts.models import Contract, Milestone
from fairlance.core.sql import insert_new
from fairlance.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_row_is_stored_with_its_defaults_json_and_relations(client_user) -> None:
    # Given a notification with a JSON value and fields left to their defaults
    with time_machine.travel(datetime(2026, 3, 4, 10, 0, tzinfo=UTC), tick=False):
        note = Notification(user=client_user, kind="k", title="Title", data={"a": [1, "x"]})
        insert_new(note)

    # Then it has its id and reads back as save() would have stored it
    assert note.pk is not None and not note._state.adding
    stored = Notification.objects.get(pk=note.pk)
    assert (stored.user_id, stored.kind, stored.title, stored.body) == (
        client_user.pk,
        "k",
        "Title",
        "",
    )
    assert stored.data == {"a": [1, "x"]}
    assert stored.created_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert stored.send_after is None and stored.emailed_at is None


def test_a_parent_saved_after_assignment_gives_its_id(client_user, freelancer) -> None:
    # Given a milestone built for a contract that is stored afterwards (as save() allows)
    contract = Contract(
        client=client_user,
        freelancer=freelancer,
        purchase_mode="instant",
        price_minor=100,
        policy_version=1,
        process_version=1,
        state="in_progress",
    )
    milestone = Milestone(contract=contract, title="All", amount_minor=100)
    insert_new(contract)
    insert_new(milestone)

    assert Milestone.objects.get(pk=milestone.pk).contract_id == contract.pk
    assert Contract.objects.get(pk=contract.pk).state == contract.state


def test_a_saved_instance_is_refused(client_user) -> None:
    note = Notification(user=client_user, kind="k", title="t")
    insert_new(note)
    with pytest.raises(ValueError):
        insert_new(note)
