"""Plan arithmetic, completeness and comparison as pure functions."""

import datetime
from decimal import Decimal

import pytest

from careplans.rules import (
    Frequency,
    ItemSnapshot,
    MoneyOption,
    OutcomeSnapshot,
    PaymentFrequency,
    PlanSnapshot,
    add_months,
    compare,
    direct_payment_mismatch,
    item_annual_cost,
    item_problems,
    missing,
    payment_for,
    totals,
)

START = datetime.date(2026, 4, 1)
CHOIR = OutcomeSnapshot("o1", "social", "Sing in my choir", "I go every week", datetime.date(2026, 9, 1))


def item(key="i1", cost="15.00", qty="8", freq=Frequency.WEEK, option=MoneyOption.NOTIONAL, outcomes=("o1",), **kw):
    return ItemSnapshot(
        key=key,
        description=kw.pop("description", f"Item {key}"),
        unit_cost=Decimal(cost),
        quantity=Decimal(qty),
        frequency=freq,
        money_option=option,
        outcome_keys=outcomes,
        **kw,
    )


def complete(**overrides):
    values = dict(
        budget_annual=Decimal("10000.00"),
        start_date=START,
        outcomes=(CHOIR,),
        items=(item(),),
        care_coordinator="Alice Adams",
        health_monitor="GP",
        first_review_date=datetime.date(2026, 6, 1),
        review_method="Home visit",
        reduction_notice_days=28,
        risks="Falls",
        contingency="Agency cover",
        what_matters="Choir",
        agreed_on=datetime.date(2026, 3, 20),
        agreement_method="signed",
    )
    values.update(overrides)
    return PlanSnapshot(**values)


@pytest.mark.parametrize(
    ("cost", "qty", "freq", "annual"),
    [
        ("15.00", "8", Frequency.WEEK, "6257.14"),
        ("12.00", "2", Frequency.WEEK, "1251.43"),
        ("100.00", "1", Frequency.FOUR_WEEKS, "1303.57"),
        ("100.00", "1", Frequency.MONTH, "1200.00"),
        ("100.00", "1", Frequency.YEAR, "100.00"),
        ("85.00", "1", Frequency.ONE_OFF, "85.00"),
        ("0.01", "1", Frequency.WEEK, "0.52"),
    ],
)
def test_it_costs_an_item_for_a_year(cost, qty, freq, annual):
    assert item_annual_cost(Decimal(cost), Decimal(qty), freq) == Decimal(annual)


def test_it_totals_the_plan_against_the_budget_by_money_option():
    plan = complete(items=(item("a"), item("b", cost="12.00", qty="2", option=MoneyOption.DIRECT_PAYMENT)))
    result = totals(plan)
    assert result.annual == Decimal("7508.57")
    assert result.weekly == Decimal("144.00")
    assert result.difference == Decimal("-2491.43")
    assert result.under_budget and not result.over_budget
    assert result.by_money_option == {"notional": Decimal("6257.14"), "direct_payment": Decimal("1251.43")}


def test_a_complete_plan_misses_nothing():
    assert missing(complete()) == []


@pytest.mark.parametrize(
    ("overrides", "gap"),
    [
        ({"outcomes": ()}, "Add at least one outcome"),
        ({"items": ()}, "Add what the money will buy"),
        ({"items": (item(outcomes=()),)}, "Link the item 'Item i1' to the outcome"),
        ({"care_coordinator": ""}, "Name the care coordinator"),
        ({"health_monitor": ""}, "monitor the person's health"),
        ({"first_review_date": None}, "Enter the date of the first review"),
        ({"first_review_date": datetime.date(2026, 7, 2)}, "no later than 1 July 2026"),
        ({"first_review_date": START}, "must be after the start date"),
        ({"review_method": ""}, "how the first review will be done"),
        ({"reduction_notice_days": None}, "notice period before any reduction"),
        ({"risks": ""}, "risks"),
        ({"contingency": ""}, "contingency"),
        ({"agreed_on": None}, "when and how the person agreed"),
        ({"what_matters": ""}, "what matters to the person"),
        ({"start_date": None}, "the date the plan starts"),
        ({"items": (item(option=MoneyOption.DIRECT_PAYMENT),)}, "who receives the direct payment"),
        ({"items": (item(cost="500.00"),)}, "Explain why the plan costs more"),
    ],
)
def test_it_lists_what_is_missing_in_plain_english(overrides, gap):
    gaps = missing(complete(**overrides))
    assert any(gap in g for g in gaps), gaps


def test_an_over_budget_plan_with_a_reason_is_complete():
    assert missing(complete(items=(item(cost="500.00"),), over_budget_justification="Night care")) == []


PA = item("pa", option=MoneyOption.DIRECT_PAYMENT)  # £15 × 8 a week: £6,257.14 a year, £480.00 every 4 weeks
TAXI = item("taxi", cost="12.00", qty="2")  # notional: never part of the direct payment
FOUR_WEEKLY, MONTHLY = PaymentFrequency.FOUR_WEEKLY.value, PaymentFrequency.MONTHLY.value


def paid(amount, frequency=FOUR_WEEKLY, items=(PA, TAXI)):
    return complete(
        items=items,
        dp_recipient="person" if amount else "",
        dp_recipient_name="Jane Smith" if amount else "",
        dp_amount=Decimal(amount) if amount else None,
        dp_frequency=frequency if amount else "",
    )


@pytest.mark.parametrize(
    ("plan", "gap"),
    [
        pytest.param(paid("480.00"), None, id="exact, 4-weekly"),
        pytest.param(paid("521.43", MONTHLY), None, id="exact to the penny, monthly"),
        pytest.param(paid("480.01"), None, id="a penny a payment over, 4-weekly"),
        pytest.param(paid("479.99"), None, id="a penny a payment under, 4-weekly"),
        pytest.param(paid("521.42", MONTHLY), None, id="a penny a payment under, monthly"),
        pytest.param(
            paid("480.02"),
            "The direct payment of £480.02 every 4 weeks comes to £6,257.40 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £0.26 less than the payment. Change the payment to £480.00 every 4 weeks",
            id="just over, 4-weekly",
        ),
        pytest.param(
            paid("479.98"),
            "The direct payment of £479.98 every 4 weeks comes to £6,256.88 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £0.26 more than the payment. Change the payment to £480.00 every 4 weeks",
            id="just under, 4-weekly",
        ),
        pytest.param(
            paid("521.44", MONTHLY),
            "The direct payment of £521.44 a month comes to £6,257.28 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £0.14 less than the payment. Change the payment to £521.43 a month",
            id="just over, monthly",
        ),
        pytest.param(
            paid("1.00"),
            "The direct payment of £1.00 every 4 weeks comes to £13.04 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £6,244.10 more than the payment. "
            "Change the payment to £480.00 every 4 weeks",
            id="far under, 4-weekly",
        ),
        pytest.param(
            paid("100.00", MONTHLY),
            "The direct payment of £100.00 a month comes to £1,200.00 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £5,057.14 more than the payment. Change the payment to £521.43 a month",
            id="far under, monthly",
        ),
        pytest.param(
            paid("900.00"),
            "The direct payment of £900.00 every 4 weeks comes to £11,732.14 a year, but the items paid by direct "
            "payment cost £6,257.14 a year, £5,475.00 less than the payment. "
            "Change the payment to £480.00 every 4 weeks",
            id="far over, 4-weekly",
        ),
        pytest.param(paid("", items=(TAXI,)), None, id="no direct-payment items and no payment"),
        pytest.param(
            paid("50.00", items=(TAXI,)),
            "The plan has a direct payment of £50.00 every 4 weeks, but no item is paid by direct payment. "
            "Remove the amount of each payment, or choose direct payment for the items it pays for",
            id="a payment with no direct-payment items",
        ),
    ],
)
def test_the_direct_payment_pays_for_the_items_paid_by_direct_payment(plan, gap):
    assert missing(plan) == ([gap] if gap else [])


def test_a_missing_payment_is_asked_for_not_compared():
    plan = complete(items=(PA,), dp_recipient="person", dp_recipient_name="Jane Smith")
    assert direct_payment_mismatch(plan) == ""
    assert missing(plan) == ["Enter the size of the direct payment and how often it is paid"]


def test_items_paid_by_direct_payment_are_added_up_exactly_before_rounding():
    # Seven items of £1 a week are £52.14 a year each when shown, but exactly £365.00 together: £28.00 every 4 weeks.
    papers = tuple(item(f"p{n}", cost="1.00", qty="1", option=MoneyOption.DIRECT_PAYMENT) for n in range(7))
    assert missing(paid("28.01", items=papers)) == []
    [gap] = missing(paid("28.02", items=papers))
    assert "cost £365.00 a year, £0.26 less than the payment. Change the payment to £28.00 every 4 weeks" in gap


@pytest.mark.parametrize(
    ("annual", "frequency", "payment"),
    [
        ("6257.14", FOUR_WEEKLY, "480.00"),
        ("6257.14", MONTHLY, "521.43"),
        ("13.04", FOUR_WEEKLY, "1.00"),
        ("1200.00", MONTHLY, "100.00"),
    ],
)
def test_it_turns_a_year_into_one_payment(annual, frequency, payment):
    assert payment_for(Decimal(annual), frequency) == Decimal(payment)


def test_the_payment_frequencies_are_the_ones_the_plan_records():
    from careplans.models import PaymentFrequency as Recorded

    assert {f.value for f in PaymentFrequency} == set(Recorded.values)


def test_the_first_review_is_no_later_than_three_months_after_the_start_even_at_month_end():
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2027, 11, 30), 3) == datetime.date(2028, 2, 29)
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("snap", "field", "text"),
    [
        (item(cost="0.00"), "unit_cost", "more than £0"),
        (item(cost="-1.00"), "unit_cost", "more than £0"),
        (item(qty="169"), "quantity", "168 or fewer a week"),
        (item(qty="745", freq=Frequency.MONTH), "quantity", "744 or fewer a month"),
        (item(option=MoneyOption.THIRD_PARTY), "third_party_organisation", "organisation that holds the money"),
        (item(cost="100000.00", qty="60"), "unit_cost", "£5,000,000"),
    ],
)
def test_it_refuses_bad_items(snap, field, text):
    assert text in item_problems(snap)[field]


def test_it_compares_two_versions():
    before = complete(items=(item("a"), item("b", description="Taxi")))
    swim = OutcomeSnapshot("o2", "physical_health", "Swim again", "Weekly swim", None)
    after = complete(
        outcomes=(CHOIR, swim),
        items=(item("a", qty="10"), item("c", description="Swimming lessons", outcomes=("o2",))),
    )
    result = compare(before, after)
    summary = {(c.kind, c.what, c.label) for c in result.changes}
    assert summary == {
        ("added", "outcome", "Swim again"),
        ("changed", "item", "Item a"),
        ("added", "item", "Swimming lessons"),
        ("removed", "item", "Taxi"),
    }
    [changed] = [c for c in result.changes if c.kind == "changed"]
    assert changed.fields == (("quantity", "8", "10"),)
    assert result.total_before == Decimal("12514.28")
    assert result.total_after == Decimal("14078.57")
    assert result.total_difference == Decimal("1564.29")
