"""Indexes for the caseload at national scale: its order within a team and for everyone, and search.

Search by name is `icontains` (UPPER(name) LIKE '%term%'): on PostgreSQL a trigram index on each
upper-cased name serves it (and a prefix search, LIKE 'TERM%'), and a pattern index serves a search by
the start of an NHS number. SQLite (`make run`) has neither and does not need them.
"""

from django.db import migrations, models

SEARCHED_NAMES = ("given_name", "family_name", "preferred_name")


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name in SEARCHED_NAMES:
        schema_editor.execute(
            f"CREATE INDEX person_{name}_trgm ON people_person USING gin (UPPER({name}::text) gin_trgm_ops)"
        )
    schema_editor.execute("CREATE INDEX person_nhs_number_prefix ON people_person (nhs_number varchar_pattern_ops)")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCHED_NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS person_{name}_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS person_nhs_number_prefix")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_person_wants_review_reminders"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="person",
            name="person_name",
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["family_name", "given_name", "id"], name="person_name"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["care_team", "family_name", "given_name", "id"], name="person_team_name"),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes),
    ]
