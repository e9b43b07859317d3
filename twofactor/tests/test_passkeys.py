"""Passkeys (twofactor.passkeys) through the real pages and the JSON ceremonies, signed in with the form.

The whole ceremony with a real authenticator is the browser test (tests/browser/test_passkeys.py, with
Chromium's virtual authenticator); here: who may start one, what a bad answer does, and what adding or
removing a passkey does to the user's other sessions and to their factors.
"""

import json

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phb.models import AuditAction, AuditEvent
from twofactor import passkeys, selectors, services
from twofactor.tests.helpers import authenticator, code_for, passkey, sign_in
from twofactor.tests.test_second_factor import CASELOAD, SIGN_IN, VERIFY, session_exists, signed_in_elsewhere

pytestmark = pytest.mark.django_db

ADD = reverse("twofactor:passkey_add")
ADD_BEGIN = reverse("twofactor:passkey_add_begin")
ADD_COMPLETE = reverse("twofactor:passkey_add_complete")
VERIFY_BEGIN = reverse("twofactor:passkey_verify_begin")
VERIFY_COMPLETE = reverse("twofactor:passkey_verify_complete")


@pytest.fixture
def verified_alice(client, alice):
    """Alice signed in with her password and her app, just now."""
    device = authenticator(alice)
    services.recovery_codes_issue(user=alice)
    sign_in(client, alice)
    client.post(VERIFY, {"code": code_for(device.key)})
    return alice


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json")


def long_ago(client):
    """The password and code were given more than 15 minutes ago."""
    from twofactor import session

    stored = client.session
    stored[session.PASSWORD_AT] = stored[session.FACTOR_AT] = 0
    stored.save()


def test_adding_a_passkey_asks_to_confirm_it_is_you_first(client, verified_alice):
    long_ago(client)
    assert client.get(ADD)["Location"].startswith(reverse("twofactor:reauth"))
    response = post_json(client, ADD_BEGIN)
    assert response.status_code == 428
    assert response.json()["detail"] == "Confirm it is you again before you add a passkey, then try again."


def test_the_add_page_points_the_script_at_our_own_ceremonies(client, verified_alice):
    response = client.get(ADD)
    assert response.status_code == 200
    config = response.context["passkey_config"]
    assert (config["beginRegistrationUrl"], config["completeRegistrationUrl"]) == (ADD_BEGIN, ADD_COMPLETE)
    assert 'id="otp_webauthn_config"' in response.text and "otp_webauthn_register.js" in response.text


def test_a_begun_ceremony_names_this_host_and_the_user_not_their_email(client, verified_alice):
    response = post_json(client, ADD_BEGIN)
    assert response.status_code == 200
    options = response.json()
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["displayName"] == verified_alice.display_name
    assert options["challenge"]


def test_a_passkey_already_added_is_named_so_the_browser_will_not_add_it_twice(client, verified_alice):
    import base64

    first = passkey(verified_alice)
    options = post_json(client, ADD_BEGIN).json()
    [excluded] = options["excludeCredentials"]
    assert excluded["id"] == base64.urlsafe_b64encode(bytes(first.credential_id)).decode().rstrip("=")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answer=st.one_of(
        st.dictionaries(st.sampled_from(["id", "rawId", "response", "type", "clientExtensionResults"]), st.text()),
        st.dictionaries(
            st.sampled_from(["id", "rawId", "type"]),
            st.one_of(st.none(), st.integers(), st.text(alphabet="\x00\u202e\u0301😀<>'\"", max_size=50)),
        ),
        st.just({"id": "a" * 100_000, "rawId": "a", "response": {"clientDataJSON": "x", "attestationObject": "y"}}),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=20),
    )
)
def test_an_answer_that_does_not_check_out_adds_nothing_and_never_fails_with_a_500(client, verified_alice, answer):
    before = AuditEvent.objects.filter(action=AuditAction.FACTOR_FAILED).count()
    assert post_json(client, ADD_BEGIN).status_code == 200
    response = post_json(client, ADD_COMPLETE, answer)
    assert 400 <= response.status_code < 500, (answer, response.status_code)
    assert "detail" in response.json()
    assert not passkeys.passkeys_of(verified_alice).exists()
    if response.status_code == 422:  # read as far as the library could: the failure is on record
        assert AuditEvent.objects.filter(action=AuditAction.FACTOR_FAILED).count() == before + 1


def test_a_complete_with_no_ceremony_begun_is_refused(client, verified_alice):
    assert post_json(client, ADD_COMPLETE, {"id": "x"}).status_code == 400
    assert post_json(client, VERIFY_COMPLETE, {"id": "x"}).status_code == 400


def test_giving_the_factor_offers_the_passkey_only_to_someone_who_has_one(client, alice):
    authenticator(alice)
    sign_in(client, alice)
    page = client.get(reverse("twofactor:verify"))
    assert "passkey_config" not in page.context and "Use a passkey" not in page.text
    passkey(alice)
    page = client.get(reverse("twofactor:verify"))
    assert page.context["passkey_config"]["beginAuthenticationUrl"] == VERIFY_BEGIN
    assert "otp_webauthn_auth.js" in page.text


def test_the_verify_ceremony_opens_before_the_factor_is_given_and_lists_their_passkeys(client, alice):
    authenticator(alice)
    theirs = passkey(alice)
    sign_in(client, alice)
    response = post_json(client, VERIFY_BEGIN)
    assert response.status_code == 200
    allowed = response.json()["allowCredentials"]
    assert len(allowed) == 1 and allowed[0]["type"] == "public-key"
    # A wrong answer leaves the session without its factor, and is on record.
    assert post_json(client, VERIFY_COMPLETE, {"id": "x", "rawId": "x", "type": "public-key"}).status_code >= 400
    assert client.get(CASELOAD)["Location"].startswith(reverse("twofactor:verify"))
    assert AuditEvent.objects.filter(actor=alice, action=AuditAction.FACTOR_FAILED).exists()
    assert not AuditEvent.objects.filter(actor=alice, action=AuditAction.VERIFY_FACTOR).exists()
    assert allowed[0]["id"]  # the one passkey of theirs, by its credential id
    assert passkeys.passkeys_of(alice).get() == theirs


def test_a_passkey_that_checks_out_gives_the_factor_under_a_new_session_id(client, alice, monkeypatch):
    """The browser's answer is checked by py_webauthn (the browser test signs a real one); here the check
    is stood in for, to see what the view does once an answer checks out."""
    authenticator(alice)
    theirs = passkey(alice)
    monkeypatch.setattr(passkeys.Helper, "authenticate_complete", lambda self, user, state, data: theirs)
    sign_in(client, alice)
    before = client.session.session_key
    assert post_json(client, VERIFY_BEGIN).status_code == 200
    response = post_json(client, VERIFY_COMPLETE + "?next=/people/", {"id": "checked"})
    assert response.status_code == 200
    assert response.json()["redirect_url"] == "/people/"
    assert client.session.session_key != before
    assert client.get(CASELOAD).status_code == 200
    assert AuditEvent.objects.filter(actor=alice, action=AuditAction.VERIFY_FACTOR, summary="Signed in with a passkey")


def test_a_verify_answer_for_someone_elses_passkey_is_refused(client, alice, bob, monkeypatch):
    authenticator(alice)
    theirs = passkey(bob)
    monkeypatch.setattr(passkeys.Helper, "authenticate_complete", lambda self, user, state, data: theirs)
    sign_in(client, alice)
    post_json(client, VERIFY_BEGIN)
    assert post_json(client, VERIFY_COMPLETE, {"id": "checked"}).status_code == 404
    assert client.get(CASELOAD)["Location"].startswith(reverse("twofactor:verify"))


def test_adding_a_passkey_through_the_ceremony_ends_the_users_other_sessions(client, verified_alice, monkeypatch):
    elsewhere = signed_in_elsewhere(verified_alice)
    made = passkey(verified_alice)
    monkeypatch.setattr(passkeys.Helper, "register_complete", lambda self, user, state, data: made)
    assert post_json(client, ADD_BEGIN).status_code == 200
    response = post_json(client, ADD_COMPLETE, {"id": "checked"})
    assert response.json() == {"id": made.pk}
    assert not session_exists(elsewhere) and session_exists(client)
    assert AuditEvent.objects.filter(actor=verified_alice, action=AuditAction.ENROL_FACTOR, summary="Added a passkey")


def test_the_ceremonies_need_the_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert post_json(strict, VERIFY_BEGIN).status_code == 403
    assert post_json(strict, ADD_BEGIN).status_code == 403


def test_removing_the_passkey_that_verified_this_session_asks_for_another_factor(client, alice, monkeypatch):
    authenticator(alice)
    theirs = passkey(alice)
    monkeypatch.setattr(passkeys.Helper, "authenticate_complete", lambda self, user, state, data: theirs)
    sign_in(client, alice)
    post_json(client, VERIFY_BEGIN)
    post_json(client, VERIFY_COMPLETE, {"id": "checked"})
    response = client.post(reverse("twofactor:passkey_remove", kwargs={"pk": theirs.pk}))
    assert response["Location"].startswith(reverse("twofactor:verify"))
    assert client.get(CASELOAD)["Location"].startswith(reverse("twofactor:verify"))


def test_the_service_for_a_new_passkey_ends_the_users_other_sessions(client, verified_alice):
    elsewhere = signed_in_elsewhere(verified_alice)
    device = passkey(verified_alice)
    passkeys.passkey_added(user=verified_alice, device=device, keep_session_key=client.session.session_key)
    assert not session_exists(elsewhere) and session_exists(client)
    assert AuditEvent.objects.filter(actor=verified_alice, action=AuditAction.ENROL_FACTOR, summary="Added a passkey")


def test_removing_a_passkey_asks_first_then_ends_other_sessions(client, verified_alice):
    device = passkey(verified_alice)
    elsewhere = signed_in_elsewhere(verified_alice)
    url = reverse("twofactor:passkey_remove", kwargs={"pk": device.pk})
    assert "Remove this passkey" in client.get(url).text
    assert passkeys.passkeys_of(verified_alice).count() == 1  # a GET removes nothing
    assert client.post(url)["Location"] == reverse("twofactor:account")
    assert not passkeys.passkeys_of(verified_alice).exists()
    assert not session_exists(elsewhere) and client.get(CASELOAD).status_code == 200
    assert elsewhere.get(CASELOAD)["Location"].startswith(SIGN_IN)
    removed = AuditEvent.objects.filter(actor=verified_alice, action=AuditAction.REMOVE_FACTOR)
    assert removed.get().summary == "Removed a passkey"


def test_someone_elses_passkey_cannot_be_removed(client, verified_alice, bob):
    theirs = passkey(bob)
    response = client.post(reverse("twofactor:passkey_remove", kwargs={"pk": theirs.pk}))
    assert response.status_code == 404
    assert passkeys.passkeys_of(bob).count() == 1
    assert AuditEvent.objects.filter(actor=verified_alice, action=AuditAction.ACCESS_REFUSED).count() == 1


def test_a_passkey_is_a_factor_and_a_leads_reset_removes_it(alice, leo):
    passkey(alice)
    assert selectors.has_confirmed_factor(alice)
    services.factors_reset(user=alice, acting_user=leo)
    assert not passkeys.passkeys_of(alice).exists()
    assert not selectors.has_confirmed_factor(alice)


def test_the_account_page_lists_passkeys_with_a_remove_link_each(client, verified_alice):
    first, second = passkey(verified_alice), passkey(verified_alice)
    page = client.get(reverse("twofactor:account")).text
    assert page.count('data-testid="passkey"') == 2
    for device in (first, second):
        assert reverse("twofactor:passkey_remove", kwargs={"pk": device.pk}) in page


def test_the_admin_offers_no_way_to_read_or_add_a_passkey():
    from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential, WebAuthnUserHandle

    for model in (WebAuthnCredential, WebAuthnAttestation, WebAuthnUserHandle):
        assert not admin.site.is_registered(model)


def test_patients_are_refused_the_ceremonies(pat):
    client = Client()
    client.force_login(pat)
    assert post_json(client, VERIFY_BEGIN).status_code == 404
    assert post_json(client, ADD_BEGIN).status_code == 404
