"""Financial-year quarters (pure: no database)."""

import datetime

import pytest

from reports.quarters import Quarter, last_finished, recent

D = datetime.date


@pytest.mark.parametrize(
    ("number", "start", "end", "label"),
    [
        (1, D(2026, 4, 1), D(2026, 6, 30), "Q1 2026-27: April to June 2026"),
        (2, D(2026, 7, 1), D(2026, 9, 30), "Q2 2026-27: July to September 2026"),
        (3, D(2026, 10, 1), D(2026, 12, 31), "Q3 2026-27: October to December 2026"),
        (4, D(2027, 1, 1), D(2027, 3, 31), "Q4 2026-27: January to March 2027"),
    ],
)
def test_each_quarter_has_its_months_first_and_last_day_and_label(number, start, end, label):
    quarter = Quarter(2026, number)
    assert (quarter.start, quarter.end, quarter.label, str(quarter)) == (start, end, label, label)
    assert quarter.year_start == D(2026, 4, 1)


def test_a_year_ending_in_a_new_century_is_written_with_two_digits():
    assert Quarter(2099 - 1, 4).financial_year == "2098-99"
    assert Quarter(2009, 1).code == "2009-10-q1"


def test_the_code_in_a_query_string_reads_back_to_the_same_quarter():
    for number in range(1, 5):
        quarter = Quarter(2026, number)
        assert Quarter.from_code(quarter.code) == quarter
    assert Quarter(2026, 1).code == "2026-27-q1"
    assert Quarter.from_code(" 2026-27-Q3 ") == Quarter(2026, 3)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "for example 2026-27-q1"),
        ("2026-q1", "for example 2026-27-q1"),
        ("2026-27-q5", "quarters 1 to 4"),
        ("2026-27-q0", "quarters 1 to 4"),
        ("2026-28-q1", "write 2026-27-q1"),
        ("1999-00-q1", "from 2000"),
        ("2026-27-q1; drop table", "is not a quarter"),
        ("<script>", "is not a quarter"),
    ],
)
def test_anything_but_a_quarter_code_is_refused_in_plain_words(code, words):
    with pytest.raises(ValueError, match=words):
        Quarter.from_code(code)


def test_a_quarter_number_outside_1_to_4_is_refused():
    with pytest.raises(ValueError, match="quarters 1 to 4"):
        Quarter(2026, 5)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (D(2026, 3, 31), Quarter(2025, 4)),
        (D(2026, 4, 1), Quarter(2026, 1)),
        (D(2026, 6, 30), Quarter(2026, 1)),
        (D(2026, 7, 1), Quarter(2026, 2)),
        (D(2026, 12, 1), Quarter(2026, 3)),
        (D(2027, 1, 1), Quarter(2026, 4)),
        (D(2028, 2, 29), Quarter(2027, 4)),
    ],
)
def test_the_quarter_containing_a_day_starts_on_or_before_it_and_ends_on_or_after_it(day, quarter):
    assert Quarter.containing(day) == quarter
    assert day in quarter and quarter.start <= day <= quarter.end


def test_the_quarter_before_q1_is_q4_of_the_year_before_and_the_one_after_q4_is_q1_of_the_next():
    assert Quarter(2026, 1).previous == Quarter(2025, 4)
    assert Quarter(2025, 4).next == Quarter(2026, 1)
    assert Quarter(2026, 3).previous == Quarter(2026, 2)
    assert Quarter(2025, 4).end + datetime.timedelta(days=1) == Quarter(2026, 1).start


def test_the_chooser_lists_the_current_quarter_and_those_before_it_newest_first():
    quarters = recent(D(2026, 12, 1), count=5)
    assert [q.code for q in quarters] == ["2026-27-q3", "2026-27-q2", "2026-27-q1", "2025-26-q4", "2025-26-q3"]
    assert len(recent(D(2026, 12, 1))) == 8
    assert last_finished(D(2026, 12, 1)) == Quarter(2026, 2)
    assert last_finished(D(2026, 4, 1)) == Quarter(2025, 4)


def test_quarters_sort_in_time_order():
    assert sorted([Quarter(2026, 1), Quarter(2025, 4), Quarter(2026, 3)]) == [
        Quarter(2025, 4),
        Quarter(2026, 1),
        Quarter(2026, 3),
    ]
