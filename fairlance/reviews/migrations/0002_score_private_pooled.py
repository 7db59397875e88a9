"""Stored scores predate pooled private ratings: recompute them all.

Their breakdown listed per contract whether a private rating was used, the quality and the
contribution, from which the freelancer could work out a client's private rating. Each
row is marked dirty (the worker's ``scores_refresh_due`` recomputes it with the pooled
formula) and its breakdown is emptied until then, so the old figures are not shown
meanwhile; the score itself stays until the recompute replaces it.
"""

from django.db import migrations


def mark_dirty(apps, schema_editor):
    FreelancerScore = apps.get_model("reviews", "FreelancerScore")
    FreelancerScore.objects.update(dirty=True, breakdown={})


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(mark_dirty, migrations.RunPython.noop, elidable=True),
    ]
