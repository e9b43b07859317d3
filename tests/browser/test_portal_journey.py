"""A person is invited, sets a password, sees their budget and plan, and messages their coordinator."""

import io
import re

import pytest
from django.core import mail
from pypdf import PdfReader

from careplans import approval, services
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "choir-on-fridays-2026"


@pytest.fixture
def janes_plan(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


@pytest.mark.parametrize(
    "viewport", [{"width": 320, "height": 640}, {"width": 1280, "height": 900}], ids=["320px", "desktop"]
)
def test_invitation_to_plan_to_messages(browser, live_server, jane, alice, janes_plan, viewport):
    staff = browser.new_context(base_url=live_server.url, viewport=viewport)
    person = browser.new_context(base_url=live_server.url, viewport=viewport)
    coordinator, patient = staff.new_page(), person.new_page()
    for page in (coordinator, patient):
        page.set_default_timeout(10_000)
    try:
        sign_in(coordinator, "alice", None)
        coordinator.goto(f"/people/{jane.pk}/")
        coordinator.get_by_role("button", name="Invite to see records online").click()
        coordinator.get_by_label("Email address").fill("jane.smith@example.com")
        coordinator.get_by_label("The person themselves").check()
        assert_accessible(coordinator)
        coordinator.get_by_role("button", name="Send invitation").click()
        coordinator.get_by_text("Invitation sent to jane.smith@example.com").wait_for()
        # Waiting to be accepted, with send again and cancel, on the person's page.
        assert "jane.smith@example.com" in coordinator.get_by_test_id("pending-invitations").inner_text()
        assert_accessible(coordinator)

        [invitation] = [m for m in mail.outbox if "online" in m.subject]
        link = re.search(r"https?://[^/\s]+(/my/invitation/\S+/)", invitation.body).group(1)
        patient.goto(link)
        assert_accessible(patient)
        patient.get_by_label("Create a password").fill(PASSWORD)
        patient.get_by_label("Type the password again").fill(PASSWORD)
        patient.get_by_role("button", name="Set password and sign in").click()

        patient.get_by_role("heading", name="Jane Smith: personal health budget").wait_for()
        budget = patient.get_by_test_id("budget").inner_text()
        assert "your plan costs £7,593.57 of your" in budget and "£145.63 a week" in budget
        assert "15 June 2026" in patient.get_by_test_id("next-review").inner_text()
        assert_accessible(patient)

        patient.get_by_role("link", name="Your plan").click()
        assert "Sing in my choir again" in patient.get_by_test_id("outcomes").inner_text()
        assert_accessible(patient)
        with patient.expect_download() as download:
            patient.get_by_role("link", name="Download this plan (PDF)").click()
        pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
        text = " ".join(p.extract_text() for p in pdf.pages)
        assert "Sing in my choir again" in text and "Wash and dress with help I choose" in text

        for name in ("Reviews", "Documents"):
            patient.get_by_role("link", name=name, exact=True).click()
            patient.get_by_role("heading", name=f"Your {name.lower()}").wait_for()
            assert_accessible(patient)

        patient.get_by_role("link", name="Messages", exact=True).click()
        patient.get_by_label("Your message").fill("I want to talk about changing my plan.")
        patient.get_by_role("button", name="Send message").click()
        patient.get_by_text("Your message has been sent to your care team.").wait_for()
        assert_accessible(patient)

        coordinator.goto(f"/people/{jane.pk}/")
        assert "1 new" in coordinator.get_by_test_id("message-summary").inner_text()
        coordinator.get_by_role("link", name="Read messages and reply").click()
        assert "I want to talk about changing my plan." in coordinator.get_by_test_id("staff-thread").inner_text()
        assert_accessible(coordinator)
        coordinator.get_by_label("Reply").fill("Happy to. I will call you on Tuesday.")
        coordinator.get_by_role("button", name="Send reply").click()
        coordinator.get_by_text("Your reply has been sent.").wait_for()

        patient.reload()
        assert "I will call you on Tuesday." in patient.get_by_test_id("thread").inner_text()
    finally:
        staff.close()
        person.close()


def test_the_portal_home_works_with_the_keyboard_alone(page, pat, jane, janes_plan):
    sign_in(page, "pat", None)
    page.get_by_role("heading", name="Jane Smith: personal health budget").wait_for()
    page.goto(f"/my/{jane.pk}/")
    reached = []
    for _ in range(25):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    # The skip link comes first, and every part of the portal can be reached by tabbing.
    assert reached[0] == "Skip to main content"
    for name in ["Your plan", "Reviews", "Documents", "Messages", "Send a message to your care team"]:
        assert any(name in text for text in reached), (name, reached)
    # And Enter follows the focused link.
    page.goto(f"/my/{jane.pk}/")
    for _ in range(reached.index("Your plan") + 1):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your personalised care and support plan").wait_for()


def test_the_choice_of_person_and_an_expired_link_pages_are_accessible(page, alice, charlie, jane, sam):
    from portal import services as portal_services

    invitations = [
        portal_services.invitation_create(
            person=person,
            email="parent@example.com",
            relationship="parent",
            link_base="http://t/",
            acting_user=coordinator,
        )
        for person, coordinator in ((jane, alice), (sam, charlie))
    ]
    portal_services.invitation_accept(token=invitations[0].token, password=PASSWORD)
    page.goto(f"/my/invitation/{invitations[0].token}/")
    page.get_by_role("heading", name="This link has expired or has already been used").wait_for()
    assert_accessible(page)
    # The second link is to an address that now has an account: its holder signs in to accept (no new password).
    page.goto(f"/my/invitation/{invitations[1].token}/")
    page.get_by_role("heading", name="Sign in to accept this invitation").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill("parent@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="See Sam Taylor's records online").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Accept and see the records").click()
    page.get_by_role("heading", name="Sam Taylor: personal health budget").wait_for()
    page.goto("/my/")
    page.get_by_role("heading", name="Whose records do you want to see?").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Sam Taylor").click()
    page.get_by_role("heading", name="Sam Taylor: personal health budget").wait_for()
