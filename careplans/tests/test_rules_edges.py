"""Plan rules at their edges: an item with no quantity, and a direct payment whose items are not costed yet."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from careplans import rules
from careplans.models import SupportItem
from careplans.rules import Frequency, ItemSnapshot, MoneyOption, OutcomeSnapshot, PlanSnapshot
from careplans.tests.factories import add_item, complete_plan

CHOIR = OutcomeSnapshot("o1", "social", "Sing in my choir", "I go every week", None)


def item(cost="15.00", qty="8", option=MoneyOption.DIRECT_PAYMENT, description="Personal assistant"):
    return ItemSnapshot(
        key=description,
        description=description,
        unit_cost=Decimal(cost),
        quantity=Decimal(qty),
        frequency=Frequency.WEEK,
        money_option=option,
        outcome_keys=("o1",),
    )


def plan(*items, dp_amount="480.00"):
    return PlanSnapshot(
        budget_annual=Decimal("10000.00"),
        start_date=datetime.date(2026, 4, 1),
        outcomes=(CHOIR,),
        items=items,
        care_coordinator="Alice Adams",
        health_monitor="GP",
        first_review_date=datetime.date(2026, 6, 1),
        review_method="Home visit",
        reduction_notice_days=28,
        risks="Falls",
        contingency="Agency cover",
        what_matters="Choir",
        dp_recipient="person",
        dp_recipient_name="Jane Smith",
        dp_amount=Decimal(dp_amount),
        dp_frequency=rules.PaymentFrequency.FOUR_WEEKLY.value,
        agreed_on=datetime.date(2026, 3, 20),
        agreement_method="signed",
    )


@pytest.mark.parametrize("qty", ["0", "-1", "-0.5"])
def test_it_refuses_an_item_with_no_quantity(qty):
    assert rules.item_problems(item(qty=qty)) == {"quantity": "Quantity must be more than 0"}


def test_an_item_with_no_cost_and_no_quantity_is_told_both():
    assert rules.item_problems(item(cost="0.00", qty="0")) == {
        "unit_cost": "Unit cost must be more than £0",
        "quantity": "Quantity must be more than 0",
    }


@pytest.mark.django_db
def test_the_coordinator_cannot_save_an_item_with_a_quantity_of_0(jane, alice):
    version = complete_plan(person=jane, coordinator=alice)
    before = SupportItem.objects.filter(plan_version=version).count()
    with pytest.raises(ValidationError) as refused:
        add_item(version, alice, list(version.outcomes.all()), description="Gardening", quantity="0")
    assert refused.value.message_dict == {"quantity": ["Quantity must be more than 0"]}
    assert SupportItem.objects.filter(plan_version=version).count() == before


@pytest.mark.parametrize(
    "items",
    [
        pytest.param((item(cost="0.00"),), id="no unit cost"),
        pytest.param((item(qty="0"),), id="no quantity"),
    ],
)
def test_a_direct_payment_is_not_compared_with_items_not_costed_yet(items):
    """The plan asks for the item's cost first, not for a payment of £0.00."""
    snapshot = plan(*items)
    assert rules.direct_payment_mismatch(snapshot) == ""
    assert rules.missing(snapshot) == ["Cost the item 'Personal assistant'"]


def test_an_uncosted_item_is_named_among_costed_ones_and_the_payment_is_compared_with_the_costed_ones():
    snapshot = plan(item(), item(cost="0.00", description="Gardening"), dp_amount="500.00")
    gaps = rules.missing(snapshot)
    assert gaps[0] == "Cost the item 'Gardening'"
    assert gaps[1].startswith("The direct payment of £500.00 every 4 weeks comes to £6,517.86 a year")
    assert gaps[1].endswith("Change the payment to £480.00 every 4 weeks")
    assert len(gaps) == 2
