"""Each person's journey facts, kept by triggers (casework/facts.py), and worked out now for everyone.

SELECT is the facts query (casework.facts.select_sql) as it was when this migration was written: migrations
are history. casework/tests/test_facts.py compares the function in the database with the query today; when a
rule the facts read changes, write a new migration that calls facts.create_sql with the new SELECT and runs
facts.refresh_everyone_sql(). PostgreSQL only: elsewhere (make run's SQLite) the caseload works the facts out as
it reads them (casework.selectors).
"""

from django.db import migrations

from casework import facts

SELECT = """
SELECT "people_person"."id" AS "pk",
    (SELECT CASE WHEN (U0."outcome" IN ('eligible', 'ipc_offer') OR U0."decision" = 'approved') THEN 'eligible' WHEN (U0."decision" = 'awaiting') THEN 'referred' ELSE 'not_eligible' END AS "result" FROM "eligibility_screening" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."screened_on" DESC, U0."created_at" DESC LIMIT 1) AS "screened",
    (SELECT U0."route" AS "route" FROM "eligibility_screening" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."screened_on" DESC, U0."created_at" DESC LIMIT 1) AS "route",
    EXISTS(SELECT 1 AS "a" FROM "budgets_assessment" U0 WHERE U0."person_id" = ("people_person"."id") LIMIT 1) AS "assessed",
    (SELECT U0."sign_off" AS "sign_off" FROM "budgets_budgetversion" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."number" DESC LIMIT 1) AS "sign_off",
    (SELECT U0."ended_on" AS "ended_on" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'ending') ORDER BY 1 ASC LIMIT 1) AS "ending_on",
    (SELECT CASE WHEN (U0."status" = 'active') THEN '0001-01-01'::date WHEN (U0."status" IN ('active', 'approved', 'ending')) THEN U0."start_date" ELSE NULL END AS "from_day" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND CASE WHEN (U0."status" = 'active') THEN '0001-01-01'::date WHEN (U0."status" IN ('active', 'approved', 'ending')) THEN U0."start_date" ELSE NULL END IS NOT NULL) ORDER BY 1 ASC LIMIT 1) AS "in_force_from",
    ARRAY(SELECT U0."start_date" AS "start_date" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."start_date" IS NOT NULL AND U0."status" = 'approved') ORDER BY 1 ASC) AS "approved_starts",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'submitted') LIMIT 1) AS "submitted",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" IN ('draft')) LIMIT 1) AS "draft",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" V0 INNER JOIN "careplans_supportplan" V1 ON (V0."plan_id" = V1."id") WHERE (V1."person_id" = ("people_person"."id") AND V0."status" IN ('draft') AND EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" U0 WHERE (U0."number" = (V0."number" - 1) AND U0."plan_id" = (V0."plan_id") AND U0."status" = 'returned') LIMIT 1)) LIMIT 1) AS "returned",
    (SELECT U0."due_on" AS "due_on" FROM "careplans_review" U0 INNER JOIN "careplans_supportplan" U1 ON (U0."plan_id" = U1."id") WHERE (U1."person_id" = ("people_person"."id") AND U0."status" = 'due') ORDER BY 1 ASC LIMIT 1) AS "review_on",
    EXISTS(SELECT 1 AS "a" FROM "careplans_planversion" V0 INNER JOIN "careplans_supportplan" V1 ON (V0."plan_id" = V1."id") WHERE (V1."person_id" = ("people_person"."id") AND V0."budget_version_id" = (SELECT U0."id" AS "pk" FROM "budgets_budgetversion" U0 WHERE U0."person_id" = ("people_person"."id") ORDER BY U0."number" DESC LIMIT 1) AND V0."status" = 'ended') LIMIT 1) AS "ended"
FROM "people_person" WHERE "people_person"."id" IN (SELECT unnest(person_ids))
"""


# The facts and the columns watched as they were then (0003 watched columns; 0004 added facts).
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
)
WATCHED = {
    "eligibility_screening": ("person_id", "screened_on", "created_at", "outcome", "decision", "route"),
    "budgets_assessment": ("person_id",),
    "budgets_budgetversion": ("person_id", "number", "sign_off"),
    "careplans_planversion": ("plan_id", "number", "status", "start_date", "ended_on", "budget_version_id"),
    "careplans_review": ("plan_id", "status", "due_on"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(facts.create_sql(SELECT, FACTS, WATCHED) + facts.refresh_everyone_sql(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(facts.drop_sql(), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
        ("eligibility", "0004_field_bounds"),
        ("budgets", "0005_field_bounds"),
        ("careplans", "0008_ending_requests"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
