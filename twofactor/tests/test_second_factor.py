"""The second factor through the real pages: sign in with the form, then set up or give the factor.

Every test here signs in with the sign-in POST (never the force_login shortcut the other tests use), so
what it proves is what a member of staff goes through.
"""

import re
import time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from phb.models import AuditAction, AuditEvent
from twofactor import services, session
from twofactor.middleware import SessionFactorMiddleware
from twofactor.models import RecoveryCode, RecoveryCodeDevice
from twofactor.rules import next_code
from twofactor.tests.helpers import authenticator, code_for, sign_in

pytestmark = pytest.mark.django_db

ENROL = reverse("twofactor:enrol")
VERIFY = reverse("twofactor:verify")
RECOVERY = reverse("twofactor:verify_recovery")
REAUTH = reverse("twofactor:reauth")
ACCOUNT = reverse("twofactor:account")
CASELOAD = reverse("casework:caseload")
SIGN_IN = reverse("login")


def actions(user) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=str(user.pk)).order_by("pk").values_list("action", flat=True))


def pending_key(client) -> str:
    return client.session[session.PENDING_KEY]


def enrol(client) -> list[str]:
    """Sets up an authenticator from the key the page shows; returns the recovery codes shown."""
    page = client.get(ENROL).content.decode()
    secret = re.search(r'data-testid="secret"><code>([A-Z2-7 ]+)</code>', page)[1]
    import base64

    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8)).hex()
    assert key == pending_key(client)
    response = client.post(ENROL, {"code": code_for(key), "next": CASELOAD})
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert "Keep these codes safe" in shown and "We will not show them again" in shown
    return re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", shown)


# Sign-in sends staff to the factor, and only staff


def test_a_staff_member_without_a_factor_is_sent_to_set_one_up_with_the_page_kept(client, alice):
    sign_in(client, alice)
    response = client.get(CASELOAD)
    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=/people/"


def test_a_staff_member_with_an_app_is_sent_to_give_a_code_before_any_page(client, alice):
    authenticator(alice)
    sign_in(client, alice)
    response = client.get(CASELOAD)
    assert response["Location"] == f"{VERIFY}?next=/people/"


def test_a_patient_signs_in_with_a_password_only(client, pat):
    sign_in(client, pat)
    response = client.get(reverse("portal:home"), follow=True)
    assert response.status_code == 200
    assert not response.redirect_chain or all("second-factor" not in url for url, _ in response.redirect_chain)
    assert not TOTPDevice.objects.filter(user=pat).exists()


def test_the_admin_site_needs_the_factor_too(client, ada):
    authenticator(ada)
    sign_in(client, ada)
    assert client.get("/admin/").headers["Location"].startswith(VERIFY)


# Setting up


def test_enrolment_with_the_shown_key_sets_up_the_app_and_shows_ten_recovery_codes_once(client, alice):
    sign_in(client, alice)
    page = client.get(ENROL).content.decode()
    assert '<svg role="img"' in page and "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: asking again sends them to their account page.
    assert client.get(reverse("twofactor:recovery_codes")).headers["Location"] == ACCOUNT
    assert client.get(CASELOAD).status_code == 200
    assert TOTPDevice.objects.get(user=alice).confirmed
    assert actions(alice).count(AuditAction.ENROL_FACTOR) == 2  # the app, then the codes


def test_recovery_codes_are_kept_only_as_salted_hashes(client, alice):
    sign_in(client, alice)
    codes = enrol(client)
    stored = list(RecoveryCode.objects.filter(device__user=alice).values_list("digest", "salt"))
    assert len(stored) == 10
    plain = {code.replace("-", "") for code in codes}
    assert not plain & {value for row in stored for value in row}
    assert len({salt for _, salt in stored}) == 10


def test_a_wrong_code_at_enrolment_sets_up_nothing_and_says_what_to_do(client, alice):
    sign_in(client, alice)
    client.get(ENROL)
    key = pending_key(client)
    wrong = f"{(int(code_for(key)) + 500000) % 1000000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditAction.FACTOR_FAILED in actions(alice)


@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1" * 5000, "１２３４５６", "12\x0034"])
def test_enrolment_refuses_what_is_not_a_6_digit_code_without_an_error_page(client, alice, typed):
    sign_in(client, alice)
    client.get(ENROL)
    response = client.post(ENROL, {"code": typed})
    assert response.status_code == 200
    assert "nhsuk-error-message" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_enrolment_long_after_the_password_asks_for_the_password_again(client, alice):
    sign_in(client, alice)
    with time_machine.travel(time.time() + 16 * 60):
        response = client.get(ENROL)
    assert response["Location"].startswith(REAUTH)


# Giving the factor


def test_the_right_code_opens_the_page_asked_for_and_is_audited(client, alice):
    device = authenticator(alice)
    sign_in(client, alice)
    response = client.post(VERIFY, {"code": code_for(device.key), "next": CASELOAD})
    assert response["Location"] == CASELOAD
    assert client.get(CASELOAD).status_code == 200
    assert AuditAction.VERIFY_FACTOR in actions(alice)


def test_a_wrong_code_is_refused_audited_and_then_slowed_down(client, alice):
    device = authenticator(alice)
    sign_in(client, alice)
    right = code_for(device.key)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert "The code is not right" in response.content.decode()
    # Straight after a wrong code even the right one waits (django-otp's throttle, doubling each time).
    response = client.post(VERIFY, {"code": right})
    assert "Wait 1 second, then try again" in response.content.decode()
    assert client.get(CASELOAD).status_code == 302
    assert actions(alice).count(AuditAction.FACTOR_FAILED) == 2


def test_a_code_cannot_be_used_twice(client, alice):
    device = authenticator(alice)
    code = code_for(device.key)
    sign_in(client, alice)
    assert client.post(VERIFY, {"code": code})["Location"] == "/"
    client.post(reverse("logout"))
    sign_in(client, alice)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()


def test_giving_the_factor_starts_a_new_session_id(client, alice):
    device = authenticator(alice)
    sign_in(client, alice)
    before = client.cookies["sessionid"].value if "sessionid" in client.cookies else client.session.session_key
    client.post(VERIFY, {"code": code_for(device.key)})
    after = client.session.session_key
    assert before != after


def test_a_recovery_code_works_once_and_a_second_use_is_refused_with_a_clear_message(client, alice):
    authenticator(alice)
    codes = services.recovery_codes_issue(user=alice)
    sign_in(client, alice)
    response = client.post(RECOVERY, {"code": codes[0].upper(), "next": CASELOAD})
    assert response["Location"] == CASELOAD
    assert client.get(CASELOAD).status_code == 200
    assert AuditAction.USE_RECOVERY_CODE in actions(alice)
    client.post(reverse("logout"))
    sign_in(client, alice)
    response = client.post(RECOVERY, {"code": codes[0]})
    assert response.status_code == 200
    assert "That recovery code has already been used" in response.content.decode()
    assert client.get(CASELOAD).status_code == 302
    assert RecoveryCodeDevice.objects.get(user=alice).codes.filter(used_at__isnull=True).count() == 9


def test_a_made_up_recovery_code_is_refused(client, alice):
    authenticator(alice)
    services.recovery_codes_issue(user=alice)
    sign_in(client, alice)
    response = client.post(RECOVERY, {"code": "aaaaa-bbbbb"})
    assert "That recovery code is not right" in response.content.decode()


# Your account: every change asks for the password and the factor within 15 minutes


@pytest.fixture
def verified_alice(client, alice):
    """Alice signed in with her password and her app, just now."""
    device = authenticator(alice)
    services.recovery_codes_issue(user=alice)
    sign_in(client, alice)
    client.post(VERIFY, {"code": code_for(device.key)})
    return alice


@pytest.mark.parametrize(
    "route", ["twofactor:new_recovery_codes", "twofactor:remove", "twofactor:password_change", "twofactor:enrol"]
)
def test_account_changes_ask_to_confirm_it_is_you_after_15_minutes(client, verified_alice, route):
    url = reverse(route)
    assert client.get(url).status_code == 200
    with time_machine.travel(time.time() + 16 * 60):
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH}?next={url.replace('/', '%2F')}"


def test_a_force_login_session_has_not_confirmed_it_is_them(client, alice):
    client.force_login(alice)
    assert client.get(reverse("twofactor:remove"))["Location"].startswith(REAUTH)


def test_confirming_with_password_and_code_opens_the_change_for_15_minutes(client, alice):
    device = authenticator(alice)
    client.force_login(alice)
    url = reverse("twofactor:new_recovery_codes")
    with time_machine.travel(time.time() + 60):
        response = client.post(
            REAUTH, {"password": "correct-horse-battery-staple", "code": code_for(device.key), "next": url}
        )
        assert response["Location"] == url
        response = client.post(url)
    shown = client.get(response["Location"]).content.decode()
    assert len(re.findall(r"<li><code>", shown)) == 10


def test_a_wrong_password_when_confirming_is_refused_and_five_sign_out(client, alice):
    authenticator(alice)
    client.force_login(alice)
    for _ in range(4):
        response = client.post(REAUTH, {"password": "not my password", "code": "123456"})
        assert "The password is not right" in response.content.decode()
    response = client.post(REAUTH, {"password": "not my password", "code": "123456"})
    assert response["Location"] == reverse("login")
    assert client.get(CASELOAD).status_code == 302
    assert actions(alice).count(AuditAction.FACTOR_FAILED) == 5


def signed_in_elsewhere(user) -> Client:
    """A second browser where the user signs in with their password and their app: the next code the device
    accepts (the first browser used the one of now). Asked of the device's own last step and drift, not the
    clock: a first code made just before a step ended and checked just after it leaves the device a step
    behind, and the clock's next code would then be out of its reach."""
    other = Client()
    sign_in(other, user)
    device = TOTPDevice.objects.get(user=user)
    code = next_code(device.key, now=time.time(), last_t=device.last_t, drift=device.drift, tolerance=device.tolerance)
    assert code is not None, "the device accepts no code until the next step"
    other.post(VERIFY, {"code": code})
    assert other.get(CASELOAD).status_code == 200
    return other


def session_exists(client) -> bool:
    return UserSession.objects.filter(session_key=client.session.session_key).exists()


def test_changing_the_password_is_audited_and_keeps_this_session(client, verified_alice):
    response = client.post(
        reverse("twofactor:password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "a-much-longer-new-passphrase-2026",
            "new_password2": "a-much-longer-new-passphrase-2026",
        },
    )
    assert response["Location"] == ACCOUNT
    assert client.get(CASELOAD).status_code == 200
    verified_alice.refresh_from_db()
    assert verified_alice.check_password("a-much-longer-new-passphrase-2026")
    assert AuditAction.CHANGE_PASSWORD in actions(verified_alice)


def test_changing_the_password_ends_every_other_session_of_theirs(client, verified_alice, bob):
    elsewhere = signed_in_elsewhere(verified_alice)
    colleague = Client()
    colleague.force_login(bob)
    client.post(
        reverse("twofactor:password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "a-much-longer-new-passphrase-2026",
            "new_password2": "a-much-longer-new-passphrase-2026",
        },
    )
    assert not session_exists(elsewhere)
    assert session_exists(client) and session_exists(colleague)
    assert elsewhere.get(CASELOAD)["Location"].startswith(SIGN_IN)
    assert client.get(CASELOAD).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.END_SESSIONS)
    assert (event.actor_id, event.object_id) == (verified_alice.pk, str(verified_alice.pk))
    assert "the password was changed" in event.summary


def test_removing_the_factors_sends_them_to_set_up_again(client, verified_alice):
    response = client.post(reverse("twofactor:remove"))
    assert response["Location"] == ENROL
    assert not TOTPDevice.objects.filter(user=verified_alice).exists()
    assert not RecoveryCodeDevice.objects.filter(user=verified_alice).exists()
    assert client.get(CASELOAD)["Location"].startswith(ENROL)
    assert AuditAction.REMOVE_FACTOR in actions(verified_alice)


def test_removing_the_factors_signs_them_out_everywhere_else(client, verified_alice):
    elsewhere = signed_in_elsewhere(verified_alice)
    client.post(reverse("twofactor:remove"))
    assert not session_exists(elsewhere)
    assert elsewhere.get(CASELOAD)["Location"].startswith(SIGN_IN)
    assert client.get(CASELOAD)["Location"].startswith(ENROL)
    event = AuditEvent.objects.get(action=AuditAction.END_SESSIONS)
    assert event.actor_id == verified_alice.pk and "they removed their second factor" in event.summary


def test_a_new_authenticator_replaces_the_old_one(client, verified_alice):
    old = TOTPDevice.objects.get(user=verified_alice)
    client.get(ENROL)
    response = client.post(ENROL, {"code": code_for(pending_key(client))})
    assert response["Location"] == ACCOUNT
    new = TOTPDevice.objects.get(user=verified_alice)
    assert new.pk != old.pk
    assert client.get(CASELOAD).status_code == 200


def test_a_new_authenticator_signs_them_out_everywhere_else(client, verified_alice):
    elsewhere = signed_in_elsewhere(verified_alice)
    client.get(ENROL)
    client.post(ENROL, {"code": code_for(pending_key(client))})
    assert not session_exists(elsewhere)
    assert elsewhere.get(CASELOAD)["Location"].startswith(SIGN_IN)
    assert client.get(CASELOAD).status_code == 200
    assert "they set up a new authenticator app" in AuditEvent.objects.get(action=AuditAction.END_SESSIONS).summary


def test_new_recovery_codes_sign_them_out_everywhere_else(client, verified_alice):
    elsewhere = signed_in_elsewhere(verified_alice)
    client.post(reverse("twofactor:new_recovery_codes"))
    assert not session_exists(elsewhere)
    assert elsewhere.get(CASELOAD)["Location"].startswith(SIGN_IN)
    assert client.get(CASELOAD).status_code == 200
    assert "they made new recovery codes" in AuditEvent.objects.get(action=AuditAction.END_SESSIONS).summary


# The session is believed: the device that verified it is not loaded on every page


def test_an_ordinary_page_does_not_load_the_device_that_verified_the_session(client, verified_alice):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CASELOAD).status_code == 200
    devices = [q["sql"] for q in captured.captured_queries if "device" in q["sql"]]
    assert devices == []


def test_the_verifying_device_is_loaded_only_for_code_that_asks_for_it(
    client, verified_alice, rf, django_assert_num_queries
):
    request = rf.get(CASELOAD)
    request.session = client.session
    assert session.FACTOR_AT in request.session  # read, as signing in from it does on every request
    request.user = SimpleLazyObject(lambda: verified_alice)  # as AuthenticationMiddleware gives it
    handled = []
    SessionFactorMiddleware(handled.append)(request)
    user = handled[0].user
    with django_assert_num_queries(0):
        assert user.is_verified()
    device = TOTPDevice.objects.get(user=verified_alice)
    with django_assert_num_queries(1):
        assert user.otp_device == device
    with django_assert_num_queries(0):
        assert user.otp_device is not None


def test_a_session_without_the_factor_is_not_verified_and_has_no_device(client, alice, rf):
    authenticator(alice)
    sign_in(client, alice)
    request = rf.get(CASELOAD)
    request.session = client.session
    request.user = alice
    handled = []
    SessionFactorMiddleware(handled.append)(request)
    assert not handled[0].user.is_verified()
    assert handled[0].user.otp_device is None


# A lead resets someone else's factors (four eyes)


def test_a_lead_resets_someone_elses_factors_and_they_set_up_again_at_next_sign_in(client, leo, alice):
    device = authenticator(alice)
    services.recovery_codes_issue(user=alice)
    alice_client = type(client)()
    sign_in(alice_client, alice)
    alice_client.post(VERIFY, {"code": code_for(device.key)})
    client.force_login(leo)
    assert client.get(reverse("twofactor:staff")).status_code == 200
    response = client.post(reverse("twofactor:reset", kwargs={"pk": alice.pk}))
    assert response["Location"] == reverse("twofactor:staff")
    assert not TOTPDevice.objects.filter(user=alice).exists()
    event = AuditEvent.objects.get(action=AuditAction.RESET_FACTORS)
    assert (event.actor_id, event.object_id) == (leo.pk, str(alice.pk))
    # Her open session stops at once: it ends (audited). At her next sign-in she sets up a new app, and
    # only with her password given within the last 15 minutes.
    assert alice_client.get(CASELOAD)["Location"].startswith(SIGN_IN)
    ended = AuditEvent.objects.get(action=AuditAction.END_SESSIONS)
    assert (ended.actor_id, ended.object_id) == (leo.pk, str(alice.pk))
    sign_in(alice_client, alice)
    assert alice_client.get(CASELOAD)["Location"].startswith(ENROL)
    with time_machine.travel(time.time() + 16 * 60):
        assert alice_client.get(ENROL)["Location"].startswith(REAUTH)


def test_a_lead_cannot_reset_their_own_factors(client, leo):
    authenticator(leo)
    client.force_login(leo)
    response = client.post(reverse("twofactor:reset", kwargs={"pk": leo.pk}), follow=True)
    assert "You cannot reset your own second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=leo).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RESET_FACTORS).exists()


def test_the_service_refuses_a_reset_by_anyone_but_another_lead(leo, alice, bob, priya):
    from phb.errors import ServiceError

    authenticator(alice)
    for actor in (bob, priya):
        with pytest.raises(ServiceError, match="Only a PHB team lead"):
            services.factors_reset(user=alice, acting_user=actor)
    with pytest.raises(ServiceError, match="your own"):
        services.factors_reset(user=leo, acting_user=leo)
    assert TOTPDevice.objects.filter(user=alice).exists()


@pytest.mark.parametrize("who", ["alice", "priya", "pat"])
def test_only_a_lead_opens_the_staff_list_and_the_reset(client, request, who, leo):
    authenticator(leo)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("twofactor:staff")).status_code == 404
    assert client.post(reverse("twofactor:reset", kwargs={"pk": leo.pk})).status_code == 404
    assert TOTPDevice.objects.filter(user=leo).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=request.getfixturevalue(who)).count() == 2


def test_the_factor_pages_are_not_for_patients(client, pat):
    client.force_login(pat)
    for route in ("twofactor:account", "twofactor:enrol", "twofactor:verify", "twofactor:reauth"):
        assert client.get(reverse(route)).status_code == 404, route


def test_the_admin_never_lists_authenticator_keys(client, ada):
    client.force_login(ada)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
