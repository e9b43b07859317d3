"""The facts' triggers work nothing out for an UPDATE that changes no column the facts read (casework.facts.WATCHED),
and find a plan's person by a lookup a row rather than a join: a coordinator writing a plan's words, an assessment's
needs or a review's notes no longer costs the facts' query. One trigger function a source table replaces the one
shared function. The facts' SELECT is 0002's (unchanged), so nobody's facts need working out again.
PostgreSQL only, as 0002.
"""

import importlib

from django.db import migrations

from casework import facts


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        then = importlib.import_module("casework.migrations.0002_journey_facts_kept")
        schema_editor.execute(facts.create_sql(then.SELECT, then.FACTS, then.WATCHED), params=None)


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_journey_facts_kept")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
