"""What the portal services refuse, and the edges they must get right: nothing written, no e-mail, no audit row."""

import datetime
import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends import locmem
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from careplans.tests.factories import complete_plan
from people.models import PortalAccess, User
from people.tests.factories import UserFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent
from phb.roles import Role
from portal import selectors, services
from portal.models import Invitation, Message, Relationship

pytestmark = pytest.mark.django_db

PASSWORD = "choir-on-fridays-2026"


def invite(person, by, email="sarah@example.com", relationship=Relationship.ATTORNEY):
    return services.invitation_create(
        person=person, email=email, relationship=relationship, link_base="http://testserver/", acting_user=by
    )


def audited(action):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def smtp_down(monkeypatch):
    def refuse(self, messages):
        raise ConnectionError("SMTP server not answering")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)


# Invitations: who may send one, and to which address.


@pytest.mark.parametrize("persona", ["charlie", "priya", "leo", "ada", "pat"])
def test_it_refuses_an_invitation_from_anyone_outside_the_persons_care_team(
    request, jane, persona, django_capture_on_commit_callbacks
):
    outsider = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as refused:
        invite(jane, outsider)
    assert str(refused.value) == "Only a care coordinator in the person's care team can invite someone."
    assert not Invitation.objects.exists()
    assert not audited(AuditAction.INVITE).exists()
    assert mail.outbox == []


def test_it_refuses_to_invite_the_address_of_a_staff_account_however_it_is_typed(
    jane, alice, django_capture_on_commit_callbacks
):
    UserFactory(username="dan.hughes@example.nhs.uk", role=Role.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        invite(jane, alice, email="  Dan.Hughes@Example.NHS.uk ")
    assert refused.value.message_dict == {
        "email": ["This email address belongs to a staff account. Use the person's own email"]
    }
    assert not Invitation.objects.exists()
    assert not audited(AuditAction.INVITE).exists()
    assert mail.outbox == []


def test_the_coordinator_is_told_on_the_form_when_the_address_is_a_staff_account(client, jane, alice):
    UserFactory(username="dan.hughes@example.nhs.uk", role=Role.APPROVER)
    client.force_login(alice)
    response = client.post(
        reverse("portal:invite", kwargs={"person_pk": jane.pk}),
        {"email": "dan.hughes@example.nhs.uk", "relationship": Relationship.SELF},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "This email address belongs to a staff account. Use the person's own email"
    ]
    assert not Invitation.objects.exists()


def test_an_existing_patient_account_may_be_invited_to_see_someone_else(jane, sam, alice, pat):
    """The staff check leaves patients alone: a representative is invited for a second person by the same address."""
    User.objects.filter(pk=pat.pk).update(username="pat@example.com")
    invitation = invite(jane, alice, email="pat@example.com")
    assert Invitation.objects.get().pk == invitation.pk


def test_it_refuses_to_invite_a_staff_members_own_email_address(jane, alice):
    assert alice.email == "alice@example.nhs.uk" and alice.username == "alice"
    with pytest.raises(ValidationError):
        invite(jane, alice, email=alice.email)
    assert not Invitation.objects.exists()


def test_it_keeps_the_invitation_when_the_e_mail_cannot_be_sent_and_logs_why(
    jane, alice, smtp_down, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.WARNING, logger="portal.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        invitation = invite(jane, alice)
    # The mail was tried after the commit, and its failure did not escape.
    assert [c.__qualname__ for c in callbacks if "mail" in c.__qualname__] == ["_after_commit_mail.<locals>.send"]
    assert Invitation.objects.get().pk == invitation.pk
    assert audited(AuditAction.INVITE).get().person_id == jane.pk
    [warning] = [r for r in caplog.records if r.name == "portal.services"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage() == "Could not send e-mail 'See your personal health budget online'"
    assert warning.exc_info[0] is ConnectionError
    # The link still works, so a coordinator can resend or read it out.
    assert services.invitation_accept(token=invitation.token, password=PASSWORD).username == "sarah@example.com"


# Accepting an invitation.


def test_it_refuses_a_link_used_a_second_time_and_gives_no_second_access(jane, alice):
    invitation = invite(jane, alice)
    user = services.invitation_accept(token=invitation.token, password=PASSWORD)
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=invitation.token, password="a-different-password-2026")
    assert str(refused.value) == "This link has expired or has already been used."
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # the second use did not change the password
    assert PortalAccess.objects.filter(user=user).count() == 1
    assert audited(AuditAction.ACCEPT_INVITATION).count() == 1


def test_it_refuses_an_expired_link_and_creates_no_account(jane, alice):
    invitation = invite(jane, alice)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(services.InvitationInvalid, match="This link has expired or has already been used."):
        services.invitation_accept(token=invitation.token, password=PASSWORD)
    assert not User.objects.filter(username="sarah@example.com").exists()
    assert Invitation.objects.get().used_at is None


def test_it_refuses_a_token_that_was_never_sent(jane, alice):
    invite(jane, alice)
    with pytest.raises(services.InvitationInvalid, match="This link has expired or has already been used."):
        services.invitation_accept(token="not-a-token-anyone-was-sent", password=PASSWORD)
    assert not PortalAccess.objects.exists()


def test_a_link_never_takes_over_a_staff_account_created_with_the_same_address(jane, alice):
    invitation = invite(jane, alice, email="dan.hughes@example.nhs.uk")
    # The address became a coordinator's username after the invitation was sent.
    dan = UserFactory(username="dan.hughes@example.nhs.uk", role=Role.COORDINATOR, password="dans-own-password-2026")
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=invitation.token, password=PASSWORD)
    assert str(refused.value) == "This link cannot be used. Ask your care coordinator for a new one."
    dan.refresh_from_db()
    assert dan.role == Role.COORDINATOR
    assert dan.check_password("dans-own-password-2026") and not dan.check_password(PASSWORD)
    assert not PortalAccess.objects.filter(user=dan).exists()
    assert Invitation.objects.get().used_at is None
    assert not audited(AuditAction.ACCEPT_INVITATION).exists()


def test_a_link_used_elsewhere_while_it_was_being_accepted_gives_no_account_and_no_access(jane, alice, monkeypatch):
    """The last guard: the invitation is marked used only if it is still unused, or nothing is kept."""
    invitation = invite(jane, alice)
    real_validate = services.validate_password

    def used_meanwhile(password, user=None):
        real_validate(password, user)
        Invitation.objects.filter(pk=invitation.pk).update(used_at=timezone.now())

    monkeypatch.setattr(services, "validate_password", used_meanwhile)
    with pytest.raises(services.InvitationInvalid) as refused:
        services.invitation_accept(token=invitation.token, password=PASSWORD)
    assert str(refused.value) == "This link has already been used."
    assert not User.objects.filter(username="sarah@example.com").exists()
    assert not PortalAccess.objects.exists()
    assert not audited(AuditAction.ACCEPT_INVITATION).exists()


# Stopping online access.


@pytest.mark.parametrize("persona", ["charlie", "priya", "leo", "ada", "pat"])
def test_it_refuses_to_stop_access_for_anyone_outside_the_persons_care_team(request, jane, pat, persona):
    online = PortalAccess.objects.get(user=pat)
    session = Client()
    session.force_login(pat)
    with pytest.raises(ServiceError) as refused:
        services.access_revoke(access=online, acting_user=request.getfixturevalue(persona))
    assert str(refused.value) == "Only a care coordinator in the person's care team can stop online access."
    assert PortalAccess.objects.get(pk=online.pk).revoked_at is None
    assert not audited(AuditAction.REVOKE).exists()
    assert session.get(reverse("portal:person", kwargs={"pk": jane.pk})).status_code == 200


def test_stopping_one_of_two_peoples_access_keeps_the_representative_signed_in_for_the_other(jane, sam, alice, charlie):
    user = services.invitation_accept(token=invite(jane, alice, email="parent@example.com").token, password=PASSWORD)
    # The second invitation to the same address is accepted from the account, signed in (no new password).
    services.invitation_accept_signed_in(token=invite(sam, charlie, email="parent@example.com").token, acting_user=user)
    parent = Client()
    assert parent.post(reverse("login"), {"username": "parent@example.com", "password": PASSWORD}).status_code == 302
    to_jane = PortalAccess.objects.get(user__username="parent@example.com", person=jane)

    services.access_revoke(access=to_jane, acting_user=alice)

    assert UserSession.objects.count() == 1
    assert parent.get(reverse("portal:person", kwargs={"pk": sam.pk})).status_code == 200
    assert parent.get(reverse("portal:person", kwargs={"pk": jane.pk})).status_code == 404
    [revoked] = audited(AuditAction.REVOKE)
    assert (revoked.actor, revoked.person_id) == (alice, jane.pk)
    assert revoked.summary == "Stopped online access for parent@example.com"


def test_stopping_the_last_access_ends_only_that_users_sessions(jane, alice, pat, quinn):
    pats, quinns = Client(), Client()
    pats.force_login(pat)
    quinns.force_login(quinn)
    services.access_revoke(access=PortalAccess.objects.get(user=pat), acting_user=alice)
    assert [s.get_decoded()["_auth_user_id"] for s in UserSession.objects.all()] == [str(quinn.pk)]
    assert list(UserSession.objects.values_list("user_id", flat=True)) == [quinn.pk]


# Messages.


@pytest.mark.parametrize("body", ["", "   \n\t  ", None])
def test_it_refuses_an_empty_message_and_writes_nothing(jane, pat, body, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        services.message_send(person=jane, body=body, acting_user=pat)
    assert refused.value.message_dict == {"body": ["Enter your message"]}
    assert not Message.objects.exists()
    assert not audited(AuditAction.SEND_MESSAGE).exists()
    assert mail.outbox == []


def test_it_refuses_a_message_over_2000_characters_and_writes_nothing(jane, pat, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        services.message_send(person=jane, body="x" * 2001, acting_user=pat)
    assert refused.value.message_dict == {"body": ["Your message must be 2,000 characters or fewer"]}
    assert not Message.objects.exists()
    assert not audited(AuditAction.SEND_MESSAGE).exists()
    assert mail.outbox == []


def test_a_message_of_exactly_2000_characters_is_sent_without_the_spaces_around_it(jane, pat):
    message = services.message_send(person=jane, body="  " + "x" * 2000 + "\n", acting_user=pat)
    assert Message.objects.get().body == "x" * 2000 == message.body


@pytest.mark.parametrize("persona", ["charlie", "quinn", "priya", "leo", "ada"])
def test_it_refuses_a_message_from_anyone_outside_the_persons_thread(
    request, jane, persona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as refused:
        services.message_send(person=jane, body="Hello", acting_user=request.getfixturevalue(persona))
    assert str(refused.value) == "You cannot send a message about this person."
    assert not Message.objects.exists()
    assert not audited(AuditAction.SEND_MESSAGE).exists()
    assert mail.outbox == []


def test_a_patient_whose_access_was_stopped_can_no_longer_send_a_message(jane, pat, alice):
    services.access_revoke(access=PortalAccess.objects.get(user=pat), acting_user=alice)
    with pytest.raises(ServiceError, match="You cannot send a message about this person."):
        services.message_send(person=jane, body="Are you still there?", acting_user=pat)
    assert not Message.objects.exists()


def test_the_persons_message_is_kept_when_the_coordinators_nudge_cannot_be_sent(
    jane, pat, alice, smtp_down, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.WARNING, logger="portal.services"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.message_send(person=jane, body="Can we talk about my plan?", acting_user=pat)
    assert Message.objects.get().body == "Can we talk about my plan?"
    assert audited(AuditAction.SEND_MESSAGE).count() == 1
    assert [r.getMessage() for r in caplog.records if r.name == "portal.services"] == [
        "Could not send e-mail 'New message about Jane Smith'"
    ]


# The plan page before anything is agreed.


def test_the_plan_page_shows_no_plan_while_the_plan_is_only_a_draft(client, pat, jane, alice):
    complete_plan(person=jane, coordinator=alice)  # written, not yet submitted or approved
    page = selectors.plan_page(jane, version=None, today=timezone.localdate())
    assert (page.version, page.items, page.totals, page.versions, page.ending) == (None, [], None, [], None)
    client.force_login(pat)
    html = client.get(reverse("portal:plan", kwargs={"pk": jane.pk})).content.decode()
    assert "You do not have an agreed plan yet. Your care coordinator will help you write one." in html
    assert "Taxi to choir" not in html and "Sing in my choir again" not in html
