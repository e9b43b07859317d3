"""Queries a page runs on every request, planned once per database connection instead of once per request.

PostgreSQL plans a statement each time it is sent. For the work tray's UNION of nine sources that planning took
4 ms, as long as running it. A statement prepared with PREPARE is planned once for the connection (gunicorn
workers keep theirs, settings.DB_CONN_MAX_AGE) and run with EXECUTE.

How a query becomes one (`Statement.of`): the ORM's SQL and parameters, compiled once a day by the caller, are
written out with every parameter as a literal (psycopg2's own quoting, never text from a request) except the
ones that vary between users, which the caller marks with stand-in values (ids no row has: see
casework.trays.StandIn) and which become $1, $2 ... A plan built without those few values (a generic plan)
still sees every status and date, so it uses the partial indexes those name. PostgreSQL would otherwise keep
planning afresh for a statement with parameters (its "auto" choice compared costs and never chose the generic
plan here), so each EXECUTE asks for the generic plan for itself alone and sets the choice back after.

Set DB_PREPARED_STATEMENTS=false where connections are shared between clients by a pooler in transaction mode
(PgBouncer), which cannot keep a connection's prepared statements: the same SQL then runs as a plain query.
SQLite (`make run`) runs it plain too.
"""

import contextlib
import hashlib
import itertools
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection

_KEPT = "_phb_prepared"  # on the connection wrapper: what is prepared on its connection (Kept)


@dataclass
class Kept:
    driver: object  # the driver's connection the statements were prepared on
    names: set
    # In the statements' names, so a statement a failed DEALLOCATE left behind never clashes with a new one.
    serial: int = field(default_factory=lambda: next(_serials))


_serials = itertools.count()


def forget() -> None:
    """Every statement is prepared afresh from the next query on, as on a new connection: for tests, which
    measure a page's queries as a new connection runs them (conftest calls it before each test). Deallocates
    through the driver itself, so no test counts it among a page's queries."""
    kept = getattr(connection, _KEPT, None)
    if kept is not None and kept.names and kept.driver is connection.connection:
        with contextlib.suppress(Exception), kept.driver.cursor() as cursor:  # a closed one has none
            cursor.execute("DEALLOCATE ALL")
    setattr(connection, _KEPT, None)


@dataclass(frozen=True)
class Statement:
    """A query with literals written in, and the stand-in values its $n placeholders take, in order."""

    name: str
    text: str
    stand_ins: tuple
    sql: str  # as the ORM wrote it, run plain where statements are not prepared
    params: tuple

    @classmethod
    def of(cls, sql: str, params, stand_ins) -> "Statement":
        """From the ORM's SQL and parameters: each parameter found in `stand_ins` becomes a placeholder (the
        same value always the same one), every other one a literal."""
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1:
            raise ValueError("The SQL's placeholders and its parameters do not match.")
        slots: dict = {}
        out = [pieces[0]]
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":  # never prepared, so never written out
                return cls("", sql, (), sql, tuple(params))
            for value, piece in zip(params, pieces[1:], strict=True):
                if type(value) is int and value in stand_ins:
                    out.append(f"${slots.setdefault(value, len(slots) + 1)}")
                else:
                    out.append(cursor.mogrify("%s", [value]).decode())
                out.append(piece)
        # The ORM escapes a literal % as %%; the text goes to PostgreSQL as it is.
        text = "".join(out).replace("%%", "%")
        name = "phb_" + hashlib.sha256(text.encode()).hexdigest()[:24]
        return cls(name, text, tuple(slots), sql, tuple(params))

    def rows(self, values: dict) -> list[tuple]:
        """The statement's rows, each stand-in replaced by its value in `values`."""
        with connection.cursor() as cursor:
            if not _enabled():
                cursor.execute(self.sql, [values.get(v, v) if type(v) is int else v for v in self.params])
                return cursor.fetchall()
            args = [values[stand_in] for stand_in in self.stand_ins]
            name = self._prepare(cursor)
            execute = f"EXECUTE {name}({', '.join(['%s'] * len(args))})" if args else f"EXECUTE {name}"
            try:
                cursor.execute(f"SET plan_cache_mode = force_generic_plan; {execute}", args)
                return cursor.fetchall()
            finally:
                _reset(cursor)

    def _prepare(self, cursor) -> str:
        driver = connection.connection
        kept = getattr(connection, _KEPT, None)
        if kept is None or kept.driver is not driver:  # a new connection has nothing prepared
            kept = Kept(driver, set())
            setattr(connection, _KEPT, kept)
        name = f"{self.name}_{kept.serial}"
        if name not in kept.names:
            cursor.execute(f"PREPARE {name} AS {self.text}")  # no parameters: the text is sent as it is
            kept.names.add(name)
        return name


def _reset(cursor) -> None:
    # It fails only in a transaction that has already failed, which undoes the SET as it rolls back.
    with contextlib.suppress(DatabaseError):
        cursor.execute("RESET plan_cache_mode")


def _enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)
