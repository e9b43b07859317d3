"""The indicative budget as pure functions: plain values in, pounds and reasons out.

Two methods, shown side by side:
- cost of current services (costed): what the NHS now pays for services that
  can be released into a budget (spot-purchased NHS services). Block-contract
  services cannot be paid for twice; council-funded services belong to the
  council's share of an integrated budget, never the NHS share.
- resource allocation (RAS): points for each need level in each domain, from
  the tariff in force on the date, times the tariff's price per point.

Money is Decimal pounds. Each figure is rounded half-up to the penny once, when
it is made (phb.money.round_pounds); totals are exact sums of the rounded lines,
so a breakdown always adds up to its total.
"""

import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from phb.money import MAX_AMOUNT, pounds, round_pounds


class Period(StrEnum):
    WEEK = "week"
    FOUR_WEEKS = "4_weeks"
    MONTH = "month"
    YEAR = "year"


class FundingSource(StrEnum):
    NHS_SPOT = "nhs_spot"  # NHS, bought per unit: can be released into a budget
    NHS_BLOCK = "nhs_block"  # NHS block contract: cannot be paid again from a budget
    COUNCIL = "council"  # council social care: the council's share, never the NHS share
    OTHER = "other"  # anyone else (charity, the person): shown, not counted


class UnitKind(StrEnum):
    HOUR = "hour"
    DAY = "day"
    SESSION = "session"
    ITEM = "item"


class NeedLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very_high"


class Domain(StrEnum):
    MENTAL_HEALTH = "mental_health"
    PHYSICAL_HEALTH = "physical_health"
    DAILY_LIVING = "daily_living"
    SOCIAL = "social"
    CONFIDENCE = "confidence"
    WORK = "work"
    HOUSING = "housing"
    CARERS = "carers"


class Method(StrEnum):
    COSTED = "costed"
    RAS = "ras"
    HIGHER = "higher"
    LOWER = "lower"


MAX_ANNUAL = MAX_AMOUNT  # no single service costs more than this a year (£5,000,000)
# A tariff's bounds keep the resource allocation inside its numeric(12, 2) column: at most
# 8 domains × 100,000 points × £10,000 = £8,000,000,000.00 (the column holds up to £9,999,999,999.99).
# Real tariffs are a few hundred pounds a point and tens of points a level.
MAX_PRICE_PER_POINT = Decimal("10000.00")
MAX_POINTS = 100_000
# Services recorded in one assessment: the cost of current services is at most 100 × £5,000,000 a year,
# far inside its column. People use a handful.
MAX_SERVICES = 100
MAX_HOURS_A_WEEK = 168
MAX_DAYS_A_WEEK = 7

# How many of each period make a year, and how many days each period is, as exact
# fractions: a week is 365/7 a year, not 52 (52 weeks is 364 days).
PERIODS_PER_YEAR: dict[Period, Fraction] = {
    Period.WEEK: Fraction(365, 7),
    Period.FOUR_WEEKS: Fraction(365, 28),
    Period.MONTH: Fraction(12),
    Period.YEAR: Fraction(1),
}
DAYS_IN_PERIOD: dict[Period, Fraction] = {
    Period.WEEK: Fraction(7),
    Period.FOUR_WEEKS: Fraction(28),
    Period.MONTH: Fraction(365, 12),
    Period.YEAR: Fraction(365),
}

# Words people see, for forms and for the explanations below.
DOMAIN_LABELS: dict[Domain, str] = {
    Domain.MENTAL_HEALTH: "mental health and wellbeing",
    Domain.PHYSICAL_HEALTH: "physical health",
    Domain.DAILY_LIVING: "daily living and personal care",
    Domain.SOCIAL: "social participation and relationships",
    Domain.CONFIDENCE: "confidence and skills",
    Domain.WORK: "work, education and volunteering",
    Domain.HOUSING: "housing and safety",
    Domain.CARERS: "carers and family",
}
LEVEL_LABELS: dict[NeedLevel, str] = {
    NeedLevel.NONE: "none",
    NeedLevel.LOW: "low",
    NeedLevel.MODERATE: "moderate",
    NeedLevel.HIGH: "high",
    NeedLevel.VERY_HIGH: "very high",
}
# What each level means, in one line, shown beside the choices on the assessment form.
LEVEL_DESCRIPTIONS: dict[NeedLevel, str] = {
    NeedLevel.NONE: "They manage this part of life well without help.",
    NeedLevel.LOW: "They need occasional help or advice, less than once a week.",
    NeedLevel.MODERATE: "They need help regularly, most weeks.",
    NeedLevel.HIGH: "They need help every day, or things often go wrong without it.",
    NeedLevel.VERY_HIGH: "They need help all or most of the time, or their health or safety is at risk without it.",
}
FUNDING_LABELS: dict[FundingSource, str] = {
    FundingSource.NHS_SPOT: "NHS, bought per unit (spot purchase)",
    FundingSource.NHS_BLOCK: "NHS block contract",
    FundingSource.COUNCIL: "Council social care",
    FundingSource.OTHER: "Other",
}
PERIOD_LABELS: dict[Period, str] = {
    Period.WEEK: "a week",
    Period.FOUR_WEEKS: "4 weeks",
    Period.MONTH: "a month",
    Period.YEAR: "a year",
}
UNIT_LABELS: dict[UnitKind, str] = {
    UnitKind.HOUR: "hours",
    UnitKind.DAY: "days",
    UnitKind.SESSION: "sessions",
    UnitKind.ITEM: "items",
}
_UNIT_SINGULAR: dict[UnitKind, str] = {
    UnitKind.HOUR: "hour",
    UnitKind.DAY: "day",
    UnitKind.SESSION: "session",
    UnitKind.ITEM: "item",
}
_PERIOD_EVERY: dict[Period, str] = {  # "10 hours a week", "10 hours every 4 weeks"
    Period.WEEK: "a week",
    Period.FOUR_WEEKS: "every 4 weeks",
    Period.MONTH: "a month",
    Period.YEAR: "a year",
}
NOT_COUNTED: dict[FundingSource, str] = {
    FundingSource.NHS_BLOCK: "Paid through an NHS block contract: cannot be paid for again from a budget",
    FundingSource.COUNCIL: "Paid by the council: counts towards the council's share, not the NHS budget",
    FundingSource.OTHER: "Not paid by the NHS or the council: not counted",
}


def _times_a_year(period: Period) -> str:
    times = PERIODS_PER_YEAR[period]
    if times.denominator == 1:
        return f"multiplied by {times.numerator}"
    about = (Decimal(times.numerator) / Decimal(times.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"multiplied by {times.numerator} and divided by {times.denominator} (about {about} times a year)"


def yearly_words() -> str:
    """How costs a week, every 4 weeks and a month become yearly ones, in words, from PERIODS_PER_YEAR (the
    numbers the arithmetic uses), for the pages that show the worksheet."""
    costs = "; ".join(
        f"a cost {_PERIOD_EVERY[period]} is {_times_a_year(period)}"
        for period in (Period.WEEK, Period.FOUR_WEEKS, Period.MONTH)
    )
    return f"How a year's cost is worked out: a year has {DAYS_IN_PERIOD[Period.YEAR]} days, so {costs}."


COSTED_WORDS = "the cost of current services"
RAS_WORDS = "the resource allocation"
NO_TARIFF = "No tariff is in force on this date, so only the cost of current services can be used"

DIFFER_SHARE = Fraction(1, 4)  # RAS and costed differ by more than 25% of the costed total
BLOCK_SHARE = Fraction(1, 2)  # block contracts are more than half of all current services
HIGH_DOMAINS = 3  # this many domains at high or very high need is high need overall

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ServiceInput:
    name: str
    funding: FundingSource
    unit_cost: Decimal
    units: Decimal
    period: Period
    unit_kind: UnitKind = UnitKind.HOUR


@dataclass(frozen=True)
class TariffInput:
    price_per_point: Decimal
    # points[domain][level] -> whole points
    points: Mapping[Domain, Mapping[NeedLevel, int]]


@dataclass(frozen=True)
class Line:
    label: str
    detail: str  # plain English: how the amount was worked out, or why it is not counted
    amount: Decimal  # annual, pounds, 2 places
    counts: bool  # counted in this method's total


@dataclass(frozen=True)
class CostedResult:
    total: Decimal  # NHS services that can be released (sum of the counted lines)
    lines: tuple[Line, ...]
    council_share: Decimal
    block_total: Decimal
    all_services_total: Decimal  # every current service, whoever pays


@dataclass(frozen=True)
class RasResult:
    total: Decimal
    lines: tuple[Line, ...]  # one per domain
    points_total: int


@dataclass(frozen=True)
class Flag:
    code: str  # "ras_costed_differ" | "no_services" | "block_over_half" | "high_need_low_budget"
    message: str  # plain English, says where to look


def _exact(value: Decimal | int) -> Fraction:
    """A Decimal or int as an exact fraction; floats are refused (they cannot hold pence exactly)."""
    if isinstance(value, float):
        raise TypeError("Use Decimal for money and units, never float")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("Amounts must be finite numbers")
    return Fraction(value)


def _number(value: Decimal | int) -> str:
    """A count as people write it: 10, 2.5, 1,000 (no trailing zeros, no exponent)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


def _percent(share: Decimal | Fraction) -> str:
    """0.1 -> "10%", 0.125 -> "12.5%"."""
    return f"{_number(round_pounds(Fraction(share) * 100))}%"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _price(value: Decimal) -> str:
    """Pounds as shown, keeping any places past the penny so the sum can be checked."""
    if _exact(value) == _exact(round_pounds(value)):
        return pounds(value)
    sign = "\u2212" if value < 0 else ""
    return f"{sign}£{abs(value):,f}"


def annual_cost(unit_cost: Decimal, units: Decimal, period: Period) -> Decimal:
    """unit_cost × units × periods in a year (365/7 weeks, 365/28 four-weeks, 12 months), rounded once."""
    return round_pounds(_exact(unit_cost) * _exact(units) * PERIODS_PER_YEAR[Period(period)])


def service_problems(service: ServiceInput) -> dict[str, str]:
    """{ServiceInput field name: message to show by that field}; empty when the service makes sense."""
    problems: dict[str, str] = {}
    unit_cost, units = _exact(service.unit_cost), _exact(service.units)
    period, kind = Period(service.period), UnitKind(service.unit_kind)
    if unit_cost < 0:
        problems["unit_cost"] = "Unit cost must be 0 or more"
    if units <= 0:
        problems["units"] = "Number of units must be more than 0"
    else:
        a_week = units * 7 / DAYS_IN_PERIOD[period]
        if kind == UnitKind.HOUR and a_week > MAX_HOURS_A_WEEK:
            problems["units"] = (
                f"A service cannot be more than {MAX_HOURS_A_WEEK} hours a week. "
                "Check the number of hours and the period"
            )
        elif kind == UnitKind.DAY and a_week > MAX_DAYS_A_WEEK:
            problems["units"] = (
                f"A service cannot be more than {MAX_DAYS_A_WEEK} days a week. Check the number of days and the period"
            )
    if "unit_cost" not in problems and units > 0 and annual_cost(service.unit_cost, service.units, period) > MAX_ANNUAL:
        problems["unit_cost"] = (
            f"The yearly cost would be more than £{MAX_ANNUAL:,.0f}. Check the cost and the number of units"
        )
    return problems


def _whole_points(points: object) -> bool:
    if isinstance(points, bool):
        return False
    if isinstance(points, int):
        return points >= 0
    if isinstance(points, Decimal):
        return points.is_finite() and points >= 0 and points == points.to_integral_value()
    return False


def _positive(price: object) -> bool:
    if isinstance(price, bool) or not isinstance(price, Decimal | int):
        return False
    return (not isinstance(price, Decimal) or price.is_finite()) and price > 0


def tariff_problems(tariff: TariffInput) -> dict[str, str]:
    """{"price_per_point" or "<domain>.<level>": message}; empty when the tariff can be used."""
    problems: dict[str, str] = {}
    if not _positive(tariff.price_per_point):
        problems["price_per_point"] = "Price per point must be more than 0"
    elif tariff.price_per_point > MAX_PRICE_PER_POINT:
        problems["price_per_point"] = f"Price per point must be £{MAX_PRICE_PER_POINT:,.0f} or less"
    for domain in Domain:
        levels = tariff.points.get(domain) or {}
        for level in NeedLevel:
            where = f"'{LEVEL_LABELS[level]}' need in {DOMAIN_LABELS[domain]}"
            points = levels.get(level)
            if points is None:
                problems[f"{domain}.{level}"] = f"Enter points for {where}"
            elif not _whole_points(points):
                problems[f"{domain}.{level}"] = f"Points for {where} must be a whole number, 0 or more"
            elif points > MAX_POINTS:
                problems[f"{domain}.{level}"] = f"Points for {where} must be {MAX_POINTS:,} or fewer"
    return problems


def costed(services: Sequence[ServiceInput]) -> CostedResult:
    """The cost of current services: one line per service, in order; only NHS spot purchases count."""
    lines = []
    council = block = everything = total = ZERO
    for service in services:
        funding, period, kind = FundingSource(service.funding), Period(service.period), UnitKind(service.unit_kind)
        amount = annual_cost(service.unit_cost, service.units, period)
        unit = _UNIT_SINGULAR[kind] if _exact(service.units) == 1 else UNIT_LABELS[kind]
        detail = (
            f"{_price(service.unit_cost)} × {_number(service.units)} {unit} {_PERIOD_EVERY[period]}"
            f" = {pounds(amount)} a year"
        )
        counts = funding == FundingSource.NHS_SPOT
        if not counts:
            detail = f"{detail}. {NOT_COUNTED[funding]}"
        lines.append(Line(label=service.name, detail=detail, amount=amount, counts=counts))
        everything += amount
        if counts:
            total += amount
        elif funding == FundingSource.COUNCIL:
            council += amount
        elif funding == FundingSource.NHS_BLOCK:
            block += amount
    return CostedResult(
        total=total, lines=tuple(lines), council_share=council, block_total=block, all_services_total=everything
    )


def ras(needs: Mapping[Domain, NeedLevel], tariff: TariffInput) -> RasResult:
    """The resource allocation: one line per domain (a domain not assessed counts as no need)."""
    problems = tariff_problems(tariff)
    if problems:
        raise ValueError("The tariff cannot be used: " + "; ".join(problems.values()))
    lines = []
    points_total = 0
    total = ZERO
    for domain in Domain:
        level = NeedLevel(needs.get(domain, NeedLevel.NONE))
        points = int(tariff.points[domain][level])
        amount = round_pounds(points * _exact(tariff.price_per_point))
        heading = "No need" if level == NeedLevel.NONE else f"{_sentence(LEVEL_LABELS[level])} need"
        detail = (
            f"{heading}: {points:,} point{'' if points == 1 else 's'} × {_price(tariff.price_per_point)}"
            f" = {pounds(amount)}"
        )
        lines.append(Line(label=_sentence(DOMAIN_LABELS[domain]), detail=detail, amount=amount, counts=True))
        points_total += points
        total += amount
    return RasResult(total=total, lines=tuple(lines), points_total=points_total)


def choose(method: Method, *, costed_total: Decimal, ras_total: Decimal | None) -> tuple[Decimal, str]:
    """The indicative budget for a method, and where it came from in words ("the resource allocation").

    Raises ValueError when the method needs the resource allocation and no tariff is in force.
    """
    method = Method(method)
    if method == Method.COSTED:
        return costed_total, COSTED_WORDS
    if ras_total is None:
        raise ValueError(NO_TARIFF)
    if method == Method.RAS:
        return ras_total, RAS_WORDS
    if ras_total == costed_total:
        return costed_total, f"{COSTED_WORDS}, which is the same as {RAS_WORDS}"
    if method == Method.HIGHER:
        which, use_ras = "higher", ras_total > costed_total
    else:
        which, use_ras = "lower", ras_total < costed_total
    amount, words = (ras_total, RAS_WORDS) if use_ras else (costed_total, COSTED_WORDS)
    return amount, f"the {which} of the two figures: {words}"


def sign_off_reasons(*, base: Decimal, adjustment: Decimal, share: Decimal, ceiling: Decimal) -> list[str]:
    """Why the budget base + adjustment needs signing off; an empty list means it does not.

    Sign-off is needed when the adjustment (up or down) is more than share × base (so any
    adjustment to a base of 0), or when the budget is more than the ceiling. Exactly at a
    limit does not need sign-off.
    """
    reasons = []
    final = _exact(base) + _exact(adjustment)
    if abs(_exact(adjustment)) > _exact(share) * abs(_exact(base)):
        reasons.append(f"The adjustment of {pounds(adjustment)} is more than {_percent(share)} of {pounds(base)}")
    if final > _exact(ceiling):
        reasons.append(f"The budget of {pounds(final)} a year is more than {pounds(ceiling)}")
    return reasons


def no_sign_off_words(*, share: Decimal, ceiling: Decimal) -> str:
    """Why a budget needs no sign-off, in words: the limits sign_off_reasons checks, both met."""
    return (
        f"No PHB team sign-off needed: any adjustment is {_percent(share)} of the starting figure or less, "
        f"and the budget is {pounds(ceiling)} a year or less"
    )


def _is_high_need(needs: Mapping[Domain, NeedLevel]) -> bool:
    levels = [NeedLevel(level) for level in needs.values()]
    high = sum(level in (NeedLevel.HIGH, NeedLevel.VERY_HIGH) for level in levels)
    return NeedLevel.VERY_HIGH in levels or high >= HIGH_DOMAINS


def flags(
    *,
    costed_result: CostedResult,
    ras_result: RasResult | None,
    needs: Mapping[Domain, NeedLevel],
    final_annual: Decimal | None,
    low_budget_floor: Decimal,
) -> list[Flag]:
    """Things a reviewer should look at, in a fixed order. Each message says what to check."""
    found = []
    costed_total = _exact(costed_result.total)
    if ras_result is not None:
        ras_total = _exact(ras_result.total)
        both = (
            f"The resource allocation is {pounds(ras_result.total)} a year "
            f"and {COSTED_WORDS} is {pounds(costed_result.total)} a year"
        )
        check = "Check the needs assessment and the services recorded."
        if costed_total > 0 and abs(ras_total - costed_total) > DIFFER_SHARE * costed_total:
            percent = math.floor(abs(ras_total - costed_total) * 100 / costed_total + Fraction(1, 2))
            shown = f"{percent:,}%" if percent > DIFFER_SHARE * 100 else f"more than {_percent(DIFFER_SHARE)}"
            found.append(Flag("ras_costed_differ", f"{both}: they differ by {shown} of {COSTED_WORDS}. {check}"))
        elif costed_total == 0 and ras_total > 0:
            found.append(Flag("ras_costed_differ", f"{both}, so they cannot be compared. {check}"))
    if not costed_result.lines:
        found.append(
            Flag(
                "no_services",
                "No current services are recorded, so the cost of current services is £0.00. "
                "Record what the person uses now.",
            )
        )
    all_services = _exact(costed_result.all_services_total)
    if all_services > 0 and _exact(costed_result.block_total) > BLOCK_SHARE * all_services:
        found.append(
            Flag(
                "block_over_half",
                f"{pounds(costed_result.block_total)} of the {pounds(costed_result.all_services_total)} a year "
                "spent on current services is paid through NHS block contracts, "
                "which cannot be paid for again from a budget. "
                "Check with the commissioner whether any of these services could be released into the budget.",
            )
        )
    if _is_high_need(needs) and final_annual is not None and _exact(final_annual) < _exact(low_budget_floor):
        found.append(
            Flag(
                "high_need_low_budget",
                f"The needs assessment shows high needs, but the budget of {pounds(final_annual)} a year is less than "
                f"{pounds(low_budget_floor)}. Check the needs assessment and whether the budget will meet them.",
            )
        )
    return found


def in_force(effective_dates: Sequence[datetime.date], on: datetime.date) -> datetime.date | None:
    """The latest effective date on or before `on` (the tariff in force that day), or None."""
    return max((date for date in effective_dates if date <= on), default=None)
