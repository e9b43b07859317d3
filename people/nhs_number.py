"""NHS numbers: 10 digits, the last a modulus 11 check digit.

Pure functions, no Django: the rules are the NHS Data Dictionary's.
"""

import re

_SEPARATORS = re.compile(r"[\s-]+")

WRONG_LENGTH = "NHS number must be 10 digits"
NOT_DIGITS = "NHS number must only include numbers"
INVALID = "Enter a valid NHS number"


def normalise(value: str) -> str:
    """Strip the spaces and dashes people type (e.g. '943 476 5919')."""
    return _SEPARATORS.sub("", value or "")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the result would be 10 (never issued)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    result = 11 - (total % 11)
    if result == 11:
        return 0
    if result == 10:
        return None
    return result


def problem(value: str) -> str | None:
    """What is wrong with a typed NHS number, in words a person can act on; None if valid."""
    digits = normalise(value)
    if not digits.isdigit():
        return NOT_DIGITS if digits else WRONG_LENGTH
    if len(digits) != 10:
        return WRONG_LENGTH
    if check_digit(digits[:9]) != int(digits[9]):
        return INVALID
    return None


def is_valid(value: str) -> bool:
    return problem(value) is None


def formatted(value: str) -> str:
    """Shown as 3-3-4 with spaces, as NHS.UK recommends."""
    digits = normalise(value)
    if len(digits) != 10:
        return value
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def test_range_number(serial: int) -> str:
    """The serial-th valid NHS number in the 999 test range (for demo and test data).

    Numbers starting 999 are never issued to real patients. Within any ten
    numbers that differ only in the ninth digit at most one has no check digit,
    so serial maps to a distinct valid number without searching.
    """
    block, index = divmod(serial, 9)
    valid = []
    for ninth in range(10):
        first_nine = f"999{block:05d}{ninth}"
        if len(first_nine) != 9:
            raise ValueError("The 999 test range has no more numbers.")
        digit = check_digit(first_nine)
        if digit is not None:
            valid.append(first_nine + str(digit))
    return valid[index]
