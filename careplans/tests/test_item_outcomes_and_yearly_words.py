"""The plan and decide pages say which outcomes each item serves, and the plan page how costs become yearly."""

import re

import pytest
from django.urls import reverse

from careplans import rules, services
from careplans.tests.factories import complete_plan

pytestmark = pytest.mark.django_db


def item_rows(page: str) -> dict[str, str]:
    """{item description: what its row says it is for}, from the items table."""
    rows = re.findall(
        r'<td[^>]*>(?:<span[^>]*aria-hidden="true">Item </span>)?([^<]+)(?:<br>.*?)?'
        r'<span class="nhsuk-body-s" data-testid="item-outcomes">(.*?)</span>',
        page,
    )
    return {description.strip(): serves for description, serves in rows}


EXPECTED = {
    "Personal assistant": "For: Wash and dress with help I choose",
    "Taxi to choir": "For: Sing in my choir again",
    "Shower seat": "For: Wash and dress with help I choose",
}


def test_the_plan_page_says_which_outcomes_each_item_serves_and_how_costs_become_yearly(client, alice, jane):
    draft = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": draft.pk})).content.decode()
    assert item_rows(page) == EXPECTED
    week, four_weeks = rules.TIMES_A_YEAR[rules.Frequency.WEEK], rules.TIMES_A_YEAR[rules.Frequency.FOUR_WEEKS]
    words = re.search(r'data-testid="yearly-words">(.*?)</p>', page).group(1)
    assert f"A cost a week is multiplied by {week.numerator} and divided by {week.denominator}" in words
    assert f"every 4 weeks is multiplied by {four_weeks.numerator} and divided by {four_weeks.denominator}" in words


def test_the_decide_page_says_which_outcomes_each_item_serves(client, alice, priya, jane):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    client.force_login(priya)
    page = client.get(reverse("careplans:decide", kwargs={"pk": submitted.pk})).content.decode()
    assert item_rows(page) == EXPECTED
