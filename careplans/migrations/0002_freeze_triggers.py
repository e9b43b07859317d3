"""PostgreSQL triggers that freeze a plan version once it is not a draft (see careplans/triggers.py).

The columns are PlanVersion.FROZEN_FIELDS as they were when this migration was written. When that list
changes, write a new migration that calls triggers.create_sql with the new columns:
careplans/tests/test_triggers.py fails until the trigger in the database matches the model.
"""

from django.db import migrations

from careplans import triggers

COLUMNS = [
    "plan_id",
    "number",
    "budget_version_id",
    "start_date",
    "what_matters",
    "about_me",
    "helped_by",
    "care_coordinator_id",
    "health_monitor",
    "first_review_date",
    "review_method",
    "reduction_notice_days",
    "risks",
    "contingency",
    "dp_recipient",
    "dp_recipient_name",
    "dp_amount",
    "dp_frequency",
    "agreed_on",
    "agreement_method",
    "agreement_witness",
    "over_budget_justification",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(triggers.create_sql(COLUMNS), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(triggers.drop_sql(), params=None)


class Migration(migrations.Migration):
    dependencies = [("careplans", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
