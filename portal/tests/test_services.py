"""Every portal write goes through a service that writes its own audit row."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from people.models import PortalAccess
from phb.models import AuditAction, AuditEvent
from portal import services
from portal.models import Message

pytestmark = pytest.mark.django_db


def actions(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk").values_list("action", flat=True))


def test_each_service_records_its_own_action(alice, jane):
    invitation = services.invitation_create(
        person=jane, email="sarah@example.com", relationship="attorney", link_base="http://t/", acting_user=alice
    )
    user = services.invitation_accept(token=invitation.token, password="choir-on-fridays-2026")
    services.message_send(person=jane, body="Hello", acting_user=user)
    services.access_revoke(access=PortalAccess.objects.get(user=user), acting_user=alice)
    services.access_revoke(access=PortalAccess.objects.get(user=user), acting_user=alice)  # nothing more to do
    assert actions(person_id=jane.pk) == [
        AuditAction.INVITE,
        AuditAction.ACCEPT_INVITATION,
        AuditAction.SEND_MESSAGE,
        AuditAction.REVOKE,
    ]


def test_reading_the_care_teams_replies_is_audited_once(client, pat, jane, alice):
    for body in ("I will call you on Tuesday.", "Or Wednesday."):
        services.message_send(person=jane, body=body, acting_user=alice)
    client.force_login(pat)
    home = client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()
    assert "(2 new replies)" in home
    url = reverse("portal:messages", kwargs={"pk": jane.pk})
    client.get(url)
    client.get(url)
    [read] = AuditEvent.objects.filter(action=AuditAction.READ_MESSAGES)
    summary = "Portal: viewed messages, and read 2 messages from the care team"
    assert (read.actor, read.person_id, read.summary) == (pat, jane.pk, summary)
    assert not Message.objects.filter(read_at__isnull=True).exists()
    assert "new repl" not in client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()


def test_a_reply_from_the_coordinator_marks_the_persons_messages_read_and_audits_it(client, pat, jane, alice):
    services.message_send(person=jane, body="Can we talk?", acting_user=pat)
    client.force_login(alice)
    client.post(reverse("portal:reply", kwargs={"person_pk": jane.pk}), {"body": "Yes, on Tuesday."})
    assert Message.objects.get(from_patient=True).read_at is not None
    assert actions(actor=alice, person_id=jane.pk) == [AuditAction.SEND_MESSAGE, AuditAction.READ_MESSAGES]
    # The person has not read the reply yet.
    assert Message.objects.get(from_patient=False).read_at is None


def test_only_the_thread_reads_its_messages(jane, charlie, quinn):
    from phb.errors import ServiceError

    for outsider in (charlie, quinn):
        with pytest.raises(ServiceError):
            services.messages_mark_read(person=jane, acting_user=outsider)
    assert not AuditEvent.objects.filter(action=AuditAction.READ_MESSAGES).exists()


def test_the_invitation_texts_follow_the_lifetime_they_describe(
    client, alice, jane, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "INVITATION_LIFETIME", datetime.timedelta(days=5))
    client.force_login(alice)
    url = reverse("portal:invite", kwargs={"person_pk": jane.pk})
    assert "The link works once, for 5 days." in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "sarah@example.com", "relationship": "attorney"}, follow=True)
    assert "The link works for 5 days." in response.content.decode()
    [email] = mail.outbox
    assert "within 5 days" in email.body
    link = re.search(r"http://testserver(/my/invitation/\S+/)", email.body).group(1)
    invitation = jane.invitations.get()
    lifetime = invitation.expires_at - invitation.created_at
    assert abs(lifetime - datetime.timedelta(days=5)) < datetime.timedelta(seconds=5)
    client.logout()
    client.post(
        link,
        {
            "first_name": "Sarah",
            "last_name": "Jones",
            "password1": "choir-on-fridays-2026",
            "password2": "choir-on-fridays-2026",
        },
    )
    client.logout()
    assert "work once, for 5 days." in client.get(link).content.decode()
