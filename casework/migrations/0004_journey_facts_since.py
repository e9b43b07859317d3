"""The journey facts keep since when, for the days at each stage on the PHB team's dashboard (reports.dashboard):
the latest screening's and assessment's dates, the day the latest budget was signed off (or worked out), the latest
draft started, the latest version returned, the first version still submitted was submitted, and each approved
version was approved. Counting everyone's days was an index lookup a person (seconds at 200,000 people); read from
the kept row it is one pass. The triggers watch the columns these read, and everyone's facts are worked out afresh.
PostgreSQL only, as 0002.
"""

import importlib

import django.contrib.postgres.fields
from django.db import migrations, models

from casework import facts


SELECT = """
SELECT "people_person"."id" AS "pk",
    (SELECT CASE WHEN (U0."outcome" IN ('eligible', 'ipc_offer') OR U0."decision" = 'approved') THEN 'eligible' WHEN (U0."decision" = 'awaiting') THEN 'referred' ELSE 'not_eligible' END AS "result" FROM "eligibility_screening" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."screened_on" DESC, U0."created_at" DESC LIMIT 1) AS "screened",
    (SELECT U0."route" AS "route" FROM "eligibility_screening" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."screened_on" DESC, U0."created_at" DESC LIMIT 1) AS "route",
    EXISTS(SELECT 1 AS "a" FROM "budgets_assessment" U0 WHERE U0."person_id" = ("people_person"."id") LIMIT 1) AS "assessed",
    (SELECT U0."sign_off" AS "sign_off" FROM "budgets_budgetversion" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."number" DESC LIMIT 1) AS "sign_off",
    (SELECT U0."ended_on" AS "ended_on" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'ending') ORDER BY 1 ASC LIMIT 1) AS "ending_on",
    (SELECT CASE WHEN (U0."status" = 'active') THEN '0001-01-01'::date WHEN (U0."status" IN ('active', 'approved', 'ending')) THEN U0."start_date" ELSE NULL END AS "from_day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND CASE WHEN (U0."status" = 'active') THEN '0001-01-01'::date WHEN (U0."status" IN ('active', 'approved', 'ending')) THEN U0."start_date" ELSE NULL END IS NOT NULL) ORDER BY 1 ASC LIMIT 1) AS "in_force_from",
    ARRAY(SELECT U0."start_date" AS "start_date" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."start_date" IS NOT NULL AND U0."status" = 'approved') ORDER BY 1 ASC, U0."id" ASC) AS "approved_starts",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'submitted') LIMIT 1) AS "submitted",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" IN ('draft')) LIMIT 1) AS "draft",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" V0 INNER JOIN "careplans_supportplan" V1 ON (V0."plan_id" = V1."id") WHERE (V1."person_id" = ("people_person"."id") AND V0."status" IN ('draft') AND EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 WHERE (U0."number" = (V0."number" - 1) AND U0."plan_id" = (V0."plan_id") AND U0."status" = 'returned') LIMIT 1)) LIMIT 1) AS "returned",
    (SELECT U0."due_on" AS "due_on" FROM "careplans_review" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'due') ORDER BY 1 ASC LIMIT 1) AS "review_on",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" V0 INNER JOIN "careplans_supportplan" V1 ON (V0."plan_id" = V1."id") WHERE (V1."person_id" = ("people_person"."id") AND V0."budget_version_id" = (SELECT U0."id" AS "pk" FROM "budgets_budgetversion" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."number" DESC LIMIT 1) AND V0."status" = 'ended') LIMIT 1) AS "ended",
    (SELECT U0."screened_on" AS "screened_on" FROM "eligibility_screening" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY 1 DESC, U0."created_at" DESC LIMIT 1) AS "screened_on",
    (SELECT U0."assessed_on" AS "assessed_on" FROM "budgets_assessment" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY 1 DESC LIMIT 1) AS "assessed_on",
    (SELECT (COALESCE(U0."signed_off_at", U0."created_at") AT TIME ZONE 'Europe/London')::date AS "day" FROM "budgets_budgetversion" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."number" DESC LIMIT 1) AS "budget_since",
    (SELECT (U0."created_at" AT TIME ZONE 'Europe/London')::date AS "day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" IN ('draft')) ORDER BY U0."created_at" DESC LIMIT 1) AS "draft_since",
    (SELECT (U0."decided_at" AT TIME ZONE 'Europe/London')::date AS "day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'returned') ORDER BY U0."decided_at" DESC NULLS LAST LIMIT 1) AS "returned_on",
    (SELECT (U0."submitted_at" AT TIME ZONE 'Europe/London')::date AS "day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'submitted') ORDER BY U0."submitted_at" ASC LIMIT 1) AS "submitted_on",
    ARRAY(SELECT (U0."decided_at" AT TIME ZONE 'Europe/London')::date AS "day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."start_date" IS NOT NULL AND U0."status" = 'approved') ORDER BY U0."start_date" ASC, U0."id" ASC) AS "approved_decided"
FROM "people_person" WHERE "people_person"."id" IN (SELECT unnest(person_ids))
"""
FACTS = (
    "screened",
    "route",
    "assessed",
    "sign_off",
    "ending_on",
    "in_force_from",
    "approved_starts",
    "submitted",
    "draft",
    "returned",
    "review_on",
    "ended",
    "screened_on",
    "assessed_on",
    "budget_since",
    "draft_since",
    "returned_on",
    "submitted_on",
    "approved_decided",
)
WATCHED = {
    "eligibility_screening": ("person_id", "screened_on", "created_at", "outcome", "decision", "route"),
    "budgets_assessment": ("person_id", "assessed_on"),
    "budgets_budgetversion": ("person_id", "number", "sign_off", "created_at", "signed_off_at"),
    "careplans_planversion": (
        "plan_id",
        "number",
        "status",
        "start_date",
        "ended_on",
        "budget_version_id",
        "created_at",
        "decided_at",
        "submitted_at",
    ),
    "careplans_review": ("plan_id", "status", "due_on"),
}


def _approved_decided(apps):
    """The model as the migration state has it and the column, made here: the state this runs in has no field."""
    field = django.contrib.postgres.fields.ArrayField(base_field=models.DateField(), default=list, size=None)
    field.set_attributes_from_name("approved_decided")
    return apps.get_model("casework", "JourneyFacts"), field


def add_approved_decided(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_field(*_approved_decided(apps))
    else:
        schema_editor.execute(
            "ALTER TABLE casework_journeyfacts ADD COLUMN approved_decided date[] NOT NULL DEFAULT '[]'"
        )


def remove_approved_decided(apps, schema_editor):
    schema_editor.remove_field(*_approved_decided(apps))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(facts.create_sql(SELECT, FACTS, WATCHED) + facts.refresh_everyone_sql(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        then = importlib.import_module("casework.migrations.0002_journey_facts_kept")
        schema_editor.execute(facts.create_sql(then.SELECT, then.FACTS, then.WATCHED), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0003_journey_facts_watched_columns"),
    ]

    operations = [
        # An array with a default: Django's SQLite schema editor cannot write a list as a column default, and on
        # SQLite (make run) nothing keeps the facts, so the column is added there with an empty array by hand.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="journeyfacts",
                    name="approved_decided",
                    field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.DateField(), default=list, size=None
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_approved_decided, remove_approved_decided)],
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="assessed_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="budget_since",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="draft_since",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="returned_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="screened_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="journeyfacts",
            name="submitted_on",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
