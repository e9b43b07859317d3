"""PostgreSQL triggers that freeze a plan version once it is no longer a draft (defence in depth: the
services already refuse these changes).

- A version that is not a draft cannot be deleted, turned back into a draft, or have any of its
  frozen columns changed (PlanVersion.FROZEN_FIELDS; workflow fields such as the status move on).
- The outcomes and items of a version that is not a draft, and the links between them, cannot be
  added, changed, moved or removed.

The SQL is built from a list of columns. A migration passes the list as it was when the migration was
written (migrations are history); `careplans/tests/test_triggers.py` compares the function in the
database with the model's FROZEN_FIELDS, so a field added to the model without a new trigger
migration fails the tests.
"""

import re

# A migration imports this module, so it reads no model at import time.
DRAFT = "draft"  # careplans.models.Status.DRAFT (test_triggers checks they agree)
VERSION_FUNCTION = "careplans_version_content_frozen"
CHILDREN_FUNCTION = "careplans_draft_children_only"
CHILD_TABLES = ("careplans_outcome", "careplans_supportitem", "careplans_supportitem_outcomes")


def frozen_columns() -> list[str]:
    """The database columns of PlanVersion.FROZEN_FIELDS (foreign keys as their _id column)."""
    from careplans.models import PlanVersion

    return [PlanVersion._meta.get_field(name).column for name in PlanVersion.FROZEN_FIELDS]


def create_sql(columns: list[str]) -> str:
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    triggers = "\n".join(
        f"""DROP TRIGGER IF EXISTS {table}_draft_only ON {table};
CREATE TRIGGER {table}_draft_only
    BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {CHILDREN_FUNCTION}();"""
        for table in CHILD_TABLES
    )
    return f"""
CREATE OR REPLACE FUNCTION {VERSION_FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> '{DRAFT}' THEN
            RAISE EXCEPTION 'plan version % is %: it cannot be deleted', OLD.number, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> '{DRAFT}' AND NEW.status = '{DRAFT}' THEN
        RAISE EXCEPTION 'plan version % is %: it cannot become a draft again', OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> '{DRAFT}' AND ROW({new}) IS DISTINCT FROM ROW({old}) THEN
        RAISE EXCEPTION 'plan version % is %: its content cannot change', OLD.number, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS careplans_planversion_frozen ON careplans_planversion;
CREATE TRIGGER careplans_planversion_frozen
    BEFORE UPDATE OR DELETE ON careplans_planversion
    FOR EACH ROW EXECUTE FUNCTION {VERSION_FUNCTION}();

CREATE OR REPLACE FUNCTION {CHILDREN_FUNCTION}() RETURNS trigger AS $$
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
        IF version_status IS NOT NULL AND version_status <> '{DRAFT}' THEN
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

{triggers}
"""  # noqa: S608 (built from constants and model column names, never from input)


def drop_sql() -> str:
    triggers = "\n".join(f"DROP TRIGGER IF EXISTS {table}_draft_only ON {table};" for table in CHILD_TABLES)
    return f"""
{triggers}
DROP FUNCTION IF EXISTS {CHILDREN_FUNCTION}();
DROP TRIGGER IF EXISTS careplans_planversion_frozen ON careplans_planversion;
DROP FUNCTION IF EXISTS {VERSION_FUNCTION}();
"""


def columns_in_database(cursor) -> list[str]:
    """The columns the trigger function in the database freezes, read from pg_get_functiondef."""
    cursor.execute("SELECT pg_get_functiondef(%s::regproc)", [VERSION_FUNCTION])
    (definition,) = cursor.fetchone()
    match = re.search(r"ROW\((NEW\.[^)]*)\) IS DISTINCT FROM", definition)
    return [column.strip().removeprefix("NEW.") for column in match.group(1).split(",")]
