"""The audit table refuses TRUNCATE too, and lets one DELETE through: the retention purge.

0002's row trigger refuses UPDATE and DELETE; a statement-level trigger is the only way to stop
TRUNCATE, which fires no row trigger. Both stay on PostgreSQL only: SQLite (`make run`) has no TRUNCATE,
and its 0002 triggers already refuse every UPDATE and DELETE.

Who gets through, and why:
- TRUNCATE: a PostgreSQL superuser only. A superuser can do anything to the table anyway (drop the
  trigger, drop the table), so refusing them would protect nothing; and Django's test framework empties
  tables with TRUNCATE as the superuser it runs as. Every other role, the table's owner included, is
  refused. Production never runs the service as a superuser (README, "Database roles").
- DELETE: only a row older than the cut-off that the purge names for its own transaction
  (`set_config('phb.audit_purge_before', <cut-off>, true)`, see phb.audit.purge), and only when the
  statement runs as the role that owns the table (the one that migrates). The application role has no
  DELETE right on the table at all (manage.py grant_app_role); this check keeps a role that was
  wrongly given one refused too.
"""

from django.db import migrations

ROW_FUNCTION_WITH_PURGE = """
CREATE OR REPLACE FUNCTION phb_audit_event_append_only() RETURNS trigger AS $$
DECLARE
    purge_before text := current_setting('phb.audit_purge_before', true);
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(purge_before, '') <> ''
       AND OLD.at < purge_before::timestamptz
       AND pg_get_userbyid((SELECT relowner FROM pg_class WHERE oid = TG_RELID)) = current_user
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# Exactly as 0002 wrote it.
ROW_FUNCTION_BEFORE = """
CREATE OR REPLACE FUNCTION phb_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TRUNCATE_UP = """
CREATE OR REPLACE FUNCTION phb_audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: TRUNCATE is not allowed'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER phb_auditevent_no_truncate
    BEFORE TRUNCATE ON phb_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION phb_audit_event_no_truncate();
"""

TRUNCATE_DOWN = """
DROP TRIGGER IF EXISTS phb_auditevent_no_truncate ON phb_auditevent;
DROP FUNCTION IF EXISTS phb_audit_event_no_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROW_FUNCTION_WITH_PURGE, params=None)
        schema_editor.execute(TRUNCATE_UP, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRUNCATE_DOWN, params=None)
        schema_editor.execute(ROW_FUNCTION_BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("phb", "0005_sent_form")]

    operations = [migrations.RunPython(forwards, backwards)]
