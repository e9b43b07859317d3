"""Finding "TRUNCATE and roles": the database keeps the audit trail whatever SQL the service's own role
sends, and the one DELETE it allows is the lead's purge of events past their retention period.

Migration 0006 adds a statement-level trigger that refuses TRUNCATE to every role but a PostgreSQL
superuser (who could drop the trigger anyway; the test framework empties tables as one), and narrows the
row trigger's one exception to the purge. `manage.py grant_app_role` gives the application role only
INSERT and SELECT on the table. The roles are the ones `make test` creates (scripts/test.sh); the
fixture below creates them too when a run starts without them.
"""

import datetime
import os

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from people import services as people_services
from phb import audit
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

OWNER_ROLE = os.environ.get("PHB_TEST_OWNER_ROLE", "phb_owner")
APP_ROLE = os.environ.get("PHB_TEST_APP_ROLE", "phb_app")
APP_PASSWORD = os.environ.get("PHB_TEST_APP_PASSWORD", "phb-app-test-only")


@pytest.fixture(scope="session")
def roles(django_db_setup, django_db_blocker):
    """The owner and application roles (cluster-wide, like make test's), made if missing, committed at once
    (a separate connection) so another connection may log in as the application role."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        for role, login in ((OWNER_ROLE, "NOLOGIN"), (APP_ROLE, "LOGIN")):
            cursor.execute(f"DO $$ BEGIN CREATE ROLE {role} {login}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        # A password, for a cluster that does not trust local connections (make test sets the same one).
        cursor.execute(f"ALTER ROLE {APP_ROLE} PASSWORD %s", [APP_PASSWORD])
    conn.close()
    return {"owner": OWNER_ROLE, "app": APP_ROLE}


def as_app_role(role: str):
    settings = connection.settings_dict
    return psycopg2.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=role,
        password=APP_PASSWORD,
        dbname=settings["NAME"],
    )


def old_event(years: int = 10) -> AuditEvent:
    """An event written `years` ago (adding an event with any date is an INSERT, which is allowed)."""
    return AuditEvent.objects.create(
        at=timezone.now() - datetime.timedelta(days=365 * years + 3), action=AuditAction.VIEW, summary="Old view"
    )


def current_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def table_owner() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'phb_auditevent'::regclass")
        return cursor.fetchone()[0]


# TRUNCATE


def an_event() -> AuditEvent:
    """An event, with its foreign key checked now: PostgreSQL allows no TRUNCATE or ALTER TABLE of a table
    with checks still pending in the transaction, and the test's transaction ends only after the test."""
    event = audit.record(actor=None, action=AuditAction.SIGN_IN_FAILED, summary="Failed sign-in")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return event


def test_a_superuser_may_empty_the_table_as_the_test_framework_does():
    an_event()
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0], "the tests run as a superuser"
    saved = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE phb_auditevent")
    assert AuditEvent.objects.count() == 0
    transaction.savepoint_rollback(saved)
    assert AuditEvent.objects.count() == 1


def test_truncate_is_refused_to_the_tables_owner_when_it_is_not_a_superuser(roles):
    an_event()
    with (
        pytest.raises(DatabaseError, match="TRUNCATE is not allowed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"ALTER TABLE phb_auditevent OWNER TO {roles['owner']}")
        cursor.execute(f"SET LOCAL ROLE {roles['owner']}")
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == roles["owner"]
        cursor.execute("TRUNCATE phb_auditevent")
    # Rolled back: the superuser again, owning the table, with the event still there.
    assert current_user() != roles["owner"]
    assert table_owner() != roles["owner"]
    assert AuditEvent.objects.count() == 1


# The application role


@pytest.mark.django_db(transaction=True)
def test_the_application_role_can_add_and_read_audit_events_and_nothing_more(roles):
    """Connects as the application role after grant_app_role, as the web processes do in production."""
    call_command("grant_app_role", roles["app"])
    kept = audit.record(actor=None, action=AuditAction.SIGN_IN_FAILED, summary="Kept as written")
    refused = {
        "TRUNCATE": "TRUNCATE phb_auditevent",
        "UPDATE": "UPDATE phb_auditevent SET summary = 'tampered'",
        "DELETE": "DELETE FROM phb_auditevent",
        "DISABLE TRIGGER": "ALTER TABLE phb_auditevent DISABLE TRIGGER phb_auditevent_append_only",
        "DISABLE TRIGGER ALL": "ALTER TABLE phb_auditevent DISABLE TRIGGER ALL",
        "DROP": "DROP TABLE phb_auditevent",
        "rewrite the migration history": "DELETE FROM django_migrations",
    }
    conn = as_app_role(roles["app"])
    try:
        outcomes = {}
        for name, sql in refused.items():
            with conn.cursor() as cursor:
                try:
                    cursor.execute(sql)
                    outcomes[name] = "allowed"
                except psycopg2.errors.InsufficientPrivilege:
                    outcomes[name] = "refused"
            conn.rollback()
        assert outcomes == dict.fromkeys(refused, "refused")
        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO phb_auditevent (at, actor_username, actor_role, action, object_type, object_id, summary,"
                " changes, request_id) VALUES (now(), '', '', 'view', '', '', 'Written by the app role', '{}', '')"
                " RETURNING id"
            )
            added = cursor.fetchone()[0]
            cursor.execute("SELECT summary FROM phb_auditevent WHERE id = %s", [kept.pk])
            assert cursor.fetchone()[0] == "Kept as written"
            # Ordinary rights elsewhere: the service's own tables.
            cursor.execute("UPDATE people_person SET updated_at = updated_at")
            cursor.execute("DELETE FROM django_session WHERE expire_date < now() - interval '100 years'")
        conn.commit()
    finally:
        conn.close()
    assert AuditEvent.objects.get(pk=added).summary == "Written by the app role"
    assert AuditEvent.objects.get(pk=kept.pk).summary == "Kept as written"


@pytest.mark.django_db(transaction=True)
def test_the_service_runs_as_the_application_role(roles, client, alice, jane):
    """The rights are enough for the service itself: sign in, a list, a record page, a change, each audited,
    on Django's own connection switched to the application role."""
    call_command("grant_app_role", roles["app"])
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {roles['app']}")
    try:
        assert current_user() == roles["app"]
        client.force_login(alice)
        assert client.get(reverse("casework:caseload")).status_code == 200
        assert client.get(reverse("people:detail", args=[jane.pk])).status_code == 200
        people_services.person_update(
            person=jane, expected_version=jane.version, acting_user=alice, preferred_name="Janey"
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    actions = set(AuditEvent.objects.filter(actor=alice).values_list("action", flat=True))
    assert {AuditAction.SIGN_IN, AuditAction.VIEW_LIST, AuditAction.VIEW, AuditAction.UPDATE} <= actions


def test_grant_app_role_refuses_a_superuser_and_the_owner(roles):
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", current_user())
    with pytest.raises(CommandError, match="no database role"):
        call_command("grant_app_role", "phb_no_such_role")
    with pytest.raises(CommandError, match="not a role name"):
        call_command("grant_app_role", 'phb_app"; DROP TABLE phb_auditevent; --')


def test_grant_app_role_must_be_run_by_the_owner(roles):
    with pytest.raises(CommandError, match="Run this as the owner"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE phb_auditevent OWNER TO {roles['owner']}")
        call_command("grant_app_role", roles["app"])


# The purge's narrow exception


def set_purge_cut_off(cursor, when) -> None:
    cursor.execute("SELECT set_config(%s, %s, true)", [audit.PURGE_SETTING, when.isoformat()])


def test_an_ordinary_delete_of_an_old_event_is_still_refused():
    event = old_event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM phb_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_named_cut_off_lets_through_no_event_newer_than_it(alice):
    recent = audit.record(actor=alice, action=AuditAction.VIEW, summary="Viewed record")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        set_purge_cut_off(cursor, timezone.now() - datetime.timedelta(days=1))
        cursor.execute("DELETE FROM phb_auditevent WHERE id = %s", [recent.pk])
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


def test_a_named_cut_off_lets_through_no_role_but_the_owner(roles):
    event = old_event()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        # A role wrongly given DELETE, with the cut-off named: the trigger still refuses it.
        cursor.execute(f"GRANT SELECT, DELETE ON phb_auditevent TO {roles['app']}")
        cursor.execute(f"SET LOCAL ROLE {roles['app']}")
        set_purge_cut_off(cursor, timezone.now())
        cursor.execute("DELETE FROM phb_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_owner_with_a_named_cut_off_removes_only_older_events(alice):
    old, recent = old_event(), audit.record(actor=alice, action=AuditAction.VIEW, summary="Viewed record")
    with transaction.atomic(), connection.cursor() as cursor:
        set_purge_cut_off(cursor, timezone.now() - datetime.timedelta(days=365))
        cursor.execute("DELETE FROM phb_auditevent WHERE id = %s", [old.pk])
        assert cursor.rowcount == 1
        cursor.execute("SELECT set_config(%s, '', true)", [audit.PURGE_SETTING])
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
