"""Balance and monitoring: what has been paid in and spent, what is left, where it is heading, and what to flag.

Pure functions over plain values: schedule Lines (payments.rules) and Transactions (money in and out of the
holder's account, from statements or typed in). No database. Money through phb.money only.

The rules decided here (the issue is silent on them):
- Paid in comes from the schedule, not from statements: every line into an account (direct payment or third
  party) due on or before the day, unless it is held. A recovery line (negative) takes money off. Payment-in
  transactions are the same money seen from the bank, so they are not added again (`received` shows them).
- Committed is the same, for notional money: commitment lines (and notional one-offs) due on or before the day.
- Transactions count by the date on them, not the day they reached us: a statement that arrives late changes the
  balance for the days it covers.
- balance = paid in − spent + refunds − repaid (money paid back to the ICB from the account), to the penny.
- A week of the regular payment is worked from the schedule's full-period amount (the amount paid into the
  accounts most often in a period; a tie goes to the larger): every 4 weeks it is that amount × 7 / 28; monthly it
  is that amount × 12 × 7 / 365 (a month is 365 / 12 days on average), so 4 weeks of a monthly plan is what the
  plan would pay every 4 weeks. A plan is taken as monthly when any period paid that amount is not 28 days long.
  The contingency allowance is contingency_weeks of that, rounded once; the surplus is the balance above it.
- Planned against actual per item, for the plan year to date: planned is the item's schedule lines due so far
  (notional commitments and one-offs) plus, for an item bought from the account, its annual cost × the days of
  the year so far since payments into the account began / the year's days, rounded once; actual is the spend
  matched to it less its refunds.
- A statement is due within STATEMENT_DAYS (14) days of a direct-payment period's end, and overdue from the day
  after until one that answers for the account covers that period's last day (statement_overdue). A statement
  that brought only money paid back to the NHS does not answer: the NHS recorded it, the holder sent nothing.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from careplans.rules import MoneyOption
from payments.periods import ONE_DAY, days_between, plan_year_end
from payments.rules import ACCOUNT_OPTIONS, ZERO, Line, LineKind, LineStatus, settle
from phb.money import pounds, round_pounds
from phb.words import long_date

SPEND_WINDOW_DAYS = 84  # the present rate of spend is taken over the last 12 weeks
STATEMENT_DAYS = 14  # a statement is overdue this many days after its period ends


class TransactionKind(StrEnum):
    PAYMENT_IN = "payment_in"  # a payment from the ICB arriving in the account
    SPEND = "spend"
    REFUND = "refund"  # money coming back from a supplier
    RECOVERY = "recovery"  # money paid back from the account to the ICB (a reclaim paid back)


@dataclass(frozen=True)
class Transaction:
    """Money in or out of the holder's account. amount is £0.01 or more: the kind says which way it goes.

    item: the plan item's key it is matched to; None while it is still to match.
    not_in_plan: marked as spend the plan does not cover (which raises a flag)."""

    on: datetime.date
    amount: Decimal
    kind: TransactionKind
    item: str | None = None
    not_in_plan: bool = False

    def __post_init__(self):
        if round_pounds(self.amount) != self.amount or self.amount <= 0:
            raise ValueError("A transaction's amount must be more than £0, in pounds and pence")


@dataclass(frozen=True)
class Statement:
    """A statement received for the holder's account, for the days covers_from to covers_to.

    kinds: the kinds of the transactions it brought; empty when it brought none (a file whose every row we had
    already is still a statement received). statement_answers says whether it answers for a period."""

    covers_from: datetime.date
    covers_to: datetime.date
    received_on: datetime.date
    kinds: frozenset[TransactionKind] = frozenset()


@dataclass(frozen=True)
class StatementDue:
    """The statement of the direct-payment period ending period_end: due by due_by (statement_days after it),
    overdue from the day after."""

    period_end: datetime.date
    due_by: datetime.date

    @property
    def overdue_since(self) -> datetime.date:
        return self.due_by + ONE_DAY


@dataclass(frozen=True)
class ItemSpend:
    item: str
    planned: Decimal
    actual: Decimal


@dataclass(frozen=True)
class Balance:
    on: datetime.date
    paid_in: Decimal
    received: Decimal  # payments in seen on statements, for checking against paid_in
    spent: Decimal
    refunds: Decimal
    repaid: Decimal
    balance: Decimal
    committed: Decimal
    weekly_payment: Decimal
    contingency_allowance: Decimal
    surplus: Decimal  # the balance above the contingency allowance, or £0
    surplus_threshold: Decimal  # surplus_weeks of payments: a balance above it is flagged
    to_match: Decimal  # spend not yet matched to an item or marked not in the plan
    not_in_plan: Decimal
    items: tuple[ItemSpend, ...]


@dataclass(frozen=True)
class Projection:
    """At the present rate of spend (per day, over window_start to the day): when the money runs out (the first
    day the balance would fall below £0, None if it lasts the year), and what is left at the year's end."""

    window_start: datetime.date
    daily_spend: Fraction
    runs_out_on: datetime.date | None
    left_at_year_end: Decimal


class FlagCode(StrEnum):
    SURPLUS = "surplus"
    RUNS_OUT = "runs_out"
    NOT_IN_PLAN = "not_in_plan"
    STATEMENT_OVERDUE = "statement_overdue"

    @property
    def title(self) -> str:
        return FLAG_TITLES[self]


# Each flag's title, wherever it is shown (the money pages, the caseload, the trays, the person page).
FLAG_TITLES = {
    FlagCode.SURPLUS: "Money is building up",
    FlagCode.RUNS_OUT: "The money may run out",
    FlagCode.NOT_IN_PLAN: "Spending not in the plan",
    FlagCode.STATEMENT_OVERDUE: "A statement is overdue",
}


@dataclass(frozen=True)
class Flag:
    code: FlagCode
    sentence: str


def _into_account(line: Line) -> bool:
    return line.money_option in ACCOUNT_OPTIONS


def _counts(line: Line, on: datetime.date) -> bool:
    """A line has been paid or committed by `on`: due on or before it and not held."""
    return line.due_on <= on and line.status != LineStatus.HELD


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def _sum_kind(transactions: Iterable[Transaction], kind: TransactionKind, on: datetime.date) -> Decimal:
    return _total(t.amount for t in transactions if t.kind == kind and t.on <= on)


def year_start(lines: Sequence[Line]) -> datetime.date:
    """The plan year's first day: the first day any line is for."""
    if not lines:
        raise ValueError("There is no schedule to work from")
    return min(line.period_start for line in lines)


def weekly_payment(lines: Sequence[Line]) -> Fraction:
    """A week of the regular payment into the accounts, exactly (the module's docstring says how)."""
    per_period = defaultdict(lambda: ZERO)
    lengths = defaultdict(set)
    for line in lines:
        if line.kind == LineKind.PAYMENT and _into_account(line):
            per_period[line.period_start] += line.amount
            lengths[line.period_start].add(line.days)
    if not per_period:
        return Fraction(0)
    counted = Counter(per_period.values())
    amount = max(counted, key=lambda value: (counted[value], value))
    monthly = any(length != 28 for start, value in per_period.items() if value == amount for length in lengths[start])
    return Fraction(amount) * (Fraction(12 * 7, 365) if monthly else Fraction(7, 28))


def _item_spend(
    lines: Sequence[Line],
    transactions: Sequence[Transaction],
    on: datetime.date,
    item_annual: Mapping[str, Decimal],
) -> tuple[ItemSpend, ...]:
    start = year_start(lines)
    # Money for an item bought from the account is planned from the day payments into the account began this year
    # (a plan changed mid-year from a notional budget to a direct payment plans nothing before it).
    paid_from = min(
        (line.period_start for line in lines if line.kind == LineKind.PAYMENT and _into_account(line)),
        default=start,
    )
    paid_from = max(paid_from, start)
    elapsed = Fraction(max(0, min(days_between(paid_from, on), days_between(paid_from, plan_year_end(start)))))
    year_days = days_between(start, plan_year_end(start))
    planned = defaultdict(Fraction)
    for item, annual in item_annual.items():
        planned[item] += Fraction(annual) * elapsed / year_days
    for line in lines:
        if line.item and _counts(line, on):
            planned[line.item] += Fraction(line.amount)
    actual = defaultdict(lambda: ZERO)
    for t in transactions:
        if t.item and start <= t.on <= on and t.kind in (TransactionKind.SPEND, TransactionKind.REFUND):
            actual[t.item] += t.amount if t.kind == TransactionKind.SPEND else -t.amount
    return tuple(
        ItemSpend(item, round_pounds(planned.get(item, Fraction(0))), actual.get(item, ZERO))
        for item in sorted(set(planned) | set(actual))
    )


def balance(
    lines: Sequence[Line],
    transactions: Sequence[Transaction],
    on: datetime.date,
    *,
    contingency_weeks: int = 4,
    surplus_weeks: int = 8,
    item_annual: Mapping[str, Decimal] | None = None,
) -> Balance:
    """Where the plan's money stands at the end of `on` (the module's docstring gives the rules)."""
    paid_in = _total(line.amount for line in lines if _into_account(line) and _counts(line, on))
    committed = _total(line.amount for line in lines if not _into_account(line) and _counts(line, on))
    spent = _sum_kind(transactions, TransactionKind.SPEND, on)
    refunds = _sum_kind(transactions, TransactionKind.REFUND, on)
    repaid = _sum_kind(transactions, TransactionKind.RECOVERY, on)
    left = paid_in - spent + refunds - repaid
    week = weekly_payment(lines)
    allowance = round_pounds(week * contingency_weeks)
    spends = [t for t in transactions if t.kind == TransactionKind.SPEND and t.on <= on]
    return Balance(
        on=on,
        paid_in=paid_in,
        received=_sum_kind(transactions, TransactionKind.PAYMENT_IN, on),
        spent=spent,
        refunds=refunds,
        repaid=repaid,
        balance=left,
        committed=committed,
        weekly_payment=round_pounds(week),
        contingency_allowance=allowance,
        surplus=max(left - allowance, ZERO),
        surplus_threshold=round_pounds(week * surplus_weeks),
        to_match=_total(t.amount for t in spends if t.item is None and not t.not_in_plan),
        not_in_plan=_total(t.amount for t in spends if t.not_in_plan),
        items=_item_spend(lines, transactions, on, item_annual or {}) if lines else (),
    )


def projection(
    lines: Sequence[Line],
    transactions: Sequence[Transaction],
    on: datetime.date,
    *,
    year_end: datetime.date | None = None,
) -> Projection:
    """Where the account's money is heading if spending goes on at the present rate.

    The rules:
    - The present rate is the spend less refunds over the last 12 weeks to `on` (84 days, `on` included), or
      since the plan year started if that is shorter, per day.
    - From the day after `on` to the year's end (year_end, or the plan year's last day), each day adds the
      account lines due that day (not held ones: they are not paid while held) and takes off a day's spend.
    - The money runs out on the first day the balance would fall below £0. Left at the year's end is the
      balance after its last day, rounded once; it is negative when the money runs out.
    """
    start = year_start(lines)
    end = year_end or plan_year_end(start)
    window_start = max(on - datetime.timedelta(days=SPEND_WINDOW_DAYS - 1), start)
    net = _total(
        t.amount if t.kind == TransactionKind.SPEND else -t.amount
        for t in transactions
        if window_start <= t.on <= on and t.kind in (TransactionKind.SPEND, TransactionKind.REFUND)
    )
    daily = Fraction(net) / days_between(window_start, on) if window_start <= on else Fraction(0)
    daily = max(daily, Fraction(0))
    coming = defaultdict(lambda: ZERO)
    for line in lines:
        if _into_account(line) and line.status != LineStatus.HELD and line.due_on > on:
            coming[line.due_on] += line.amount
    left = Fraction(balance(lines, transactions, on).balance)
    runs_out_on = None
    day = on + ONE_DAY
    while day <= end:
        left += Fraction(coming[day]) - daily
        if left < 0 and runs_out_on is None:
            runs_out_on = day
        day += ONE_DAY
    return Projection(window_start, daily, runs_out_on, round_pounds(left))


def statement_answers(statement: Statement) -> bool:
    """Whether a statement answers for the days it covers: it does unless all it brought is money paid back to
    the NHS. That is what payments.reclaims records when the PHB team decides a repayment is paid back (a
    statement typed in for the day, holding one RECOVERY transaction): the NHS's own record of the money coming
    back, not the holder telling us how the account was used. A statement that brought nothing new (a file seen
    before) still answers."""
    return statement.kinds != {TransactionKind.RECOVERY}


def statement_overdue(
    lines: Sequence[Line],
    statements: Collection[Statement],
    on: datetime.date,
    *,
    statement_days: int = STATEMENT_DAYS,
) -> StatementDue | None:
    """The statement overdue on `on`, or None: the one rule the flag and the money pages read.

    Take the last direct-payment period that ended more than statement_days days (default 14) before `on`: its
    statement is due by its last day + statement_days, and overdue from the day after when no statement received
    by `on` that answers (statement_answers) covers its last day. Only the last such period is asked about."""
    ended = [
        line.period_end
        for line in lines
        if line.kind == LineKind.PAYMENT
        and line.money_option == MoneyOption.DIRECT_PAYMENT
        and (on - line.period_end).days > statement_days
    ]
    if not ended:
        return None
    last = max(ended)
    if any(s.covers_from <= last <= s.covers_to and s.received_on <= on and statement_answers(s) for s in statements):
        return None
    return StatementDue(period_end=last, due_by=last + datetime.timedelta(days=statement_days))


def flags(
    lines: Sequence[Line],
    transactions: Sequence[Transaction],
    statements: Collection[Statement],
    on: datetime.date,
    *,
    surplus_weeks: int = 8,
    statement_days: int = STATEMENT_DAYS,
    year_end: datetime.date | None = None,
) -> list[Flag]:
    """What the coordinator should look at, on `on`, in this order.

    - Surplus: the balance is more than surplus_weeks of the regular payment (rounded once); exactly that is not.
    - Runs out: the projection says the money runs out before the year ends.
    - Not in the plan: any spend marked as not in the plan, up to `on`.
    - Statement overdue: statement_overdue says when.
    """
    found = []
    now = balance(lines, transactions, on, surplus_weeks=surplus_weeks)
    threshold = now.surplus_threshold
    if now.balance > threshold:
        found.append(
            Flag(
                FlagCode.SURPLUS,
                f"The account holds {pounds(now.balance)}, more than {surplus_weeks} weeks of payments "
                f"({pounds(threshold)}). Talk to the person about the money not used.",
            )
        )
    ahead = projection(lines, transactions, on, year_end=year_end)
    if ahead.runs_out_on is not None:
        found.append(
            Flag(
                FlagCode.RUNS_OUT,
                f"At the present rate of spending the money runs out on {long_date(ahead.runs_out_on)}, "
                "before the plan year ends.",
            )
        )
    outside = [t for t in transactions if t.kind == TransactionKind.SPEND and t.not_in_plan and t.on <= on]
    if outside:
        found.append(
            Flag(
                FlagCode.NOT_IN_PLAN,
                f"{pounds(_total(t.amount for t in outside))} was spent on things not in the plan "
                f"({len(outside)} {'payment' if len(outside) == 1 else 'payments'}).",
            )
        )
    due = statement_overdue(lines, statements, on, statement_days=statement_days)
    if due is not None:
        found.append(
            Flag(
                FlagCode.STATEMENT_OVERDUE,
                f"The statement for the period ending {long_date(due.period_end)} has not arrived. "
                f"It was due within {statement_days} days of the period ending.",
            )
        )
    return found


def deduct_reclaim(lines: Sequence[Line], amount: Decimal, *, start_on: datetime.date, instalments: int) -> list[Line]:
    """The schedule with a reclaim recovered by deduction from the next `instalments` payments.

    The rules: the payments are the unpaid PAYMENT lines into an account due on or after start_on, in date order.
    The amount is shared equally, each part rounded half-up to the penny and the last taking the difference
    (payments.rules.settle). Each part is a RECLAIM line of minus that amount, for the same account, period and
    due date as the payment it comes off, so the net paid in falls by exactly the amount. Raises ValueError when
    there are fewer payments left than instalments, or a part would be more than its payment.
    """
    if instalments < 1 or round_pounds(amount) != amount or amount <= 0:
        raise ValueError("A reclaim must be more than £0, taken over one payment or more")
    payments = sorted(
        (
            line
            for line in lines
            if line.kind == LineKind.PAYMENT
            and _into_account(line)
            and line.status == LineStatus.SCHEDULED
            and line.due_on >= start_on
        ),
        key=lambda line: line.due_on,
    )[:instalments]
    if len(payments) < instalments:
        raise ValueError(f"There are only {len(payments)} payments left to take the reclaim from")
    parts = settle([Fraction(amount) / instalments] * instalments)
    if any(part > payment.amount for (part, _), payment in zip(parts, payments, strict=True)):
        raise ValueError("A part of the reclaim would be more than the payment it comes off")
    recovered = [
        Line(
            LineKind.RECLAIM,
            payment.money_option,
            payment.period_start,
            payment.period_end,
            payment.due_on,
            -part,
            payment.item,
            payment.payee,
            f"{pounds(part)} taken off this payment: part {n} of {instalments} of a reclaim of {pounds(amount)}",
        )
        for n, ((part, _), payment) in enumerate(zip(parts, payments, strict=True), start=1)
    ]
    return sorted([*lines, *recovered], key=lambda line: (line.due_on, line.kind != LineKind.PAYMENT))
