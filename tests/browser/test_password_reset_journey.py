"""Forgotten password from the sign-in page to a new password, reading the link from the test mailbox;
the user's other signed-in session ends. And the session timeout warning: stay signed in, or be signed out."""

import re

import pytest
from django.core import mail

from people.tests.factories import PASSWORD
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "walrus-kettle-orbit-47"
PORTAL = re.compile(r".*/my/.*")


def test_forgotten_password_to_a_new_one_ends_the_other_session(browser, live_server, page, pat, jane):
    other = browser.new_context(base_url=live_server.url)
    phone = other.new_page()
    phone.set_default_timeout(10_000)
    try:
        sign_in(phone, "pat", None)
        phone.wait_for_url(PORTAL)

        page.goto("/sign-in/")
        page.get_by_role("link", name="Forgotten your password?").click()
        page.get_by_role("heading", name="Reset your password").wait_for()
        assert_accessible(page)
        page.get_by_label("Email address").fill(pat.email.upper())
        page.get_by_role("button", name="Send the link").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        assert_accessible(page)

        [message] = mail.outbox
        assert message.to == [pat.email]
        link = re.search(r"https?://[^/\s]+(/sign-in/new-password/\S+/)", message.body)[1]
        page.goto(link)
        page.get_by_role("heading", name="Choose a new password").wait_for()
        assert_accessible(page)
        page.get_by_label("New password", exact=True).fill("cheeseburger")
        page.get_by_label("Type the new password again").fill("cheeseburger")
        page.get_by_role("button", name="Save new password").click()
        page.get_by_text("This password is too common.").first.wait_for()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save new password").click()
        page.get_by_role("heading", name="Your password has been changed").wait_for()
        assert_accessible(page)

        # The phone was signed in as Pat: that session has ended.
        phone.reload()
        phone.get_by_role("heading", name="Sign in").wait_for()
        assert phone.url.startswith(f"{live_server.url}/sign-in/")

        # The old password no longer works, the new one does, and the link works only once.
        sign_in(page, "pat", PASSWORD)
        page.get_by_text("The email address or password is not right").first.wait_for()
        sign_in(page, "pat", NEW_PASSWORD)
        page.wait_for_url(PORTAL)
        page.goto(link)
        page.get_by_role("heading", name="This link does not work").wait_for()
    finally:
        other.close()


def test_the_warning_lets_a_person_stay_signed_in(page, pat, jane, settings):
    settings.SESSION_IDLE_MINUTES_PEOPLE = 0.5  # 30 seconds, with the warning 28 seconds before the end
    settings.SESSION_TIMEOUT_WARNING_SECONDS = 28
    sign_in(page, "pat", None)
    page.wait_for_url(PORTAL)
    dialog = page.get_by_role("dialog", name="You're about to be signed out")
    dialog.wait_for()
    assert_accessible(page)
    with page.expect_response(lambda response: "/session/stay-signed-in/" in response.url) as answer:
        dialog.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 204
    dialog.wait_for(state="hidden")
    assert PORTAL.match(page.url)

    # It comes back before the next end, and Escape also means "stay signed in".
    dialog.wait_for()
    with page.expect_response(lambda response: "/session/stay-signed-in/" in response.url) as answer:
        page.keyboard.press("Escape")
    assert answer.value.status == 204
    dialog.wait_for(state="hidden")


def test_without_an_answer_the_session_ends_and_says_why(page, pat, jane, settings):
    settings.SESSION_IDLE_MINUTES_PEOPLE = 0.1  # 6 seconds: the warning shows at once
    sign_in(page, "pat", None)
    page.wait_for_url(PORTAL)
    page.get_by_role("dialog", name="You're about to be signed out").wait_for()
    page.get_by_text("For your security, we signed you out because you had not used the service").wait_for(
        timeout=20_000
    )
    page.get_by_role("heading", name="Sign in").wait_for()
