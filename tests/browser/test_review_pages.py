"""Staff record a review, then find it from the plan's timeline and see every review of the plan."""

import pytest
from django.urls import reverse

from careplans import approval, services
from careplans.models import Review
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_review_recorded_is_found_from_the_timeline_with_everything_the_person_said(page, jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
    )
    review = Review.objects.get(plan=version.plan)

    sign_in(page, "alice", None)
    page.goto(reverse("careplans:review_record", kwargs={"pk": review.pk}))
    page.locator("#id_completed_on_0").fill("10")
    page.locator("#id_completed_on_1").fill("6")
    page.locator("#id_completed_on_2").fill("2026")
    # Each outcome's own words box is inside that outcome's fieldset, named by its own label.
    choir = page.get_by_role("group", name="Outcome 1", exact=True)
    choir.get_by_role("group", name="Progress on outcome 1: Sing in my choir again").get_by_label(
        "Achieved", exact=True
    ).check()
    choir.get_by_role("textbox", name="Outcome 1 in their own words (optional)").fill("I sang at the spring concert")
    assert choir.get_by_role("textbox", name="Outcome 2 in their own words (optional)").count() == 0
    washing = page.get_by_role("group", name="Outcome 2", exact=True)
    washing.get_by_role("group", name="Progress on outcome 2: Wash and dress with help I choose").get_by_label(
        "Not yet"
    ).check()
    washing.get_by_role("textbox", name="Outcome 2 in their own words (optional)").fill("Mornings are still hard")
    page.get_by_role("group", name="Social participation and relationships").get_by_label("Got better").check()
    page.get_by_role("group", name="Daily living and personal care").get_by_label("Got worse").check()
    page.get_by_role("group", name="Was the money enough?").get_by_label("No").check()
    page.get_by_label("About the money").fill("Mornings need more hours.")
    page.get_by_role("group", name="Was the money used as planned?").get_by_label("Yes").check()
    page.get_by_label("Safety and risks").fill("No falls since the alarm")
    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_label("Continue the plan unchanged").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save the review").click()

    page.get_by_text("Review recorded.").wait_for()
    page.get_by_test_id("timeline").get_by_role("link", name="Review done on 10 June 2026").click()
    page.get_by_role("heading", name="Scheduled review on 10 June 2026").wait_for()
    progress = page.get_by_test_id("progress").inner_text()
    assert "I sang at the spring concert" in progress and "Mornings are still hard" in progress
    assert "Got worse" in page.get_by_test_id("ratings").inner_text()
    assert "Mornings need more hours." in page.get_by_test_id("money").inner_text()
    assert page.get_by_test_id("recorded-by").inner_text().startswith("Alice Adams, ")
    assert_accessible(page)

    page.get_by_role("link", name="Every review of this plan").click()
    page.get_by_role("heading", name="Reviews of the plan").wait_for()
    trend = page.get_by_test_id("trend").inner_text()
    assert "Got better" in trend and "Got worse" in trend
    assert_accessible(page)
    # No sideways scrolling on a phone.
    # Opened at that width and measured once settled: the header folds its links into "More" as a page loads
    # or is resized, and a measure mid-fold once read 328 px.
    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
