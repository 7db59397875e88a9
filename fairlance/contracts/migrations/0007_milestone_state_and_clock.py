"""Milestones get their own delivery days, due instant, state and release instant.

Every contract so far has exactly one milestone (a catalog purchase): the backfill copies
the contract's terms and clock onto it (amount = the current price, due = the contract's
delivery due) and derives its state from the contract's; a contract stored without its
milestone (bulk-loaded data) gets one. Backwards, the new columns are dropped; nothing else
was changed.
"""

from typing import Any

from django.db import migrations, models

# The contract state (or, in a dispute, the state before it) -> the milestone's state.
_OPEN = {
    "requested": "funded",
    "awaiting_requirements": "funded",
    "in_progress": "in_progress",
    "delivered": "delivered",
}


def _state(contract: Any) -> str:
    state = contract.state
    if state == "disputed":
        state = contract.previous_state or "in_progress"
    if state in _OPEN:
        return _OPEN[state]
    if contract.outcome == "completed":
        return "released" if contract.ending in ("approve", "auto_approve") else "split"
    return "refunded"


def backfill(apps: Any, schema_editor: Any) -> None:
    contract_model = apps.get_model("contracts", "Contract")
    milestone_model = apps.get_model("contracts", "Milestone")
    first = {m.contract_id: m for m in milestone_model.objects.order_by("-position")}
    for contract in contract_model.objects.iterator():
        milestone = first.get(contract.pk) or milestone_model(
            contract=contract,
            position=0,
            title=str((contract.snapshot.get("tier") or {}).get("name") or "The work")[:200],
            created_at=contract.created_at,
        )
        milestone.amount_minor = contract.price_minor
        milestone.delivery_days = contract.delivery_days
        milestone.due_at = contract.delivery_due_at
        milestone.due_explanation = str(contract.clock_notes.get("delivery_due", ""))[:300]
        milestone.state = _state(contract)
        milestone.released_at = contract.ended_at if milestone.state == "released" else None
        milestone.save()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0005_purchase_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="milestone",
            name="delivery_days",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="milestone",
            name="state",
            field=models.CharField(
                choices=[
                    ("unfunded", "Not funded yet"),
                    ("funded", "Funded, not started"),
                    ("in_progress", "In progress"),
                    ("delivered", "Delivered, in review"),
                    ("released", "Released to the freelancer"),
                    ("refunded", "Refunded to the client"),
                    ("split", "Split by an operator"),
                ],
                default="funded",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="milestone",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="milestone",
            name="due_explanation",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="milestone",
            name="released_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
