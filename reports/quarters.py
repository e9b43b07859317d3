"""Financial-year quarters, as NHS England's returns count them: pure, no database.

The NHS financial year runs from 1 April to 31 March. Quarter 1 is April to June, quarter 2 July to
September, quarter 3 October to December and quarter 4 January to March of the next calendar year. A year is
written "2026-27" and a quarter in a query string "2026-27-q1".
"""

import datetime
import re
from dataclasses import dataclass

from phb.words import MONTHS

# The years a quarter may be in: the service started long after 2000, and a typed code far in the future is
# a mistake rather than a plan.
FIRST_YEAR, LAST_YEAR = 2000, 2098

CODE = re.compile(r"(\d{4})-(\d{2})-q(\d)")
CODE_EXAMPLE = "2026-27-q1"
# Quarters offered in the chooser: two years back, so last year's figures can be sent again corrected.
RECENT_COUNT = 8


@dataclass(frozen=True, order=True)
class Quarter:
    """One quarter of a financial year: `year` is the calendar year the financial year starts in (2026 for
    2026-27) and `number` is 1 to 4. Quarters sort in time order."""

    year: int
    number: int

    def __post_init__(self):
        if not isinstance(self.number, int) or not 1 <= self.number <= 4:
            raise ValueError(f"A financial year has quarters 1 to 4, not quarter {self.number}.")
        if not isinstance(self.year, int) or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise ValueError(f"Choose a financial year from {FIRST_YEAR} to {LAST_YEAR}, not {self.year}.")

    @property
    def start(self) -> datetime.date:
        """The quarter's first day."""
        month = 3 * self.number + 1  # April, July, October; January is 13, in the next calendar year
        if month > 12:
            return datetime.date(self.year + 1, month - 12, 1)
        return datetime.date(self.year, month, 1)

    @property
    def end(self) -> datetime.date:
        """The quarter's last day (inclusive): the day before the next quarter's first."""
        first = self.start
        month, year = first.month + 3, first.year
        if month > 12:
            month, year = month - 12, year + 1
        return datetime.date(year, month, 1) - datetime.timedelta(days=1)

    @property
    def year_start(self) -> datetime.date:
        """1 April of the quarter's financial year: where the year to date starts."""
        return datetime.date(self.year, 4, 1)

    @property
    def financial_year(self) -> str:
        """The financial year as it is written: "2026-27"."""
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    @property
    def code(self) -> str:
        """The quarter in a query string or a file name: "2026-27-q1" (Quarter.from_code reads it back)."""
        return f"{self.financial_year}-q{self.number}"

    @property
    def short_label(self) -> str:
        """ "Q1 2026-27"."""
        return f"Q{self.number} {self.financial_year}"

    @property
    def months(self) -> str:
        """ "April to June 2026"; the year is the calendar year the quarter's months are in."""
        first, last = self.start, self.end
        return f"{MONTHS[first.month - 1]} to {MONTHS[last.month - 1]} {last.year}"

    @property
    def label(self) -> str:
        """ "Q1 2026-27: April to June 2026"."""
        return f"{self.short_label}: {self.months}"

    def __str__(self) -> str:
        return self.label

    @property
    def previous(self) -> "Quarter":
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    @property
    def next(self) -> "Quarter":
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    @classmethod
    def containing(cls, day: datetime.date) -> "Quarter":
        """The quarter a day falls in: 31 March 2027 is in Q4 2026-27, 1 April 2027 in Q1 2027-28."""
        if day.month >= 4:
            return cls(day.year, (day.month - 4) // 3 + 1)
        return cls(day.year - 1, 4)

    @classmethod
    def from_code(cls, code: str) -> "Quarter":
        """The quarter a query string names, such as "2026-27-q1". Anything else is a ValueError that says, in
        plain words, how to write one."""
        text = str(code or "").strip().lower()
        found = CODE.fullmatch(text)
        if found is None:
            raise ValueError(
                f"'{code}' is not a quarter. Write the financial year and the quarter, for example {CODE_EXAMPLE}."
            )
        year, second, number = int(found[1]), int(found[2]), int(found[3])
        if second != (year + 1) % 100:
            raise ValueError(
                f"'{code}' is not a financial year: the year after {year} ends in {(year + 1) % 100:02d}, "
                f"so write {year}-{(year + 1) % 100:02d}-q{number}."
            )
        return cls(year, number)


def last_finished(today: datetime.date) -> Quarter:
    """The most recent quarter that has ended: the one a return is due for."""
    return Quarter.containing(today).previous


def recent(today: datetime.date, *, count: int = RECENT_COUNT) -> list[Quarter]:
    """Quarters for a chooser, newest first: the quarter `today` is in (not yet ended) and those before it."""
    quarters = [Quarter.containing(today)]
    while len(quarters) < count:
        quarters.append(quarters[-1].previous)
    return quarters
