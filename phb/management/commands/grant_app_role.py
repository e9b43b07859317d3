"""Gives the application's database role exactly the rights it needs; run by the owner after every migrate.

Production uses two PostgreSQL roles (README, "Database roles"): the owner, which owns every table and runs
`migrate`, and the application role, which the web and worker processes connect as. The application role
gets ordinary rights on every table (read, add, change, remove rows) except:
- the audit trail (phb_auditevent): SELECT and INSERT only, so it can neither change, remove nor empty
  the trail (no UPDATE, DELETE or TRUNCATE), nor touch its triggers (no TRIGGER right, no ownership:
  only an owner can ALTER TABLE ... DISABLE TRIGGER or DROP TABLE);
- the migration history (django_migrations): SELECT only.
It may use the sequences, and tables and sequences a later migrate makes get the ordinary rights by
default (ALTER DEFAULT PRIVILEGES), so the site keeps working between a migrate and this command; run it
again after every migrate all the same, as it is what takes the audit table's extra rights away.

The command refuses a role that is a superuser, the owner, or a member of the owner (any of which could
undo all of this), and refuses to run as anyone but the audit table's owner.
"""

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

AUDIT_TABLE = "phb_auditevent"
MIGRATIONS_TABLE = "django_migrations"
ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _one(cursor, sql: str, params=()):
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def grants(role: str, database: str, schema: str) -> list[str]:
    """The statements, in order: take everything away, then give back what the service needs."""
    quoted, db, sch = (connection.ops.quote_name(name) for name in (role, database, schema))
    audit, history = connection.ops.quote_name(AUDIT_TABLE), connection.ops.quote_name(MIGRATIONS_TABLE)
    rows = "SELECT, INSERT, UPDATE, DELETE"
    return [
        f"GRANT CONNECT ON DATABASE {db} TO {quoted}",
        f"GRANT USAGE ON SCHEMA {sch} TO {quoted}",
        f"REVOKE CREATE ON SCHEMA {sch} FROM {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {quoted}",
        f"GRANT {rows} ON ALL TABLES IN SCHEMA {sch} TO {quoted}",
        f"REVOKE UPDATE, DELETE ON {audit} FROM {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON {history} FROM {quoted}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} GRANT {rows} ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


# What the audit table must end with: (right, the role has it).
AUDIT_RIGHTS = [
    ("SELECT", True),
    ("INSERT", True),
    ("UPDATE", False),
    ("DELETE", False),
    ("TRUNCATE", False),
    ("TRIGGER", False),
    ("REFERENCES", False),
]


class Command(BaseCommand):
    help = "Gives the application's database role the rights it needs and no more (run as the owner after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the PostgreSQL role the web and worker processes connect as")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are for PostgreSQL: the local SQLite database has none.")
        if not ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a role name this command accepts (letters, digits and _).")
        with transaction.atomic(), connection.cursor() as cursor:
            self._check(cursor, role)
            database = _one(cursor, "SELECT current_database()")
            schema = _one(cursor, "SELECT current_schema()")
            for statement in grants(role, database, schema):
                cursor.execute(statement)
            rights = {
                right: _one(cursor, "SELECT has_table_privilege(%s, %s, %s)", [role, AUDIT_TABLE, right])
                for right, _ in AUDIT_RIGHTS
            }
        wrong = [right for right, expected in AUDIT_RIGHTS if rights[right] != expected]
        if wrong:
            # A right granted to PUBLIC, or to a role this one belongs to, is not taken away by REVOKE here.
            raise CommandError(
                f"{role} still has the wrong rights on the audit table ({', '.join(wrong)}): "
                "check the rights of PUBLIC and of the roles it belongs to."
            )
        self.stdout.write(
            f"{role} may read and add audit events, and cannot change, remove or empty them; "
            "ordinary rights on every other table."
        )

    def _check(self, cursor, role: str) -> None:
        superuser = _one(cursor, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        if superuser is None:
            raise CommandError(f"There is no database role called {role}. Create it first (README, 'Database roles').")
        if superuser:
            raise CommandError(f"{role} is a superuser, which can do anything: use a role without SUPERUSER.")
        me = _one(cursor, "SELECT current_user")
        owner = _one(cursor, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = %s::regclass", [AUDIT_TABLE])
        if owner != me:
            raise CommandError(f"Run this as the owner of the tables ({owner}), the role that runs migrate; not {me}.")
        if role == owner or _one(cursor, "SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner]):
            raise CommandError(f"{role} is, or may act as, the owner {owner}: the application needs a role of its own.")
