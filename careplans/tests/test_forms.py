"""Plan forms: help texts come from the settings and the plan they describe, never from copied numbers."""

import pytest
from django.test import override_settings
from django.urls import reverse

from careplans import services
from careplans.forms import PlanForm, ReviewRequestForm
from careplans.tests.factories import budgeted, complete_plan


@pytest.fixture
def draft(jane, alice):
    return complete_plan(person=jane, coordinator=alice)


@pytest.mark.parametrize(("months", "text"), [(3, "3 months"), (6, "6 months"), (1, "1 month")])
def test_it_says_when_the_first_review_is_due_from_the_setting(draft, months, text):
    with override_settings(PLAN_FIRST_REVIEW_WITHIN_MONTHS=months):
        form = PlanForm(instance=draft)
    assert form.fields["first_review_date"].help_text == f"No later than {text} after the start date"


@pytest.mark.parametrize(("days", "text"), [(14, "14 days"), (10, "10 days"), (1, "1 day")])
def test_it_says_when_an_unscheduled_review_is_due_from_the_setting(days, text):
    with override_settings(PLAN_UNSCHEDULED_REVIEW_DAYS=days):
        form = ReviewRequestForm()
    assert form.fields["due_on"].help_text == f"Leave blank for {text} from today"


def test_it_tells_the_coordinator_what_the_direct_payment_should_be(draft):
    # The personal assistant (£15 × 8 a week) is the only item paid by direct payment.
    assert PlanForm(instance=draft).fields["dp_amount"].help_text == (
        "In pounds. The items paid by direct payment cost £6,257.14 a year: "
        "that is £480.00 every 4 weeks or £521.43 a month"
    )


def test_a_plan_without_direct_payment_items_says_the_payment_is_not_needed(jane, alice):
    version = services.plan_start(
        person=jane, budget_version=budgeted(person=jane, coordinator=alice), acting_user=alice
    )
    assert PlanForm(instance=version).fields["dp_amount"].help_text == (
        "In pounds. Only needed if an item is paid by direct payment"
    )


def test_the_edit_page_shows_the_hint_and_the_configured_review_period(client, alice, draft):
    client.force_login(alice)
    with override_settings(PLAN_FIRST_REVIEW_WITHIN_MONTHS=2):
        page = client.get(reverse("careplans:edit", kwargs={"pk": draft.pk})).content.decode()
    assert "No later than 2 months after the start date" in page
    assert "£480.00 every 4 weeks or £521.43 a month" in page
