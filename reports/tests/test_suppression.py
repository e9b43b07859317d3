"""Small-number suppression: tables of cases with known answers, and a property over many tables that no
hidden figure can be worked out from the totals and the figures shown."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import MARKER, RULE, SMALLEST_SHOWN, Cell, CountTable, Why, figures, suppress, worked_out


def shown(table) -> list[list[str]]:
    """The table as a page shows it: each row's cells, then its total if shown; the column totals last."""
    rows = [
        [str(c) for c in row] + ([str(table.row_totals[r])] if table.row_totals else [])
        for r, row in enumerate(table.cells)
    ]
    if table.column_totals:
        rows.append([str(c) for c in table.column_totals] + ([str(table.grand_total)] if table.grand_total else []))
    return rows


def test_it_hides_counts_from_1_to_4_and_shows_0_and_5_and_more():
    table = suppress(CountTable([[0, 1, 2, 3, 4, 5, 6, 40]]))
    assert shown(table) == [["0", "*", "*", "*", "*", "5", "6", "40"]]
    assert {cell.why for cell in table.cells[0] if cell.hidden} == {Why.SMALL}
    assert table.secondary == frozenset()


def test_without_totals_nothing_more_is_hidden():
    assert shown(suppress(CountTable([[3, 10], [12, 20]]))) == [["*", "10"], ["12", "20"]]


def test_a_hidden_count_keeps_no_value_to_show():
    cell = suppress(CountTable([[3]])).cells[0][0]
    assert cell == Cell(None, Why.SMALL)
    assert str(cell) == MARKER


def test_a_row_whose_total_is_shown_hides_a_second_cell_the_smallest_of_the_rest():
    table = suppress(CountTable([[3, 10, 7]], row_totals=True))
    assert shown(table) == [["*", "10", "*", "20"]]
    assert table.secondary == {("cell", 0, 2)}
    assert table.cells[0][2].why == Why.SECONDARY


def test_a_column_whose_total_is_shown_hides_a_second_cell_too():
    table = suppress(CountTable([[3], [0], [0], [20]], column_totals=True))
    assert shown(table) == [["*"], ["0"], ["0"], ["*"], ["23"]]
    assert table.secondary == {("cell", 3, 0)}


def test_hidden_counts_that_add_up_to_less_than_5_in_a_row_with_a_total_get_another_hidden():
    # 12 less the 10 shown would say the two hidden counts add up to 2: so both would be 1.
    table = suppress(CountTable([[1, 1, 10, 0]], row_totals=True))
    assert shown(table) == [["*", "*", "*", "0", "12"]]
    assert table.secondary == {("cell", 0, 2)}


def test_a_0_is_shown_and_never_chosen_as_the_second_cell():
    # Hiding the 0 would protect nothing: 12 less 9 shown is still the hidden 3.
    table = suppress(CountTable([[3, 0, 9]], row_totals=True))
    assert shown(table) == [["*", "0", "*", "12"]]
    assert table.secondary == {("cell", 0, 2)}


def test_a_total_from_1_to_4_is_hidden_and_one_of_0_is_shown():
    table = suppress(CountTable([[3, 0, 0], [0, 0, 0], [6, 8, 0]], row_totals=True))
    assert shown(table) == [["*", "0", "0", "*"], ["0", "0", "0", "0"], ["6", "8", "0", "14"]]
    assert table.row_totals[0].why == Why.SMALL


def test_when_the_rest_of_a_row_is_0_its_total_is_hidden_instead():
    # Row 2: 6 is hidden to protect the 4 above it; 5 is the smallest beside it, then column 2 hides its total.
    table = suppress(CountTable([[4, 0], [6, 5]], row_totals=True, column_totals=True))
    assert shown(table)[0] == ["*", "0", "*"]
    assert table.cells[1][0].why == Why.SECONDARY
    assert table.secondary == {("cell", 1, 0), ("row total", 1)}


def test_rows_and_columns_are_checked_again_until_nothing_changes():
    # The 3 hides the 7 beside it (its row), the 6 below it (its column); then the 6's row hides the 8,
    # whose column hides the 10, and so on until every row and column hides none or two or more.
    table = suppress(CountTable([[3, 10, 7], [6, 8, 0], [12, 0, 9]], row_totals=True, column_totals=True))
    assert shown(table) == [
        ["*", "*", "*", "20"],
        ["*", "*", "0", "14"],
        ["*", "0", "*", "21"],
        ["21", "18", "16", "55"],
    ]
    assert len(table.secondary) == 6


def test_a_second_cell_is_chosen_where_it_also_mends_its_own_column():
    # Row 1 hides one (the 2): the 9 is not its smallest, but its column also hides only the 4, so the 9
    # mends both (the 6 would have left column 2 with its 4 alone). Row 2 likewise takes the 20 under the 2.
    table = suppress(CountTable([[2, 9, 6], [20, 4, 20]], row_totals=True, column_totals=True))
    assert table.secondary == {("cell", 0, 1), ("cell", 1, 0)}
    assert shown(table)[0] == ["*", "*", "6", "17"]


def small_ones(counts) -> set:
    return {("cell", r, c) for r, row in enumerate(counts) for c, n in enumerate(row) if 0 < n < SMALLEST_SHOWN}


def test_a_count_that_several_totals_together_give_away_gets_another_hidden():
    # Two blocks of four small counts, joined by the 2 in row 2, column 3: every row and column hides two or
    # more adding up to 5 or more, yet rows 1 and 2 less columns 1 and 2 leave that 2 alone. Another count is
    # hidden beside it.
    counts = [[3, 4, 10, 10], [4, 3, 2, 10], [10, 10, 3, 4], [10, 10, 4, 3]]
    assert worked_out(figures(CountTable(counts, True, True))[1], hidden=small_ones(counts)) == [("cell", 1, 2)]
    table = suppress(CountTable(counts, row_totals=True, column_totals=True))
    assert table.secondary == {("cell", 0, 2)}
    assert fixed_by_what_is_shown(CountTable(counts, row_totals=True, column_totals=True), table) == []


@pytest.mark.parametrize(
    "counts",
    [[[1, 2, 3]], [[]], [], [[0]]],
)
def test_any_shape_of_table_is_handled(counts):
    table = suppress(CountTable(counts, row_totals=True, column_totals=True))
    assert len(table.cells) == len(counts)


@pytest.mark.parametrize("counts", [[[1, 2], [3]], [[-1]], [[1.5]], [[True]]])
def test_a_table_that_is_not_counts_is_refused(counts):
    with pytest.raises(ValueError, match="count"):
        CountTable(counts)


def test_the_rule_on_the_page_states_the_numbers_it_uses():
    assert f"from 1 to {SMALLEST_SHOWN - 1}" in RULE
    assert f'"{MARKER}"' in RULE
    assert "never a 0" in RULE


# The property: over many tables, nothing hidden can be worked out.


def rank(rows: list[list[Fraction]]) -> int:
    """The rank of a matrix (Gaussian elimination over fractions): written here, apart from the module's own."""
    rows = [list(r) for r in rows]
    found = 0
    width = len(rows[0]) if rows else 0
    for c in range(width):
        pivot = next((r for r in range(found, len(rows)) if rows[r][c]), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        for r in range(found + 1, len(rows)):
            factor = rows[r][c] / rows[found][c]
            rows[r] = [x - factor * y for x, y in zip(rows[r], rows[found], strict=True)]
        found += 1
    return found


def fixed_by_what_is_shown(table: CountTable, result) -> list:
    """The hidden figures whose value follows exactly from the sums and the figures shown: x is fixed when
    adding "x" as one more equation does not raise the rank of the sums over the hidden figures."""
    _, sums = figures(table)
    hidden = sorted(place for place, cell in result.places().items() if cell.hidden)
    index = {p: i for i, p in enumerate(hidden)}
    matrix = []
    for total, parts in sums:
        row = [Fraction(0)] * len(hidden)
        for place, sign in [(total, 1), *((p, -1) for p in parts)]:
            if place in index:
                row[index[place]] += sign
        matrix.append(row)
    base = rank(matrix)
    fixed = []
    for place in hidden:
        alone = [Fraction(int(p == place)) for p in hidden]
        if rank([*matrix, alone]) == base:
            fixed.append(place)
    return fixed


small_counts = st.one_of(st.integers(0, 5), st.integers(0, 30))
tables = st.integers(1, 5).flatmap(
    lambda width: st.builds(
        CountTable,
        st.lists(st.lists(small_counts, min_size=width, max_size=width), min_size=1, max_size=5),
        row_totals=st.booleans(),
        column_totals=st.booleans(),
    )
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_hidden_figure_can_be_worked_out_from_the_totals_and_the_figures_shown(table):
    result = suppress(table)
    values, sums = figures(table)
    cells = result.places()
    assert set(cells) == set(values)
    for place, value in values.items():
        cell = cells[place]
        if 0 < value < SMALLEST_SHOWN:
            assert cell.hidden and cell.why == Why.SMALL, place
        if value == 0:
            assert not cell.hidden, place
        if not cell.hidden:
            assert cell.value == value, place
    # Every row or column with a shown total hides none of its figures, or two or more adding up to 5 or more.
    for total, parts in sums:
        if not cells[total].hidden:
            hidden = [p for p in parts if cells[p].hidden]
            assert len(hidden) != 1, (total, parts)
            assert not hidden or sum(values[p] for p in hidden) >= SMALLEST_SHOWN, (total, parts)
    # And no combination of the totals gives one away.
    assert fixed_by_what_is_shown(table, result) == []
