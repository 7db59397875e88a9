"""Issue 10: new projects count delivery in working days; add-ons carry signed extra days.

Only defaults and the column type change: existing projects keep the value they stored
(their contracts keep their snapshot anyway), and every stored add-on day count is already
within the new bounds (0 to 365 before, -60 to 365 now).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0006_posting_probe_index_sqlite'),
    ]

    operations = [
        migrations.AlterField(
            model_name='addon',
            name='extra_delivery_days',
            field=models.SmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='project',
            name='delivery_in_working_days',
            field=models.BooleanField(default=True),
        ),
    ]
