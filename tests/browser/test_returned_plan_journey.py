"""Issue 14, acceptance 1: a plan the PHB team returns lands in the coordinator's "Needs you" tray and the
header count; the draft shows the reasons; after resubmission and approval the confirmation panel names
the decision and the letter; the person's stage tag changes at each step, on the caseload and the person
page alike."""

import pytest

from careplans import services
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_second_factor import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stage_on_caseload(page, person) -> str:
    page.goto("/people/")
    row = page.get_by_role("row").filter(has_text=person.nhs_number_display)
    return row.get_by_test_id("stage").inner_text()


def stage_on_record(page, person) -> str:
    page.goto(f"/people/{person.pk}/")
    return page.get_by_test_id("person-stage").get_by_test_id("stage").inner_text()


def assert_stage(page, person, words: str) -> None:
    assert stage_on_caseload(page, person).startswith(words)
    assert stage_on_record(page, person).startswith(words)


def test_a_returned_plan_comes_back_to_the_coordinator_and_goes_on_to_approval(page, jane, alice, priya, leo):
    jane.lead_coordinator = alice
    jane.save(update_fields=["lead_coordinator"])
    services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)

    sign_in(page, "alice", None)
    assert_stage(page, jane, "Plan with the PHB team")
    assert page.get_by_test_id("nav-work").inner_text() == "Needs you (0)"
    sign_out(page)

    # The PHB team returns it with its reasons.
    sign_in(page, "priya", None)
    page.goto("/plans-to-decide/")
    page.get_by_test_id("plan-queue").get_by_role("link", name="Jane Smith").click()
    page.get_by_label("Return it to the coordinator for changes").check()
    page.get_by_label("What should the coordinator change?").fill("Say who covers the personal assistant's holidays.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="Plan returned for changes").wait_for()
    assert "Return notice to the coordinator made" in page.get_by_test_id("what-was-done").inner_text()
    sign_out(page)

    # The coordinator's tray and header count show it; the stage says so everywhere.
    sign_in(page, "alice", None)
    page.goto("/")
    page.get_by_role("heading", name="Your work").wait_for()
    assert page.get_by_test_id("nav-work").inner_text() == "Needs you (1)"
    returned = page.get_by_test_id("tray-returned_plans")
    assert "(1)" in returned.get_by_test_id("tray-count").inner_text()
    assert_accessible(page)
    assert_stage(page, jane, "Plan returned for changes")

    page.goto("/")
    page.get_by_test_id("tray-returned_plans").get_by_test_id("tray-link").click()
    reasons = page.get_by_test_id("returned").inner_text()
    assert "Say who covers the personal assistant's holidays." in reasons
    # The copy needs the person's agreement again: the task list says where.
    page.get_by_test_id("task-list").get_by_role("link", name="Risks and contingency").click()
    page.get_by_label("What happens if support fails").fill("Agency cover; her daughter covers holidays.")
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_test_id("task-list").get_by_role("link", name="Dates, reviews and agreement").click()
    page.locator("#id_agreed_on_0").fill("25")
    page.locator("#id_agreed_on_1").fill("3")
    page.locator("#id_agreed_on_2").fill("2026")
    page.get_by_label("Signed by the person").check()
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_role("button", name="Check the plan and submit it").click()
    page.get_by_role("button", name="Submit the plan to the PHB team").click()
    page.get_by_role("heading", name="Plan submitted").wait_for()
    assert page.get_by_test_id("nav-work").inner_text() == "Needs you (0)"
    assert_stage(page, jane, "Plan with the PHB team")
    sign_out(page)

    # Approved: the panel names the decision, the letter and who was told.
    sign_in(page, "leo", None)
    page.goto("/plans-to-decide/")
    page.get_by_test_id("plan-queue").get_by_role("link", name="Jane Smith").click()
    page.get_by_label("Approve the plan").check()
    page.get_by_label("The plan is financially appropriate").check()
    page.get_by_label("The plan is clinically appropriate").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="Plan approved").wait_for()
    done = page.get_by_test_id("what-was-done").inner_text()
    assert "Leo Lewis approved the plan" in done
    assert "Approval letter made and kept on Jane's record" in done
    assert alice.email in done
    assert_accessible(page)
    sign_out(page)

    # In force now; the plan's first review (15 June 2026 in the factory's plan) has passed, so the stage
    # says what needs doing next rather than "Active".
    sign_in(page, "alice", None)
    assert_stage(page, jane, "Review overdue")
    # The review, and the money flags its schedule raised (paid in from 1 April 2026: no statement yet, and the
    # money unspent), each a row of "Needs you".
    from payments.models import MoneyFlag

    flags = MoneyFlag.objects.filter(person=jane).count()
    assert flags > 0
    assert page.get_by_test_id("nav-work").inner_text() == f"Needs you ({1 + flags})"
