"""Makes the audit table refuse UPDATE and DELETE in the database itself.

The model refuses too, but only code that goes through the ORM; a trigger
also stops raw SQL, a mistaken admin script or a compromised process.
TRUNCATE (used by test database flushes) is not affected.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION phb_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER phb_auditevent_append_only
    BEFORE UPDATE OR DELETE ON phb_auditevent
    FOR EACH ROW EXECUTE FUNCTION phb_audit_event_append_only();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS phb_auditevent_append_only ON phb_auditevent;
DROP FUNCTION IF EXISTS phb_audit_event_append_only();
"""

SQLITE_UP = [
    """CREATE TRIGGER phb_auditevent_no_update BEFORE UPDATE ON phb_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER phb_auditevent_no_delete BEFORE DELETE ON phb_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS phb_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS phb_auditevent_no_delete;",
]


def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_UP, SQLITE_UP)


def backwards(apps, schema_editor):
    _run(schema_editor, POSTGRES_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("phb", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
