"""The plan total the PHB team's queue sorts and filters by is worked out in the database, from the same
table of how often a year (rules.TIMES_A_YEAR). It must agree with rules.item_annual_cost to the penny."""

import random
from decimal import Decimal

import pytest

from careplans import rules, selectors, services
from careplans.models import PlanVersion, SupportItem
from careplans.tests.factories import budgeted

pytestmark = pytest.mark.django_db

EDGES = [
    # Exactly half a penny a year: rounds up.
    (Decimal("0.01"), Decimal("0.50"), "year"),
    (Decimal("0.01"), Decimal("0.50"), "one_off"),
    # Costs that are whole sevenths and twenty-eighths of a penny.
    (Decimal("0.07"), Decimal("1.00"), "week"),
    (Decimal("0.28"), Decimal("1.00"), "4_weeks"),
    (Decimal("0.01"), Decimal("1.00"), "week"),
    (Decimal("0.01"), Decimal("0.01"), "4_weeks"),
    (Decimal("5000000.00"), Decimal("0.01"), "week"),  # the most a unit may cost (phb.money.MAX_AMOUNT)
    (Decimal("0.03"), Decimal("168.00"), "week"),
    (Decimal("12.99"), Decimal("744.00"), "month"),
]


def random_items(count: int, seed: int) -> list[tuple[Decimal, Decimal, str]]:
    rng = random.Random(seed)
    frequencies = [frequency.value for frequency in rules.Frequency]
    items = []
    for _ in range(count):
        unit_cost = Decimal(rng.randint(1, 500_000)) / 100
        quantity = Decimal(rng.randint(1, 16_800)) / 100
        items.append((unit_cost, quantity, rng.choice(frequencies)))
    return items


@pytest.fixture
def draft(jane, alice):
    return services.plan_start(person=jane, budget_version=budgeted(person=jane, coordinator=alice), acting_user=alice)


def test_the_database_works_out_each_items_cost_a_year_as_the_rules_do(draft):
    values = EDGES + random_items(3000, seed=12)
    SupportItem.objects.bulk_create(
        SupportItem(
            plan_version=draft,
            description=f"Item {n}",
            category="personal_care",
            unit_cost=unit_cost,
            quantity=quantity,
            frequency=frequency,
            money_option="notional",
        )
        for n, (unit_cost, quantity, frequency) in enumerate(values)
    )
    rows = SupportItem.objects.filter(plan_version=draft).annotate(sql_cost=selectors.item_annual_cost_sql())
    disagreements = [
        (row.unit_cost, row.quantity, row.frequency, row.sql_cost, expected)
        for row in rows
        if row.sql_cost != (expected := rules.item_annual_cost(row.unit_cost, row.quantity, row.frequency))
    ]
    assert len(rows) == len(values)
    assert disagreements == []

    total = selectors.with_plan_total(PlanVersion.objects.filter(pk=draft.pk)).get().plan_total
    version = selectors.version_with_details().get(pk=draft.pk)
    assert total == rules.totals(selectors.snapshot(version)).annual


def test_a_plan_with_no_items_totals_nothing(draft):
    assert selectors.with_plan_total(PlanVersion.objects.filter(pk=draft.pk)).get().plan_total == Decimal("0.00")
