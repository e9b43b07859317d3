import pytest

from people import nhs_number


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("9434765919", None),  # valid, check digit 9
        ("943 476 5919", None),  # spaces as people type them
        ("943-476-5919", None),  # dashes
        (" 943 476 5919 ", None),  # stray spaces either side
        ("9990000018", None),  # 999 test range
        ("4010232137", None),  # another valid number outside the test range
        ("9434765918", nhs_number.INVALID),  # wrong check digit
        ("9434765910", nhs_number.INVALID),  # wrong check digit, zero
        ("9990000000", nhs_number.INVALID),  # first nine give check digit 10: never issued
        ("943476591", nhs_number.WRONG_LENGTH),  # 9 digits
        ("94347659190", nhs_number.WRONG_LENGTH),  # 11 digits
        ("", nhs_number.WRONG_LENGTH),
        ("943476591A", nhs_number.NOT_DIGITS),  # letters
        ("ABCDEFGHIJ", nhs_number.NOT_DIGITS),
        ("943.476.5919", nhs_number.NOT_DIGITS),  # other punctuation is not stripped
    ],
)
def test_it_explains_what_is_wrong_with_a_typed_number(typed, problem):
    assert nhs_number.problem(typed) == problem
    assert nhs_number.is_valid(typed) is (problem is None)


def test_it_computes_check_digit_ten_as_no_number():
    assert nhs_number.check_digit("999000000") is None


def test_it_computes_remainder_zero_as_check_digit_zero():
    # 11 - (sum % 11) == 11 means the check digit is 0.
    first_nine = next(f"{n:09d}" for n in range(100000000, 100001000) if nhs_number.check_digit(f"{n:09d}") == 0)
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    assert total % 11 == 0
    assert nhs_number.is_valid(first_nine + "0")


def test_it_normalises_and_formats_as_three_three_four():
    assert nhs_number.normalise(" 943-476 5919") == "9434765919"
    assert nhs_number.formatted("9434765919") == "943 476 5919"


def test_it_makes_distinct_valid_test_range_numbers():
    numbers = [nhs_number.test_range_number(n) for n in range(2000)]
    assert len(set(numbers)) == 2000
    assert all(number.startswith("999") and nhs_number.is_valid(number) for number in numbers)
