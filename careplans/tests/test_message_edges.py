"""Review reminders with no one to send them to, and how the lead's page names who a failed reminder was for."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from careplans import approval, emails, reminders, services, tasks
from careplans.models import ReviewReminder
from careplans.tests.factories import complete_plan
from people.models import Person, User
from people.tests.factories import UserFactory
from phb.roles import Role

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 6, 15)  # the first review of the plan the factories make
COORDINATOR_28 = DUE - datetime.timedelta(days=28)  # the coordinator's and the person's 28-day windows open
OVERDUE = DUE + datetime.timedelta(days=20)  # the lead's reminder
LIST = reverse("careplans:failed_messages")


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


@pytest.fixture
def queued(monkeypatch):
    handed = []
    monkeypatch.setattr(tasks.send_review_reminder, "delay", handed.append)
    monkeypatch.setattr(tasks.send_review_reminders, "delay", lambda ids, queued_at: handed.extend(ids))
    return handed


def wants_reminders(person, email="jane@example.com"):
    Person.objects.filter(pk=person.pk).update(wants_review_reminders=True, email=email)


def claimed(kind, *, today):
    reminders.claim_due_reminders(today=today)
    return ReviewReminder.objects.get(kind=kind)


def fail(row, *, error="SMTPRecipientsRefused: refused"):
    ReviewReminder.objects.filter(pk=row.pk).update(
        attempts=django_settings.OUTBOX_MAX_ATTEMPTS, failed_at=timezone.now(), last_error=error
    )
    row.refresh_from_db()
    return row


# Nobody to send a reminder to.


def test_a_coordinator_reminder_goes_nowhere_when_the_coordinator_has_no_e_mail_address(
    active, alice, mailoutbox, queued
):
    User.objects.filter(pk=alice.pk).update(email="")
    reminder = claimed("coordinator_28", today=COORDINATOR_28)
    assert reminders.reminder_send(reminder.pk) is False
    assert mailoutbox == []
    reminder.refresh_from_db()
    # Trying again cannot help until someone adds an address: failed at once, shown to the lead, not queued.
    assert reminder.failed_at is not None and reminder.attempts == 1 and reminder.sent_at is None
    assert reminder.last_error == (
        "NoRecipient: There is no email address for the care coordinator. Add one, then choose Try again"
    )
    reminders.queue_due()
    assert queued == []
    assert [m.what for m in emails.failed_messages()] == [
        "Review reminder, due by 15 June 2026. To the coordinator, 28 days before"
    ]


def test_the_overdue_reminder_goes_nowhere_when_no_active_lead_has_an_e_mail_address(active, leo, mailoutbox):
    User.objects.filter(pk=leo.pk).update(email="")
    UserFactory(username="lena", role=Role.LEAD, is_active=False)  # has an address, but no longer works here
    reminder = claimed("lead_overdue_14", today=OVERDUE)
    assert reminders.reminder_send(reminder.pk) is False
    assert mailoutbox == []
    reminder.refresh_from_db()
    assert reminder.failed_at is not None and "no email address for any PHB team lead" in reminder.last_error


def test_a_reminder_that_had_nobody_to_go_to_is_sent_once_an_address_is_added(active, alice, leo, mailoutbox):
    from phb import outbox

    User.objects.filter(pk=alice.pk).update(email="")
    reminder = claimed("coordinator_28", today=COORDINATOR_28)
    reminders.reminder_send(reminder.pk)
    User.objects.filter(pk=alice.pk).update(email="alice@example.nhs.uk")
    reminder.refresh_from_db()
    outbox.outbox_retry(row=reminder, task=tasks.send_review_reminder, acting_user=leo, what="review reminder")
    assert reminders.reminder_send(reminder.pk) is True
    assert [m.to for m in mailoutbox] == [["alice@example.nhs.uk"]]


def test_no_reminder_goes_to_a_person_who_said_no_and_nothing_is_failed(active, jane, mailoutbox):
    wants_reminders(jane)
    reminder = claimed("person_28", today=COORDINATOR_28)
    Person.objects.filter(pk=jane.pk).update(wants_review_reminders=False)
    assert reminders.reminder_send(reminder.pk) is False
    reminder.refresh_from_db()
    assert reminder.sent_at is not None and reminder.failed_at is None and mailoutbox == []


# The lead's page: who each failed reminder was for.


def test_the_lead_sees_the_persons_address_on_their_failed_reminder(active, jane, client, leo):
    wants_reminders(jane)
    fail(claimed("person_28", today=COORDINATOR_28))
    [message] = emails.failed_messages()
    assert (message.kind, message.to, message.person) == ("reminder", "jane@example.com", jane)
    assert message.what == "Review reminder, due by 15 June 2026. To the person, 28 days before"
    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert "jane@example.com" in page and "To the person, 28 days before" in page


def test_the_lead_is_told_when_the_person_no_longer_has_an_address(active, jane):
    wants_reminders(jane)
    reminder = fail(claimed("person_28", today=COORDINATOR_28))
    Person.objects.filter(pk=jane.pk).update(email="")
    assert emails.outbox_message("reminder", reminder.pk).to == "No e-mail address"


def test_the_lead_sees_the_coordinators_address_on_their_failed_reminder(active, alice, jane):
    reminder = fail(claimed("coordinator_28", today=COORDINATOR_28))
    message = emails.outbox_message("reminder", reminder.pk)
    assert (message.to, message.person) == ("alice@example.nhs.uk", jane)
    assert message.what == "Review reminder, due by 15 June 2026. To the coordinator, 28 days before"


def test_the_lead_is_told_when_the_coordinator_no_longer_has_an_address(active, alice, client, leo):
    fail(claimed("coordinator_28", today=COORDINATOR_28))
    User.objects.filter(pk=alice.pk).update(email="")
    [message] = emails.failed_messages()
    assert message.to == "No e-mail address"
    client.force_login(leo)
    assert "No e-mail address" in client.get(LIST).content.decode()


# The person's reminder follows what the person wants when it is sent, not when it was claimed.


def test_no_reminder_goes_to_a_person_who_said_no_after_it_was_claimed(active, jane, mailoutbox):
    wants_reminders(jane)
    reminder = claimed("person_28", today=COORDINATOR_28)
    Person.objects.filter(pk=jane.pk).update(wants_review_reminders=False)
    reminders.reminder_send(reminder.pk)
    assert mailoutbox == []


def test_a_persons_reminder_with_no_address_left_is_not_reported_as_sent(active, jane, mailoutbox):
    wants_reminders(jane)
    reminder = claimed("person_28", today=COORDINATOR_28)
    Person.objects.filter(pk=jane.pk).update(email="")
    assert reminders.reminder_send(reminder.pk) is False
    assert mailoutbox == []
