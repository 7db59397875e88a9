"""Fill the postings table of migration 0004 from the published projects.

Apart from 0004 because Django creates a new model's indexes at the end of the migration
that creates it, and ``reindex_all()`` drops and rebuilds them.
"""

from django.db import migrations


def reindex(apps, schema_editor):
    # The live code, not a historical model: the index is derived data, and this is the
    # same function the seed and operators run (docs/search.md, "Keeping the index current").
    from fairlance.catalog.search import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_postings")]
    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
