from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0005_purchase_attempts"),
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
    ]
