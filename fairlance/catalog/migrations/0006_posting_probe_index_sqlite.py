"""The covering index for probing a posting by (term, project) — on SQLite only.

See ``SQLITE_POSTING_INDEXES`` in catalog/models.py for why PostgreSQL goes without it. Not
in the model's Meta, so the migration state knows nothing of it and makemigrations stays
quiet; ``reindex_all`` rebuilds it with the model's indexes (on a new database, migration
0005 has already built it: hence IF NOT EXISTS).

If the table has statistics (``ANALYZE`` ran, as the benchmark seed does), they are
gathered again: SQLite with statistics for the other posting indexes and none for this one
takes it for the walk of a single word too, a full range read instead of the first page
of the rank index. With statistics for all of them, or for none, it chooses well.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "catalog_posting_probe"'
        ' ON "catalog_searchposting" ("term", "project_id", "points")'
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'catalog_searchposting' LIMIT 1")
        if cursor.fetchone() is not None:
            cursor.execute('ANALYZE "catalog_searchposting"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('DROP INDEX IF EXISTS "catalog_posting_probe"')


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_search_reindex")]
    operations = [migrations.RunPython(create, drop)]
