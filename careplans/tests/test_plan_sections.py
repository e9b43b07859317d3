"""The draft's task list: each section's progress comes from the same gaps that block submission."""

import datetime
from decimal import Decimal

import pytest

from careplans.rules import (
    ALWAYS_NEEDED,
    NEEDED_WHEN,
    SECTION_FIELDS,
    MoneyOption,
    PlanSnapshot,
    Progress,
    Section,
    gaps_by_section,
    missing,
    progress,
)
from careplans.tests.test_rules import complete, item


def test_a_complete_plan_has_every_section_completed():
    assert set(progress(complete()).values()) == {Progress.COMPLETED}
    assert missing(complete()) == []


def test_an_empty_plan_has_every_section_not_started_and_each_gap_in_its_section():
    empty = PlanSnapshot(budget_annual=Decimal("10000.00"))
    assert set(progress(empty).values()) == {Progress.NOT_STARTED}
    gaps = gaps_by_section(empty)
    assert "Write what matters to the person, in their own words" in gaps[Section.ABOUT]
    assert gaps[Section.OUTCOMES] == ["Add at least one outcome: the health needs and what the person wants to achieve"]
    assert gaps[Section.SUPPORT] == ["Add what the money will buy"]
    assert "Record when and how the person agreed to the plan" in gaps[Section.AGREEMENT]
    # missing() is the same gaps, section by section.
    assert missing(empty) == [gap for section in Section for gap in gaps[section]]


@pytest.mark.parametrize(
    ("overrides", "section"),
    [
        ({"risks": ""}, Section.SAFETY),
        ({"health_monitor": " "}, Section.ABOUT),
        ({"first_review_date": datetime.date(2027, 1, 1)}, Section.AGREEMENT),  # too late after the start
        ({"items": (item(cost="500.00"),)}, Section.SUPPORT),  # over budget, not explained
        ({"items": (item(outcomes=()),)}, Section.SUPPORT),  # serves no outcome
        ({"items": (item(option=MoneyOption.DIRECT_PAYMENT),)}, Section.MONEY),  # nobody receives it
    ],
)
def test_a_gap_puts_its_own_section_in_progress_and_no_other(overrides, section):
    plan = complete(**overrides)
    states = progress(plan)
    assert states[section] == Progress.IN_PROGRESS
    assert all(state == Progress.COMPLETED for other, state in states.items() if other != section)


def test_money_is_under_way_once_there_are_items_and_complete_without_a_direct_payment():
    states = progress(complete())
    assert states[Section.MONEY] == Progress.COMPLETED


def test_every_needed_field_belongs_to_a_section_and_the_conditional_ones_say_when():
    fields = {name for names in SECTION_FIELDS.values() for name in names}
    assert fields >= ALWAYS_NEEDED
    assert set(NEEDED_WHEN) <= fields
    assert not ALWAYS_NEEDED & set(NEEDED_WHEN)
