import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_dispute_answers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Contracts made before process versions run the table of version 1.
        migrations.AddField(
            model_name="contract",
            name="process_version",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="timer",
            name="subject_type",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.AddField(
            model_name="timer",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="timer",
            index=models.Index(
                condition=models.Q(("status", "pending"), models.Q(("subject_type", ""), _negated=True)),
                fields=["contract", "fire_at"],
                name="timer_subject_pending_idx",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="clocks_paused_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="contract",
            name="open_proposals",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.CreateModel(
            name="Proposal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=20)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("open", "Open"),
                            ("accepted", "Accepted"),
                            ("declined", "Declined"),
                            ("withdrawn", "Withdrawn"),
                            ("expired", "Expired"),
                        ],
                        default="open",
                        max_length=10,
                    ),
                ),
                ("proposed_by", models.CharField(max_length=12)),
                ("days", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("revisions", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("amount_minor", models.PositiveIntegerField(blank=True, null=True)),
                ("percent_to_freelancer", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("note", models.TextField(blank=True, max_length=5000)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField()),
                ("expiry_note", models.CharField(blank=True, max_length=300)),
                ("answered_at", models.DateTimeField(blank=True, null=True)),
                ("created_event_seq", models.PositiveIntegerField()),
                (
                    "contract",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="proposals",
                        to="contracts.contract",
                    ),
                ),
                (
                    "proposed_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["contract_id", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status", "open")),
                        fields=("contract", "kind"),
                        name="proposal_one_open_per_kind",
                    )
                ],
            },
        ),
    ]
