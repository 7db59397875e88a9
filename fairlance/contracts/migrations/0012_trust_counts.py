"""Contracts record the money paid to the freelancer and whether their ending counts for
trust (feedback, scores), replacing ``feedback_allowed``.

Existing contracts are filled in from the ledger (what their release entries moved out of
escrow) and the counting rule of their ending as the lifecycle table declared it when this
migration was written.
"""

from django.db import migrations, models
from django.db.models import Sum

# Frozen copies of the ``counts`` declarations of process.py at this migration.
ALWAYS = {"approve", "auto_approve", "cancel_late"}
PAID_OR_FAULT = {"refund", "resolve_dispute", "cancel_by_agreement"}


def fill(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Posting = apps.get_model("ledger", "Posting")
    paid: dict[int, int] = {}
    released = (
        Posting.objects.filter(entry__reference__contains=":release:", amount__gt=0)
        .exclude(account__name__startswith="escrow:")
        .values("entry__contract_id")
        .annotate(total=Sum("amount"))
    )
    for row in released:
        if row["entry__contract_id"] is not None:
            paid[row["entry__contract_id"]] = row["total"]
    for contract in Contract.objects.filter(ended_at__isnull=False).only("id", "ending", "fault"):
        amount = paid.get(contract.pk, 0)
        counts = contract.ending in ALWAYS or (
            contract.ending in PAID_OR_FAULT and (amount > 0 or contract.fault != "none")
        )
        Contract.objects.filter(pk=contract.pk).update(paid_out_minor=amount, counts_for_trust=counts)
    for contract_id, amount in paid.items():
        Contract.objects.filter(pk=contract_id, ended_at__isnull=True).update(paid_out_minor=amount)


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0011_proposal_client_hold"),
        ("ledger", "0003_pending_entries"),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="counts_for_trust",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="contract",
            name="paid_out_minor",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(model_name="contract", name="feedback_allowed"),
    ]
