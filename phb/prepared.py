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
import re
from collections.abc import Collection
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
        if connection.vendor != "postgresql":  # never prepared, so never written out
            return cls("", sql, (), sql, tuple(params))
        tokens = _TOKENS.split(sql)  # text, then a token and text, and so on
        if sum(token == "%s" for token in tokens[1::2]) != len(params):
            raise ValueError("The SQL's placeholders and its parameters do not match.")
        values = iter(params)
        slots: dict = {}
        out = [tokens[0]]
        with connection.cursor() as cursor:
            for token, text in zip(tokens[1::2], tokens[2::2], strict=True):
                if token == "%%":  # the ORM's escaped %: the text goes to PostgreSQL as it is
                    out.append("%")
                elif type(value := next(values)) is int and value in stand_ins:
                    out.append(f"${slots.setdefault(value, len(slots) + 1)}")
                else:
                    out.append(cursor.mogrify("%s", [value]).decode())
                out.append(text)
        text = "".join(out)
        name = "phb_" + hashlib.sha256(text.encode()).hexdigest()[:24]
        return cls(name, text, tuple(slots), sql, tuple(params))

    def rows(self, values: dict) -> list[tuple]:
        """The statement's rows, each stand-in replaced by its value in `values`."""
        with connection.cursor() as cursor:
            if not _enabled():
                cursor.execute(self.sql, [values.get(v, v) if type(v) is int else v for v in self.params])
                return cursor.fetchall()
            cursor.execute(*self.execute([values[stand_in] for stand_in in self.stand_ins]))
            try:
                return cursor.fetchall()
            finally:
                _reset()

    def execute(self, args: list) -> tuple[str, list]:
        """The SQL and parameters that run the statement, prepared first on this connection if it is not yet,
        with the generic plan (set back by _reset once its rows are read)."""
        name = self._prepare()
        run = f"EXECUTE {name}({', '.join(['%s'] * len(args))})" if args else f"EXECUTE {name}"
        return f"SET plan_cache_mode = force_generic_plan; {run}", args

    def _prepare(self) -> str:
        driver = connection.connection
        kept = getattr(connection, _KEPT, None)
        if kept is None or kept.driver is not driver:  # a new connection has nothing prepared
            kept = Kept(driver, set())
            setattr(connection, _KEPT, kept)
        name = f"{self.name}_{kept.serial}"
        if name not in kept.names:
            with connection.cursor() as cursor:
                if len(kept.names) >= KEPT_UP_TO:
                    cursor.execute("DEALLOCATE ALL")
                    kept.names.clear()
                # Typed, since a stand-in's value may also stand where the ORM wrote a number of its own (EXISTS'
                # "SELECT 1"): every stand-in is an id. No parameters: the text is sent as it is.
                types = f"({', '.join(['bigint'] * len(self.stand_ins))})" if self.stand_ins else ""
                cursor.execute(f"PREPARE {name} {types} AS {self.text}")
            kept.names.add(name)
        return name


# At most this many statements are kept prepared on a connection: past it they are all let go and prepared again
# as they are used (each holds its plan in the database server's memory).
KEPT_UP_TO = 100
_TOKENS = re.compile(r"(%%|%s)")


@contextlib.contextmanager
def planned_once(stand_ins: Collection[int]):
    """Every SELECT the ORM runs inside is run as a prepared statement (Statement.of), planned once a
    connection: `stand_ins` are the values that differ between users (their id, their care teams' ids), kept as
    $n so one statement serves them all; every other parameter is written in. So give it no free text (a
    search): each text would be a statement of its own. For a page's one big query, not its small ones."""
    if not _enabled():
        yield
        return

    def prepare(execute, sql, params, many, context):
        if many or not params or not sql.startswith("SELECT"):
            return execute(sql, params, many, context)
        statement = Statement.of(sql, params, stand_ins)
        try:
            # The values are the stand-ins themselves: they are the user's own here.
            return execute(*statement.execute(list(statement.stand_ins)), many, context)
        finally:
            _reset()  # the rows stay on the ORM's cursor; another sets the plan choice back

    with connection.execute_wrapper(prepare):
        yield


def _reset() -> None:
    # It fails only in a transaction that has already failed, which undoes the SET as it rolls back.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("RESET plan_cache_mode")


def _enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)
