"""A coordinator records a due review while an approved change to the plan waits for its start date."""

import datetime

import pytest

from careplans import approval, services
from careplans.models import PlanVersion, Review, Status
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_due_review_is_recorded_on_the_version_in_force(page, jane, alice, priya):
    def approve(version):
        return approval.plan_approve(
            version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
        )

    first = approve(services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice))
    later = datetime.date.today() + datetime.timedelta(days=40)
    draft = services.plan_amend(plan=first.plan, acting_user=alice)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=later,
        first_review_date=later + datetime.timedelta(days=30),
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )
    waiting = approve(services.plan_submit(version=draft, acting_user=alice))
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
