"""Balance, surplus, projection and flags: table tests of named cases worked out by hand, then properties.

Pure functions over plain values: no database.

The plans used (worked out by hand):
- FOUR_WEEKLY_PLAN: a direct payment of £7,300 a year from 1 April 2026, every 4 weeks: £7,300 × 28 / 365 =
  £560.00 on 1 and 29 April, 27 May, 24 June, 22 July, 19 August, 16 September, 14 October, 11 November,
  9 December, 6 January, 3 February and 3 March, and £20.00 for the one day left (31 March 2027).
  A week of payments is £560 / 4 = £140.00: 4 weeks £560.00, 8 weeks £1,120.00.
- MONTHLY_PLAN: £12,000 a year from 1 April 2026, paid monthly: £1,000.00 on the 1st of each month. A week is
  £1,000 × 12 × 7 / 365 = £230.136…: 4 weeks £920.547… = £920.55, 8 weeks £1,841.095… = £1,841.10.
"""

import datetime
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplans.rules import MoneyOption, PaymentFrequency
from payments.balance import (
    FlagCode,
    ItemSpend,
    Statement,
    Transaction,
    TransactionKind,
    balance,
    deduct_reclaim,
    flags,
    projection,
    weekly_payment,
)
from payments.rules import LineKind, LineStatus, ScheduleFacts, Stream, schedule

D = Decimal
DP, NOTIONAL = MoneyOption.DIRECT_PAYMENT, MoneyOption.NOTIONAL
SPEND, REFUND, IN, RECOVERY = (
    TransactionKind.SPEND,
    TransactionKind.REFUND,
    TransactionKind.PAYMENT_IN,
    TransactionKind.RECOVERY,
)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def plan(annual="7300.00", frequency=PaymentFrequency.FOUR_WEEKLY, notional=None):
    streams = (Stream(DP, D(annual)),)
    if notional:
        streams += (Stream(NOTIONAL, D(notional), item="day-centre", payee="Day centre"),)
    return schedule(ScheduleFacts(start=day("2026-04-01"), frequency=frequency, streams=streams))


FOUR_WEEKLY_PLAN = plan()
MONTHLY_PLAN = plan("12000.00", PaymentFrequency.MONTHLY)


def spend(on, amount, item=None, **more):
    return Transaction(day(on), D(amount), SPEND, item, **more)


def test_it_works_from_the_plans_described_in_the_docstring():
    assert [line.amount for line in FOUR_WEEKLY_PLAN] == [D("560.00")] * 13 + [D("20.00")]
    assert [str(line.due_on) for line in FOUR_WEEKLY_PLAN][-2:] == ["2027-03-03", "2027-03-31"]
    assert {line.amount for line in MONTHLY_PLAN} == {D("1000.00")}


BALANCE_CASES = {
    "a year with no spend": dict(
        lines=FOUR_WEEKLY_PLAN,
        transactions=[],
        on="2026-06-30",  # paid 1 and 29 April, 27 May, 24 June: 4 × £560
        expected=dict(
            paid_in="2240.00",
            spent="0.00",
            balance="2240.00",
            weekly_payment="140.00",
            contingency_allowance="560.00",
            surplus="1680.00",
            surplus_threshold="1120.00",
        ),
    ),
    "a monthly plan's allowance is 4 weeks, not a month": dict(
        lines=MONTHLY_PLAN,
        transactions=[spend("2026-04-20", "500.00")],
        on="2026-05-01",  # £1,000 on 1 April and 1 May, less £500
        expected=dict(
            paid_in="2000.00",
            balance="1500.00",
            weekly_payment="230.14",
            contingency_allowance="920.55",
            surplus="579.45",
            surplus_threshold="1841.10",
        ),
    ),
    "spend, refunds and money paid back": dict(
        lines=FOUR_WEEKLY_PLAN,
        transactions=[
            spend("2026-04-02", "300.00", "pa"),
            Transaction(day("2026-04-03"), D("25.50"), REFUND, "pa"),
            Transaction(day("2026-04-05"), D("100.00"), RECOVERY),
            Transaction(day("2026-04-01"), D("560.00"), IN),
            spend("2026-04-29", "999.99"),  # after the day: not counted
        ],
        on="2026-04-28",  # £560 − £300 + £25.50 − £100 = £185.50
        expected=dict(
            paid_in="560.00",
            received="560.00",
            spent="300.00",
            refunds="25.50",
            repaid="100.00",
            balance="185.50",
            surplus="0.00",
            to_match="0.00",
        ),
    ),
    "a held payment is not paid in": dict(
        lines=[
            replace(line, status=LineStatus.HELD, hold_reason="In hospital")
            if str(line.due_on) == "2026-04-29"
            else line
            for line in FOUR_WEEKLY_PLAN
        ],
        transactions=[],
        on="2026-05-01",
        expected=dict(paid_in="560.00", balance="560.00"),
    ),
    "notional money is committed, not paid in": dict(
        lines=plan(notional="3650.00"),  # £3,650 × 28 / 365 = £280.00 a period to the day centre
        transactions=[],
        on="2026-05-01",
        expected=dict(paid_in="1120.00", committed="560.00", balance="1120.00"),
    ),
    "a reclaim of £100 deducted over three payments, two taken so far": dict(
        lines=deduct_reclaim(FOUR_WEEKLY_PLAN, D("100.00"), start_on=day("2026-05-01"), instalments=3),
        transactions=[],
        on="2026-06-30",  # 4 × £560 − £33.33 (27 May) − £33.33 (24 June)
        expected=dict(paid_in="2173.34", balance="2173.34"),
    ),
    "a reclaim of £100 deducted over three payments, all taken": dict(
        lines=deduct_reclaim(FOUR_WEEKLY_PLAN, D("100.00"), start_on=day("2026-05-01"), instalments=3),
        transactions=[],
        on="2026-07-31",  # 5 × £560 − £100
        expected=dict(paid_in="2700.00", balance="2700.00"),
    ),
}


@pytest.mark.parametrize("case", BALANCE_CASES.values(), ids=BALANCE_CASES.keys())
def test_it_works_out_the_balance(case):
    result = balance(case["lines"], case["transactions"], day(case["on"]))
    assert {field: str(getattr(result, field)) for field in case["expected"]} == case["expected"]


def test_it_counts_a_late_statement_by_the_dates_on_its_transactions():
    """A statement for April arrives on 1 June: its spend comes off the balance for the days it covers, and the
    overdue flag on 20 May clears once it is received."""
    april_spend = [spend("2026-04-15", "200.00", "pa")]
    statement = Statement(day("2026-04-01"), day("2026-04-28"), received_on=day("2026-06-01"))
    assert balance(FOUR_WEEKLY_PLAN, [], day("2026-05-10")).balance == D("1120.00")
    assert balance(FOUR_WEEKLY_PLAN, april_spend, day("2026-05-10")).balance == D("920.00")
    overdue = flags(FOUR_WEEKLY_PLAN, [], [statement], day("2026-05-20"))  # 22 days after 28 April, not yet received
    assert [(flag.code, flag.sentence) for flag in overdue] == [
        (
            FlagCode.STATEMENT_OVERDUE,
            "The statement for the period ending 28 April 2026 has not arrived. "
            "It was due within 14 days of the period ending.",
        )
    ]
    on_arrival = flags(FOUR_WEEKLY_PLAN, april_spend, [statement], day("2026-06-01"))
    assert [flag.code for flag in on_arrival] == [FlagCode.SURPLUS]  # £1,680 − £200 is above £1,120; none overdue


def test_it_takes_a_reclaim_in_three_parts_with_the_penny_on_the_last():
    lines = deduct_reclaim(FOUR_WEEKLY_PLAN, D("100.00"), start_on=day("2026-05-01"), instalments=3)
    recovered = [(str(line.due_on), line.amount) for line in lines if line.kind == LineKind.RECLAIM]
    assert recovered == [("2026-05-27", D("-33.33")), ("2026-06-24", D("-33.33")), ("2026-07-22", D("-33.34"))]
    assert [line.note for line in lines if line.kind == LineKind.RECLAIM][2] == (
        "£33.34 taken off this payment: part 3 of 3 of a reclaim of £100.00"
    )


def test_it_refuses_a_reclaim_with_too_few_payments_left():
    with pytest.raises(ValueError, match="only 1 payments left"):
        deduct_reclaim(FOUR_WEEKLY_PLAN, D("100.00"), start_on=day("2027-03-04"), instalments=3)


def test_it_leaves_a_held_payment_out_of_the_projection():
    held = [
        replace(line, status=LineStatus.HELD, hold_reason="In hospital") if str(line.due_on) == "2026-04-29" else line
        for line in FOUR_WEEKLY_PLAN
    ]
    assert projection(held, [], day("2026-04-01")).left_at_year_end == D("6740.00")  # £7,300 − £560


def test_it_takes_a_reclaim_only_from_payments_not_yet_made():
    lines = [
        replace(line, status=LineStatus.PAID) if str(line.due_on) == "2026-05-27" else line for line in FOUR_WEEKLY_PLAN
    ]
    lines = deduct_reclaim(lines, D("100.00"), start_on=day("2026-05-01"), instalments=3)
    assert [str(line.due_on) for line in lines if line.kind == LineKind.RECLAIM] == [
        "2026-06-24",
        "2026-07-22",
        "2026-08-19",
    ]


def test_it_takes_the_regular_payment_as_the_amount_paid_most_often():
    changed = [
        replace(line, amount=D("700.00")) if str(line.due_on) == "2026-04-29" else line for line in FOUR_WEEKLY_PLAN
    ]
    assert weekly_payment(changed) == Fraction(140)  # twelve payments of £560 outnumber one of £700
    two = [replace(line, amount=D("700.00")) if n else line for n, line in enumerate(FOUR_WEEKLY_PLAN[:2])]
    assert weekly_payment(two) == Fraction(175)  # one each: the larger, £700 / 4


def test_it_shows_planned_against_actual_per_item_for_the_year_to_date():
    lines = plan(notional="3650.00")
    transactions = [
        spend("2026-04-03", "120.00", "pa"),
        spend("2026-04-04", "15.00", "gym"),
        Transaction(day("2026-04-05"), D("5.00"), REFUND, "gym"),
        spend("2026-04-06", "7.25"),  # to match
        spend("2026-04-07", "45.50", not_in_plan=True),
        spend("2026-04-11", "80.00", "pa"),  # after the day
    ]
    result = balance(lines, transactions, day("2026-04-10"), item_annual={"pa": D("3650.00"), "gym": D("365.00")})
    # 10 days of 365: £100.00 and £10.00; the day centre's commitment of 1 April: £280.00.
    assert result.items == (
        ItemSpend("day-centre", D("280.00"), D("0.00")),
        ItemSpend("gym", D("10.00"), D("10.00")),
        ItemSpend("pa", D("100.00"), D("120.00")),
    )
    assert (result.to_match, result.not_in_plan) == (D("7.25"), D("45.50"))


def test_it_plans_an_items_money_from_the_day_payments_into_the_account_began():
    """A plan changed in the year from a notional budget to a direct payment: the 4-weekly payments begin on
    14 October, so by 20 October 7 days of the personal assistant's £3,650 a year are planned, not 203."""
    lines = [
        line
        for line in plan(notional="3650.00")
        if line.money_option == NOTIONAL or line.period_start >= day("2026-10-01")
    ]
    result = balance(lines, [], day("2026-10-20"), item_annual={"pa": D("3650.00")})
    assert {item.item: item.planned for item in result.items}["pa"] == D("70.00")


PROJECTION_CASES = {
    "a year with no spend leaves the whole year's money": dict(
        transactions=[], on="2026-06-30", window_start="2026-04-08", runs_out_on=None, left="7300.00"
    ),
    "since the start when that is shorter than 12 weeks": dict(
        # 14 days at £10 a day: £420 now + £6,740 to come − 351 days × £10
        transactions=[spend("2026-04-10", "140.00")],
        on="2026-04-14",
        window_start="2026-04-01",
        runs_out_on=None,
        left="3650.00",
    ),
    "a projection that runs out on 30 June": dict(
        # 2 April to 24 June is 84 days: £2,100 is £25 a day. £2,240 − £2,100 = £140 on 24 June, then £115, £90,
        # £65, £40, £15 and −£10 on 30 June. 280 days to 31 March: £140 + £5,060 to come − £7,000.
        transactions=[spend("2026-04-01", "0.01"), spend("2026-04-02", "1000.00"), spend("2026-06-20", "1100.00")],
        on="2026-06-24",
        window_start="2026-04-02",
        runs_out_on="2026-06-30",
        left="-1800.01",
    ),
}


PROJECTION_CASES["money that comes down to exactly £0 does not run out"] = dict(
    # 28 days at £20 a day, the same as is paid: £0 on 28 April, and £0 again the day before each payment.
    transactions=[spend("2026-04-10", "560.00")],
    on="2026-04-28",
    window_start="2026-04-01",
    runs_out_on=None,
    left="0.00",
)


@pytest.mark.parametrize("case", PROJECTION_CASES.values(), ids=PROJECTION_CASES.keys())
def test_it_projects_the_money_to_the_end_of_the_year(case):
    result = projection(FOUR_WEEKLY_PLAN, case["transactions"], day(case["on"]))
    runs_out = result.runs_out_on and str(result.runs_out_on)
    assert (str(result.window_start), runs_out, str(result.left_at_year_end)) == (
        case["window_start"],
        case["runs_out_on"],
        case["left"],
    )


ALL_IN = [Statement(day("2026-04-01"), day("2027-03-31"), day("2026-04-01"))]  # no statement is overdue

FLAG_CASES = {
    "surplus exactly at 8 weeks is not flagged": dict(transactions=[], on="2026-05-01", codes=[]),
    "surplus a penny over 8 weeks is flagged": dict(
        transactions=[Transaction(day("2026-04-30"), D("0.01"), REFUND)], on="2026-05-01", codes=[FlagCode.SURPLUS]
    ),
    "spend not in the plan": dict(
        transactions=[spend("2026-04-30", "45.50", not_in_plan=True), spend("2026-04-30", "500.00")],
        on="2026-05-01",
        codes=[FlagCode.NOT_IN_PLAN],
    ),
    "money runs out before the year ends": dict(
        transactions=[spend("2026-04-02", "1000.00"), spend("2026-06-20", "1100.00")],
        on="2026-06-24",
        codes=[FlagCode.RUNS_OUT],
    ),
}


@pytest.mark.parametrize("case", FLAG_CASES.values(), ids=FLAG_CASES.keys())
def test_it_raises_flags(case):
    found = flags(FOUR_WEEKLY_PLAN, case["transactions"], ALL_IN, day(case["on"]))
    assert [flag.code for flag in found] == case["codes"]


def test_it_says_each_flag_in_plain_english():
    transactions = [Transaction(day("2026-04-30"), D("0.01"), REFUND), spend("2026-04-30", "45.50", not_in_plan=True)]
    transactions.append(Transaction(day("2026-04-30"), D("45.50"), REFUND))
    sentences = [flag.sentence for flag in flags(FOUR_WEEKLY_PLAN, transactions, ALL_IN, day("2026-05-01"))]
    assert sentences == [
        "The account holds £1,120.01, more than 8 weeks of payments (£1,120.00). "
        "Talk to the person about the money not used.",
        "£45.50 was spent on things not in the plan (1 payment).",
    ]
    runs_out = flags(
        FOUR_WEEKLY_PLAN,
        PROJECTION_CASES["a projection that runs out on 30 June"]["transactions"],
        ALL_IN,
        day("2026-06-24"),
    )
    assert runs_out[0].sentence == (
        "At the present rate of spending the money runs out on 30 June 2026, before the plan year ends."
    )


STATEMENT_CASES = {
    # The period 1–28 April ends; 14 days later is 12 May.
    "14 days after the period ends is not yet overdue": dict(on="2026-05-12", statements=[], overdue=False),
    "15 days after the period ends is overdue": dict(on="2026-05-13", statements=[], overdue=True),
    "a statement received for the period": dict(
        on="2026-05-13",
        statements=[Statement(day("2026-04-01"), day("2026-04-28"), day("2026-05-02"))],
        overdue=False,
    ),
    "a statement received after the day does not count yet": dict(
        on="2026-05-13",
        statements=[Statement(day("2026-04-01"), day("2026-04-28"), day("2026-05-14"))],
        overdue=True,
    ),
    "a statement for an earlier period does not cover the last one": dict(
        on="2026-06-10",  # 29 April – 26 May ended 15 days ago
        statements=[Statement(day("2026-04-01"), day("2026-04-28"), day("2026-05-02"))],
        overdue=True,
    ),
}


@pytest.mark.parametrize("case", STATEMENT_CASES.values(), ids=STATEMENT_CASES.keys())
def test_it_flags_a_statement_overdue_more_than_14_days_after_the_period(case):
    found = flags(FOUR_WEEKLY_PLAN, [], case["statements"], day(case["on"]))
    assert (FlagCode.STATEMENT_OVERDUE in [flag.code for flag in found]) == case["overdue"]


def test_it_takes_the_statement_days_as_a_parameter():
    found = flags(FOUR_WEEKLY_PLAN, [], [], day("2026-05-06"), statement_days=7)  # 8 days after 28 April
    assert [flag.code for flag in found] == [FlagCode.STATEMENT_OVERDUE]


def test_it_refuses_a_transaction_of_nothing_or_part_pence():
    for amount in ("0.00", "-1.00", "1.005"):
        with pytest.raises(ValueError):
            Transaction(day("2026-04-01"), D(amount), SPEND)


pence = st.integers(min_value=1, max_value=500_000).map(lambda n: D(n) / 100)
transactions = st.lists(
    st.builds(
        Transaction,
        on=st.dates(min_value=day("2026-04-01"), max_value=day("2027-03-31")),
        amount=pence,
        kind=st.sampled_from(TransactionKind),
    ),
    max_size=30,
)


@given(transactions, st.dates(min_value=day("2026-04-01"), max_value=day("2027-03-31")))
def test_it_keeps_the_balance_to_the_penny(transactions, on):
    result = balance(FOUR_WEEKLY_PLAN, transactions, on)
    counted = [t for t in transactions if t.on <= on]

    def total(kind):
        return sum((t.amount for t in counted if t.kind == kind), D("0.00"))

    assert result.balance == result.paid_in - total(SPEND) + total(REFUND) - total(RECOVERY)
    assert result.surplus == max(result.balance - result.contingency_allowance, D("0.00"))


@given(st.integers(min_value=1, max_value=56_000).map(lambda n: D(n) / 100), st.integers(min_value=1, max_value=13))
def test_it_takes_a_reclaim_off_the_year_exactly(amount, instalments):
    lines = deduct_reclaim(FOUR_WEEKLY_PLAN, amount, start_on=day("2026-04-01"), instalments=instalments)
    year_end = day("2027-03-31")
    before = balance(FOUR_WEEKLY_PLAN, [], year_end).paid_in
    assert balance(lines, [], year_end).paid_in == before - amount
