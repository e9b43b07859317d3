"""The payment schedule: table tests of named cases, then properties that hold for any plan year.

Pure functions over plain values: no database.
"""

import datetime
from collections import Counter
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careplans.rules import MoneyOption, PaymentFrequency, payment_for
from payments.periods import ONE_DAY, periods, plan_year_end
from payments.rules import (
    LINE_KIND_LABELS,
    LINE_STATUS_LABELS,
    Contingency,
    Line,
    LineKind,
    LineStatus,
    OneOff,
    ScheduleFacts,
    Stream,
    facts_problems,
    money_before,
    money_from,
    recalculate,
    resume,
    schedule,
    settle,
    split_line,
    suspend,
)

D = Decimal
DP, NOTIONAL, THIRD_PARTY = MoneyOption.DIRECT_PAYMENT, MoneyOption.NOTIONAL, MoneyOption.THIRD_PARTY
FOUR_WEEKLY, MONTHLY = PaymentFrequency.FOUR_WEEKLY, PaymentFrequency.MONTHLY
PAID, HELD, SCHEDULED = LineStatus.PAID, LineStatus.HELD, LineStatus.SCHEDULED


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def direct_payment(annual: str, start: str, frequency=MONTHLY, **more) -> ScheduleFacts:
    """A plan whose money is one direct payment of `annual` a year."""
    return ScheduleFacts(start=day(start), frequency=frequency, streams=(Stream(DP, D(annual)),), **more)


def rows(lines) -> list[str]:
    """Each line as "first day..last day amount", with " *" when it carries a note."""
    return [f"{line.period_start}..{line.period_end} {line.amount}{' *' if line.note else ''}" for line in lines]


def expected(text: str) -> list[str]:
    return [row.strip() for row in text.strip().splitlines()]


def total(lines) -> Decimal:
    return sum((line.amount for line in lines), D("0.00"))


# --- the schedule, case by case ----------------------------------------------------------------------

SCHEDULES = [
    pytest.param(
        direct_payment("12000.00", "2025-04-01"),
        """
        2025-04-01..2025-04-30 1000.00
        2025-05-01..2025-05-31 1000.00
        2025-06-01..2025-06-30 1000.00
        2025-07-01..2025-07-31 1000.00
        2025-08-01..2025-08-31 1000.00
        2025-09-01..2025-09-30 1000.00
        2025-10-01..2025-10-31 1000.00
        2025-11-01..2025-11-30 1000.00
        2025-12-01..2025-12-31 1000.00
        2026-01-01..2026-01-31 1000.00
        2026-02-01..2026-02-28 1000.00
        2026-03-01..2026-03-31 1000.00
        """,
        id="monthly from the 1st: twelve payments of a twelfth",
    ),
    pytest.param(
        direct_payment("12000.00", "2025-04-01", FOUR_WEEKLY),
        # 12,000 × 28/365 = 920.547… → 920.55; the 365th day is 12,000/365 = 32.876… → 32.88, less the 3p
        # that rounding the thirteen payments up added.
        """
        2025-04-01..2025-04-28 920.55
        2025-04-29..2025-05-26 920.55
        2025-05-27..2025-06-23 920.55
        2025-06-24..2025-07-21 920.55
        2025-07-22..2025-08-18 920.55
        2025-08-19..2025-09-15 920.55
        2025-09-16..2025-10-13 920.55
        2025-10-14..2025-11-10 920.55
        2025-11-11..2025-12-08 920.55
        2025-12-09..2026-01-05 920.55
        2026-01-06..2026-02-02 920.55
        2026-02-03..2026-03-02 920.55
        2026-03-03..2026-03-30 920.55
        2026-03-31..2026-03-31 32.85 *
        """,
        id="4-weekly over 365 days: thirteen payments and one day, the rounding on the last",
    ),
    pytest.param(
        direct_payment("6000.00", "2025-01-31"),
        """
        2025-01-31..2025-02-27 500.00
        2025-02-28..2025-03-30 500.00
        2025-03-31..2025-04-29 500.00
        2025-04-30..2025-05-30 500.00
        2025-05-31..2025-06-29 500.00
        2025-06-30..2025-07-30 500.00
        2025-07-31..2025-08-30 500.00
        2025-08-31..2025-09-29 500.00
        2025-09-30..2025-10-30 500.00
        2025-10-31..2025-11-29 500.00
        2025-11-30..2025-12-30 500.00
        2025-12-31..2026-01-30 500.00
        """,
        id="monthly from the 31st: the last day of shorter months, then the 31st again",
    ),
    pytest.param(
        direct_payment("6000.00", "2023-11-30"),
        """
        2023-11-30..2023-12-29 500.00
        2023-12-30..2024-01-29 500.00
        2024-01-30..2024-02-28 500.00
        2024-02-29..2024-03-29 500.00
        2024-03-30..2024-04-29 500.00
        2024-04-30..2024-05-29 500.00
        2024-05-30..2024-06-29 500.00
        2024-06-30..2024-07-29 500.00
        2024-07-30..2024-08-29 500.00
        2024-08-30..2024-09-29 500.00
        2024-09-30..2024-10-29 500.00
        2024-10-30..2024-11-29 500.00
        """,
        id="monthly from the 30th: 29 February in a leap year, then the 30th again",
    ),
    pytest.param(
        direct_payment("6000.00", "2025-01-29"),
        """
        2025-01-29..2025-02-27 500.00
        2025-02-28..2025-03-28 500.00
        2025-03-29..2025-04-28 500.00
        2025-04-29..2025-05-28 500.00
        2025-05-29..2025-06-28 500.00
        2025-06-29..2025-07-28 500.00
        2025-07-29..2025-08-28 500.00
        2025-08-29..2025-09-28 500.00
        2025-09-29..2025-10-28 500.00
        2025-10-29..2025-11-28 500.00
        2025-11-29..2025-12-28 500.00
        2025-12-29..2026-01-28 500.00
        """,
        id="monthly from the 29th: 28 February in a common year, then the 29th again",
    ),
    pytest.param(
        direct_payment("1234.56", "2025-12-01"),
        """
        2025-12-01..2025-12-31 102.88
        2026-01-01..2026-01-31 102.88
        2026-02-01..2026-02-28 102.88
        2026-03-01..2026-03-31 102.88
        2026-04-01..2026-04-30 102.88
        2026-05-01..2026-05-31 102.88
        2026-06-01..2026-06-30 102.88
        2026-07-01..2026-07-31 102.88
        2026-08-01..2026-08-31 102.88
        2026-09-01..2026-09-30 102.88
        2026-10-01..2026-10-31 102.88
        2026-11-01..2026-11-30 102.88
        """,
        id="a year boundary: December into the next calendar year",
    ),
    pytest.param(
        direct_payment("12000.00", "2023-03-01", FOUR_WEEKLY),
        # 366 days share the year: 12,000 × 28/366 = 918.032… → 918.03; the last 2 days 65.573… → 65.57,
        # plus the 4p that rounding the thirteen payments down left over.
        """
        2023-03-01..2023-03-28 918.03
        2023-03-29..2023-04-25 918.03
        2023-04-26..2023-05-23 918.03
        2023-05-24..2023-06-20 918.03
        2023-06-21..2023-07-18 918.03
        2023-07-19..2023-08-15 918.03
        2023-08-16..2023-09-12 918.03
        2023-09-13..2023-10-10 918.03
        2023-10-11..2023-11-07 918.03
        2023-11-08..2023-12-05 918.03
        2023-12-06..2024-01-02 918.03
        2024-01-03..2024-01-30 918.03
        2024-01-31..2024-02-27 918.03
        2024-02-28..2024-02-29 65.61 *
        """,
        id="a leap year paid 4-weekly: 366 days share the year, two days left at the end",
    ),
    pytest.param(
        direct_payment("10000.00", "2024-01-01"),
        """
        2024-01-01..2024-01-31 833.33
        2024-02-01..2024-02-29 833.33
        2024-03-01..2024-03-31 833.33
        2024-04-01..2024-04-30 833.33
        2024-05-01..2024-05-31 833.33
        2024-06-01..2024-06-30 833.33
        2024-07-01..2024-07-31 833.33
        2024-08-01..2024-08-31 833.33
        2024-09-01..2024-09-30 833.33
        2024-10-01..2024-10-31 833.33
        2024-11-01..2024-11-30 833.33
        2024-12-01..2024-12-31 833.37 *
        """,
        id="a leap year paid monthly: still twelve months, the 4p of rounding on the last",
    ),
    pytest.param(
        direct_payment("36500.00", "2025-04-10", FOUR_WEEKLY, cycle_start=day("2025-04-07")),
        # £100 a day: 25 days, twelve periods of 28, and 4 days make 365.
        """
        2025-04-10..2025-05-04 2500.00
        2025-05-05..2025-06-01 2800.00
        2025-06-02..2025-06-29 2800.00
        2025-06-30..2025-07-27 2800.00
        2025-07-28..2025-08-24 2800.00
        2025-08-25..2025-09-21 2800.00
        2025-09-22..2025-10-19 2800.00
        2025-10-20..2025-11-16 2800.00
        2025-11-17..2025-12-14 2800.00
        2025-12-15..2026-01-11 2800.00
        2026-01-12..2026-02-08 2800.00
        2026-02-09..2026-03-08 2800.00
        2026-03-09..2026-04-05 2800.00
        2026-04-06..2026-04-09 400.00
        """,
        id="part periods at both ends, 4-weekly: the ICB's cycle starts on a Monday, pro rata by days",
    ),
    pytest.param(
        direct_payment("12000.00", "2025-01-15", cycle_start=day("2025-01-01")),
        # 17 of January's 31 days: 1,000 × 17/31 = 548.387… → 548.39; and 14 of 31: 451.612… → 451.61.
        """
        2025-01-15..2025-01-31 548.39
        2025-02-01..2025-02-28 1000.00
        2025-03-01..2025-03-31 1000.00
        2025-04-01..2025-04-30 1000.00
        2025-05-01..2025-05-31 1000.00
        2025-06-01..2025-06-30 1000.00
        2025-07-01..2025-07-31 1000.00
        2025-08-01..2025-08-31 1000.00
        2025-09-01..2025-09-30 1000.00
        2025-10-01..2025-10-31 1000.00
        2025-11-01..2025-11-30 1000.00
        2025-12-01..2025-12-31 1000.00
        2026-01-01..2026-01-14 451.61
        """,
        id="part periods at both ends, monthly: paid on the 1st, pro rata by the month's days",
    ),
    pytest.param(
        direct_payment("12000.00", "2023-02-15", cycle_start=day("2023-01-01")),
        # 14 of February 2023's 28 days and 14 of February 2024's 29 weigh 1/2 + 14/29, not 1: the year weighs
        # 11.98…, so each month is 12,000 / 11.98… = 1,001.438…; the part months 500.72 and 483.45…, less the 1p
        # that rounding the others up added.
        """
        2023-02-15..2023-02-28 500.72
        2023-03-01..2023-03-31 1001.44
        2023-04-01..2023-04-30 1001.44
        2023-05-01..2023-05-31 1001.44
        2023-06-01..2023-06-30 1001.44
        2023-07-01..2023-07-31 1001.44
        2023-08-01..2023-08-31 1001.44
        2023-09-01..2023-09-30 1001.44
        2023-10-01..2023-10-31 1001.44
        2023-11-01..2023-11-30 1001.44
        2023-12-01..2023-12-31 1001.44
        2024-01-01..2024-01-31 1001.44
        2024-02-01..2024-02-14 483.44 *
        """,
        id="part months in Februaries of different lengths: every period a little more, the year still exact",
    ),
    pytest.param(
        direct_payment("12000.00", "2025-04-01", year_end=day("2025-09-15")),
        """
        2025-04-01..2025-04-30 1000.00
        2025-05-01..2025-05-31 1000.00
        2025-06-01..2025-06-30 1000.00
        2025-07-01..2025-07-31 1000.00
        2025-08-01..2025-08-31 1000.00
        2025-09-01..2025-09-15 500.00
        """,
        id="a year cut short: the same payments, the last period pro rata to the end",
    ),
    pytest.param(
        direct_payment("10.00", "2025-04-01", FOUR_WEEKLY),
        # 10 × 28/365 = 0.767… → 0.77 thirteen times is 10.01: the last would be −1p, so the thirteenth gives a
        # penny back and the last day is paid £0.00.
        """
        2025-04-01..2025-04-28 0.77
        2025-04-29..2025-05-26 0.77
        2025-05-27..2025-06-23 0.77
        2025-06-24..2025-07-21 0.77
        2025-07-22..2025-08-18 0.77
        2025-08-19..2025-09-15 0.77
        2025-09-16..2025-10-13 0.77
        2025-10-14..2025-11-10 0.77
        2025-11-11..2025-12-08 0.77
        2025-12-09..2026-01-05 0.77
        2026-01-06..2026-02-02 0.77
        2026-02-03..2026-03-02 0.77
        2026-03-03..2026-03-30 0.76 *
        2026-03-31..2026-03-31 0.00 *
        """,
        id="a year of a few pounds: rounding never leaves the last line below nothing",
    ),
]


@pytest.mark.parametrize(("facts", "lines"), SCHEDULES)
def test_it_schedules_each_case(facts, lines):
    found = schedule(facts)
    assert rows(found) == expected(lines)
    if facts.year_end is None:
        assert total(found) == facts.agreed_annual
    assert all(line.due_on == line.period_start for line in found)  # paid in advance, on the period's first day
    assert {line.kind for line in found} == {LineKind.PAYMENT}


def test_it_states_the_rounding_adjustment_on_the_last_line():
    lines = schedule(direct_payment("12000.00", "2025-04-01", FOUR_WEEKLY))
    assert lines[-1].note == "Includes £0.03 taken off as a rounding adjustment, so the year adds up to the penny"
    assert [line.note for line in lines[:-1]] == [""] * 13
    leap = schedule(direct_payment("12000.00", "2023-03-01", FOUR_WEEKLY))
    assert leap[-1].note == "Includes £0.04 added as a rounding adjustment, so the year adds up to the penny"


def test_it_pays_the_plans_own_payment_for_each_full_period_of_a_365_day_year():
    for frequency in PaymentFrequency:
        lines = schedule(direct_payment("7777.77", "2025-04-01", frequency))
        assert {line.amount for line in lines[:-1]} == {payment_for(D("7777.77"), frequency)}


def test_it_shares_money_between_direct_payments_third_parties_provider_items_one_offs_and_contingency():
    facts = ScheduleFacts(
        start=day("2025-04-01"),
        frequency=MONTHLY,
        year_end=day("2025-06-30"),
        streams=(
            Stream(DP, D("6000.00"), payee="Ann Smith"),
            Stream(THIRD_PARTY, D("2400.00"), payee="Carers Trust"),
            Stream(NOTIONAL, D("1200.00"), item="physio", payee="Physio Ltd"),
            Stream(NOTIONAL, D("600.00"), item="art", payee="Art Studio"),
        ),
        one_offs=(OneOff(NOTIONAL, D("850.00"), day("2025-06-15"), item="wheelchair", payee="Mobility Ltd"),),
        contingency=Contingency(D("461.54"), DP, payee="Ann Smith"),
    )
    lines = schedule(facts)
    found = [(line.kind, line.money_option, line.item, str(line.period_start), line.amount) for line in lines]
    first_month = [
        (LineKind.PAYMENT, DP, "", "2025-04-01", D("500.00")),
        (LineKind.PAYMENT, THIRD_PARTY, "", "2025-04-01", D("200.00")),
        (LineKind.COMMITMENT, NOTIONAL, "art", "2025-04-01", D("50.00")),
        (LineKind.COMMITMENT, NOTIONAL, "physio", "2025-04-01", D("100.00")),
    ]
    assert found[0] == (LineKind.CONTINGENCY, DP, "", "2025-04-01", D("461.54"))
    assert found[1:5] == first_month
    assert (LineKind.ONE_OFF, NOTIONAL, "wheelchair", "2025-06-15", D("850.00")) in found
    assert [line.payee for line in lines[:5]] == ["Ann Smith", "Ann Smith", "Carers Trust", "Art Studio", "Physio Ltd"]
    assert lines[-1].payee == "Mobility Ltd"
    assert len(found) == 1 + 4 * 3 + 1  # the contingency, four streams for three months, the one-off
    assert Counter(kind for kind, *_ in found) == {
        LineKind.CONTINGENCY: 1,
        LineKind.PAYMENT: 6,
        LineKind.COMMITMENT: 6,
        LineKind.ONE_OFF: 1,
    }


def test_it_gives_a_penny_back_only_from_a_line_that_was_rounded_up():
    # 0.6p and 1.01p round to 1p each: with the last share nothing, the year (2.21p) is 2p, so the last would be
    # −1p. The line rounded up gives a penny back, not the later one rounded down, which would end up 1.01p short.
    shares = [Fraction(6, 1000), Fraction(6, 1000), Fraction(101, 10000), Fraction(0)]
    assert [amount for amount, _ in settle(shares)] == [D("0.01"), D("0.00"), D("0.01"), D("0.00")]
    assert [bool(note) for _, note in settle(shares)] == [False, True, False, False]


def test_it_leaves_out_a_stream_of_nothing():
    facts = ScheduleFacts(start=day("2025-04-01"), frequency=MONTHLY, streams=(Stream(DP, D("0.00")),))
    assert schedule(facts) == []


@pytest.mark.parametrize(
    ("facts", "problem"),
    [
        (direct_payment("100.00", "2025-04-01", year_end=day("2025-03-31")), "The plan year must end on or after"),
        (direct_payment("100.00", "2025-04-01", year_end=day("2026-04-01")), "end it on or before 31 March 2026"),
        (direct_payment("100.005", "2025-04-01"), "in pounds and pence"),
        (direct_payment("-1.00", "2025-04-01"), "£0 or more"),
        (
            ScheduleFacts(day("2025-04-01"), MONTHLY, streams=(Stream(DP, D("1.00")), Stream(DP, D("2.00")))),
            "one stream of money",
        ),
        (
            ScheduleFacts(day("2025-04-01"), MONTHLY, one_offs=(OneOff(DP, D("1.00"), day("2026-04-01")),)),
            "A one-off on 1 April 2026 must fall within the plan year",
        ),
        (
            ScheduleFacts(day("2025-04-01"), MONTHLY, contingency=Contingency(D("1.00"), NOTIONAL)),
            "A contingency is paid into an account",
        ),
    ],
    ids=[
        "ends before it starts",
        "longer than a year",
        "part of a penny",
        "negative",
        "two streams",
        "one-off",
        "notional contingency",
    ],
)
def test_it_refuses_facts_that_make_no_schedule(facts, problem):
    assert any(problem in found for found in facts_problems(facts))
    with pytest.raises(ValueError, match=problem):
        schedule(facts)


def test_it_refuses_a_float():
    with pytest.raises(ValueError, match="in pounds and pence"):
        schedule(ScheduleFacts(day("2025-04-01"), MONTHLY, streams=(Stream(DP, 100.0),)))


def test_it_names_every_kind_and_status():
    assert set(LINE_KIND_LABELS) == set(LineKind) and all(LINE_KIND_LABELS.values())
    assert set(LINE_STATUS_LABELS) == set(LineStatus) and all(LINE_STATUS_LABELS.values())


# --- amendments --------------------------------------------------------------------------------------

OLD = direct_payment("12000.00", "2025-01-01")


def paid_up_to(lines, last_due: str):
    return [replace(line, status=PAID) if line.due_on <= day(last_due) else line for line in lines]


def test_it_splits_the_unpaid_period_a_change_starts_in():
    lines = paid_up_to(schedule(OLD), "2025-03-31")
    changed = recalculate(lines, direct_payment("24000.00", "2025-01-01"), day("2025-04-15"))
    # April's 1,000 was not paid: 14 of its 30 days at the old amount (466.666… → 466.67), the other 16 at the
    # new 2,000 (2,000 less 14/30 of it, 933.33), due the day the change starts.
    assert rows(changed) == expected(
        """
        2025-01-01..2025-01-31 1000.00
        2025-02-01..2025-02-28 1000.00
        2025-03-01..2025-03-31 1000.00
        2025-04-01..2025-04-14 466.67
        2025-04-15..2025-04-30 1066.67
        2025-05-01..2025-05-31 2000.00
        2025-06-01..2025-06-30 2000.00
        2025-07-01..2025-07-31 2000.00
        2025-08-01..2025-08-31 2000.00
        2025-09-01..2025-09-30 2000.00
        2025-10-01..2025-10-31 2000.00
        2025-11-01..2025-11-30 2000.00
        2025-12-01..2025-12-31 2000.00
        """
    )
    assert changed[:3] == lines[:3]
    assert changed[4].due_on == day("2025-04-15")
    assert total(changed) == D("3466.67") + D("17066.67")  # the old amount to the change, the new after it


def test_it_takes_off_what_was_paid_in_advance_at_the_old_amount():
    lines = paid_up_to(schedule(OLD), "2025-04-01")
    changed = recalculate(lines, direct_payment("24000.00", "2025-01-01"), day("2025-04-15"))
    april = [line for line in changed if line.period_start.month == 4]
    assert rows(april) == ["2025-04-01..2025-04-30 1000.00", "2025-04-15..2025-04-30 533.34 *"]
    assert april[0] == lines[3]  # paid, unchanged
    assert april[1].note == "£533.33 taken off: it was paid before the plan changed on 15 April 2025"
    assert total(changed) == D("3466.67") + D("17066.67")


def test_it_asks_for_money_paid_in_advance_back_when_the_change_pays_less_than_that():
    lines = paid_up_to(schedule(OLD), "2025-04-01")
    moved = ScheduleFacts(
        start=day("2025-01-01"), frequency=MONTHLY, streams=(Stream(NOTIONAL, D("6000.00"), item="care"),)
    )
    changed = recalculate(lines, moved, day("2025-04-15"))
    recovery = [line for line in changed if line.kind == LineKind.RECOVERY]
    # for the days from the change that April's payment paid for, so a later change can split it by days
    assert [(line.money_option, line.period_start, line.period_end, line.due_on, line.amount) for line in recovery] == [
        (DP, day("2025-04-15"), day("2025-04-30"), day("2025-04-15"), D("-533.33"))
    ]
    assert recovery[0].note == (
        "£533.33 was paid before the plan changed on 15 April 2025 for days the changed plan does not pay for: "
        "it is to be paid back"
    )
    commitments = [line for line in changed if line.kind == LineKind.COMMITMENT]
    assert rows(commitments[:2]) == ["2025-04-15..2025-04-30 266.67", "2025-05-01..2025-05-31 500.00"]
    assert total(changed) == D("4000.00") - D("533.33") + D("266.67") + 8 * D("500.00")


def test_it_splits_money_paid_back_by_days_when_the_plan_changes_again():
    lines = paid_up_to(schedule(OLD), "2025-04-01")
    moved = ScheduleFacts(start=day("2025-01-01"), frequency=MONTHLY, streams=(Stream(NOTIONAL, D("1.00"), item="x"),))
    first = recalculate(lines, moved, day("2025-04-15"))
    first = [replace(line, status=PAID) if line.kind == LineKind.RECOVERY else line for line in first]  # paid back
    again = recalculate(first, OLD, day("2025-04-20"))
    # From 20 April the old payment paid 366.67 (11 of April's 30 days) and 366.66 of that came back (11 of the
    # recovery's 16 days): only the penny between the two roundings comes off the new payment for those days.
    from_the_20th = [line for line in again if line.account == (DP, "", "") and line.period_start == day("2025-04-20")]
    assert [(line.amount, line.note) for line in from_the_20th] == [
        (D("366.66"), "£0.01 taken off: it was paid before the plan changed on 20 April 2025")
    ]
    assert total(again) == money_before(first, day("2025-04-20")) + money_from(schedule(OLD), day("2025-04-20"))


def test_it_keeps_held_days_held_through_a_change():
    lines = suspend(schedule(OLD), day("2025-06-01"), day("2025-06-30"), "In hospital")
    changed = recalculate(lines, direct_payment("24000.00", "2025-01-01"), day("2025-05-15"))
    june = [line for line in changed if line.period_start.month == 6]
    assert [(line.amount, line.status, line.hold_reason) for line in june] == [(D("2000.00"), HELD, "In hospital")]


def test_it_refuses_a_change_outside_the_plan_year():
    with pytest.raises(ValueError, match="within the plan year"):
        recalculate(schedule(OLD), OLD, day("2026-01-01"))


# --- suspension --------------------------------------------------------------------------------------


def test_it_holds_the_days_of_a_suspension_pro_rata():
    lines = suspend(schedule(OLD), day("2025-03-10"), day("2025-03-20"), "  In hospital  ")
    march = [line for line in lines if line.period_start.month == 3]
    # 9 of March's 31 days before (290.32), then 11 of the 22 left in hospital and 11 after.
    assert [
        (str(line.period_start), str(line.due_on), line.amount, line.status, line.hold_reason) for line in march
    ] == [
        ("2025-03-01", "2025-03-01", D("290.32"), SCHEDULED, ""),
        ("2025-03-10", "2025-03-10", D("354.84"), HELD, "In hospital"),
        ("2025-03-21", "2025-03-21", D("354.84"), SCHEDULED, ""),
    ]
    assert total(lines) == D("12000.00")  # held money still counts in the year's total
    assert [line for line in lines if line.status == HELD] == [march[1]]


def test_it_holds_everything_to_the_years_end_until_payments_resume():
    lines = suspend(schedule(OLD), day("2025-11-15"), None, "In hospital, no date to come home yet")
    assert [(str(line.period_start), line.status) for line in lines[-3:]] == [
        ("2025-11-01", SCHEDULED),
        ("2025-11-15", HELD),
        ("2025-12-01", HELD),
    ]
    resumed = resume(lines, day("2025-12-10"))
    assert {line.status for line in resumed} == {SCHEDULED}
    assert {line.hold_reason for line in resumed} == {""}
    assert [str(line.due_on) for line in resumed[-2:]] == ["2025-12-10", "2025-12-10"]  # released, due at once
    assert total(resumed) == D("12000.00")


def test_it_releases_a_held_line_on_its_own_date_when_that_is_later():
    lines = suspend(schedule(OLD), day("2025-06-01"), day("2025-08-31"), "In hospital")
    resumed = resume(lines, day("2025-07-10"))
    assert [str(line.due_on) for line in resumed if line.period_start.month in (6, 7, 8)] == [
        "2025-07-10",
        "2025-07-10",
        "2025-08-01",
    ]


def test_it_never_holds_a_paid_line():
    lines = paid_up_to(schedule(OLD), "2025-03-01")
    assert suspend(lines, day("2025-03-10"), day("2025-03-20"), "In hospital") == lines


def test_it_never_holds_money_to_be_paid_back():
    lines = paid_up_to(schedule(OLD), "2025-04-01")
    moved = ScheduleFacts(start=day("2025-01-01"), frequency=MONTHLY, streams=(Stream(NOTIONAL, D("1.00"), item="x"),))
    changed = recalculate(lines, moved, day("2025-04-15"))
    held = suspend(changed, day("2025-04-01"), None, "In hospital")
    assert [line.status for line in held if line.kind == LineKind.RECOVERY] == [SCHEDULED]


def test_it_suspends_only_the_money_options_asked_for():
    facts = ScheduleFacts(
        start=day("2025-01-01"),
        frequency=MONTHLY,
        streams=(Stream(DP, D("1200.00")), Stream(NOTIONAL, D("2400.00"), item="care")),
    )
    lines = suspend(
        schedule(facts), day("2025-02-01"), day("2025-02-28"), "Direct payments under review", money_options=[DP]
    )
    assert [(line.money_option, line.status) for line in lines if line.status == HELD] == [(DP, HELD)]
    assert resume(lines, day("2025-03-01"), money_options=[NOTIONAL]) == lines


@pytest.mark.parametrize(
    ("start", "end", "reason", "problem"),
    [
        ("2025-03-10", "2025-03-20", "  ", "Give the reason"),
        ("2025-03-10", "2025-03-09", "In hospital", "end on or after"),
    ],
)
def test_it_refuses_a_suspension_without_a_reason_or_with_its_days_backwards(start, end, reason, problem):
    with pytest.raises(ValueError, match=problem):
        suspend(schedule(OLD), day(start), day(end), reason)


def test_it_splits_a_line_into_parts_that_add_up_to_it():
    line = Line(LineKind.PAYMENT, DP, day("2025-03-01"), day("2025-03-31"), day("2025-03-01"), D("1000.00"), note="x")
    first, second = split_line(line, day("2025-03-10"))
    assert (first.period_end, first.amount, first.note) == (day("2025-03-09"), D("290.32"), "")
    assert (second.period_start, second.due_on, second.amount, second.note) == (
        day("2025-03-10"),
        day("2025-03-10"),
        D("709.68"),
        "x",
    )
    with pytest.raises(ValueError):
        split_line(line, day("2025-03-01"))


# --- properties --------------------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


def pence(low, high):
    """Decimal pounds with 2 places, from low to high pence."""
    return st.integers(low, high).map(lambda p: D(p).scaleb(-2))


# From a penny to £500,000 a year, with a few pounds drawn often: that is where rounding bites.
annual_amounts = st.one_of(pence(1, 20_00), pence(1, 500_000_00))
accounts = st.tuples(st.sampled_from(MoneyOption), st.sampled_from(["", "care", "physio"]), st.sampled_from(["", "A"]))
starts = st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31))


@st.composite
def plan_years(draw, *, full_year=True):
    start = draw(starts)
    last_day = plan_year_end(start)
    year_end = None if full_year else draw(st.dates(start, last_day))
    cycle_start = draw(st.none() | st.integers(-400, 400).map(lambda days: start + datetime.timedelta(days=days)))
    streams = draw(st.lists(st.tuples(accounts, annual_amounts), min_size=1, max_size=4, unique_by=lambda s: s[0]))
    one_offs = draw(
        st.lists(
            st.builds(
                OneOff,
                money_option=st.sampled_from(MoneyOption),
                amount=pence(1, 50_000_00),
                on=st.dates(start, year_end or last_day),
                item=st.just("equipment"),
            ),
            max_size=3,
        )
    )
    contingency = draw(
        st.none() | st.builds(Contingency, amount=pence(1, 20_000_00), money_option=st.sampled_from([DP, THIRD_PARTY]))
    )
    return ScheduleFacts(
        start=start,
        frequency=draw(st.sampled_from(PaymentFrequency)),
        streams=tuple(Stream(option, annual, item, payee) for (option, item, payee), annual in streams),
        one_offs=tuple(one_offs),
        contingency=contingency,
        year_end=year_end,
        cycle_start=cycle_start,
    )


def regular(lines, stream: Stream):
    return [
        line
        for line in lines
        if line.kind in (LineKind.PAYMENT, LineKind.COMMITMENT)
        and line.account == (stream.money_option, stream.item, stream.payee)
    ]


@PROPERTY_SETTINGS
@given(plan_years())
def test_it_makes_any_full_year_add_up_to_the_annual_amount_to_the_penny(facts):
    lines = schedule(facts)
    for stream in facts.streams:
        assert total(regular(lines, stream)) == stream.annual
    assert total(line for line in lines if line.kind != LineKind.CONTINGENCY) == facts.agreed_annual
    assert total(line for line in lines if line.kind == LineKind.CONTINGENCY) == (
        facts.contingency.amount if facts.contingency else 0
    )
    for line in lines:
        assert line.amount.as_tuple().exponent == -2


@PROPERTY_SETTINGS
@given(plan_years(full_year=False))
def test_it_never_schedules_a_negative_line(facts):
    assert all(line.amount >= 0 for line in schedule(facts))


@PROPERTY_SETTINGS
@given(plan_years(full_year=False))
def test_it_covers_the_plan_year_with_periods_that_neither_overlap_nor_leave_a_gap(facts):
    lines = schedule(facts)
    for stream in facts.streams:
        days = regular(lines, stream)
        assert days[0].period_start == facts.start
        assert days[-1].period_end == facts.end
        for before, after in zip(days, days[1:], strict=False):
            assert after.period_start == before.period_end + ONE_DAY
        assert all(1 <= line.days <= 31 for line in days)


@PROPERTY_SETTINGS
@given(plan_years())
def test_it_pays_every_full_period_the_same_and_part_periods_no_more(facts):
    lines = schedule(facts)
    is_part = {(p.start, p.end): p.is_part for p in periods(facts.start, facts.end, facts.frequency, facts.cycle_start)}
    for stream in facts.streams:
        # The last line takes the rounding, and in a year of a few pounds a line may give a penny back for it:
        # both say so in their note.
        found = [line for line in regular(lines, stream) if not line.note]
        full = {line.amount for line in found if not is_part[(line.period_start, line.period_end)]}
        assert len(full) <= 1
        for line in found:
            if is_part[(line.period_start, line.period_end)] and full:
                assert line.amount <= max(full)


def pay_some(draw, lines, facts):
    """Mark paid the lines due up to a date, and a few others paid in advance (never a held one)."""
    paid_until = draw(st.dates(facts.start, facts.end))
    in_advance = draw(st.sets(st.integers(0, len(lines) - 1), max_size=3)) if lines else set()
    return [
        replace(line, status=PAID)
        if line.status == SCHEDULED and (line.due_on <= paid_until or n in in_advance)
        else line
        for n, line in enumerate(lines)
    ]


def changed_facts(draw, old):
    """Any other facts for the same plan year."""
    new = draw(plan_years())
    cycle_start = old.cycle_start if draw(st.booleans()) else new.cycle_start
    one_offs = tuple(replace(one_off, on=draw(st.dates(old.start, old.end))) for one_off in new.one_offs)
    return replace(new, start=old.start, cycle_start=cycle_start, one_offs=one_offs)


@st.composite
def changes(draw):
    """A schedule with some lines paid (some in advance), maybe a suspension, maybe an earlier change whose
    lines were paid in part since (recoveries too), and a change to it on a day of the year."""
    old = draw(plan_years())
    lines = pay_some(draw, schedule(old), old)
    if draw(st.booleans()):
        first = draw(st.dates(old.start, old.end))
        lines = suspend(lines, first, draw(st.none() | st.dates(first, old.end)), "In hospital")
    if draw(st.booleans()):
        lines = recalculate(lines, changed_facts(draw, old), draw(st.dates(old.start, old.end)))
        lines = pay_some(draw, lines, old)
    return lines, changed_facts(draw, old), draw(st.dates(old.start, old.end))


@PROPERTY_SETTINGS
@given(changes())
def test_it_never_changes_a_paid_line_when_the_plan_changes(change):
    lines, new_facts, on = change
    changed = recalculate(lines, new_facts, on)
    still_there = Counter(changed)
    for line in lines:
        if line.status == PAID or line.period_end < on:
            assert still_there[line] > 0, line
            still_there[line] -= 1


@PROPERTY_SETTINGS
@given(changes())
def test_it_adds_up_to_the_old_amount_before_a_change_and_the_new_amount_after_it(change):
    lines, new_facts, on = change
    changed = recalculate(lines, new_facts, on)
    new_lines = schedule(new_facts)
    assert total(changed) == money_before(lines, on) + money_from(new_lines, on)
    for account in {line.account for line in lines + new_lines}:
        assert total(line for line in changed if line.account == account) == money_before(
            [line for line in lines if line.account == account], on
        ) + money_from([line for line in new_lines if line.account == account], on)
    assert all(line.amount >= 0 for line in changed if line.kind != LineKind.RECOVERY)


@PROPERTY_SETTINGS
@given(plan_years(), st.data())
def test_it_holds_a_suspension_without_changing_the_total_and_resuming_releases_it(facts, data):
    lines = schedule(facts)
    first = data.draw(st.dates(facts.start, facts.end))
    last = data.draw(st.none() | st.dates(first, facts.end))
    held = suspend(lines, first, last, "In hospital")
    assert total(held) == total(lines)
    for line in held:
        inside = first <= line.period_start and (last is None or line.period_end <= last)
        assert (line.status == HELD) == inside
    for stream in facts.streams:
        days = regular(held, stream)
        assert all(
            after.period_start == before.period_end + ONE_DAY for before, after in zip(days, days[1:], strict=False)
        )
    resumed = resume(held, first)
    assert HELD not in {line.status for line in resumed}
    assert total(resumed) == total(lines)


def test_it_weighs_a_year_by_its_days_over_28_or_by_its_12_months():
    # Why a full year's shares add up to the annual amount: each share is annual × weight / the year's weight.
    for start in ("2025-04-01", "2023-03-01", "2024-02-29"):
        four_weekly = periods(day(start), plan_year_end(day(start)), FOUR_WEEKLY)
        assert sum(p.weight for p in four_weekly) == Fraction(sum(p.days for p in four_weekly), 28)
        assert sum(p.weight for p in periods(day(start), plan_year_end(day(start)), MONTHLY)) == 12


def test_it_ends_a_plan_year_the_day_before_its_anniversary():
    assert plan_year_end(day("2025-04-01")) == day("2026-03-31")
    assert plan_year_end(day("2023-03-01")) == day("2024-02-29")  # 366 days
    assert plan_year_end(day("2024-02-29")) == day("2025-02-27")  # the next year starts on 28 February
