"""A plan's money as the money pages read it (payments.selectors): hand-built schedules, statements and
transactions with answers worked out by hand, and the same number of queries for 3 transactions or 30.

The schedule used (worked out by hand, as in test_balance.py): a direct payment of £7,300 a year from 1 April
2026, every 4 weeks: £560.00 on 1 and 29 April, 27 May and 24 June (so £2,240.00 paid in by 30 June), and on
every 28 days after to £20.00 for 31 March 2027. A week of payments is £140.00: 4 weeks £560.00, 8 weeks
£1,120.00. The plan's items (careplans.tests.factories.complete_plan): a personal assistant bought with the
direct payment (£15 × 8 a week: £6,257.14 a year), a taxi to choir and a shower seat (notional money).
"""

import datetime
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from careplans.rules import MoneyOption, PaymentFrequency
from careplans.tests.factories import complete_plan
from payments import balance as money
from payments import reclaims, selectors
from payments.balance import FlagCode, TransactionKind
from payments.models import Recovery, ScheduleLine, Statement, StatementFormat, Transaction
from payments.rules import ScheduleFacts, Stream, schedule
from people.tests.factories import PersonFactory

D = Decimal
ON = datetime.date(2026, 6, 30)
SPEND, REFUND, IN = TransactionKind.SPEND, TransactionKind.REFUND, TransactionKind.PAYMENT_IN
RECOVERY = TransactionKind.RECOVERY
FOUR_WEEKLY = schedule(
    ScheduleFacts(
        start=datetime.date(2026, 4, 1),
        frequency=PaymentFrequency.FOUR_WEEKLY,
        streams=(Stream(MoneyOption.DIRECT_PAYMENT, D("7300.00"), payee="Sarah Smith"),),
    )
)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


# Builders, shared with the page tests ----------------------------------------------------------------------------


def with_schedule(version, lines=FOUR_WEEKLY):
    """The plan's schedule replaced by these lines (payments.rules.Line), written as the service writes them."""
    ScheduleLine.objects.filter(plan=version.plan).delete()
    ScheduleLine.objects.bulk_create(
        ScheduleLine(
            plan=version.plan,
            plan_version=version,
            kind=line.kind,
            money_option=line.money_option,
            item_key=line.item or None,
            payee=line.payee,
            period_start=line.period_start,
            period_end=line.period_end,
            due_on=line.due_on,
            amount=line.amount,
            status=line.status,
        )
        for line in lines
    )
    return version


def statement(plan, user, covers_from, covers_to, received_on) -> Statement:
    return Statement.objects.create(
        plan=plan,
        file_format=StatementFormat.TYPED,
        covers_from=day(covers_from),
        covers_to=day(covers_to),
        received_on=day(received_on),
        added_by=user,
    )


def money_moved(plan, user, *rows, on_statement=None) -> list[Transaction]:
    """Transactions: (date, amount, kind, item key or None[, not in the plan])."""
    on_statement = on_statement or statement(plan, user, "2026-04-01", "2026-04-01", "2026-04-01")
    return Transaction.objects.bulk_create(
        Transaction(
            plan=plan,
            statement=on_statement,
            on=day(on),
            amount=D(amount),
            kind=kind,
            description="Card payment",
            fingerprint=uuid.uuid4().hex,
            item_key=item,
            not_in_plan=bool(rest and rest[0]),
            added_by=user,
        )
        for on, amount, kind, item, *rest in rows
    )


def item_key(version, description="Personal assistant"):
    return version.items.get(description=description).key


@pytest.fixture
def paid(active):
    return with_schedule(active)


# What the page shows -----------------------------------------------------------------------------------------------


def test_it_works_out_paid_in_spent_and_the_balance_with_a_surplus(paid, alice):
    pa = item_key(paid)
    money_moved(
        paid.plan,
        alice,
        ("2026-04-10", "300.00", SPEND, pa),
        ("2026-05-15", "200.00", SPEND, None),  # still to match
        ("2026-05-20", "50.00", REFUND, pa),
        ("2026-06-01", "40.00", SPEND, None, True),  # not in the plan
        ("2026-04-01", "560.00", IN, None),
        ("2026-07-01", "999.00", SPEND, pa),  # after the day: not counted
    )
    view = selectors.money_of(paid.plan, ON)
    money = view.balance
    # £2,240 paid in − £540 spent + £50 refunded.
    assert (money.paid_in, money.received, money.spent, money.refunds) == (
        D("2240.00"),
        D("560.00"),
        D("540.00"),
        D("50.00"),
    )
    assert (money.balance, money.contingency_allowance, money.surplus) == (D("1750.00"), D("560.00"), D("1190.00"))
    assert (money.to_match, money.not_in_plan) == (D("200.00"), D("40.00"))
    codes = [flag.code for flag in view.flags]
    assert FlagCode.SURPLUS in codes and FlagCode.NOT_IN_PLAN in codes and FlagCode.RUNS_OUT not in codes
    assert view.flagged(FlagCode.SURPLUS).sentence.startswith("The account holds £1,750.00, more than 8 weeks")
    assert (view.year_start, view.year_end) == (day("2026-04-01"), day("2027-03-31"))
    # From 1 July: £560 on 22 July and every 28 days to 3 March (9 payments), and £20 on 31 March.
    assert view.to_come == D("5060.00")


def test_it_shows_each_item_planned_against_spent_under_its_name_in_the_version_in_force(paid, alice):
    pa = item_key(paid)
    gone = uuid.uuid4()  # an item no version has
    money_moved(paid.plan, alice, ("2026-04-10", "300.00", SPEND, pa), ("2026-05-20", "50.00", REFUND, pa))
    money_moved(paid.plan, alice, ("2026-06-02", "12.00", SPEND, gone))
    view = selectors.money_of(paid.plan, ON)
    rows = {row.name: (row.how, row.planned, row.actual) for row in view.items}
    # £6,257.14 × 91 days (1 April to 30 June) / 365 = £1,559.999… = £1,560.00.
    assert rows["Personal assistant"] == ("Direct payment", D("1560.00"), D("250.00"))
    assert rows[selectors.NO_LONGER_IN_THE_PLAN] == ("", D("0.00"), D("12.00"))
    assert view.items[0].name == "Personal assistant"  # in the plan's order
    assert view.items[0].difference == D("-1310.00")
    bars = {bar.name: bar.amount for bar in view.spend_by_item}
    assert bars == {"Personal assistant": D("250.00"), selectors.NO_LONGER_IN_THE_PLAN: D("12.00")}


def test_it_adds_the_spend_still_to_match_and_not_in_the_plan_as_bars_of_their_own(paid, alice):
    money_moved(paid.plan, alice, ("2026-05-15", "200.00", SPEND, None), ("2026-06-01", "40.00", SPEND, None, True))
    bars = [(bar.name, bar.amount) for bar in selectors.money_of(paid.plan, ON).spend_by_item]
    assert bars == [
        ("Personal assistant", D("0.00")),
        (selectors.NOT_MATCHED, D("200.00")),
        (selectors.NOT_IN_THE_PLAN, D("40.00")),
    ]


def test_it_flags_money_that_runs_out_before_the_year_ends(paid, alice):
    money_moved(paid.plan, alice, ("2026-06-20", "2000.00", SPEND, item_key(paid)))
    view = selectors.money_of(paid.plan, ON)
    # £240 left, spending £2,000 / 84 days a day: below £0 on the 11th day, 11 July, before 22 July's £560.
    assert view.balance.balance == D("240.00")
    assert view.projection.runs_out_on == day("2026-07-11")
    assert [flag.code for flag in view.flags][:1] == [FlagCode.RUNS_OUT]


def test_a_statement_that_arrives_late_is_overdue_until_it_is_received(paid, alice):
    # On 30 June the last period that ended more than 14 days before is 29 April to 26 May.
    view = selectors.money_of(paid.plan, ON)
    assert view.flagged(FlagCode.STATEMENT_OVERDUE) is not None
    assert view.statement_due_for == day("2026-05-26")
    assert "26 May 2026" in view.flagged(FlagCode.STATEMENT_OVERDUE).sentence
    statement(paid.plan, alice, "2026-04-29", "2026-05-26", received_on="2026-07-05")
    assert selectors.money_of(paid.plan, ON).statement_due_for == day("2026-05-26")  # not received by 30 June
    later = selectors.money_of(paid.plan, day("2026-07-06"))
    assert later.flagged(FlagCode.STATEMENT_OVERDUE) is None and later.statement_due_for is None


def test_the_pages_date_is_the_one_balance_works_out_for_the_flag(paid, alice):
    # One rule (payments.balance.statement_overdue): 29 April to 26 May, due by 9 June, overdue since 10 June.
    view = selectors.money_of(paid.plan, ON)
    assert view.statement_due == money.statement_overdue(view.lines, view.statements, ON)
    assert (view.statement_due.period_end, view.statement_due.due_by) == (day("2026-05-26"), day("2026-06-09"))
    assert view.statement_due.overdue_since == day("2026-06-10") and view.statement_due_for == day("2026-05-26")
    assert selectors.money_of(paid.plan, day("2026-06-09")).statement_due.period_end == day("2026-04-28")


def test_a_repayment_recorded_as_paid_back_does_not_stand_for_the_persons_statement(paid, alice):
    # What payments.reclaims records when a repayment is paid back on 26 May: a statement typed in for that day
    # holding one transaction of money paid back. The person sent nothing, so the statement is still overdue.
    repaid = statement(paid.plan, alice, "2026-05-26", "2026-05-26", received_on="2026-05-26")
    money_moved(paid.plan, alice, ("2026-05-26", "300.00", RECOVERY, None), on_statement=repaid)
    view = selectors.money_of(paid.plan, ON)
    assert view.flagged(FlagCode.STATEMENT_OVERDUE) is not None and view.statement_due_for == day("2026-05-26")
    assert view.balance.repaid == D("300.00")  # the money paid back still counts in the balance
    sent = statement(paid.plan, alice, "2026-04-29", "2026-05-26", received_on="2026-06-02")
    money_moved(paid.plan, alice, ("2026-05-20", "12.00", SPEND, None), on_statement=sent)
    assert selectors.money_of(paid.plan, ON).statement_due is None


def test_a_statement_file_that_brought_nothing_new_still_answers_for_its_period(paid, alice):
    statement(paid.plan, alice, "2026-04-29", "2026-05-26", received_on="2026-06-02")  # every row seen before
    assert selectors.money_of(paid.plan, ON).statement_due is None


def test_deciding_a_repayment_paid_back_on_a_periods_last_day_leaves_that_statement_overdue(active, maker, checker):
    from payments.tests.test_reclaims import past_respond_by, propose

    plan = active.plan
    today = timezone.localdate()
    last_day = (
        ScheduleLine.objects.filter(plan=plan, kind="payment", money_option="direct_payment", period_end__gte=today)
        .order_by("period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    action = propose(plan, maker)
    with time_machine.travel(datetime.datetime.combine(last_day, datetime.time(12), datetime.UTC), tick=False):
        reclaims.decide(
            action=past_respond_by(action),
            agree=True,
            decision_reasons="Not used as agreed.",
            recovery=Recovery.PAID_BACK,
            acting_user=checker,
        )
    assert Statement.objects.get(plan=plan).covers_to == last_day  # what reclaims recorded, for that day
    view = selectors.money_of(plan, last_day + datetime.timedelta(days=15))
    assert view.flagged(FlagCode.STATEMENT_OVERDUE) is not None and view.statement_due_for == last_day


def test_it_adds_up_planned_and_spent_month_by_month_for_the_chart(paid, alice):
    pa = item_key(paid)
    money_moved(paid.plan, alice, ("2026-04-10", "300.00", SPEND, pa), ("2026-05-15", "200.00", SPEND, None))
    money_moved(paid.plan, alice, ("2026-05-20", "50.00", REFUND, pa))
    months = selectors.money_of(paid.plan, ON).months
    assert len(months) == 12 and months[0].start == day("2026-04-01") and months[-1].end == day("2027-03-31")
    # Planned: £6,257.14 × 30 / 365 by 30 April; spent: everything spent less refunds, matched or not.
    assert (months[0].planned, months[0].spent) == (D("514.29"), D("300.00"))
    assert (months[1].planned, months[1].spent) == (D("1045.71"), D("450.00"))
    assert months[2].spent_to == ON and months[3].spent is None
    assert months[-1].planned == D("6257.14")  # the whole year's cost of the item bought from the account


def test_in_the_next_plan_year_the_items_and_charts_start_again_and_the_balance_carries_over(paid, alice):
    next_year = schedule(
        ScheduleFacts(
            start=day("2027-04-01"),
            frequency=PaymentFrequency.FOUR_WEEKLY,
            streams=(Stream(MoneyOption.DIRECT_PAYMENT, D("7300.00"), payee="Sarah Smith"),),
        )
    )
    with_schedule(paid, FOUR_WEEKLY + next_year)
    pa = item_key(paid)
    money_moved(paid.plan, alice, ("2026-04-10", "300.00", SPEND, pa), ("2027-04-10", "100.00", SPEND, pa))
    view = selectors.money_of(paid.plan, day("2027-05-10"))
    assert (view.year_start, view.year_end) == (day("2027-04-01"), day("2028-03-31"))
    # £7,300 for the first year, then £7,300 × 28 / 366 = £558.47 (a 366-day year) on 1 and 29 April 2027;
    # less £400 spent in the two years.
    assert view.balance.paid_in == D("8416.94") and view.balance.balance == D("8016.94")
    # 40 days of the 366-day year to 31 March 2028: £6,257.14 × 40 / 366 = £683.84; spent this year only.
    assert [(row.name, row.planned, row.actual) for row in view.items] == [
        ("Personal assistant", D("683.84"), D("100.00"))
    ]
    assert view.months[0].start == day("2027-04-01") and len(view.months) == 12
    assert view.months[0].spent == D("100.00")
    assert selectors.plan_year_of(view.lines, day("2026-05-01")) == (day("2026-04-01"), day("2027-03-31"))
    assert selectors.plan_year_of(view.lines, day("2030-01-01")) == (day("2027-04-01"), day("2028-03-31"))


def test_without_a_schedule_it_shows_no_projection_or_flags(active):
    ScheduleLine.objects.filter(plan=active.plan).delete()
    view = selectors.money_of(active.plan, ON)
    assert not view.has_schedule and view.projection is None and view.flags == () and view.months == ()
    assert view.balance.balance == D("0.00")


@pytest.mark.parametrize("count", [3, 30])
def test_it_reads_the_money_in_three_queries_for_3_or_30_transactions(paid, alice, count, django_assert_num_queries):
    pa = item_key(paid)
    first = statement(paid.plan, alice, "2026-04-01", "2026-04-28", "2026-05-02")
    money_moved(paid.plan, alice, *[("2026-04-02", f"{n + 1}.00", SPEND, pa) for n in range(count)], on_statement=first)
    statement(paid.plan, alice, "2026-04-29", "2026-05-26", "2026-06-02")
    with django_assert_num_queries(3):
        view = selectors.money_of(paid.plan, ON)
    assert view.balance.spent == D(count * (count + 1) // 2) and len(view.transactions) == count
    assert [(s.covers_from, s.covers_to, s.received_on) for s in view.statements] == [
        (day("2026-04-01"), day("2026-04-28"), day("2026-05-02")),
        (day("2026-04-29"), day("2026-05-26"), day("2026-06-02")),
    ]
    assert view.flagged(FlagCode.STATEMENT_OVERDUE) is None  # the statement for 26 May is in


# The portal's: the person's plan in force ----------------------------------------------------------------------------


def test_it_finds_the_persons_plan_in_force(paid, alice, django_assert_num_queries):
    with django_assert_num_queries(3):
        view = selectors.money_in_force_for(paid.plan.person, ON)
    assert view.plan == paid.plan and view.version == paid
    assert view.balance.paid_in == D("2240.00")


def test_a_plan_not_yet_agreed_has_no_money_to_show(north, alice, django_assert_num_queries):
    person = PersonFactory(care_team=north, lead_coordinator=alice)
    draft = complete_plan(person=person, coordinator=alice)
    assert draft.items.exists()
    with django_assert_num_queries(1):
        assert selectors.money_in_force_for(person, ON) is None
