"""Full-text search index for projects, one shape per database (see docs/search.md).

SQLite gets an FTS5 virtual table whose rowid is the project id; PostgreSQL gets a side
table holding a weighted tsvector per project with a GIN index. Neither is a Django
model: ``fairlance.catalog.search`` writes and reads them with raw SQL.

Neither table has a foreign key to ``catalog_project``. On PostgreSQL a foreign key from
a table Django does not know about makes ``TRUNCATE catalog_project`` (Django's flush
between transactional tests) fail; FTS5 tables cannot carry one at all. A row left behind
by a deleted project is harmless because every search joins back to ``catalog_project``,
and ``reindex_all()`` removes such orphans.
"""

from django.db import migrations

SQLITE_CREATE = """
CREATE VIRTUAL TABLE IF NOT EXISTS catalog_project_fts USING fts5(
    title, tags, description,
    tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
SQLITE_DROP = "DROP TABLE IF EXISTS catalog_project_fts"

POSTGRES_CREATE = [
    """
    CREATE TABLE IF NOT EXISTS catalog_project_search (
        project_id bigint PRIMARY KEY,
        document tsvector NOT NULL
    )
    """,
    """
    CREATE INDEX IF NOT EXISTS catalog_project_search_document_gin
        ON catalog_project_search USING gin (document)
    """,
]
POSTGRES_DROP = "DROP TABLE IF EXISTS catalog_project_search"


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_seed_categories")]
    operations = [migrations.RunPython(create_index, drop_index)]
