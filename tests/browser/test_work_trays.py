"""The work trays in a browser: a plan the PHB team returns lands in the coordinator's "Needs you" tray and the
header's count, the row opens the draft; the PHB team's home lists what waits for them. Both fit a 320 px screen
and pass axe."""

import pytest

from careplans import approval
from careplans import services as plan_services
from careplans.tests.factories import complete_plan
from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def fits_320(page) -> None:
    """Opened again at 320 px wide (as a phone opens it: the header's script folds its links into "More" when the
    page loads), nothing scrolls sideways."""
    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()


def test_a_returned_plan_needs_the_coordinator_and_the_row_opens_the_draft(page, alice, priya, jane):
    submitted = plan_services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    referral(
        person=PersonFactory(
            given_name="Rita", family_name="Referred", care_team=jane.care_team, lead_coordinator=alice
        ),
        coordinator=alice,
    )

    sign_in(page, "alice", None)
    page.goto("/")
    page.get_by_role("heading", name="Your work").wait_for()
    assert "Needs you (0)" in page.get_by_test_id("nav-work").inner_text()
    assert "Nothing needs you now." in page.inner_text("main")
    waiting = page.get_by_test_id("tray-plans_waiting")
    assert "Jane Smith" in waiting.inner_text()
    assert "Rita Referred" in page.get_by_test_id("tray-referrals_waiting").inner_text()

    approval.plan_return(version=submitted, reason="Say who pays for the taxi.", acting_user=priya)
    page.reload()
    assert page.get_by_test_id("nav-work").inner_text() == "Needs you (1)"
    returned = page.get_by_test_id("tray-returned_plans")
    assert "The PHB team returned the plan" in returned.inner_text()
    assert_accessible(page)
    fits_320(page)

    returned.get_by_role("link", name="Jane Smith").click()
    page.wait_for_url(f"**/plan-versions/{submitted.plan.versions.get(number=2).pk}/")


def test_the_phb_team_home_lists_what_waits_for_them(page, alice, priya, jane):
    plan_services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    referral(
        person=PersonFactory(given_name="Rita", family_name="Referred", care_team=jane.care_team), coordinator=alice
    )

    sign_in(page, "priya", None)
    page.goto("/")
    page.get_by_role("heading", name="Your work").wait_for()
    assert page.get_by_test_id("nav-plans").inner_text() == "Plans to decide (1)"
    assert page.get_by_test_id("nav-referrals").inner_text() == "Referrals to decide (1)"
    plans = page.get_by_test_id("tray-plans_to_decide")
    assert "Not assigned to anyone yet." in plans.inner_text()
    assert_accessible(page)
    fits_320(page)

    plans.get_by_role("link", name="Assigned to you (0)").click()
    page.wait_for_url("**/work/?plans=mine")
    assert "Jane Smith" not in page.get_by_test_id("tray-plans_to_decide").inner_text()
    page.get_by_test_id("tray-referrals_to_decide").get_by_role("link", name="Rita Referred").click()
    page.wait_for_url("**/decide/")
