"""Pages of a list, at any size, in two queries: the rows and a capped count.

Django's Paginator counts every row the list could show before it shows any; for a PHB team member
who sees 200,000 people that count scans the table on every page. Here a page fetches one row more
than it shows (so it knows whether there is a next page) and counts at most COUNT_UP_TO + 1 rows
(so a long list says "more than 1,000" rather than counting them all). Every list page uses this, so
no page's HTML grows with the data (tests/test_page_queries.py renders every list for a user who
sees everyone and checks the size and the rows).
"""

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, F, IntegerField, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL

from phb import prepared

PAGE_SIZE = 25
COUNT_UP_TO = 1000


@dataclass
class Page:
    object_list: list
    number: int
    size: int
    has_next: bool
    count: int  # exact when not count_capped, otherwise COUNT_UP_TO
    count_capped: bool
    params: dict = field(default_factory=dict)  # the list's other query-string values, kept on every link

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        """How many pages there are, or None when the count was capped."""
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.size))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.object_list)

    def _link(self, number: int) -> str:
        return "?" + urlencode({**self.params, "page": number})

    @property
    def previous_link(self) -> str:
        return self._link(self.number - 1)

    @property
    def next_link(self) -> str:
        return self._link(self.number + 1)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)


def page_number(value) -> int:
    """The page asked for in the query string; anything that is not a page number is page 1."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 100_000 else 1


def page_of(
    queryset: QuerySet,
    number,
    *,
    size: int = PAGE_SIZE,
    params: dict | None = None,
    counted: bool = True,
    ids_first: bool = False,
) -> Page:
    """One page of an ordered queryset; a page past the end shows page 1. params: the filters to keep.
    counted=False: no count at all (a page that shows only "earlier" and "later" links); count is 0.
    ids_first: the page's ids are found first, in order, and only then its rows with all they show (a query more):
    for a search that matches thousands, PostgreSQL then joins and works out 26 rows rather than sorting every
    match with all its columns (the caseload's search by name at 200,000 people: 10 ms rather than 30 to 50)."""
    number = page_number(number)

    def read(start: int, stop: int) -> list:
        if not ids_first:
            return list(queryset[start:stop])
        ids = list(queryset.values_list("pk", flat=True)[start:stop])
        return list(queryset.filter(pk__in=ids)) if ids else []

    rows = read((number - 1) * size, number * size + 1)
    if not rows and number > 1:
        number = 1
        rows = read(0, size + 1)
    # Counted even when the whole list is on this page, so a page runs the same queries at any size.
    # Only the ids are counted: annotations the list shows (a plan's total, say) are not worked out for up
    # to a thousand rows just to count them.
    total = prepared.counted(queryset, COUNT_UP_TO + 1).count() if counted else 0
    return _page(rows, number, size, total, params)


def page_compiled(
    key: Hashable,
    build: Callable[[], QuerySet],
    number,
    *,
    stand_ins: Collection[int],
    values: dict,
    size: int = PAGE_SIZE,
    params: dict | None = None,
    counted: bool = True,
    prepare: bool = False,
    narrow: bool = False,
    count_with_rows: bool = False,
) -> Page:
    """page_of for a list whose queryset is built and compiled once a process for each shape of ask
    (phb.prepared.compiled), not on every request: `build()` gives the list's queryset for a user made of
    `stand_ins` (ids no row has), `values` maps them to the user's own, and `key` holds everything else the SQL
    depends on (the day, the role, the number of care teams, the filters and sort chosen). Free text (a search)
    does not belong in a key: each text would be compiled and kept. prepare: the page's rows are read by a
    statement prepared once a connection with the generic plan, planned once for every user alike (phb.prepared):
    for a list whose best plan does not depend on whose it is. narrow: the page's ids are found in a subquery that
    reads only what the list's filters and order need, and only those rows are read with all they show, in the
    same query: for a list that must work out its order for every row it could show (a team of 600 sorted by
    stage: the rows' statement took 1.8 ms rather than 5.7, PostgreSQL reading the team's names from an index
    alone and working out the money flags and the lead coordinator for 26 people, not 600). count_with_rows (with
    narrow): the list is counted by the query that finds the page's ids, for a list that reads every row it could
    show to order them anyway (a search by name): a query less, and its rows not read twice; never for one that
    can stop early (a long list in the order of an index), which the count alone, capped, reads less of."""
    number = page_number(number)

    def made(number: int) -> dict:
        def pieces() -> dict:
            queryset = build()
            start, stop = (number - 1) * size, number * size + 1
            if narrow and counted and count_with_rows:
                return {"rows": _rows_and_total(queryset, start, stop)}
            if narrow:
                found = {"rows": queryset.filter(pk__in=Subquery(queryset.values("pk")[start:stop]))}
            else:
                found = {"rows": queryset[start:stop]}
            if counted:
                found["count"] = prepared.counted(queryset, COUNT_UP_TO + 1)
            return found

        return prepared.compiled((key, number, size, counted), pieces, stand_ins)

    def read(found: dict) -> list:
        return found["rows"].objects(values, prepare=prepare) if found["rows"] else []

    found = made(number)
    rows = read(found)
    if not rows and number > 1:
        number = 1
        found = made(number)
        rows = read(found)
    if not counted:
        total = 0
    elif "count" in found:
        total = found["count"].value(values) if found["count"] else 0
    else:  # counted with the rows
        total = rows[0].phb_total if rows else 0
    return _page(rows, number, size, total, params)


# The page's ids and how many rows the list has, found once before the page's rows are read (count_with_rows).
PAGE_FOUND = "phb_page"


def _rows_and_total(queryset: QuerySet, start: int, stop: int) -> prepared.With:
    """The page's rows, each with `phb_total`: how many rows the whole list has, counted by the query that finds the
    page's ids (COUNT(*) OVER ()), so a list that must read every row it could show to order them (a search's
    matches, sorted by name) does not read them all again to count them."""
    first = queryset.values(phb_id=F("pk")).annotate(phb_total=Window(Count("pk")))[start:stop]
    ids = RawSQL(f"SELECT phb_id FROM {PAGE_FOUND}", ())  # noqa: S611, S608 (names of our own)
    total = RawSQL(f"(SELECT phb_total FROM {PAGE_FOUND} LIMIT 1)", (), output_field=IntegerField())  # noqa: S611, S608
    then = queryset.filter(pk__in=ids).annotate(phb_total=total)
    return prepared.With(PAGE_FOUND, first, then)


def _page(rows: list, number: int, size: int, total: int, params: dict | None) -> Page:
    capped = total > COUNT_UP_TO
    total = min(total, COUNT_UP_TO)
    kept = {key: value for key, value in (params or {}).items() if key != "page" and value not in ("", None)}
    return Page(
        object_list=rows[:size],
        number=number,
        size=size,
        has_next=len(rows) > size,
        count=total,
        count_capped=capped,
        params=kept,
    )
