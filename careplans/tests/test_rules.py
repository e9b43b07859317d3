"""Plan arithmetic, completeness and comparison as pure functions."""

import datetime
from decimal import Decimal

import pytest

from careplans.rules import (
    Frequency,
    ItemSnapshot,
    MoneyOption,
    OutcomeSnapshot,
    PlanSnapshot,
    add_months,
    compare,
    item_annual_cost,
    item_problems,
    missing,
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
