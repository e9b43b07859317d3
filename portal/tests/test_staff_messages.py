"""Staff read a person's messages on a page of their own (the person page shows how many and how many are
new); the person's coordinators reply there. Paged, newest first, and every opening is audited."""

import pytest
from django.urls import reverse

from phb.models import AuditAction, AuditEvent
from portal import services
from portal.models import Message

pytestmark = pytest.mark.django_db


def url(person):
    return reverse("portal:staff_messages", kwargs={"person_pk": person.pk})


def test_the_person_page_says_how_many_messages_and_how_many_are_new(client, alice, pat, jane):
    services.message_send(person=jane, body="First", acting_user=pat)
    services.message_send(person=jane, body="Second", acting_user=pat)
    client.force_login(alice)
    summary = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "2 messages" in summary and "2 new" in summary
    assert "First" not in summary  # the thread itself is on its own page


def test_a_person_with_no_messages_says_so(client, alice, jane):
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "No messages." in page
    assert url(jane) not in page


def test_the_coordinator_reads_newest_first_and_replies_here(client, alice, pat, jane):
    services.message_send(person=jane, body="Older message", acting_user=pat)
    services.message_send(person=jane, body="Newer message", acting_user=pat)
    client.force_login(alice)
    page = client.get(url(jane)).content.decode()
    assert page.index("Newer message") < page.index("Older message")
    assert "Send reply" in page
    response = client.post(reverse("portal:reply", kwargs={"person_pk": jane.pk}), {"body": "Thank you"})
    assert response["Location"] == url(jane)
    assert Message.objects.filter(person=jane, from_patient=False, body="Thank you").exists()
    # Replying marks what the person wrote as read.
    assert not Message.objects.filter(person=jane, from_patient=True, read_at__isnull=True).exists()


def test_the_phb_team_reads_but_cannot_reply(client, priya, pat, jane):
    services.message_send(person=jane, body="Hello", acting_user=pat)
    client.force_login(priya)
    page = client.get(url(jane)).content.decode()
    assert "Hello" in page
    assert "Send reply" not in page


def test_opening_the_messages_is_audited(client, alice, jane):
    client.force_login(alice)
    client.get(url(jane))
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=jane.pk).latest("at")
    assert event.summary == "Viewed messages"
    assert event.actor == alice


def test_a_long_thread_is_paged(client, alice, pat, jane):
    for n in range(30):
        services.message_send(person=jane, body=f"Message number {n:02d}", acting_user=pat)
    client.force_login(alice)
    first = client.get(url(jane)).content.decode()
    assert "Message number 29" in first and "Message number 04" not in first
    assert "1 to 25 of 30 messages" in first
    second = client.get(url(jane), {"page": 2}).content.decode()
    assert "Message number 04" in second and "Message number 29" not in second


def test_someone_in_another_team_gets_a_404(client, charlie, jane):
    client.force_login(charlie)
    assert client.get(url(jane)).status_code == 404


def test_the_persons_own_thread_shows_the_latest_messages_and_goes_back_a_page_at_a_time(client, alice, pat, jane):
    for n in range(30):
        services.message_send(person=jane, body=f"Reply number {n:02d}", acting_user=alice)
    client.force_login(pat)
    url = reverse("portal:messages", kwargs={"pk": jane.pk})
    latest = client.get(url).content.decode()
    assert "Reply number 29" in latest and "Reply number 04" not in latest
    assert latest.index("Reply number 05") < latest.index("Reply number 29")  # oldest first on the page
    assert "Earlier messages" in latest and "Later messages" not in latest
    earlier = client.get(url, {"page": 2}).content.decode()
    assert "Reply number 04" in earlier and "Reply number 05" not in earlier
    assert "Later messages" in earlier and "Earlier messages" not in earlier


def test_a_reply_is_refused_when_no_one_was_ever_given_online_access(client, alice, jane):
    client.force_login(alice)
    response = client.post(reverse("portal:reply", kwargs={"person_pk": jane.pk}), {"body": "Hello"}, follow=True)
    assert "so no one would see a message" in response.content.decode()
    assert not Message.objects.exists()
