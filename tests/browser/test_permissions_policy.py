"""The browser understands every feature the Permissions-Policy names (an unknown one is an error it
reports on every page, and a sign the list was not checked)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_accepts_the_permissions_policy_and_turns_the_camera_off(page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto("/sign-in/")
    assert "camera=()" in response.headers["permissions-policy"]
    allowed = page.evaluate("document.featurePolicy ? document.featurePolicy.allowsFeature('camera') : null")
    assert allowed is False
    assert not [text for text in console if "Permissions-Policy" in text]
