from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0010_proposal_funding"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposal",
            name="hold_token",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="proposal",
            name="hold_ref",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="proposal",
            name="held_minor",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
    ]
