"""NHS login for people and representatives, against a real OpenID Connect provider run as its own process
(tests/oidc_provider.py): the first sign-in links through an invitation (NHS number and date of birth for the
person, the checked e-mail address for a representative), P9 is needed, and every refusal is audited and signs
no one in. With NHS login on, the portal has no password."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from people.models import PortalAccess, User
from people.tests.factories import PASSWORD
from phb.models import AuditAction, AuditEvent
from phb.roles import Role
from portal import services
from portal.models import Invitation, NhsLoginIdentity, Relationship, hash_token

pytestmark = pytest.mark.django_db

CLIENT = "phb-nhs-login"


@pytest.fixture
def nhs_login(settings, oidc_provider):
    """NHS login switched on, pointing at the local provider."""
    configured = settings.OIDC_PROVIDERS["nhs_login"]  # the scopes and vtr as settings.py has them
    settings.OIDC_PROVIDERS = {"nhs_login": {**configured, **oidc_provider.client(CLIENT)}}
    cache.clear()
    return oidc_provider


def invite(person, coordinator, email, relationship=Relationship.SELF):
    return services.invitation_create(
        person=person, email=email, relationship=relationship, link_base="http://testserver/", acting_user=coordinator
    )


def person_claims(person, **changes) -> dict:
    claims = {
        "nhs_number": person.nhs_number,
        "birthdate": person.date_of_birth.isoformat(),
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": "jane.online@example.com",
        "email_verified": True,
        "identity_proofing_level": "P9",
    }
    return {**claims, **changes}


def go_through(client, start_url: str) -> object:
    """Follows the browser's way: our start page → the provider's /authorize → our callback."""
    start = client.get(start_url)
    assert start.status_code == 302, start.content
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def sign_in_with_invitation(client, invitation):
    return go_through(client, reverse("portal:accept_nhs_login", kwargs={"token": invitation.token}))


def password_sign_in(client, user) -> bool:
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    return client.session.get("_auth_user_id") == str(user.pk)


def refusals(person=None):
    rows = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, summary__startswith="NHS login refused")
    return rows.filter(person_id=person.pk) if person is not None else rows


# The first sign-in, through an invitation


def test_the_person_signs_in_for_the_first_time_through_their_invitation_and_sees_their_plan(
    client, nhs_login, jane, alice, janes_plan
):
    invitation = invite(jane, alice, "jane.online@example.com")
    page = client.get(reverse("portal:accept", kwargs={"token": invitation.token}))
    assert "Continue to NHS login" in page.content.decode()
    assert 'type="password"' not in page.content.decode()

    nhs_login.next_sign_in(CLIENT, sub="nhs-login-jane", userinfo=person_claims(jane), id_token={"vot": "P9.Cp.Cd"})
    response = sign_in_with_invitation(client, invitation)

    assert response.status_code == 302 and response["Location"] == reverse("portal:person", kwargs={"pk": jane.pk})
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.role == Role.PATIENT and user.email == "jane.online@example.com" and not user.has_usable_password()
    assert NhsLoginIdentity.objects.get(subject="nhs-login-jane").user == user
    assert PortalAccess.objects.filter(user=user, person=jane, revoked_at=None).exists()
    assert Invitation.objects.get(pk=invitation.pk).used_at is not None
    plan = client.get(reverse("portal:plan", kwargs={"pk": jane.pk}))
    assert plan.status_code == 200 and jane.full_name in plan.content.decode()


def test_the_authorisation_request_asks_for_high_proof_with_pkce_and_the_token_request_signs_its_assertion(
    client, nhs_login, jane, alice
):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(CLIENT, userinfo=person_claims(jane))
    sign_in_with_invitation(client, invitation)

    asked = nhs_login.authorize_requests()[-1]["query"]
    assert asked["code_challenge_method"] == "S256" and asked["vtr"] == '["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]'
    assert set(asked["scope"].split()) >= {"openid", "profile", "email", "phone", "nhs_number"}
    token = nhs_login.token_requests()[-1]
    assert token["accepted"] and token["client_id"] == CLIENT and token["assertion_alg"] == "RS512"


def test_a_later_sign_in_needs_no_invitation(client, nhs_login, jane, alice):
    nhs_login.next_sign_in(CLIENT, sub="nhs-login-jane", userinfo=person_claims(jane))
    sign_in_with_invitation(client, invite(jane, alice, "jane.online@example.com"))
    client.logout()

    nhs_login.next_sign_in(CLIENT, sub="nhs-login-jane", userinfo=person_claims(jane))
    response = go_through(client, reverse("portal:nhs_login"))

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert NhsLoginIdentity.objects.get(subject="nhs-login-jane").last_signed_in_at is not None


def test_a_representative_links_through_an_invitation_sent_to_their_nhs_login_address(client, nhs_login, sam, charlie):
    invitation = invite(sam, charlie, "Rep@Example.com", relationship=Relationship.PARENT)
    nhs_login.next_sign_in(
        CLIENT,
        sub="nhs-login-rep",
        userinfo={
            "email": "rep@example.com",
            "email_verified": True,
            "nhs_number": "9990000018",
            "birthdate": "1970-01-01",
            "identity_proofing_level": "P9",
            "given_name": "Rae",
            "family_name": "Parent",
        },
    )
    response = sign_in_with_invitation(client, invitation)

    assert response["Location"] == reverse("portal:person", kwargs={"pk": sam.pk})
    user = NhsLoginIdentity.objects.get(subject="nhs-login-rep").user
    assert (user.first_name, user.last_name) == ("Rae", "Parent")
    assert PortalAccess.objects.filter(user=user, person=sam).exists()


def test_a_representative_whose_nhs_login_address_differs_is_refused_and_audited(client, nhs_login, sam, charlie):
    invitation = invite(sam, charlie, "rep@example.com", relationship=Relationship.PARENT)
    nhs_login.next_sign_in(CLIENT, userinfo={"email": "someone.else@example.com", "identity_proofing_level": "P9"})
    response = sign_in_with_invitation(client, invitation)

    assert response.status_code == 403 and "different email address" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert refusals(sam).count() == 1 and Invitation.objects.get(pk=invitation.pk).used_at is None


def test_a_second_invitation_adds_another_person_to_the_same_nhs_login(client, nhs_login, jane, alice, sam, charlie):
    nhs_login.next_sign_in(
        CLIENT, sub="nhs-login-rep", userinfo={"email": "rep@example.com", "identity_proofing_level": "P9"}
    )
    sign_in_with_invitation(client, invite(jane, alice, "rep@example.com", relationship=Relationship.PARENT))
    nhs_login.next_sign_in(
        CLIENT, sub="nhs-login-rep", userinfo={"email": "rep@example.com", "identity_proofing_level": "P9"}
    )
    sign_in_with_invitation(client, invite(sam, charlie, "rep@example.com", relationship=Relationship.PARENT))

    user = NhsLoginIdentity.objects.get(subject="nhs-login-rep").user
    assert set(PortalAccess.objects.filter(user=user).values_list("person", flat=True)) == {jane.pk, sam.pk}


def test_an_account_that_signed_in_with_a_password_keeps_its_access_when_it_moves_to_nhs_login(
    client, nhs_login, quinn, jane, alice, sam
):
    nhs_login.next_sign_in(
        CLIENT, sub="nhs-login-quinn", userinfo={"email": quinn.email, "identity_proofing_level": "P9"}
    )
    sign_in_with_invitation(client, invite(jane, alice, quinn.email, relationship=Relationship.PARENT))

    assert NhsLoginIdentity.objects.get(subject="nhs-login-quinn").user == quinn
    assert set(PortalAccess.objects.filter(user=quinn).values_list("person", flat=True)) == {jane.pk, sam.pk}


# Refusals


@pytest.mark.parametrize(
    ("change", "which"),
    [({"nhs_number": "9990000018"}, "NHS number"), ({"birthdate": "1901-02-03"}, "date of birth")],
)
def test_nhs_login_for_someone_else_is_refused_and_audited_against_the_person(
    client, nhs_login, jane, alice, change, which
):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(CLIENT, userinfo=person_claims(jane, **change))
    response = sign_in_with_invitation(client, invitation)

    assert response.status_code == 403 and "do not match" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert refusals(jane).get().summary == f"NHS login refused: the {which} in NHS login is not the invited person's"
    assert not NhsLoginIdentity.objects.exists() and Invitation.objects.get(pk=invitation.pk).used_at is None


def test_medium_proof_of_identity_is_told_how_to_prove_who_they_are(client, nhs_login, jane, alice):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(
        CLIENT, userinfo=person_claims(jane, identity_proofing_level="P5"), id_token={"vot": "P5.Cp.Cd"}
    )
    response = sign_in_with_invitation(client, invitation)

    assert response.status_code == 403
    assert "You need to prove who you are" in response.content.decode()
    assert "_auth_user_id" not in client.session and not NhsLoginIdentity.objects.exists()
    assert refusals().get().summary == "NHS login refused: identity proof P5, P9 needed"


def test_the_proof_level_is_read_from_the_vot_claim_when_userinfo_does_not_say(client, nhs_login, jane, alice):
    claims = person_claims(jane)
    del claims["identity_proofing_level"]
    nhs_login.next_sign_in(CLIENT, userinfo=claims, id_token={"vot": "P5.Cp.Cd"})
    response = sign_in_with_invitation(client, invite(jane, alice, "jane.online@example.com"))
    assert "You need to prove who you are" in response.content.decode()


def test_an_nhs_login_that_was_never_invited_is_refused(client, nhs_login, jane):
    nhs_login.next_sign_in(CLIENT, userinfo=person_claims(jane))
    response = go_through(client, reverse("portal:nhs_login"))

    assert response.status_code == 403 and "not linked to a personal health budget" in response.content.decode()
    assert "_auth_user_id" not in client.session and refusals().count() == 1


def test_a_used_invitation_cannot_link_a_second_nhs_login(client, nhs_login, jane, alice):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(CLIENT, sub="first", userinfo=person_claims(jane))
    start = client.get(reverse("portal:accept_nhs_login", kwargs={"token": invitation.token}))
    sign_in_with_invitation(client, invitation)
    assert start.status_code == 302
    client.logout()

    page = client.get(reverse("portal:accept_nhs_login", kwargs={"token": invitation.token}))
    assert page.status_code == 410 and NhsLoginIdentity.objects.count() == 1


@pytest.mark.parametrize(
    "fault", ["wrong_state", "wrong_nonce", "expired", "bad_signature", "wrong_audience", "access_denied"]
)
def test_a_tampered_or_refused_return_signs_no_one_in_and_is_audited(client, nhs_login, jane, alice, fault):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(CLIENT, userinfo=person_claims(jane), fault=fault)
    response = sign_in_with_invitation(client, invitation)

    assert response.status_code == 400 and "We could not sign you in with NHS login" in response.content.decode()
    assert "_auth_user_id" not in client.session and not NhsLoginIdentity.objects.exists()
    assert refusals().count() == 1 and Invitation.objects.get(pk=invitation.pk).used_at is None


def test_a_return_without_a_sign_in_started_in_this_browser_is_refused(client, nhs_login):
    response = client.get(reverse("portal:nhs_login_callback") + "?code=stolen&state=guessed")
    assert response.status_code == 400 and refusals().get().summary.startswith("NHS login refused: no sign-in")


def test_the_return_works_once(client, nhs_login, jane, alice):
    invitation = invite(jane, alice, "jane.online@example.com")
    nhs_login.next_sign_in(CLIENT, userinfo=person_claims(jane))
    start = client.get(reverse("portal:accept_nhs_login", kwargs={"token": invitation.token}))
    back = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    again = client.get(f"{back.path}?{back.query}")
    assert again.status_code == 400 and "_auth_user_id" not in client.session
    assert parse_qs(back.query)["state"]


def test_nhs_login_unavailable_says_so_and_is_audited(client, settings, jane, alice):
    settings.OIDC_PROVIDERS = {"nhs_login": {"issuer": "http://127.0.0.1:9", "client_id": "x", "private_key": "k"}}
    cache.clear()
    response = client.get(reverse("portal:nhs_login"))
    assert response.status_code == 503 and "not available at the moment" in response.content.decode()
    assert refusals().get().summary.startswith("NHS login refused: discovery unavailable")


# With NHS login on, no passwords for people


def test_with_nhs_login_on_a_persons_password_no_longer_signs_them_in_but_staff_passwords_do(
    client, nhs_login, quinn, alice
):
    assert not password_sign_in(client, quinn)
    assert password_sign_in(client, alice)


def test_with_nhs_login_on_an_invitation_cannot_set_a_password(nhs_login, jane, alice):
    invitation = invite(jane, alice, "jane.online@example.com")
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=invitation.token, password="a-long-enough-password-2026")
    assert not User.objects.filter(email="jane.online@example.com").exists()


def test_with_nhs_login_on_no_password_reset_link_goes_to_a_person(client, nhs_login, quinn, alice):
    client.post(reverse("accounts:password_reset"), {"email": quinn.email})
    client.post(reverse("accounts:password_reset"), {"email": alice.email})
    assert [message.to for message in mail.outbox] == [[alice.email]]


def test_the_installation_may_keep_peoples_passwords_beside_nhs_login(client, nhs_login, settings, quinn):
    settings.PORTAL_PASSWORDS = True
    assert password_sign_in(client, quinn)


def test_the_sign_in_page_offers_nhs_login_only_when_it_is_on(client, settings, oidc_provider):
    assert "Continue to NHS login" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("portal:nhs_login")).status_code == 404
    assert client.get(reverse("portal:nhs_login_callback")).status_code == 404
    settings.OIDC_PROVIDERS = {"nhs_login": oidc_provider.client(CLIENT)}
    page = client.get(reverse("login")).content.decode()
    assert "Continue to NHS login" in page and 'type="password"' in page  # staff still use passwords


def test_a_staff_address_invited_is_refused_at_the_invitation(client, nhs_login, jane, alice, bob):
    Invitation.objects.create(
        person=jane,
        email=bob.email,
        relationship=Relationship.PARENT,
        token_hash=hash_token("staff-token"),
        expires_at=timezone.now() + datetime.timedelta(hours=1),
        created_by=alice,
    )
    assert client.get(reverse("portal:accept", kwargs={"token": "staff-token"})).status_code == 410
