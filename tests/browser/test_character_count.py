"""A long text area shows the NHS.UK character count: the limit the form, the model and the database share."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_plan_counts_the_characters_left_of_a_long_answer(page, alice, jane):
    from careplans.tests.factories import complete_plan

    version = complete_plan(person=jane, coordinator=alice)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, "alice", None)
    page.goto(f"/plan-versions/{version.pk}/edit/")
    field = page.get_by_label("Why the plan costs more than the budget")
    expect(field).not_to_have_attribute("maxlength", re.compile(".*"))  # the count takes over from maxlength
    expect(page.get_by_text("You have 5,000 characters remaining").first).to_be_visible()
    field.fill("Extra night support")
    expect(page.get_by_text("You have 4,981 characters remaining").first).to_be_visible()
    field.fill("x" * 5010)
    expect(page.get_by_text("You have 10 characters too many").first).to_be_visible()
    assert errors == []
