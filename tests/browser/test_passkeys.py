"""Passkeys in the browser, with Chromium's virtual authenticator (the DevTools WebAuthn domain) standing
in for a phone or a security key: a coordinator adds a passkey from Your account, signs out, signs in
with the password and then the passkey instead of a code, and removes it again."""

import pytest

from phb.models import AuditAction, AuditEvent
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_second_factor import sign_in_with_password, sign_out
from twofactor.passkeys import passkeys_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page):
    """A platform authenticator that holds its own credentials and always checks the user (a fingerprint)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, found["authenticatorId"]


def test_a_coordinator_adds_a_passkey_and_signs_in_with_it_instead_of_a_code(page, live_server, alice):
    assert "localhost" in live_server.url  # a relying party id must be a host name, never an IP address
    cdp, authenticator = virtual_authenticator(page)
    sign_in(page, alice.username, None)

    page.goto("/account/")
    page.get_by_role("link", name="Add a passkey").click()
    page.get_by_role("heading", name="Add a passkey or security key").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_role("heading", name="Your account").wait_for()
    assert page.get_by_test_id("passkey").inner_text().startswith("Added on")
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
    assert passkeys_of(alice).count() == 1
    assert AuditEvent.objects.filter(actor=alice, action=AuditAction.ENROL_FACTOR, summary="Added a passkey").exists()

    sign_out(page)
    sign_in_with_password(page, alice)
    page.get_by_role("heading", name="Use your passkey or a code").wait_for()
    before = {c["name"]: c["value"] for c in page.context.cookies()}
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/second-factor/" not in url and "/sign-in/" not in url)
    assert page.get_by_role("button", name="Sign out").is_visible()
    after = {c["name"]: c["value"] for c in page.context.cookies()}
    session_cookie = next(name for name in after if "session" in name)
    assert after[session_cookie] != before[session_cookie]  # a new session id once the factor is given
    assert AuditEvent.objects.filter(
        actor=alice, action=AuditAction.VERIFY_FACTOR, summary="Signed in with a passkey"
    ).exists()

    # Removing it (the sign-in a moment ago counts as confirming it is you). It verified this session, so
    # the session gives another factor before going on.
    page.goto("/account/")
    page.get_by_role("link", name="Remove passkey 1").click()
    page.get_by_role("button", name="Remove the passkey").click()
    page.get_by_text("The passkey has been removed").wait_for()
    page.get_by_role("heading", name="Enter the code from your authenticator app").wait_for()
    assert passkeys_of(alice).count() == 0
    assert AuditEvent.objects.filter(
        actor=alice, action=AuditAction.REMOVE_FACTOR, summary="Removed a passkey"
    ).exists()
