"""Rows into PostgreSQL with COPY: the fast path the generator writes every table through.

A `Table` collects rows as COPY text lines in memory and sends them with `copy_expert`. Its columns are
the model's own (read from `_meta`), so a field added to a model later either gets its default (a constant,
or a callable called once) or, when it has none, stops the generator with the field's name rather than
loading rows the application cannot read. Triggers stay enabled: COPY fires them like any INSERT.
"""

import datetime
import decimal
import io
import json
import uuid
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.db.models.fields import AutoFieldMixin

NULL = "\\N"


def text(value: str) -> str:
    """A string as COPY text format needs it (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _json(value) -> str:
    return text(json.dumps(value, separators=(", ", ": ")))


_FORMATS = {
    type(None): lambda value: NULL,
    str: text,
    bool: lambda value: "t" if value else "f",
    int: str,
    decimal.Decimal: str,
    uuid.UUID: str,
    datetime.date: datetime.date.isoformat,
    datetime.datetime: datetime.datetime.isoformat,
    bytes: lambda value: "\\\\x" + value.hex(),
    dict: _json,
    list: _json,
}


def cell(value) -> str:
    """Any value the generator writes, as one COPY cell."""
    format_ = _FORMATS.get(type(value))
    if format_ is not None:
        return format_(value)
    if type(value) is Json:
        return text(value.encoded)
    if isinstance(value, str):  # a TextChoices member: its str() is its value
        return text(str(value))
    raise TypeError(f"seed_scale cannot write a {type(value).__name__} into a COPY row")


class Json:
    """JSON already encoded (the generator builds the large budget documents from cached pieces)."""

    __slots__ = ("encoded",)

    def __init__(self, encoded: str):
        self.encoded = encoded


def random_uuid(rng) -> str:
    """A version-4 UUID from the seeded generator, as text: the same as str(uuid.UUID(int=..., version=4))."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _default_cell(field: models.Field) -> str:
    if field.has_default():
        default = field.default() if callable(field.default) else field.default
        return cell(field.get_db_prep_save(default, connection))
    if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED or field.null:
        return NULL
    raise RuntimeError(
        f"seed_scale does not fill {field.model._meta.label}.{field.name}, which has no default. "
        "Add it to the generator in scale/."
    )


class Table:
    """Rows for one table, as COPY lines. `add` takes the values in the order of `fields`."""

    def __init__(self, model: type[models.Model], fields: list[str], *, numbered: bool = False):
        """`numbered`: the table's integer id is given here, counting on in `counter` (a one-item list,
        shared by every Table of the same table), so rows get the same ids whichever connection writes them."""
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.numbered = numbered
        self.counter = [0]
        self.columns = (["id"] if numbered else []) + [meta.get_field(name).column for name in fields]
        extra = [
            f
            for f in meta.concrete_fields
            if f.column not in self.columns and not (f.primary_key and isinstance(f, AutoFieldMixin))
        ]
        self.columns += [f.column for f in extra]
        self.suffix = "".join("\t" + _default_cell(f) for f in extra)
        self.lines: list[str] = []

    def add(self, *values) -> None:
        self.add_cells("\t".join([cell(v) for v in values]))

    def add_cells(self, cells: str) -> None:
        """A row already joined into COPY cells (for the hottest tables)."""
        if self.numbered:
            cells = f"{self.counter[0]}\t{cells}"
            self.counter[0] += 1
        self.lines.append(cells + self.suffix)

    def __len__(self) -> int:
        return len(self.lines)

    def take(self) -> "Copy | None":
        """The rows so far as one COPY (empty afterwards), or None if there are none."""
        if not self.lines:
            return None
        self.lines.append("")
        columns = ", ".join(f'"{column}"' for column in self.columns)
        copy = Copy(self.name, f'COPY "{self.name}" ({columns}) FROM STDIN', "\n".join(self.lines), len(self.lines) - 1)
        self.lines = []
        return copy

    def flush(self, cursor) -> int:
        copy = self.take()
        return copy.send(cursor) if copy else 0


@dataclass(frozen=True)
class Copy:
    """Rows ready to send (plain data, so a generator process can hand it to the one writing)."""

    table: str
    statement: str
    rows: str
    count: int

    def send(self, cursor) -> int:
        cursor.copy_expert(self.statement, io.StringIO(self.rows))
        return self.count


def m2m_table(model: type[models.Model], name: str):
    """The through model of a many-to-many field, for a Table."""
    return model._meta.get_field(name).remote_field.through


def next_id(model: type[models.Model]) -> int:
    """The first free integer id of a table (its ids are given by the generator, so runs are reproducible)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608 (a model's table)
        return cursor.fetchone()[0]


def reset_sequence(model: type[models.Model]) -> None:
    """After rows were given their ids, the table's own sequence continues after the largest."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM "  # noqa: S608
            f'"{table}"), 1))',
            [table],
        )
