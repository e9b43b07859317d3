"""Submitted plan → returned with a comment → changed and resubmitted → approved by someone else → active."""

import io

import pytest
from pypdf import PdfReader

from careplans import services
from careplans.models import DecisionEmail
from careplans.tests.factories import complete_plan
from conftest import wait_for
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_a_plan_is_returned_resubmitted_and_approved(page, celery_worker_process, jane, alice, priya, leo):
    mail, _ = celery_worker_process
    services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)

    sign_in(page, "priya", None)
    page.get_by_role("link", name="Plans to decide").click()
    queue = page.get_by_test_id("plan-queue")
    assert "Jane Smith" in queue.inner_text()
    assert_accessible(page)
    queue.get_by_role("button", name="Assign to me").click()
    page.get_by_role("heading", name="Decide on version 1 of the plan").wait_for()
    assert_accessible(page)
    page.get_by_label("Return it to the coordinator for changes").check()
    page.get_by_label("What should the coordinator change?").fill("Say how the taxis to choir are booked.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="Plan returned for changes").wait_for()
    assert "Version 2, a copy to change and submit again, is ready" in page.get_by_test_id("what-was-done").inner_text()
    page.get_by_role("link", name="Back to plans to decide").click()
    page.get_by_text("There are no plans waiting for a decision.").wait_for()
    sign_out(page)

    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_role("link", name="version 2").click()
    assert "Draft" in page.get_by_test_id("status").inner_text()
    page.get_by_role("link", name="Change Taxi to choir").click()
    page.get_by_label("Provider").fill("Booked weekly by Sarah with City Cabs")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your changes have been saved.").wait_for()
    # Version 2 needs the person's agreement afresh.
    page.get_by_test_id("task-list").get_by_role("link", name="Dates, reviews and agreement").click()
    page.locator("#id_agreed_on_0").fill("25")
    page.locator("#id_agreed_on_1").fill("3")
    page.locator("#id_agreed_on_2").fill("2026")
    page.get_by_label("Signed by the person").check()
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_role("button", name="Check the plan and submit it").click()
    page.get_by_role("button", name="Submit the plan to the PHB team").click()
    page.get_by_role("heading", name="Plan submitted").wait_for()
    sign_out(page)

    sign_in(page, "leo", None)
    page.get_by_role("link", name="Plans to decide").click()
    page.get_by_test_id("plan-queue").get_by_role("link", name="Jane Smith").click()
    page.get_by_label("Approve the plan").check()
    page.get_by_label("The plan is financially appropriate").check()
    page.get_by_label("The plan is clinically appropriate").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_role("heading", name="Plan approved").wait_for()
    done = page.get_by_test_id("what-was-done").inner_text()
    assert "Approval letter made and kept on Jane's record" in done
    assert "An e-mail about the decision" in done and alice.email in done
    assert_accessible(page)
    page.get_by_role("link", name="Back to plans to decide").click()
    page.get_by_text("There are no plans waiting for a decision.").wait_for()
    sign_out(page)

    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_role("link", name="version 2").click()
    assert "Active" in page.get_by_test_id("status").inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in [
        "version 1 submitted",
        "version 1 returned for changes",
        "version 2 draft",
        "version 2 submitted",
        "version 2 approved",
        "version 2 active",
    ]:
        assert step in timeline.lower(), step
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_test_id("letters").get_by_role("link", name="Approval letter").click()
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages
    )
    assert "£7,593.57 a year" in text
    assert "15 June 2026" in text

    # The coordinator was told of both decisions by e-mail, through the worker.
    assert wait_for(lambda: DecisionEmail.objects.filter(sent_at__isnull=False).count() == 2)
    subjects = sorted(f.read_text().split("Subject: ")[1].splitlines()[0] for f in mail.iterdir())
    assert subjects == ["Plan approved for Jane Smith", "Plan returned for changes: Jane Smith"]
