"""contracts/0003: delivery files and path answers become uploads; nothing delivered is lost."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from fairlance.contracts.models import Contract, DeliveryFile
from fairlance.files.models import Upload

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def before_and_latest() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The migrations this one depends on, and the latest of every app."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    mine = next(
        k for k in graph.nodes if k[0] == "contracts" and k[1].endswith("files_are_uploads")
    )
    return sorted(parent.key for parent in graph.node_map[mine].parents), graph.leaf_nodes()


BEFORE, LATEST = before_and_latest()


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_delivery_files_and_path_answers_become_uploads_and_back() -> None:
    old = migrate(BEFORE)
    try:
        # Given, before the migration, a delivered file and two path answers: one the old
        # form wrote, one climbing into another contract's folder (issue 11, item 15)
        user = old.get_model("accounts", "User")
        client = user.objects.create(email="c@example.com", display_name="C")
        freelancer = user.objects.create(email="f@example.com", display_name="F")
        contract_model = old.get_model("contracts", "Contract")
        questions = [{"id": 7, "kind": "file", "prompt": "Brief", "choices": [], "required": True}]

        def contract() -> Any:
            return contract_model.objects.create(
                client=client,
                freelancer=freelancer,
                snapshot={"questions": questions},
                purchase_mode="instant",
                price_minor=100,
                policy_version=1,
                state="in_progress",
            )

        own, attacker = contract(), contract()
        brief = default_storage.save(
            f"requirements/new-{client.pk}/1a2b3c4d-brief.pdf", ContentFile(b"brief")
        )
        default_storage.save(f"requirements/{own.pk}/deadbeef-secret.pdf", ContentFile(b"x"))
        own.answers = {"7": brief}
        own.save()
        attacker.answers = {
            "7": f"requirements/new-{client.pk}/../../requirements/{own.pk}/deadbeef-secret.pdf"
        }
        attacker.save()
        delivery = old.get_model("contracts", "Delivery").objects.create(contract=own, number=1)
        logo = default_storage.save(f"deliveries/{own.pk}/ab/logo.svg", ContentFile(b"<svg/>"))
        old.get_model("contracts", "DeliveryFile").objects.create(
            delivery=delivery, file=logo, name="logo.svg"
        )

        # When the migration runs
        migrate(LATEST)

        # Then the delivered file is an upload of the freelancer, attached, served as bytes
        delivered = DeliveryFile.objects.get().upload
        assert (delivered.file.name, delivered.name, delivered.size) == (logo, "logo.svg", 6)
        assert (delivered.uploader_id, delivered.contract_id) == (freelancer.pk, own.pk)
        assert delivered.content_type == "application/octet-stream"
        # The form's answer names an upload of the client; the climbing one is dropped
        answered = Upload.objects.get(public_id=Contract.objects.get(pk=own.pk).answers["7"])
        assert (answered.file.name, answered.name, answered.purpose) == (
            brief,
            "brief.pdf",
            "requirement",
        )
        assert Contract.objects.get(pk=attacker.pk).answers == {}
        assert Upload.objects.count() == 2

        # And undoing it gives the paths back
        old = migrate(BEFORE)
        row = old.get_model("contracts", "DeliveryFile").objects.get()
        assert (row.file.name, row.name) == (logo, "logo.svg")
        assert old.get_model("contracts", "Contract").objects.get(pk=own.pk).answers == {"7": brief}
        assert not old.get_model("files", "Upload").objects.exists()
    finally:
        migrate(LATEST)
