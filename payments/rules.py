"""A plan year's payment schedule as pure functions: what is paid or committed, for which days, and when.

Plain values in (ScheduleFacts), plain values out (Lines), so the rules read here as the policy.

What the schedule holds
- Direct payments and third-party budgets: one PAYMENT line per period into the holder's account (a Stream per
  account). Notional money: one COMMITMENT line per provider item per period (a Stream per item). Periods are
  4-weekly or monthly (payments/periods.py says where each starts and ends).
- One-off items: one line on their date. An initial contingency: one line of its own on the plan's start date,
  paid on top of the agreed annual amount (it is a float held in reserve, not part of what the plan buys).
- A period's line is due on its first day: money is paid in advance, so it is there when the period starts.

How a year's amount is shared between its periods
- A full period weighs 1; a part period weighs its days over its whole period's days (10 days of a 31-day
  month weigh 10/31). Each line's exact share is the annual amount × its weight / the whole plan year's weight.
- So the shares of a full plan year add up exactly to the annual amount, part periods are paid pro rata by days,
  and every full period is paid the same. In a 365-day year 4-weekly periods are paid annual × 28/365 and months
  annual / 12 (the plan's own payment: careplans.rules.payment_for). Two years differ a little: a 366-day year
  paid every 4 weeks (its 366 days share the year, so each 4 weeks is annual × 28/366), and a monthly cycle whose
  first and last part periods fall in Februaries of different lengths.
- A plan year cut short (year_end before the anniversary) keeps the same shares and stops at its end.

Rounding
- Each line's share is rounded half-up to the penny (phb.money.round_pounds), except the last line of each
  stream in the year, which is the year's amount less the other lines: the rounding difference lands there, and
  its note says how much. In the rare year of a few pounds where the lines rounded up would leave the last below
  nothing, those lines give a penny back each, latest first, until it is not (and say so).
"""

import datetime
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from careplans.rules import MoneyOption, PaymentFrequency
from payments.periods import ONE_DAY, days_between, periods, plan_year_end
from phb.money import PENNY, pounds, round_pounds
from phb.words import long_date

ZERO = Decimal("0.00")
EVERY_OPTION = tuple(MoneyOption)
# Money paid into an account by the payment runs. Notional money's lines are commitments: the NHS pays the
# providers against their invoices, never through a run.
ACCOUNT_OPTIONS = (MoneyOption.DIRECT_PAYMENT, MoneyOption.THIRD_PARTY)


class LineKind(StrEnum):
    """The kinds of line, in the order lines of the same day are listed."""

    CONTINGENCY = "contingency"
    PAYMENT = "payment"
    COMMITMENT = "commitment"
    ONE_OFF = "one_off"
    RECOVERY = "recovery"  # money paid before a change for days the changed plan does not pay (recalculate)
    RECLAIM = "reclaim"  # an agreed repayment taken off a payment (payments.reclaims, regulation 13)


LINE_KIND_LABELS = {
    LineKind.CONTINGENCY: "Contingency",
    LineKind.PAYMENT: "Payment for the period",
    LineKind.COMMITMENT: "Committed to the provider for the period",
    LineKind.ONE_OFF: "One-off",
    LineKind.RECOVERY: "Paid before the plan changed, to be paid back",
    LineKind.RECLAIM: "Repayment taken off this payment",
}

# The kinds of line that take money back: the only lines that can be negative, and never held.
TO_PAY_BACK = frozenset({LineKind.RECOVERY, LineKind.RECLAIM})


class LineStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    PAID = "paid"


LINE_STATUS_LABELS = {
    LineStatus.SCHEDULED: "To be paid",
    LineStatus.HELD: "Held while payments are suspended",
    LineStatus.PAID: "Paid",
}


@dataclass(frozen=True)
class Stream:
    """Money paid or committed every period: a year's amount for one account or one provider item.

    Direct payment or third-party budget: one stream per account (payee: who holds it; item left empty).
    Notional money: one stream per provider item (item: the plan item's key; payee: the provider)."""

    money_option: MoneyOption
    annual: Decimal
    item: str = ""
    payee: str = ""


@dataclass(frozen=True)
class OneOff:
    """A one-off item, paid or committed on its date."""

    money_option: MoneyOption
    amount: Decimal
    on: datetime.date
    item: str = ""
    payee: str = ""


@dataclass(frozen=True)
class Contingency:
    """An initial contingency, paid into the holder's account on the plan's start date."""

    amount: Decimal
    money_option: MoneyOption = MoneyOption.DIRECT_PAYMENT
    payee: str = ""


@dataclass(frozen=True)
class ScheduleFacts:
    """What a plan version says about its money for one plan year.

    year_end: the plan year's last day; None for a full year (payments.periods.plan_year_end).
    cycle_start: a day on which the ICB's payment cycle starts a period; None starts the cycle on the plan's start.
    A plan that is all notional money still needs a frequency: its commitments are counted by period too."""

    start: datetime.date
    frequency: PaymentFrequency
    streams: tuple[Stream, ...] = ()
    one_offs: tuple[OneOff, ...] = ()
    contingency: Contingency | None = None
    year_end: datetime.date | None = None
    cycle_start: datetime.date | None = None

    @property
    def end(self) -> datetime.date:
        return self.year_end or plan_year_end(self.start)

    @property
    def agreed_annual(self) -> Decimal:
        """What the plan buys in the year: every stream and one-off (the contingency is on top)."""
        return sum((stream.annual for stream in self.streams), ZERO) + sum(
            (one_off.amount for one_off in self.one_offs), ZERO
        )


@dataclass(frozen=True)
class Line:
    """One payment or commitment: for which days, when it is due, how much, and for what."""

    kind: LineKind
    money_option: MoneyOption
    period_start: datetime.date
    period_end: datetime.date
    due_on: datetime.date
    amount: Decimal
    item: str = ""  # the plan item's key, for a provider item's commitment or a one-off item
    payee: str = ""
    note: str = ""  # a rounding adjustment or a change, in plain English
    status: LineStatus = LineStatus.SCHEDULED
    hold_reason: str = ""

    @property
    def days(self) -> int:
        return days_between(self.period_start, self.period_end)

    @property
    def account(self) -> tuple[MoneyOption, str, str]:
        """Where the money goes: a holder's account, or a provider item."""
        return (self.money_option, self.item, self.payee)


_KIND_ORDER = {kind: n for n, kind in enumerate(LineKind)}


def _in_order(line: Line):
    return (line.period_start, _KIND_ORDER[line.kind], line.money_option, line.item, line.payee, line.period_end)


def _whole_pence(amount: object) -> bool:
    return isinstance(amount, Decimal) and amount.is_finite() and round_pounds(amount) == amount


def facts_problems(facts: ScheduleFacts) -> list[str]:
    """What is wrong with the facts, in plain English; empty when a schedule can be worked out."""
    problems = []
    last_day = plan_year_end(facts.start)
    if facts.end < facts.start:
        problems.append("The plan year must end on or after the day it starts")
    elif facts.end > last_day:
        problems.append(f"A schedule covers one plan year: end it on or before {long_date(last_day)}")
    amounts = [stream.annual for stream in facts.streams] + [one_off.amount for one_off in facts.one_offs]
    if facts.contingency:
        amounts.append(facts.contingency.amount)
        if facts.contingency.money_option == MoneyOption.NOTIONAL:
            problems.append("A contingency is paid into an account: choose a direct payment or a third party")
    if not all(_whole_pence(amount) and amount >= 0 for amount in amounts):
        problems.append("Every amount must be £0 or more, in pounds and pence")
    accounts = [(stream.money_option, stream.item, stream.payee) for stream in facts.streams]
    if len(set(accounts)) < len(accounts):
        problems.append("Give each account or provider item one stream of money")
    for one_off in facts.one_offs:
        if not facts.start <= one_off.on <= facts.end:
            problems.append(f"A one-off on {long_date(one_off.on)} must fall within the plan year")
    return problems


def _rounding_note(adjustment: Decimal) -> str:
    if not adjustment:
        return ""
    added = "added" if adjustment > 0 else "taken off"
    return f"Includes {pounds(abs(adjustment))} {added} as a rounding adjustment, so the year adds up to the penny"


def settle(shares: Sequence[Fraction]) -> list[tuple[Decimal, str]]:
    """Whole pence for exact shares, adding up exactly to their total rounded once: each share rounded
    half-up, the last taking the difference (with a note)."""
    total = round_pounds(sum(shares, Fraction(0)))
    amounts = [round_pounds(share) for share in shares]
    amounts[-1] = total - sum(amounts[:-1], ZERO)
    for n in reversed(range(len(amounts) - 1)):
        if amounts[-1] >= 0:
            break
        if Fraction(amounts[n]) > shares[n]:  # rounded up, so at least a penny: giving one back keeps it ≥ £0
            amounts[n] -= PENNY
            amounts[-1] += PENNY
    return [
        (amount, _rounding_note(amount - round_pounds(share))) for amount, share in zip(amounts, shares, strict=True)
    ]


def _one_day(kind, money_option, on, amount, item="", payee="", note="") -> Line:
    """A line for one day: a contingency or a one-off, due that day."""
    return Line(kind, money_option, on, on, on, round_pounds(amount), item, payee, note)


def schedule(facts: ScheduleFacts) -> list[Line]:
    """Every line of the plan year, in date order. Raises ValueError (facts_problems) for facts that make none."""
    if problems := facts_problems(facts):
        raise ValueError(". ".join(problems))
    frequency = PaymentFrequency(facts.frequency)
    year_weight = sum(p.weight for p in periods(facts.start, plan_year_end(facts.start), frequency, facts.cycle_start))
    these = periods(facts.start, facts.end, frequency, facts.cycle_start)
    lines = []
    if (contingency := facts.contingency) and contingency.amount:
        option, payee = contingency.money_option, contingency.payee
        lines.append(_one_day(LineKind.CONTINGENCY, option, facts.start, contingency.amount, payee=payee))
    for stream in facts.streams:
        if not stream.annual:
            continue
        kind = LineKind.COMMITMENT if stream.money_option == MoneyOption.NOTIONAL else LineKind.PAYMENT
        shares = [Fraction(stream.annual) * period.weight / year_weight for period in these]
        lines += [
            Line(kind, stream.money_option, p.start, p.end, p.start, amount, stream.item, stream.payee, note)
            for p, (amount, note) in zip(these, settle(shares), strict=True)
        ]
    lines += [
        _one_day(LineKind.ONE_OFF, one_off.money_option, one_off.on, one_off.amount, one_off.item, one_off.payee)
        for one_off in facts.one_offs
    ]
    return sorted(lines, key=_in_order)


def split_line(line: Line, at: datetime.date) -> tuple[Line, Line]:
    """A line cut in two at `at`: the days before it, and the days from it. The amount is shared by days: the
    first part rounded half-up to the penny, the second the rest, so the two add up to the line. The second part
    is due on its first day if that is later than the line's due date, and keeps the line's note."""
    if not line.period_start < at <= line.period_end:
        raise ValueError(f"{long_date(at)} does not fall inside the line's period, after its first day")
    before = round_pounds(Fraction(line.amount) * (at - line.period_start).days / line.days)
    return (
        replace(line, period_end=at - ONE_DAY, amount=before, note=""),
        replace(line, period_start=at, due_on=max(line.due_on, at), amount=line.amount - before),
    )


def part_before(line: Line, on: datetime.date) -> Decimal:
    """The part of a line's amount for its days before `on` (split_line's first part for a line that spans it)."""
    if line.period_end < on:
        return line.amount
    if line.period_start >= on:
        return ZERO
    return split_line(line, on)[0].amount


def money_before(lines: Iterable[Line], on: datetime.date) -> Decimal:
    return sum((part_before(line, on) for line in lines), ZERO)


def money_from(lines: Iterable[Line], on: datetime.date) -> Decimal:
    return sum((line.amount - part_before(line, on) for line in lines), ZERO)


def recalculate(lines: Sequence[Line], new_facts: ScheduleFacts, on: datetime.date) -> list[Line]:
    """The schedule once a change to the plan starts on `on`: the old lines up to it, the new ones from it.

    new_facts are the changed plan's facts for the same plan year (its start, end and cycle). The rules:
    - A paid line never changes, whatever its dates. An unpaid line that ends before `on` never changes either.
    - An unpaid line whose period spans `on` is split there by days (split_line): the days before keep the old
      amount for them, and the new schedule pays the days from `on` (its line for that period, split the same
      way, due on `on`). Unpaid lines from `on` are replaced by the new schedule's.
    - A paid line for days from `on` (paid in advance) paid the old amount for them: that part is taken off the
      next new lines of the same account, each down to £0 (and the line says so); whatever is left over is a
      RECOVERY line due on `on` with a negative amount, money to be paid back (with a RECLAIM line, the only
      lines that can be negative), for the days from `on` that the paid lines paid for (so a later change
      splits it by days too).
    - Held days from `on` stay held: the suspension is applied again to the new lines.
    - A repayment taken off a payment (RECLAIM) never changes, paid or not: it is an amount agreed with the
      person, not money for days of the plan, so it is neither split, replaced nor counted as paid ahead.

    The invariant, to the penny: the lines returned add up to money_before(lines, on) + money_from(new, on),
    where new = schedule(new_facts): the old lines' amounts for the days before `on` and the new schedule's for
    the days from it, a line spanning `on` counted by split_line; RECLAIM lines are left out of `lines` there and
    added whole. The same holds for each account.
    """
    if not new_facts.start <= on <= new_facts.end:
        raise ValueError("A change must start within the plan year")
    kept, replaced_holds, paid_ahead = [], [], {}
    for line in lines:
        if line.period_end < on or line.kind == LineKind.RECLAIM:
            kept.append(line)
        elif line.status == LineStatus.PAID:
            kept.append(line)
            owed, until = paid_ahead.get(line.account, (ZERO, on))
            paid_ahead[line.account] = (owed + line.amount - part_before(line, on), max(until, line.period_end))
        else:
            if line.period_start < on:
                before, line = split_line(line, on)
                kept.append(before)
            if line.status == LineStatus.HELD:
                replaced_holds.append(line)
    new = [
        split_line(line, on)[1] if line.period_start < on else line
        for line in schedule(new_facts)
        if line.period_end >= on
    ]
    result = sorted(kept + _take_off(new, paid_ahead, on), key=_in_order)
    for held in replaced_holds:
        result = suspend(
            result, held.period_start, held.period_end, held.hold_reason, money_options=[held.money_option]
        )
    return result


def _take_off(
    lines: list[Line], paid_ahead: dict[tuple, tuple[Decimal, datetime.date]], on: datetime.date
) -> list[Line]:
    """Money paid before a change for days from `on` (by account: how much, and the last day it paid for), taken
    off the account's next lines; what is left is recovered, as a line for the days it paid for."""
    owed = {account: amount for account, (amount, _) in paid_ahead.items()}
    result = []
    for line in lines:
        taken = min(owed.get(line.account, ZERO), line.amount)
        if taken > 0:
            owed[line.account] -= taken
            paid = f"{pounds(taken)} taken off: it was paid before the plan changed on {long_date(on)}"
            line = replace(line, amount=line.amount - taken, note="; ".join(filter(None, [line.note, paid])))
        result.append(line)
    for (option, item, payee), left in owed.items():
        if not left:
            continue
        changed = f"before the plan changed on {long_date(on)}"
        note = (
            f"{pounds(left)} was paid {changed} for days the changed plan does not pay for: it is to be paid back"
            if left > 0
            else f"{pounds(-left)} more was paid back {changed} than the changed plan asks for: it is paid again"
        )
        until = paid_ahead[(option, item, payee)][1]
        result.append(Line(LineKind.RECOVERY, option, on, until, on, -left, item, payee, note))
    return result


def suspend(
    lines: Sequence[Line],
    start: datetime.date,
    end: datetime.date | None,
    reason: str,
    *,
    money_options: Collection[MoneyOption] = EVERY_OPTION,
) -> list[Line]:
    """Hold the money for the days `start` to `end` (both included; None: to the end of the year), for example
    during a stay in hospital.

    Every unpaid line of those money options with days in the suspension is held: a line partly in it is split by
    days (split_line), so only its days in the suspension are held. Paid lines and lines that take money back
    (TO_PAY_BACK: recoveries and repayments) never change.
    What "held" means: the line stays in the schedule with its amount, so the year still adds up to the same
    total; it is not paid (or, for notional money, not committed) while it is held. resume() releases it.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("Give the reason payments are suspended")
    if end is not None and end < start:
        raise ValueError("A suspension must end on or after the day it starts")
    last = end or datetime.date.max
    result = []
    for line in lines:
        affected = (
            line.status == LineStatus.SCHEDULED
            and line.kind not in TO_PAY_BACK
            and line.money_option in money_options
            and line.period_start <= last
            and line.period_end >= start
        )
        if not affected:
            result.append(line)
            continue
        if line.period_start < start:
            before, line = split_line(line, start)
            result.append(before)
        after = None
        if line.period_end > last:
            line, after = split_line(line, last + ONE_DAY)
        result.append(replace(line, status=LineStatus.HELD, hold_reason=reason))
        if after:
            result.append(after)
    return sorted(result, key=_in_order)


def resume(
    lines: Sequence[Line], on: datetime.date, *, money_options: Collection[MoneyOption] = EVERY_OPTION
) -> list[Line]:
    """End a suspension on `on`: every held line of those money options is released, to be paid as usual; one
    whose due date has passed is due on `on`. Parts split off by the suspension stay as separate lines."""
    return [
        replace(line, status=LineStatus.SCHEDULED, hold_reason="", due_on=max(line.due_on, on))
        if line.status == LineStatus.HELD and line.money_option in money_options
        else line
        for line in lines
    ]
