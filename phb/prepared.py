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

Querysets compiled once (`compiled`, `Compiled`): a list whose queryset took longer to build and compile through
the ORM than to run (the caseload) is compiled once a process for each shape of ask, for a stand-in user, and its
rows read into the queryset's own objects with the user's values; prepared or sent plain, as the caller asks.

Set DB_PREPARED_STATEMENTS=false where connections are shared between clients by a pooler in transaction mode
(PgBouncer), which cannot keep a connection's prepared statements: the same SQL then runs as a plain query.
SQLite (`make run`) runs it plain too.
"""

import contextlib
import copy
import hashlib
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection, connections

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
                elif type(value := next(values)) in STAND_IN_TYPES and value in stand_ins:
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
                cursor.execute(*self.plain(values))
                return cursor.fetchall()
            cursor.execute(*self.execute([values[stand_in] for stand_in in self.stand_ins]))
            try:
                return cursor.fetchall()
            finally:
                _reset()

    def plain(self, values: dict) -> tuple[str, list]:
        """The ORM's own SQL with each stand-in swapped for its value: planned for those values when it runs."""
        return self.sql, [values.get(v, v) if type(v) in STAND_IN_TYPES else v for v in self.params]

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
                # "SELECT 1"): a stand-in is an id or a text. No parameters: the text is sent as it is.
                kinds = (STAND_IN_TYPES[type(stand_in)] for stand_in in self.stand_ins)
                types = f"({', '.join(kinds)})" if self.stand_ins else ""
                cursor.execute(f"PREPARE {name} {types} AS {self.text}")
            kept.names.add(name)
        return name


# What a stand-in may be, with its type in a prepared statement: an id no row has, or a text no one would type (a
# search's pattern: casework.filters.caseload_page).
STAND_IN_TYPES = {int: "bigint", str: "text"}

# At most this many statements are kept prepared on a connection: past it they are all let go and prepared again
# as they are used (each holds its plan in the database server's memory).
KEPT_UP_TO = 100
_TOKENS = re.compile(r"(%%|%s)")


def _reset() -> None:
    # It fails only in a transaction that has already failed, which undoes the SET as it rolls back.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("RESET plan_cache_mode")


def _enabled() -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)


# --- Querysets compiled once ----------------------------------------------------------------------------------
#
# Building a queryset through the ORM and compiling it cost the caseload more than running it (10 ms of the 18 ms
# a page took in Python at 200,000 people: two dozen annotations, a CASE of the stage rule, the filters). Its SQL
# depends only on the shape of what is asked (the user's role and number of care teams, the day, the filters and
# sort chosen, the page), so it is compiled once a process for each shape with stand-in ids, as the work trays'
# UNION is, and its rows read into the queryset's own objects (its iterable class: model instances with their
# annotations and select_related rows) without building it again.


@dataclass(frozen=True)
class Compiled:
    """A queryset's statement and its compiler as compiled once: the compiler knows what each column of the SQL
    is, so rows read by the statement become the objects the queryset itself would give."""

    statement: Statement
    compiler: object  # the ORM's SQLCompiler after as_sql (select, klass_info, annotations)
    iterable_class: type
    model: type
    db: str

    @classmethod
    def of(cls, queryset, stand_ins: Collection[int]) -> "Compiled | None":
        """None when the queryset (or With) can match nothing (the ORM raises EmptyResultSet: a filter on no ids)."""
        compiled = _compile(queryset)
        if compiled is None:
            return None
        compiler, sql, params = compiled
        queryset = queryset.then if isinstance(queryset, With) else queryset
        return cls(
            Statement.of(sql, params, stand_ins), compiler, queryset._iterable_class, queryset.model, queryset.db
        )

    def objects(self, values: dict, *, prepare: bool) -> list:
        """The rows for these values of the stand-ins, as the queryset's objects. prepare: run as a statement
        prepared once a connection with the generic plan (for a list whose best plan does not depend on the
        user); otherwise the SQL is sent as the ORM would send it, planned for these values."""
        compiler = copy.copy(self.compiler)  # the one compiled is shared; each read uses this thread's connection
        compiler.connection = connections[self.db]
        prepared = prepare and _enabled()
        if prepared:
            sql, params = self.statement.execute([values[stand_in] for stand_in in self.statement.stand_ins])
        else:
            sql, params = self.statement.plain(values)
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        try:
            return list(self.iterable_class(_Read(self, compiler)))
        finally:
            if prepared:
                _reset()

    def value(self, values: dict):
        """The first column of the first row (a count), planned for these values."""
        with connections[self.db].cursor() as cursor:
            cursor.execute(*self.statement.plain(values))
            return cursor.fetchone()[0]


class _Read:
    """What the ORM's iterable classes read of a queryset, with the compiler already made."""

    def __init__(self, compiled: Compiled, compiler):
        self.db = compiled.db
        self.model = compiled.model
        self._known_related_objects = {}
        self.query = _Query(compiler)


class _Query:
    def __init__(self, compiler):
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler


def counted(queryset, up_to: int):
    """A queryset's rows counted up to `up_to` as one SELECT COUNT(*), for `compiled`: only the ids, so the
    annotations a list shows are not worked out for the rows it counts."""
    return queryset.order_by().values("pk")[:up_to]


# Each shape's compiled querysets, newest used last; at most COMPILED_UP_TO a process.
COMPILED_UP_TO = 256
_compiled: OrderedDict = OrderedDict()
_compiled_lock = threading.Lock()


def compiled(key: Hashable, build: Callable[[], dict], stand_ins: Collection[int]) -> dict:
    """The querysets `build` gives (a dict of name: queryset, each for a user made of `stand_ins`), compiled once a
    process for `key`, which must hold everything their SQL depends on but the stand-ins' values (the day, the
    role, the number of care teams, the choices made). A name whose queryset can match nothing maps to None.
    A queryset named `count` is compiled as a COUNT(*) of its rows."""
    key = (connection.vendor, connection.alias, key)
    with _compiled_lock:
        found = _compiled.get(key)
        if found is not None:
            _compiled.move_to_end(key)
            return found
    made = {}
    for name, queryset in build().items():
        if name == "count":
            made[name] = _count_of(queryset, stand_ins)
        else:
            made[name] = Compiled.of(queryset, stand_ins)
    with _compiled_lock:
        _compiled[key] = made
        while len(_compiled) > COMPILED_UP_TO:
            _compiled.popitem(last=False)
    return made


@dataclass(frozen=True)
class With:
    """A queryset (`then`) read with another (`first`) before it as a common table expression, `name`, which `then`
    reads in RawSQL: one query where two would each find the same rows (a page's ids and how many there are)."""

    name: str
    first: object  # QuerySet
    then: object  # QuerySet


def _compile(queryset) -> tuple | None:
    """The queryset's compiler, SQL and parameters; None when it can match nothing (EmptyResultSet)."""
    if isinstance(queryset, With):
        first = _compile(queryset.first)
        then = _compile(queryset.then)
        if first is None or then is None:
            return None
        (_, first_sql, first_params), (compiler, sql, params) = first, then
        return compiler, f"WITH {queryset.name} AS MATERIALIZED ({first_sql}) {sql}", (*first_params, *params)
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    return compiler, sql, params


def _count_of(queryset, stand_ins) -> Compiled | None:
    compiled = _compile(queryset)
    if compiled is None:
        return None
    compiler, sql, params = compiled
    statement = Statement.of(f"SELECT COUNT(*) FROM ({sql}) counted", params, stand_ins)  # noqa: S608 (ORM's SQL)
    return Compiled(statement, compiler, tuple, queryset.model, queryset.db)


def forget_compiled() -> None:
    """Every queryset is compiled afresh from the next use on (tests that change what SQL a shape gives)."""
    with _compiled_lock:
        _compiled.clear()
