"""Search moves from FTS5 / tsvector to one postings table on both databases.

``SearchPosting`` holds one row per (project, stemmed term) with the project's filter and
sort columns (docs/search.md). The old per-database index tables of migration 0003 are
dropped; ``reindex_all()`` (migration 0005) fills the new table.
"""

from django.db import migrations, models


def drop_old_index(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS catalog_project_fts")
    schema_editor.execute("DROP TABLE IF EXISTS catalog_project_search")


def recreate_old_index(apps, schema_editor):
    from importlib import import_module

    import_module("fairlance.catalog.migrations.0003_search_index").create_index(
        apps, schema_editor
    )


def term_statistics(apps, schema_editor):
    # PostgreSQL keeps the 100 most common values of a column by default; with ~1,000
    # common words it then guesses "logo" is in 96 projects when it is in 1,400 and picks
    # a worse join order. 1,000 most common terms cost a slightly longer ANALYZE.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE catalog_searchposting ALTER COLUMN term SET STATISTICS 1000"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_search_index"),
        ("accounts", "0003_user_cannot_sell_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchPosting",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "project_id",
                        "term",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("project_id", models.BigIntegerField()),
                ("term", models.CharField(max_length=64)),
                ("points", models.PositiveSmallIntegerField()),
                ("freelancer_id", models.BigIntegerField()),
                ("category_id", models.BigIntegerField()),
                ("listed_at", models.DateTimeField()),
                ("from_price_minor", models.PositiveIntegerField()),
                ("min_delivery_days", models.PositiveSmallIntegerField()),
                ("rating_x100", models.PositiveSmallIntegerField()),
                ("rating_count", models.PositiveIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=[
                            "term",
                            "-points",
                            "-listed_at",
                            "-project_id",
                            "from_price_minor",
                            "rating_x100",
                            "rating_count",
                            "category_id",
                            "min_delivery_days",
                            "freelancer_id",
                        ],
                        name="catalog_posting_rank",
                    ),
                    models.Index(
                        fields=["term", "from_price_minor", "project_id"],
                        name="catalog_posting_price",
                    ),
                    models.Index(
                        fields=["term", "-listed_at", "-project_id"],
                        name="catalog_posting_newest",
                    ),
                    models.Index(
                        fields=["term", "-rating_x100", "-rating_count", "-project_id"],
                        name="catalog_posting_rating",
                    ),
                ],
            },
        ),
        migrations.RunPython(term_statistics, migrations.RunPython.noop),
        migrations.RunPython(drop_old_index, recreate_old_index),
    ]
