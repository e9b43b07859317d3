"""NHS login in Chromium, against the local OpenID Connect provider run as its own process (tests/oidc_provider.py):
a person's first sign-in through their invitation, a representative's, a later sign-in from the sign-in page, and
the refusals a person can meet (not proved who they are; someone else's NHS login)."""

import pytest
from django.core.cache import cache

from careplans import approval, services
from careplans.tests.factories import complete_plan
from phb.models import AuditAction, AuditEvent
from portal import services as portal_services
from portal.models import Relationship
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT = "phb-nhs-login-browser"


@pytest.fixture
def nhs_login(settings, oidc_provider):
    configured = settings.OIDC_PROVIDERS["nhs_login"]
    settings.OIDC_PROVIDERS = {"nhs_login": {**configured, **oidc_provider.client(CLIENT)}}
    cache.clear()
    return oidc_provider


@pytest.fixture
def janes_plan(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def invitation_link(person, coordinator, email, relationship=Relationship.SELF) -> str:
    invitation = portal_services.invitation_create(
        person=person, email=email, relationship=relationship, link_base="http://testserver/", acting_user=coordinator
    )
    return f"/my/invitation/{invitation.token}/"


def janes_nhs_login(jane, **changes) -> dict:
    return {
        "nhs_number": jane.nhs_number,
        "birthdate": jane.date_of_birth.isoformat(),
        "given_name": jane.given_name,
        "family_name": jane.family_name,
        "email": "jane.smith@example.com",
        "email_verified": True,
        "identity_proofing_level": "P9",
        **changes,
    }


@pytest.mark.parametrize(
    "viewport", [{"width": 320, "height": 640}, {"width": 1280, "height": 900}], ids=["320px", "desktop"]
)
def test_a_persons_first_nhs_login_through_their_invitation_shows_their_plan(
    browser, live_server, nhs_login, jane, alice, janes_plan, viewport
):
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(invitation_link(jane, alice, "jane.smith@example.com"))
        page.get_by_role("heading", name="See your personal health budget online").wait_for()
        assert page.locator("input[type=password]").count() == 0
        assert_accessible(page)

        nhs_login.next_sign_in(
            CLIENT, sub="jane-nhs-login", userinfo=janes_nhs_login(jane), id_token={"vot": "P9.Cp.Cd"}
        )
        page.get_by_role("button", name="Continue to NHS login").click()

        page.get_by_role("heading", name="Jane Smith: personal health budget").wait_for()
        page.get_by_text("You can now see Jane Smith's records.").wait_for()
        assert_accessible(page)
        page.get_by_role("link", name="Your plan").click()
        assert "Sing in my choir again" in page.get_by_test_id("outcomes").inner_text()

        # Signed out, they come back through the sign-in page: no invitation needed now, and no password asked.
        page.get_by_role("button", name="Sign out").click()
        page.goto("/sign-in/")
        assert_accessible(page)
        nhs_login.next_sign_in(CLIENT, sub="jane-nhs-login", userinfo=janes_nhs_login(jane))
        page.get_by_role("button", name="Continue to NHS login").click()
        page.get_by_role("heading", name="Jane Smith: personal health budget").wait_for()
    finally:
        context.close()


def test_a_representative_links_through_their_invitation_and_sees_the_person(page, nhs_login, sam, charlie):
    page.goto(invitation_link(sam, charlie, "parent.of.sam@example.com", Relationship.PARENT))
    page.get_by_role("heading", name=f"See {sam.full_name}'s personal health budget online").wait_for()
    assert "parent.of.sam@example.com" in page.locator("main").inner_text()
    assert page.locator("input[type=password]").count() == 0
    assert_accessible(page)

    nhs_login.next_sign_in(
        CLIENT,
        sub="sams-parent",
        userinfo={
            "email": "parent.of.sam@example.com",
            "email_verified": True,
            "identity_proofing_level": "P9",
            "nhs_number": "9990000018",
            "birthdate": "1975-05-05",
            "given_name": "Pam",
            "family_name": "Parent",
        },
    )
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_role("heading", name=f"{sam.full_name}: personal health budget").wait_for()
    assert_accessible(page)


def test_someone_who_has_not_proved_who_they_are_is_told_how(page, nhs_login, jane, alice):
    page.goto(invitation_link(jane, alice, "jane.smith@example.com"))
    nhs_login.next_sign_in(
        CLIENT, userinfo=janes_nhs_login(jane, identity_proofing_level="P5"), id_token={"vot": "P5.Cp.Cd"}
    )
    page.get_by_role("button", name="Continue to NHS login").click()

    page.get_by_role("heading", name="You need to prove who you are").wait_for()
    assert "photo ID" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert_accessible(page)


def test_someone_elses_nhs_login_is_refused_and_recorded(page, nhs_login, jane, alice):
    page.goto(invitation_link(jane, alice, "jane.smith@example.com"))
    nhs_login.next_sign_in(CLIENT, userinfo=janes_nhs_login(jane, nhs_number="9990000018"))
    page.get_by_role("button", name="Continue to NHS login").click()

    page.get_by_role("heading", name="You could not be signed in").wait_for()
    assert "do not match the person this invitation is for" in page.locator("main").inner_text()
    assert_accessible(page)
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED, person_id=jane.pk)
    assert refused.summary == "NHS login refused: the NHS number in NHS login is not the invited person's"


@pytest.mark.parametrize("fault", ["wrong_state", "wrong_nonce", "expired"])
def test_a_tampered_or_expired_return_from_nhs_login_signs_no_one_in(page, nhs_login, jane, alice, fault):
    page.goto(invitation_link(jane, alice, "jane.smith@example.com"))
    nhs_login.next_sign_in(CLIENT, userinfo=janes_nhs_login(jane), fault=fault)
    page.get_by_role("button", name="Continue to NHS login").click()

    page.get_by_role("heading", name="You could not be signed in").wait_for()
    assert "We could not sign you in with NHS login. Try again." in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0
    page.goto(f"/my/{jane.pk}/")
    assert "/sign-in/" in page.url
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).count() == 1
