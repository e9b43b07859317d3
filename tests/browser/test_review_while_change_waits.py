"""A coordinator records a due review while an approved change to the plan waits for its start date."""

import datetime

import pytest

from careplans.models import PlanVersion, Review, Status
from careplans.tests.factories import approved_change, approved_plan
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_due_review_is_recorded_on_the_version_in_force(page, jane, alice, priya):
    first = approved_plan(person=jane, coordinator=alice, approver=priya)
    later = datetime.date.today() + datetime.timedelta(days=40)
    waiting = approved_change(plan=first.plan, coordinator=alice, approver=priya, start=later)
    assert (first.status, waiting.status) == (Status.ACTIVE, Status.APPROVED)

    sign_in(page, "alice", None)
    page.get_by_role("link", name="Reviews due").first.click()
    page.get_by_test_id("reviews-due").get_by_role("link", name="Record the review").click()
    page.get_by_role("heading", name="Record the review").wait_for()
    page.locator("#id_completed_on_0").fill("10")
    page.locator("#id_completed_on_1").fill("6")
    page.locator("#id_completed_on_2").fill("2026")
    page.get_by_role("group", name="Outcome 1: Sing in my choir again").get_by_label("Achieved", exact=True).check()
    page.get_by_role("group", name="Outcome 2: Wash and dress with help I choose").get_by_label("Not yet").check()
    page.get_by_role("group", name="Social participation and relationships").get_by_label("Got better").check()
    page.get_by_role("group", name="Daily living and personal care").get_by_label("Stayed the same").check()
    page.get_by_role("group", name="Was the money enough?").get_by_label("Yes").check()
    page.get_by_role("group", name="Was the money used as planned?").get_by_label("Yes").check()
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_label("Continue the plan unchanged").check()
    page.get_by_role("button", name="Save the review").click()

    page.get_by_text("Review recorded. The next review is due by 10 June 2027.").wait_for()
    # Back on version 1, the plan in force; version 2 still waits for its start date.
    assert "Version 1: Active" in page.get_by_test_id("status").inner_text()
    assert_accessible(page)
    review = Review.objects.get(plan=first.plan, status="completed")
    assert review.plan_version_id == first.pk
    assert PlanVersion.objects.get(pk=waiting.pk).status == Status.APPROVED
