"""Acceptance 1 in the browser: a coordinator sets up an authenticator app from the key the page shows,
signs out, signs in with a code, then with a recovery code once; the same recovery code is refused."""

import base64

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.tests.factories import PASSWORD
from phb.models import AuditAction, AuditEvent
from tests.browser.conftest import assert_accessible, next_code
from twofactor.tests.helpers import code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_with_password(page, user):
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_it_enrols_totp_signs_in_with_a_code_and_with_a_recovery_code_once(page, alice, jane):
    sign_in_with_password(page, alice)
    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    assert page.get_by_role("img", name="QR code to scan with your authenticator app").is_visible()
    assert_accessible(page)

    # The key as a person would type it into their app, read from the page.
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.get_by_label("Code from your authenticator app").fill(code_for(key))
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert "Keep these codes safe" in page.content()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    page.get_by_role("button", name="I have kept my recovery codes safe").click()
    page.get_by_role("heading", name="Your work").wait_for()  # where staff land
    device = TOTPDevice.objects.get(user=alice)
    assert device.key == key

    # Signed out and in again: the password, then a code from the app.
    sign_out(page)
    sign_in_with_password(page, alice)
    page.get_by_role("heading", name="Enter the code from your authenticator app").wait_for()
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(next_code(device))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your work").wait_for()  # where staff land

    # Without the phone: a recovery code, once.
    sign_out(page)
    sign_in_with_password(page, alice)
    page.get_by_role("link", name="use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your work").wait_for()  # where staff land
    assert "You have 9 recovery codes left" in page.content()

    sign_out(page)
    sign_in_with_password(page, alice)
    page.get_by_role("link", name="use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Enter a recovery code").wait_for()
    assert "That recovery code has already been used" in page.locator("#maincontent").inner_text()
    assert_accessible(page)
    page.goto("/people/")
    assert "/account/second-factor/" in page.url

    done = list(AuditEvent.objects.filter(actor=alice).order_by("pk").values_list("action", flat=True))
    assert done.count(AuditAction.ENROL_FACTOR) == 2
    assert AuditAction.VERIFY_FACTOR in done
    assert done.count(AuditAction.USE_RECOVERY_CODE) == 1
    assert AuditAction.FACTOR_FAILED in done


def test_a_lead_confirms_it_is_them_gets_new_codes_and_resets_a_colleague(page, leo, alice):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.browser.conftest import sign_in

    TOTPDevice.objects.create(user=alice, name="Authenticator app", confirmed=True)
    sign_in(page, "leo", None)
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("heading", name="Your account").wait_for()
    assert_accessible(page)

    page.goto("/account/second-factor/recovery-codes/new/")
    # The sign-in just now counts, so the change opens straight away...
    page.get_by_role("heading", name="Get new recovery codes").wait_for()
    page.get_by_role("button", name="Get new recovery codes").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10

    # ...and "confirm it is you" takes the password and a code.
    page.goto("/account/confirm-it-is-you/")
    assert_accessible(page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        next_code(TOTPDevice.objects.get(user=leo))
    )
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Your account").wait_for()
    page.get_by_role("link", name="Change your password").click()
    page.get_by_role("heading", name="Change your password").wait_for()
    assert_accessible(page)

    page.goto("/account/")
    page.get_by_role("link", name="Staff second factors").click()
    page.get_by_role("heading", name="Staff second factors").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Reset second factor of Alice Adams").click()
    # Checked once the page has loaded (axe run mid-navigation read the old page's header mid-repaint).
    page.get_by_role("button", name="Reset their second factor").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Reset their second factor").click()
    assert "Alice Adams's second factor has been reset" in page.locator("#maincontent").inner_text()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(action=AuditAction.RESET_FACTORS, actor=leo).count() == 1
