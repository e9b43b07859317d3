"""Money is Decimal pounds, rounded half-up to the penny, shown and typed the way people write it."""

from decimal import Decimal
from fractions import Fraction

import pytest

from phb.money import four_weekly, monthly, parse_pounds, pounds, round_pounds, weekly

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), "0.01"),  # half-up; banker's rounding would give 0.00
        (D("2.675"), "2.68"),  # a float 2.675 is 2.67499..., a Decimal is exact
        (D("2.665"), "2.67"),  # banker's rounding would give 2.66
        (D("0.004"), "0.00"),
        (D("1.0049999"), "1.00"),
        (D("-0.005"), "-0.01"),  # half away from zero, the mirror image of 0.005
        (D("-2.665"), "-2.67"),
        (D("-0.004"), "0.00"),  # never "-0.00"
        (D("12"), "12.00"),
        (7, "7.00"),
        (D("1234567890123456789012345678.905"), "1234567890123456789012345678.91"),  # past the default precision
    ],
)
def test_it_rounds_half_up_to_the_penny(value, expected):
    rounded = round_pounds(value)
    assert isinstance(rounded, Decimal)
    assert str(rounded) == expected


def test_it_rounds_an_exact_fraction_once():
    assert str(round_pounds(Fraction(73, 200))) == "0.37"  # 0.365 exactly


@pytest.mark.parametrize("function", [round_pounds, pounds, weekly, four_weekly, monthly])
def test_it_refuses_float_money(function):
    with pytest.raises(TypeError):
        function(0.1)


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity")])
def test_it_refuses_amounts_that_are_not_finite(value):
    with pytest.raises(ValueError):
        round_pounds(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("£12", "12.00"),
        (" 7.5 ", "7.50"),
        ("0", "0.00"),
        (".5", "0.50"),
        ("12.", "12.00"),
        ("£ 1,000,000", "1000000.00"),
        ("1234567", "1234567.00"),
        ("-12.30", "-12.30"),
        ("-£12.30", "-12.30"),
        ("£-12.30", "-12.30"),
        ("\u221212", "-12.00"),  # the minus sign pounds() shows
        ("+5", "5.00"),
        ("12.500", "12.50"),  # still whole pence
    ],
)
def test_it_parses_amounts_people_type(text, expected):
    assert str(parse_pounds(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "£",
        "abc",
        "12p",
        "twelve",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e5",
        "1_000",
        "1,23",
        "12,34.5",
        "1 234",
        "--1",
        "-£-1",
        "\u0661\u0662",
        "£12.50£",
        "1.2.3",
    ],
)
def test_it_refuses_text_that_is_not_an_amount(text):
    with pytest.raises(ValueError, match=r"^Enter an amount in pounds, like 12\.50$"):
        parse_pounds(text)


@pytest.mark.parametrize("text", ["12.345", "0.001", "£1,234.567", "-1.005"])
def test_it_refuses_fractions_of_a_penny(text):
    with pytest.raises(ValueError, match=r"^Enter an amount in pounds and pence, like 12\.50$"):
        parse_pounds(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1234.5"), "£1,234.50"),
        (D("0"), "£0.00"),
        (D("12"), "£12.00"),
        (D("999.999"), "£1,000.00"),
        (D("1000000"), "£1,000,000.00"),
        (D("-12"), "\u2212£12.00"),
        (D("-1234.56"), "\u2212£1,234.56"),
        (D("-0.001"), "£0.00"),  # rounds to nothing, so no minus sign
        (D("0.005"), "£0.01"),
    ],
)
def test_it_shows_pounds_with_commas_pence_and_a_minus_sign(value, expected):
    assert pounds(value) == expected


def test_it_reads_back_what_it_shows():
    for value in [D("-1234.56"), D("0.01"), D("1000000.00")]:
        assert parse_pounds(pounds(value)) == value


@pytest.mark.parametrize(
    ("function", "annual", "expected"),
    [
        (weekly, D("10000"), "191.78"),  # 10000 × 7 / 365 = 191.780...
        (weekly, D("0.365"), "0.01"),  # exactly 0.007
        (weekly, D("0.26"), "0.00"),  # 0.004986...
        (weekly, D("0.27"), "0.01"),  # 0.005178...
        (four_weekly, D("10000"), "767.12"),  # 767.123...
        (four_weekly, D("0.065"), "0.00"),  # 0.004986...
        (monthly, D("10000"), "833.33"),
        (monthly, D("0.06"), "0.01"),  # exactly 0.005: half-up
        (monthly, D("0.18"), "0.02"),  # exactly 0.015: banker's rounding would also give 0.02
        (monthly, D("0.30"), "0.03"),  # exactly 0.025: banker's rounding would give 0.02
    ],
)
def test_it_turns_a_year_into_weeks_four_weeks_and_months(function, annual, expected):
    assert str(function(annual)) == expected
