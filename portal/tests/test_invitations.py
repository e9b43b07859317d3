"""Invitations: an address that already has an account is never handed over, staff addresses are never
invited (whatever their case), and the person's page lists the invitations waiting with cancel and send again."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from people.models import PortalAccess, User
from people.tests.factories import PASSWORD, UserFactory
from phb.models import AuditAction, AuditEvent
from phb.roles import Role
from portal import services
from portal.models import Invitation, Relationship

pytestmark = pytest.mark.django_db

NEW_PASSWORD = {"password1": "someone-elses-choice-2026", "password2": "someone-elses-choice-2026"}


def invite(person, coordinator, email, relationship=Relationship.PARENT):
    return services.invitation_create(
        person=person, email=email, relationship=relationship, link_base="http://testserver/", acting_user=coordinator
    )


def link(invitation):
    return reverse("portal:accept", kwargs={"token": invitation.token})


@pytest.fixture
def holder(quinn):
    """Quinn, a parent who sees Sam online, with an account at quinn@example.nhs.uk."""
    return quinn


# Account hand-over


def test_an_invitation_to_an_address_with_an_account_never_changes_its_password(
    client, holder, jane, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(jane, alice, "QUINN@Example.NHS.uk")
    assert "Sign in to accept here" in mail.outbox[-1].body and "Set your password" not in mail.outbox[-1].body
    page = client.get(link(invitation))
    assert page.status_code == 200
    assert "There is already an account for" in page.content.decode()
    assert "Create a password" not in page.content.decode()

    # Whoever holds the link, without the account's password, gets nothing.
    response = client.post(link(invitation), NEW_PASSWORD)
    assert "_auth_user_id" not in client.session
    assert (
        "Sign in to accept this invitation" in client.get(response.get("Location", link(invitation))).content.decode()
    )
    holder.refresh_from_db()
    assert holder.check_password(PASSWORD)
    assert not holder.check_password(NEW_PASSWORD["password1"])
    assert not PortalAccess.objects.filter(person=jane, user=holder).exists()
    assert User.objects.filter(email__iexact="quinn@example.nhs.uk").count() == 1
    assert Invitation.objects.get(pk=invitation.pk).used_at is None
    with pytest.raises(services.AccountExists):
        services.invitation_accept(token=invitation.token, password=NEW_PASSWORD["password1"])


def test_the_account_holder_signs_in_and_accepts_and_the_person_is_added(client, holder, jane, sam, alice):
    invitation = invite(jane, alice, "quinn@example.nhs.uk")
    client.force_login(holder)
    confirm = client.get(link(invitation)).content.decode()
    assert "Accept and see the records" in confirm and "Your password does not change" in confirm
    response = client.post(link(invitation))
    assert response["Location"] == reverse("portal:person", kwargs={"pk": jane.pk})
    holder.refresh_from_db()
    assert holder.check_password(PASSWORD)
    assert set(PortalAccess.objects.filter(user=holder, revoked_at=None).values_list("person", flat=True)) == {
        jane.pk,
        sam.pk,
    }
    used = Invitation.objects.get(pk=invitation.pk)
    assert (used.user, used.used_at is not None) == (holder, True)
    [accepted] = AuditEvent.objects.filter(action=AuditAction.ACCEPT_INVITATION, person_id=jane.pk)
    assert accepted.actor == holder and "signed in to the account already at the address" in accepted.summary
    assert client.get(reverse("portal:person", kwargs={"pk": jane.pk})).status_code == 200


def test_someone_signed_in_as_another_account_cannot_accept_for_the_holder(client, holder, jane, alice, rita):
    invitation = invite(jane, alice, "quinn@example.nhs.uk")
    client.force_login(rita)
    page = client.get(link(invitation)).content.decode()
    assert "You are signed in as rita" in page
    client.post(link(invitation))
    assert not PortalAccess.objects.filter(person=jane).exclude(user__username="pat").exists()
    assert Invitation.objects.get(pk=invitation.pk).used_at is None
    with pytest.raises(services.InvitationInvalid, match="sent to another email address"):
        services.invitation_accept_signed_in(token=invitation.token, acting_user=rita)


# Staff and patient addresses, by e-mail and in any case


def test_an_invitation_to_a_staff_members_address_in_any_case_is_refused(alice, bob, jane):
    for address in (bob.email.upper(), f"  {bob.email.title()} ", bob.username.upper()):
        with pytest.raises(ValidationError) as refused:
            invite(jane, alice, address)
        assert refused.value.message_dict["email"] == [services.STAFF_ADDRESS]
    assert not Invitation.objects.exists()


def test_a_staff_account_made_after_the_invitation_refuses_it_and_no_patient_account_is_made(client, alice, jane):
    """The check used to compare usernames only: an invitation to a coordinator's e-mail made a patient account."""
    invitation = invite(jane, alice, "dana.new@example.nhs.uk")
    dana = UserFactory(username="dana", email="Dana.New@Example.NHS.uk", role=Role.COORDINATOR)
    assert client.get(link(invitation)).status_code == 410
    assert client.post(link(invitation), NEW_PASSWORD).status_code == 410
    assert list(User.objects.filter(email__iexact="dana.new@example.nhs.uk")) == [dana]
    assert not User.objects.filter(role=Role.PATIENT, username__iexact="dana.new@example.nhs.uk").exists()
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=invitation.token, password=NEW_PASSWORD["password1"])
    assert not PortalAccess.objects.filter(person=jane).exists()


# The person's page: invitations waiting, cancel and send again


def test_right_after_inviting_the_page_says_the_invitation_is_waiting(client, alice, jane):
    client.force_login(alice)
    client.post(
        reverse("portal:invite", kwargs={"person_pk": jane.pk}),
        {"email": "sarah@example.com", "relationship": Relationship.ATTORNEY},
    )
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "No one sees these records online" not in page
    assert "Invitations waiting to be accepted" in page
    assert "sarah@example.com (lasting power of attorney for health and welfare), sent" in page
    # One full stop after each time ("10:08 a.m.." read badly), written as everywhere else ("6:24pm").
    time = r"(?:\d{1,2}(?::\d\d)?[ap]m|midday|midnight)"
    assert re.search(
        rf"sent on \d{{1,2}} \w+ \d{{4}} at {time}\. The link works until \d{{1,2}} \w+ \d{{4}} at {time}\.", page
    )
    assert "Send again" in page and "Cancel invitation" in page


def test_cancelling_an_invitation_stops_its_link_and_is_audited(client, alice, jane):
    invitation = invite(jane, alice, "sarah@example.com")
    client.force_login(alice)
    response = client.post(reverse("portal:cancel_invitation", kwargs={"invitation_pk": invitation.pk}))
    assert response["Location"] == reverse("people:detail", kwargs={"pk": jane.pk}) + "#online"
    assert not Invitation.objects.usable(now=timezone.now()).exists()
    [cancelled] = AuditEvent.objects.filter(action=AuditAction.CANCEL_INVITATION)
    assert (cancelled.actor, cancelled.person_id) == (alice, jane.pk)
    # A second cancel changes nothing and says so.
    client.post(reverse("portal:cancel_invitation", kwargs={"invitation_pk": invitation.pk}))
    assert AuditEvent.objects.filter(action=AuditAction.CANCEL_INVITATION).count() == 1
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "No one sees these records online" in page and "had already been accepted or cancelled" in page
    assert Client().get(link(invitation)).status_code == 410


def test_sending_again_makes_a_fresh_link_and_the_old_one_stops(
    client, alice, jane, django_capture_on_commit_callbacks
):
    old = invite(jane, alice, "sarah@example.com", Relationship.DEPUTY)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:resend_invitation", kwargs={"invitation_pk": old.pk}))
    [fresh] = Invitation.objects.usable(now=timezone.now())
    assert fresh.pk != old.pk and (fresh.email, fresh.relationship) == ("sarah@example.com", Relationship.DEPUTY)
    new_link = re.search(r"http://testserver(/my/invitation/\S+/)", mail.outbox[-1].body).group(1)
    stranger = Client()
    assert stranger.get(link(old)).status_code == 410
    assert stranger.get(new_link).status_code == 200
    actions = list(AuditEvent.objects.filter(person_id=jane.pk).order_by("at", "id").values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.CANCEL_INVITATION, AuditAction.INVITE]
    # A link already used or cancelled is not sent again.
    client.post(reverse("portal:resend_invitation", kwargs={"invitation_pk": old.pk}))
    assert Invitation.objects.usable(now=timezone.now()).count() == 1


@pytest.mark.parametrize("persona", ["charlie", "priya", "pat", "ada"])
def test_only_the_care_team_cancels_or_sends_again(client, request, alice, jane, persona):
    invitation = invite(jane, alice, "sarah@example.com")
    client.force_login(request.getfixturevalue(persona))
    for name in ("cancel_invitation", "resend_invitation"):
        assert client.post(reverse(f"portal:{name}", kwargs={"invitation_pk": invitation.pk})).status_code == 404
    assert list(Invitation.objects.usable(now=timezone.now())) == [invitation]


def test_the_phb_team_sees_invitations_waiting_but_no_buttons(client, alice, priya, jane):
    invite(jane, alice, "sarah@example.com")
    client.force_login(priya)
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "sarah@example.com" in page
    assert "Send again" not in page and "Cancel invitation" not in page


def test_stopping_access_says_how_many_invitations_were_cancelled(client, alice, jane, pat):
    invite(jane, alice, "sarah@example.com")
    client.force_login(alice)
    access = PortalAccess.objects.get(user=pat, person=jane)
    response = client.post(reverse("portal:revoke", kwargs={"access_pk": access.pk}), follow=True)
    page = response.content.decode()
    assert "can no longer see Jane Smith&#x27;s records. 1 invitation waiting to be accepted was cancelled." in page
    assert "No one sees these records online" in page
