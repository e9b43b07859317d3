"""Closes two gaps in the triggers of migration 0002 (defence in depth; the services never do these):
a version that is not a draft can no longer be turned back into a draft, and an outcome or item can no
longer be moved out of a version that is not a draft. Only the trigger functions change."""

from django.db import migrations

CONTENT = [
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

UP = f"""
CREATE OR REPLACE FUNCTION careplans_version_content_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'plan version % is %: it cannot be deleted', OLD.number, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND NEW.status = 'draft' THEN
        RAISE EXCEPTION 'plan version % is %: it cannot become a draft again', OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'draft' AND
       ROW({", ".join("NEW." + c for c in CONTENT)}) IS DISTINCT FROM ROW({", ".join("OLD." + c for c in CONTENT)}) THEN
        RAISE EXCEPTION 'plan version % is %: its content cannot change', OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION careplans_draft_children_only() RETURNS trigger AS $$
DECLARE
    version_status text;
    versions uuid[];
    one uuid;
BEGIN
    IF TG_TABLE_NAME = 'careplans_supportitem_outcomes' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            SELECT array_append(versions, plan_version_id) INTO versions FROM careplans_supportitem
                WHERE id = OLD.supportitem_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            SELECT array_append(versions, plan_version_id) INTO versions FROM careplans_supportitem
                WHERE id = NEW.supportitem_id;
        END IF;
    ELSE
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            versions := array_append(versions, OLD.plan_version_id);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            versions := array_append(versions, NEW.plan_version_id);
        END IF;
    END IF;
    FOREACH one IN ARRAY coalesce(versions, ARRAY[]::uuid[]) LOOP
        SELECT status INTO version_status FROM careplans_planversion WHERE id = one;
        IF version_status IS NOT NULL AND version_status <> 'draft' THEN
            RAISE EXCEPTION 'plan version is %: its outcomes and items cannot change', version_status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UP, params=None)


class Migration(migrations.Migration):
    dependencies = [("careplans", "0005_one_open_version")]

    # Going back leaves the stricter functions in place: they refuse only what the older ones should have.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
