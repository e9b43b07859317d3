"""A coordinator records a review with the person and decides to change the plan."""

import pytest

from careplans import approval, services
from careplans.models import PlanVersion, Review
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_review_with_outcome_ratings_and_a_decision_to_amend(page, jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
    )

    sign_in(page, "alice", None)
    assert "Record the review with the person." in page.get_by_test_id("tray-reviews_due").inner_text()
    page.goto("/people/")
    assert "1 review overdue" in page.get_by_test_id("review-counts").inner_text()
    page.get_by_role("link", name="Reviews due").first.click()
    due = page.get_by_test_id("reviews-due")
    assert "overdue" in due.inner_text()
    assert_accessible(page)
    due.get_by_role("link", name="Record the review").click()
    page.get_by_role("heading", name="Record the review").wait_for()

    page.locator("#id_completed_on_0").fill("10")
    page.locator("#id_completed_on_1").fill("6")
    page.locator("#id_completed_on_2").fill("2026")
    page.get_by_role("group", name="Progress on outcome 1: Sing in my choir again").get_by_label(
        "Achieved", exact=True
    ).check()
    page.get_by_role("group", name="Progress on outcome 2: Wash and dress with help I choose").get_by_label(
        "Not yet"
    ).check()
    page.get_by_role("group", name="Social participation and relationships").get_by_label("Got better").check()
    page.get_by_role("group", name="Daily living and personal care").get_by_label("Stayed the same").check()
    page.get_by_role("group", name="Was the money enough?").get_by_label("No").check()
    page.get_by_label("About the money").fill("Mornings need more hours.")
    page.get_by_role("group", name="Was the money used as planned?").get_by_label("Yes").check()
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_label("Change the plan (a new version goes to the PHB team for approval)").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save the review").click()

    page.get_by_text("Review recorded. The next review is due by 10 June 2027.").wait_for()
    assert "Version 2: Draft" in page.get_by_test_id("status").inner_text()
    assert PlanVersion.objects.filter(plan=version.plan, status="draft").count() == 1
    review = Review.objects.get(plan=version.plan, status="completed")
    assert review.outcome_progress.get(outcome__goal="Sing in my choir again").progress == "achieved"
    assert review.domain_ratings.get(domain="social").change == "better"
    assert Review.objects.get(plan=version.plan, status="due").due_on.isoformat() == "2027-06-10"
