"""Response headers: browser features the service never uses are off; nothing Django answers may be cached;
a request id from the client is believed only behind our own proxy."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from phb.middleware import PERMISSIONS_POLICY
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

NEVER_USED = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "midi", "display-capture"]


def features(header: str) -> dict[str, str]:
    return dict(part.strip().split("=", 1) for part in header.split(","))


def assert_not_stored(response):
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control, response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_it_denies_every_browser_feature_the_service_never_uses(client):
    response = client.get(reverse("login"))
    policy = features(response["Permissions-Policy"])
    for feature in NEVER_USED:
        assert policy[feature] == "()", feature
    # Passkeys (the staff second factor) must still work on this site: their default is this site only.
    assert not any(name.startswith("publickey-credentials") for name in policy)


def test_the_policy_is_on_error_pages_and_redirects_too(client, pat):
    assert client.get("/people/").headers["Permissions-Policy"] == PERMISSIONS_POLICY  # a redirect to sign in
    client.force_login(pat)
    response = client.get("/people/")
    assert response.status_code == 404
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_a_page_showing_a_persons_record_is_not_stored(client, alice, jane):
    client.force_login(alice)
    response = client.get(reverse("people:detail", kwargs={"pk": jane.pk}))
    assert response.status_code == 200
    assert_not_stored(response)


def test_a_document_about_a_person_is_not_stored(client, alice, jane, monkeypatch):
    from budgets.tests.factories import make_eligible

    monkeypatch.setattr("eligibility.views.render_pdf", lambda template, context: b"%PDF-1.4\n%%EOF\n")
    done = make_eligible(person=jane, coordinator=alice)
    client.force_login(alice)
    response = client.get(reverse("eligibility:letter", kwargs={"pk": done.pk}))
    assert response["Content-Type"] == "application/pdf"
    assert_not_stored(response)


def test_the_portal_and_the_pages_before_sign_in_are_not_stored(client, pat, jane):
    assert_not_stored(client.get(reverse("login")))  # may show the address someone typed
    client.force_login(pat)
    response = client.get(reverse("portal:person", kwargs={"pk": jane.pk}))
    assert response.status_code == 200
    assert_not_stored(response)


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_stay_cacheable():
    response = Client().get("/static/css/app.css")  # a new client: WhiteNoise reads its settings when made
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response


# The request id


def viewed_with(client, user, person, **headers) -> tuple[AuditEvent, object]:
    client.force_login(user)
    response = client.get(reverse("people:detail", kwargs={"pk": person.pk}), headers=headers)
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=person.pk).latest("id")
    return event, response


@override_settings(BEHIND_PROXY=False)
def test_a_forged_request_id_is_not_written_into_the_audit_trail(client, alice, jane):
    event, response = viewed_with(client, alice, jane, x_request_id="forged-by-the-client")
    assert event.request_id != "forged-by-the-client"
    assert len(event.request_id) == 32  # one of ours
    assert response["X-Request-ID"] == event.request_id


@override_settings(BEHIND_PROXY=True)
def test_behind_our_proxy_its_request_id_is_kept(client, alice, jane):
    event, response = viewed_with(client, alice, jane, x_request_id="proxy-id.42_a")
    assert event.request_id == "proxy-id.42_a"
    assert response["X-Request-ID"] == "proxy-id.42_a"


@pytest.mark.parametrize("sent", ["has spaces", "<script>", "x" * 65, "line\nbreak", "naïve"])
@override_settings(BEHIND_PROXY=True)
def test_behind_our_proxy_an_unsafe_request_id_is_replaced(client, alice, jane, sent):
    event, _ = viewed_with(client, alice, jane, x_request_id=sent)
    assert event.request_id != sent
    assert len(event.request_id) == 32
