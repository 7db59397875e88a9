"""Fill the postings table of migration 0004 from the published projects.

Apart from 0004 because Django creates a new model's indexes at the end of the migration
that creates it, and ``reindex_all()`` drops and rebuilds them.
"""

from django.db import migrations


def reindex(apps, schema_editor):
    # Nothing any more: the live ``reindex_all`` needs the vocabulary tables of 0008, which
    # rebuilds the index itself. Databases migrated before 0008 ran this already.
    pass


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_postings")]
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
