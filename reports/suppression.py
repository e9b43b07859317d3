"""Small-number suppression for a table of counts, as NHS statistics publish them (pure: no database).

A count from 1 to 4 could point to someone, so it is hidden (shown as MARKER); a 0 is shown. A total from
1 to 4 is hidden too. A total that is shown must not give a hidden count away, so wherever a row's or a
column's total is shown and exactly one count in that row or column is hidden, a second one is hidden as
well: the smallest count still shown in that row or column that is not 0, preferring one whose other line
(its column, or its row) also needs one, so one more hidden figure mends two lines. The same is done while the
counts hidden in a row or column with a shown total add up to less than 5: the total less the counts shown
is their sum, and a small sum gives people away too (two hidden counts adding up to 2 are both 1). A 0 is
never chosen: everyone can see a 0 could be hidden beside a small number, so hiding it protects nothing
(the total less the counts shown is still the small number). When a row or column has nothing left to hide
but zeros, its total is hidden instead. This is repeated, rows and columns, until nothing changes.

Then a last check, because a hidden count can sometimes be worked out from several totals together even
when every row and column hides 0 or 2 or more (two groups of hidden counts joined by a single hidden count,
for one): the shown totals and counts are written as equations and any hidden count they fix exactly gets
another count hidden beside it, and the rows and columns are checked again. This protects exact values and
small sums within a row or column; like NHS statistics it does not hide the range a hidden count must lie in,
and a small sum of hidden counts that only several rows and columns together give is not looked for.

`suppress(CountTable(...))` gives a `ShownTable` of the same shape: each cell a `Cell` whose value is None
when hidden, with why (`Why.SMALL` or `Why.SECONDARY`); the hidden values are not kept, so a page cannot show
them by mistake.
"""

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

MARKER = "*"
# Counts from 1 up to (not including) this are hidden.
SMALLEST_SHOWN = 5

RULE = (
    f"To protect people's privacy, any number from 1 to {SMALLEST_SHOWN - 1} is not shown and appears as "
    f'"{MARKER}". A 0 is shown. Totals from 1 to {SMALLEST_SHOWN - 1} are hidden too. Where a row or column '
    "has a total and only one number in it is hidden, a second number in it is hidden as well, so the hidden "
    "number cannot be worked out by taking the others from the total; and more are hidden until the hidden "
    f"numbers in such a row or column add up to {SMALLEST_SHOWN} or more. We hide the smallest one, never a 0, "
    "choosing first one whose own row or column needs one too, so that one more hidden number protects both. "
    "If the others are all 0, the total is hidden instead. This is repeated until no hidden number can be "
    "worked out from the totals and the numbers shown."
)


class Why(StrEnum):
    SMALL = "small"  # from 1 to SMALLEST_SHOWN - 1
    SECONDARY = "secondary"  # hidden so that a total cannot give a small number away


@dataclass(frozen=True)
class Cell:
    """A count as shown: its value, or None when hidden (and why)."""

    value: int | None
    why: Why | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return MARKER if self.value is None else str(self.value)


@dataclass(frozen=True)
class CountTable:
    """Counts in rows and columns, and which totals the page shows: each row's, each column's (and, when both,
    the grand total)."""

    counts: tuple[tuple[int, ...], ...]
    row_totals: bool = False
    column_totals: bool = False

    def __post_init__(self):
        object.__setattr__(self, "counts", tuple(tuple(row) for row in self.counts))
        widths = {len(row) for row in self.counts}
        if len(widths) > 1:
            raise ValueError("Every row of a table must have the same number of counts")
        for row in self.counts:
            for count in row:
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    raise ValueError(f"A count must be a whole number, 0 or more: {count!r}")

    @property
    def width(self) -> int:
        return len(self.counts[0]) if self.counts else 0


# Where a figure sits: ("cell", row, column), ("row total", row), ("column total", column), ("grand total",).
Place = tuple


@dataclass(frozen=True)
class ShownTable:
    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...] | None = None
    column_totals: tuple[Cell, ...] | None = None
    grand_total: Cell | None = None

    def places(self) -> dict[Place, Cell]:
        found = {("cell", r, c): cell for r, row in enumerate(self.cells) for c, cell in enumerate(row)}
        found |= {("row total", r): cell for r, cell in enumerate(self.row_totals or ())}
        found |= {("column total", c): cell for c, cell in enumerate(self.column_totals or ())}
        if self.grand_total is not None:
            found[("grand total",)] = self.grand_total
        return found

    @property
    def secondary(self) -> frozenset[Place]:
        """The figures hidden only so that a total cannot give a small number away."""
        return frozenset(place for place, cell in self.places().items() if cell.why == Why.SECONDARY)


def figures(table: CountTable) -> tuple[dict[Place, int], list[tuple[Place, list[Place]]]]:
    """Every figure the table shows (counts and totals) by place, and the sums tying them: (total, its parts)."""
    values = {("cell", r, c): n for r, row in enumerate(table.counts) for c, n in enumerate(row)}
    rows, columns = range(len(table.counts)), range(table.width)
    sums = []
    if table.row_totals:
        for r in rows:
            values[("row total", r)] = sum(table.counts[r])
            sums.append((("row total", r), [("cell", r, c) for c in columns]))
    if table.column_totals:
        for c in columns:
            values[("column total", c)] = sum(row[c] for row in table.counts)
            sums.append((("column total", c), [("cell", r, c) for r in rows]))
    if table.row_totals and table.column_totals:
        values[("grand total",)] = sum(map(sum, table.counts))
        sums.append((("grand total",), [("row total", r) for r in rows]))
        sums.append((("grand total",), [("column total", c) for c in columns]))
    return values, sums


def suppress(table: CountTable) -> ShownTable:
    values, sums = figures(table)
    order = list(values)  # ties go to the first in reading order
    why = {place: Why.SMALL for place, n in values.items() if 0 < n < SMALLEST_SHOWN}

    def exposed(total: Place, parts: list[Place]) -> bool:
        """Whether a sum gives a hidden figure away: it hides exactly one, or its total is shown and the
        figures it hides add up to a small number (two hidden figures adding up to 2 are both 1)."""
        hidden = [p for p in [total, *parts] if p in why]
        return len(hidden) == 1 or (
            bool(hidden) and total not in why and 0 < sum(values[p] for p in hidden) < SMALLEST_SHOWN
        )

    def mends_another(place: Place, fixing: int) -> bool:
        """Whether another sum through this figure gives a hidden figure away too (hiding it mends both)."""
        return any(
            i != fixing and place in (total, *parts) and exposed(total, parts) for i, (total, parts) in enumerate(sums)
        )

    def smallest_shown(places: list[Place], fixing: int | None = None) -> Place | None:
        candidates = [p for p in places if p not in why and values[p] > 0]
        return min(candidates, key=lambda p: (not mends_another(p, fixing), values[p], order.index(p)), default=None)

    while True:
        changed = False
        for i, (total, parts) in enumerate(sums):
            if exposed(total, parts):
                # Hidden figures are never 0, so hidden parts leave a total above 0 to hide when the other
                # parts are all 0, and a lone hidden total has a part above 0 still shown.
                second = smallest_shown(parts, i) or smallest_shown([total], i)
                why[second] = Why.SECONDARY
                changed = True
        if changed:
            continue
        fixed = worked_out(sums, hidden=set(why))
        if not fixed:
            break
        why[_protect(fixed[0], values, sums, why, smallest_shown, order)] = Why.SECONDARY

    def shown(place: Place) -> Cell:
        return Cell(None, why[place]) if place in why else Cell(values[place])

    height, width = len(table.counts), table.width
    both = table.row_totals and table.column_totals
    return ShownTable(
        cells=tuple(tuple(shown(("cell", r, c)) for c in range(width)) for r in range(height)),
        row_totals=tuple(shown(("row total", r)) for r in range(height)) if table.row_totals else None,
        column_totals=tuple(shown(("column total", c)) for c in range(width)) if table.column_totals else None,
        grand_total=shown(("grand total",)) if both else None,
    )


def _protect(place: Place, values, sums, why, smallest_shown, order) -> Place:
    """The figure to hide next so that `place` can no longer be worked out: of those shown beside it in a sum,
    the smallest that does it alone; failing that the smallest beside it, or in the whole table."""
    beside = [p for total, parts in sums if place in (total, *parts) for p in (total, *parts)]
    candidates = sorted(
        {p for p in beside if p not in why and values[p] > 0}, key=lambda p: (values[p], order.index(p))
    )
    for candidate in candidates:
        if place not in worked_out(sums, hidden=set(why) | {candidate}):
            return candidate
    fallback = candidates[0] if candidates else smallest_shown(order)
    # With every figure above 0 hidden, no hidden figure is fixed (scaling them all keeps every sum true).
    assert fallback is not None, "a hidden figure is fixed with nothing left to hide"
    return fallback


def worked_out(sums: list[tuple[Place, list[Place]]], *, hidden: set[Place]) -> list[Place]:
    """The hidden figures whose exact value follows from the shown ones: x is fixed exactly when the sums,
    with the shown figures moved to the other side, combine to "x = a number", that is when the reduced
    row echelon form of the sums over the hidden figures has a row that is x alone."""
    unknowns = sorted({p for total, parts in sums for p in (total, *parts) if p in hidden})
    column = {p: i for i, p in enumerate(unknowns)}
    matrix = []
    for total, parts in sums:
        row = [Fraction(0)] * len(unknowns)
        for p, sign in [(total, 1), *((p, -1) for p in parts)]:
            if p in column:
                row[column[p]] += sign
        if any(row):
            matrix.append(row)
    reduced = _row_reduce(matrix, len(unknowns))
    return [unknowns[row.index(1)] for row in reduced if sum(1 for x in row if x) == 1]


def _row_reduce(matrix: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    rows = [list(row) for row in matrix]
    lead = 0
    for c in range(width):
        pivot = next((r for r in range(lead, len(rows)) if rows[r][c] != 0), None)
        if pivot is None:
            continue
        rows[lead], rows[pivot] = rows[pivot], rows[lead]
        rows[lead] = [x / rows[lead][c] for x in rows[lead]]
        for r in range(len(rows)):
            if r != lead and rows[r][c] != 0:
                factor = rows[r][c]
                rows[r] = [x - factor * y for x, y in zip(rows[r], rows[lead], strict=True)]
        lead += 1
    return rows[:lead]
