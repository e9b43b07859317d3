"""Small database helpers that work on PostgreSQL (production, tests) and SQLite (`make run`)."""

from django.db.models import Aggregate, CharField


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
