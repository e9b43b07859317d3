"""When a statement is due and overdue (payments.balance.statement_overdue), the one rule the flag and the pages
read, and which statements answer for a period: one that brought only money paid back to the NHS does not.

Pure functions over plain values: no database. The plan is test_balance's FOUR_WEEKLY_PLAN: a direct payment
every 4 weeks from 1 April 2026, its periods ending 28 April, 26 May, 23 June...; a statement is due within 14
days of its period's end (12 May for 28 April) and overdue from the day after (13 May).
"""

import pytest

from payments.balance import (
    STATEMENT_DAYS,
    FlagCode,
    Statement,
    StatementDue,
    TransactionKind,
    flags,
    statement_answers,
    statement_overdue,
)
from payments.tests.test_balance import FOUR_WEEKLY_PLAN, STATEMENT_CASES, day
from phb.words import long_date

SPEND, REFUND, IN, RECOVERY = (
    TransactionKind.SPEND,
    TransactionKind.REFUND,
    TransactionKind.PAYMENT_IN,
    TransactionKind.RECOVERY,
)
APRIL = (day("2026-04-01"), day("2026-04-28"))


def overdue_flag(statements, on) -> bool:
    return FlagCode.STATEMENT_OVERDUE in [flag.code for flag in flags(FOUR_WEEKLY_PLAN, [], statements, day(on))]


def test_it_says_which_period_is_overdue_when_it_was_due_and_since_when():
    due = statement_overdue(FOUR_WEEKLY_PLAN, [], day("2026-05-13"))
    assert due == StatementDue(period_end=day("2026-04-28"), due_by=day("2026-05-12"))
    assert due.overdue_since == day("2026-05-13")
    assert STATEMENT_DAYS == 14


def test_nothing_is_overdue_until_a_period_ended_more_than_14_days_before():
    assert statement_overdue(FOUR_WEEKLY_PLAN, [], day("2026-05-12")) is None
    assert statement_overdue(FOUR_WEEKLY_PLAN, [], day("2026-04-20")) is None  # no period has ended


def test_it_takes_the_last_period_that_ended_and_the_days_as_a_parameter():
    assert statement_overdue(FOUR_WEEKLY_PLAN, [], day("2026-06-10")).period_end == day("2026-05-26")
    week = statement_overdue(FOUR_WEEKLY_PLAN, [], day("2026-05-06"), statement_days=7)
    assert (week.period_end, week.due_by, week.overdue_since) == (
        day("2026-04-28"),
        day("2026-05-05"),
        day("2026-05-06"),
    )


@pytest.mark.parametrize("case", STATEMENT_CASES.values(), ids=STATEMENT_CASES.keys())
def test_the_flag_is_raised_exactly_when_statement_overdue_says_so(case):
    on = day(case["on"])
    due = statement_overdue(FOUR_WEEKLY_PLAN, case["statements"], on)
    assert (due is not None) == overdue_flag(case["statements"], case["on"]) == case["overdue"]
    if due is not None:
        found = flags(FOUR_WEEKLY_PLAN, [], case["statements"], on)
        sentence = next(flag.sentence for flag in found if flag.code == FlagCode.STATEMENT_OVERDUE)
        assert f"for the period ending {long_date(due.period_end)} has not arrived" in sentence


# Which statements answer for a period


def test_a_statement_that_brought_only_money_paid_back_to_the_nhs_does_not_clear_the_overdue_flag():
    # A repayment decided as paid back on 28 April is recorded as a statement typed in for that day holding one
    # RECOVERY transaction (payments.reclaims): the person sent nothing, so April's statement is still overdue.
    repaid = Statement(day("2026-04-28"), day("2026-04-28"), day("2026-04-28"), kinds=frozenset({RECOVERY}))
    assert not statement_answers(repaid)
    assert overdue_flag([repaid], "2026-05-13")
    assert statement_overdue(FOUR_WEEKLY_PLAN, [repaid], day("2026-05-13")).period_end == day("2026-04-28")


@pytest.mark.parametrize(
    "kinds",
    [
        frozenset(),  # a file whose every row we had already: still a statement received
        frozenset({SPEND}),
        frozenset({SPEND, RECOVERY}),  # a bank statement showing a repayment among the spend
        frozenset({IN}),
        frozenset({REFUND}),
    ],
    ids=["nothing new", "spend", "spend and money paid back", "a payment in", "a refund"],
)
def test_a_statement_from_the_holder_clears_it(kinds):
    sent = Statement(*APRIL, day("2026-05-02"), kinds=kinds)
    assert statement_answers(sent)
    assert not overdue_flag([sent], "2026-05-13")
    assert statement_overdue(FOUR_WEEKLY_PLAN, [sent], day("2026-05-13")) is None


def test_a_repayment_beside_a_real_statement_leaves_it_answered():
    repaid = Statement(day("2026-04-28"), day("2026-04-28"), day("2026-04-28"), kinds=frozenset({RECOVERY}))
    sent = Statement(*APRIL, day("2026-05-02"))
    assert statement_overdue(FOUR_WEEKLY_PLAN, [repaid, sent], day("2026-05-13")) is None


def test_a_statement_is_for_the_days_it_covers_received_by_the_day():
    late = Statement(*APRIL, day("2026-05-14"))
    assert statement_overdue(FOUR_WEEKLY_PLAN, [late], day("2026-05-13")) is not None
    assert statement_overdue(FOUR_WEEKLY_PLAN, [late], day("2026-05-14")) is None
