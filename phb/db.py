"""Small database helpers that work on PostgreSQL (production, tests) and SQLite (`make run`)."""

from dataclasses import dataclass

from django.db.models import Aggregate, CharField, IntegerField, QuerySet, Subquery

# Counts beside a link or in a banner stop here ("99+"): each then costs at most a hundred rows, whatever the
# size of what it counts. Lists count further (phb.pagination.COUNT_UP_TO).
TALLY_UP_TO = 99


class IdList(Aggregate):
    """The ids of a to-many relation as one comma-separated string, so a page can read a row and the ids it
    links to in one query: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite. Read it with ids_from()."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s::text, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)")


def ids_from(value: str | None) -> list[str]:
    """The ids in an IdList value, as strings ([] for a row that links to nothing)."""
    return [part for part in (value or "").split(",") if part]


class CountUpTo(Subquery):
    """How many rows a queryset has, counting at most up_to + 1 (so a count past the cap can say "99+"), as a
    scalar subquery to select beside anything else."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"

    def __init__(self, queryset: QuerySet, up_to: int = TALLY_UP_TO):
        super().__init__(queryset.order_by().values("pk")[: up_to + 1], output_field=IntegerField())


@dataclass(frozen=True)
class Tally:
    """A count from CountUpTo as a page shows it: "99+" past the cap."""

    value: int
    up_to: int = TALLY_UP_TO

    def __str__(self) -> str:
        return f"{self.up_to:,}+" if self.value > self.up_to else f"{self.value:,}"

    def __bool__(self) -> bool:
        return self.value > 0

    @property
    def cap(self) -> int:
        return self.up_to
