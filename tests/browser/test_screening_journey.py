"""A referral from screening to decision: coordinator, PHB team member, and the letter."""

import io

import pytest
from pypdf import PdfReader

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "A budget can pay for support the block contract does not cover."


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_a_referred_package_is_approved_and_the_coordinator_sees_the_decision(page, alice, priya, jane):
    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_role("button", name="Screen for a personal health budget").click()
    page.get_by_role("heading", name="Screen for a personal health budget").wait_for()
    assert_accessible(page)

    # The follow-up questions are hidden until the answer that needs them.
    package_description = page.get_by_label("Describe the package")
    assert not package_description.is_visible()
    page.get_by_role("group", name="Which NHS continuing care funding").get_by_label("Neither").check()
    page.get_by_role("group", name="section 117").get_by_label("No").check()
    page.get_by_role("group", name="wheelchair").get_by_label("No").check()
    page.get_by_role("group", name="individually commissioned care package").get_by_label("Yes").check()
    assert package_description.is_visible()
    package_description.fill("Complex learning disability package")
    page.get_by_label("Services in the package paid through an NHS block contract").fill("Day centre\nRespite care")
    page.get_by_role("button", name="Check the outcome").click()

    preview = page.get_by_test_id("preview")
    preview.wait_for()
    assert "Referred for PHB team decision" in preview.inner_text()
    assert "Day centre" in preview.get_by_test_id("block-contract").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Save screening").click()
    page.get_by_role("heading", name="Screening on").wait_for()
    assert "Referred for PHB team decision" in page.get_by_test_id("outcome").inner_text()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, "priya", None)
    page.get_by_role("link", name="Referrals to decide").click()
    queue = page.get_by_test_id("queue")
    queue.wait_for()
    assert "Day centre, Respite care" in queue.inner_text()
    assert_accessible(page)
    queue.get_by_role("link", name="Jane Smith").click()
    page.get_by_role("heading", name="Decide on this referral").wait_for()
    assert_accessible(page)
    page.get_by_label("Approve: the person can have a personal health budget").check()
    page.get_by_label("Reason for your decision").fill(REASON)
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("There are no referrals waiting for a decision.").wait_for()
    sign_out(page)

    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    current = page.get_by_test_id("current-eligibility")
    assert "Eligible: approved by the PHB team" in current.inner_text()
    assert REASON in current.inner_text()
    current.get_by_role("link", name="screening").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the outcome letter (PDF)").click()
    pdf = download_info.value.path().read_bytes()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "You can have a personal health budget." in text
    assert REASON in text
