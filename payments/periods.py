"""Payment periods: where each 4-weekly or monthly period of a plan year starts and ends. Pure date arithmetic.

The rules:
- A plan year runs from the plan's start to the day before the same date a year later
  (careplans.rules.add_months: a plan that starts on 29 February 2024 has a year that ends on 27 February 2025,
  and the next year starts on 28 February 2025, as its reviews are counted).
- Periods follow the payment cycle: a 4-weekly period starts every 28 days; a monthly period starts on the
  cycle's day of the month, or on the last day of a shorter month, and goes back to the cycle's day the month
  after. A cycle that starts on 31 January has periods starting 31 January, 28 February (29 in a leap year),
  31 March, 30 April, 31 May, and so on: every start is counted from the cycle's first day, never from the
  period before, so the 31st is never lost after February.
- The cycle starts on the plan's start date unless the ICB pays on a fixed cycle of its own (for example on the
  1st of each month). Then the plan's first period is a part period, from the plan's start to the day before the
  next cycle day, and the plan year's last period is a part period too, cut at the year's end.
"""

import datetime
from dataclasses import dataclass
from fractions import Fraction

from careplans.rules import PaymentFrequency, add_months

ONE_DAY = datetime.timedelta(days=1)
FOUR_WEEKS = datetime.timedelta(days=28)


def plan_year_end(start: datetime.date) -> datetime.date:
    """The last day of the plan year that starts on `start`: the day before its anniversary."""
    return add_months(start, 12) - ONE_DAY


def days_between(first: datetime.date, last: datetime.date) -> int:
    """Days from first to last, counting both."""
    return (last - first).days + 1


def _cycle_day(cycle_start: datetime.date, frequency: PaymentFrequency, n: int) -> datetime.date:
    """The day the cycle's n-th period starts (n may be negative: periods before the cycle's first day)."""
    if frequency == PaymentFrequency.FOUR_WEEKLY:
        return cycle_start + n * FOUR_WEEKS
    return add_months(cycle_start, n)


def _period_number(cycle_start: datetime.date, frequency: PaymentFrequency, day: datetime.date) -> int:
    """The number of the cycle's period that contains `day`."""
    if frequency == PaymentFrequency.FOUR_WEEKLY:
        return (day - cycle_start).days // 28
    # The cycle's day in the same month as `day` (never in another month), or the month before when `day` is earlier.
    n = (day.year - cycle_start.year) * 12 + day.month - cycle_start.month
    return n if add_months(cycle_start, n) <= day else n - 1


@dataclass(frozen=True)
class Period:
    """Days `start` to `end` (both included) of a cycle period that has `full_days` days in all."""

    start: datetime.date
    end: datetime.date
    full_days: int

    @property
    def days(self) -> int:
        return days_between(self.start, self.end)

    @property
    def is_part(self) -> bool:
        return self.days < self.full_days

    @property
    def weight(self) -> Fraction:
        """1 for a full period; a part period's share of its period's days (10 days of a 31-day month: 10/31)."""
        return Fraction(self.days, self.full_days)


def periods(
    start: datetime.date,
    end: datetime.date,
    frequency: PaymentFrequency,
    cycle_start: datetime.date | None = None,
) -> list[Period]:
    """The cycle's periods from `start` to `end`, the first and last cut where they fall, with no gap or overlap."""
    frequency = PaymentFrequency(frequency)
    cycle_start = cycle_start or start
    n = _period_number(cycle_start, frequency, start)
    found = []
    day = start
    while day <= end:
        opens, next_opens = _cycle_day(cycle_start, frequency, n), _cycle_day(cycle_start, frequency, n + 1)
        found.append(Period(day, min(next_opens - ONE_DAY, end), (next_opens - opens).days))
        day, n = next_opens, n + 1
    return found
