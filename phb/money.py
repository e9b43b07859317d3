"""Money: Decimal pounds, rounded half-up to the penny in exactly one place.

- Money is never a float: every function here refuses floats with TypeError.
- Rounding is half-up, away from zero (0.005 -> 0.01, -0.005 -> -0.01), done by
  round_pounds and nowhere else. Ratios such as "a year's money for a week" are
  worked out exactly (as fractions) and rounded once, so there is no double rounding.
- Negative amounts are shown with a true minus sign (U+2212), "−£12.00", which
  screen readers read as "minus". parse_pounds accepts that sign and the hyphen.
"""

import re
from decimal import Decimal
from fractions import Fraction

PENNY = Decimal("0.01")
MINUS = "\u2212"  # the minus sign used when showing a negative amount

NOT_A_NUMBER = "Enter an amount in pounds, like 12.50"
TOO_MANY_PLACES = "Enter an amount in pounds and pence, like 12.50"

DAYS_IN_YEAR = 365
DAYS_IN_WEEK = 7
DAYS_IN_FOUR_WEEKS = 28

# The most any one amount typed into the service may be: a unit's cost, one payment, an adjustment, money
# to repay. It is also the most a budget or an item may cost a year (budgets.calculate.MAX_ANNUAL,
# careplans.rules.MAX_ITEM_ANNUAL). Money columns are numeric(12, 2), up to £9,999,999,999.99, so a
# total of up to 1,999 such amounts still fits; tests/test_field_bounds.py checks each bound.
MAX_AMOUNT = Decimal("5000000.00")

# An optional sign, an optional pound sign (either order), then digits with optional
# thousands commas and an optional decimal part. ASCII digits only: Decimal() would
# also take other scripts' digits, "NaN", "1e5" and "1_000", none of which we want.
_AMOUNT = re.compile(
    r"""
    ^(?P<sign1>[-+\u2212]?)\s*
    £?\s*
    (?P<sign2>[-+\u2212]?)\s*
    (?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)
    (?:\.(?P<fraction>[0-9]*))?$
    """,
    re.VERBOSE,
)


def _exact(value: object) -> Fraction:
    """A money value as an exact fraction. Floats are refused: they cannot hold pence exactly."""
    if isinstance(value, float):
        raise TypeError("Money must be a Decimal, never a float")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | Fraction):
        raise TypeError(f"Money must be a Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("Money must be a finite amount")
    return Fraction(value)


def _half_up(value: Fraction) -> Decimal:
    """The exact value rounded half-up (away from zero) to the penny, as a 2-place Decimal."""
    pence = value * 100
    whole, remainder = divmod(abs(pence.numerator), pence.denominator)
    if 2 * remainder >= pence.denominator:
        whole += 1
    sign = "-" if pence < 0 and whole else ""  # never "-0.00"
    return Decimal(f"{sign}{whole // 100}.{whole % 100:02d}")


def round_pounds(value: Decimal) -> Decimal:
    """value rounded half-up to the penny: Decimal with 2 places.

    Also takes an int, or an exact fractions.Fraction so that a ratio (a cost times
    365/7, say) is rounded once, exactly. Raises TypeError for a float and ValueError
    for NaN or infinity.
    """
    return _half_up(_exact(value))


def parse_pounds(text: str) -> Decimal:
    """What someone typed ("1,234.50", "£12", " 7.5 ", "-3") as Decimal pounds with 2 places.

    Negative amounts are allowed: callers decide whether they make sense. Trailing zeros
    past the pence ("12.500") are accepted because the amount is still whole pence.
    Raises ValueError with a message to show next to the field.
    """
    match = _AMOUNT.match(text.strip()) if isinstance(text, str) else None
    if match is None or (match["sign1"] and match["sign2"]):
        raise ValueError(NOT_A_NUMBER)
    whole = match["whole"].replace(",", "")
    fraction = match["fraction"] or ""
    if not whole and not fraction:
        raise ValueError(NOT_A_NUMBER)
    if len(fraction.rstrip("0")) > 2:
        raise ValueError(TOO_MANY_PLACES)
    negative = (match["sign1"] or match["sign2"]) in ("-", MINUS)
    amount = Decimal(f"{'-' if negative else ''}{whole or '0'}.{fraction or '0'}")
    return round_pounds(amount)  # exact here: at most 2 significant places


def weekly(annual: Decimal) -> Decimal:
    """An annual amount as a week's money: annual × 7 / 365, rounded once."""
    return _half_up(_exact(annual) * DAYS_IN_WEEK / DAYS_IN_YEAR)


def four_weekly(annual: Decimal) -> Decimal:
    """An annual amount as 4 weeks' money: annual × 28 / 365, rounded once."""
    return _half_up(_exact(annual) * DAYS_IN_FOUR_WEEKS / DAYS_IN_YEAR)


def monthly(annual: Decimal) -> Decimal:
    """An annual amount as a month's money: annual / 12, rounded once."""
    return _half_up(_exact(annual) / 12)


def pounds(value: Decimal) -> str:
    """Display text: "£1,234.50"; negative "−£12.00" (minus sign U+2212). Rounds half-up to the penny first."""
    amount = round_pounds(value)
    sign = MINUS if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"
