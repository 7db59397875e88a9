"""The search vocabulary (words, their trigrams), the operators' synonym list, and a
rebuild of the postings, whose points are BM25F weights from here on (issue 14)."""

from django.db import migrations, models


def word_collation(apps, schema_editor):
    # Prefix look-ups are a range of the primary key ("photog" <= word < "photoh"), which
    # needs code-point order; PostgreSQL's default collation is the locale's. SQLite
    # compares bytes already.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE catalog_searchword ALTER COLUMN word TYPE varchar(64) COLLATE "C"'
        )


def drop_probe_index(apps, schema_editor):
    # SQLite's probe index (0006) served the join of one word's postings to the next;
    # words are now read each from its own range and grouped.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('DROP INDEX IF EXISTS "catalog_posting_probe"')


def reindex(apps, schema_editor):
    # The live code (see 0005): the index is derived data.
    from fairlance.catalog.search import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_working_days_default_signed_addon_days")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("term", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="SearchTrigram",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "trigram", "length", "word", blank=True, editable=False,
                        primary_key=True, serialize=False,
                    ),
                ),
                ("trigram", models.CharField(max_length=3)),
                ("length", models.PositiveSmallIntegerField()),
                ("word", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="SearchSynonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "words",
                    models.CharField(
                        help_text="Two or more single words separated by commas.", max_length=300
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=200)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"ordering": ["words"]},
        ),
        migrations.RunPython(word_collation, migrations.RunPython.noop),
        migrations.RunPython(drop_probe_index, migrations.RunPython.noop),
        migrations.RunPython(reindex, migrations.RunPython.noop),
    ]
