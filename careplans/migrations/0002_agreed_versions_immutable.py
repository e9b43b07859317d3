"""Makes the database refuse changes to a plan version that is no longer a draft.

A submitted, approved or active version is the record of what was agreed: its
content, outcomes and items must never change (a change starts a new draft
version). The services already refuse; these triggers make raw SQL, a
mistaken script or a future bug fail too. Status and sign-off columns may
still change, because that is how a version moves through its lifecycle.
PostgreSQL only: the SQLite path is for trying the service on a laptop.
"""

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
    IF OLD.status <> 'draft' AND
       ROW({", ".join("NEW." + c for c in CONTENT)}) IS DISTINCT FROM ROW({", ".join("OLD." + c for c in CONTENT)}) THEN
        RAISE EXCEPTION 'plan version % is %: its content cannot change', OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER careplans_planversion_frozen
    BEFORE UPDATE OR DELETE ON careplans_planversion
    FOR EACH ROW EXECUTE FUNCTION careplans_version_content_frozen();

CREATE OR REPLACE FUNCTION careplans_draft_children_only() RETURNS trigger AS $$
DECLARE
    version_status text;
    row_version uuid;
BEGIN
    IF TG_TABLE_NAME = 'careplans_supportitem_outcomes' THEN
        SELECT plan_version_id INTO row_version FROM careplans_supportitem
            WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.supportitem_id ELSE NEW.supportitem_id END);
    ELSIF TG_OP = 'DELETE' THEN
        row_version := OLD.plan_version_id;
    ELSE
        row_version := NEW.plan_version_id;
    END IF;
    SELECT status INTO version_status FROM careplans_planversion WHERE id = row_version;
    IF version_status IS NOT NULL AND version_status <> 'draft' THEN
        RAISE EXCEPTION 'plan version is %: its outcomes and items cannot change', version_status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER careplans_outcome_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON careplans_outcome
    FOR EACH ROW EXECUTE FUNCTION careplans_draft_children_only();
CREATE TRIGGER careplans_supportitem_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON careplans_supportitem
    FOR EACH ROW EXECUTE FUNCTION careplans_draft_children_only();
CREATE TRIGGER careplans_supportitem_outcomes_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON careplans_supportitem_outcomes
    FOR EACH ROW EXECUTE FUNCTION careplans_draft_children_only();
"""

DOWN = """
DROP TRIGGER IF EXISTS careplans_supportitem_outcomes_draft_only ON careplans_supportitem_outcomes;
DROP TRIGGER IF EXISTS careplans_supportitem_draft_only ON careplans_supportitem;
DROP TRIGGER IF EXISTS careplans_outcome_draft_only ON careplans_outcome;
DROP FUNCTION IF EXISTS careplans_draft_children_only();
DROP TRIGGER IF EXISTS careplans_planversion_frozen ON careplans_planversion;
DROP FUNCTION IF EXISTS careplans_version_content_frozen();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UP, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("careplans", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
