"""Statement reminders the outbox gave up on are on the PHB team lead's page of messages not sent, beside the
decision e-mails and review reminders (careplans.emails.OUTBOXES, registered by payments.apps): listed with the
person and what they were, filtered by kind, counted in the lead's tray and header, and tried again."""

import datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from careplans import emails
from careplans.models import DecisionEmail
from casework import trays
from payments import flagging, reminders, tasks
from payments.models import MoneyFlag, StatementReminder, StatementReminderKind
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("careplans:failed_messages")
# The plan the payments fixtures make is paid every 4 weeks from 1 April 2026: the statement for the period ending
# 28 April is overdue from 13 May; its coordinator is reminded 14 days later (payments.reminders).
RAISED = datetime.date(2026, 5, 13)
COORDINATOR_DAY = RAISED + datetime.timedelta(days=14)
TO_THE_PERSON = "Statement reminder, for the period ending 28 April 2026. To the person, when the statement is overdue"
TO_THE_COORDINATOR = "Statement reminder, for the period ending 28 April 2026. To the care coordinator, 14 days after"


def fail(row, *, error="SMTPRecipientsRefused: refused"):
    """A row the outbox gave up on."""
    type(row).objects.filter(pk=row.pk).update(
        attempts=settings.OUTBOX_MAX_ATTEMPTS, failed_at=timezone.now(), last_error=error
    )
    row.refresh_from_db()
    return row


@pytest.fixture
def failed(active):
    """Both statement reminders of an overdue statement, failed, and the plan's decision e-mail, failed too."""
    person = active.plan.person
    person.email, person.wants_review_reminders = "jo.money@example.com", True
    person.save()
    MoneyFlag.objects.filter(plan=active.plan).delete()
    flagging.refresh(active.plan, on=RAISED)
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    to_person = StatementReminder.objects.get(kind=StatementReminderKind.PERSON)
    to_coordinator = StatementReminder.objects.get(kind=StatementReminderKind.COORDINATOR)
    fail(to_person)
    fail(to_coordinator, error="ConnectionError: refused")
    fail(DecisionEmail.objects.get(event__plan_version=active))
    return to_person, to_coordinator


@pytest.fixture
def queued(monkeypatch):
    handed = []
    monkeypatch.setattr(tasks.send_statement_reminder, "delay", lambda pk: handed.append(("statement", pk)))
    return handed


def test_statement_reminders_are_a_kind_of_message_on_the_page():
    entry = emails.OUTBOXES["statement"]
    assert (entry.model, entry.task, entry.person_path) == (
        StatementReminder,
        tasks.send_statement_reminder,
        "plan__person__",
    )
    assert emails.kind_choices() == [
        ("decision", "Decision emails"),
        ("reminder", "Review reminders"),
        ("notice", "Notices to people"),
        ("letter", "Letters posted"),
        ("statement", "Statement reminders"),
    ]


def test_registering_again_adds_nothing_twice():
    kinds, sources = list(emails.OUTBOXES), [source.key for source in trays.SOURCES]
    apps.get_app_config("payments").ready()
    apps.get_app_config("casework").ready()
    assert list(emails.OUTBOXES) == kinds
    assert [source.key for source in trays.SOURCES] == sources
    assert sources.count("failed_statements") == 1


def test_the_lead_sees_the_statement_reminders_that_could_not_be_sent(client, leo, alice, failed):
    to_person, to_coordinator = failed
    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert "3 messages not sent" in page
    assert TO_THE_PERSON in page and "jo.money@example.com" in page
    assert TO_THE_COORDINATOR in page and alice.email in page
    assert "About" in page and "Jo Money" in page
    assert reverse("people:detail", kwargs={"pk": to_person.plan.person.pk}) in page
    assert "ConnectionError: refused" in page
    for reminder in failed:
        assert reverse("careplans:message_retry", kwargs={"kind": "statement", "pk": reminder.pk}) in page
    # The filter offers every kind registered.
    assert ">Statement reminders</option>" in page and ">All kinds</option>" in page


def test_the_page_filtered_to_statement_reminders_shows_only_them(client, leo, failed):
    client.force_login(leo)
    page = client.get(LIST, {"kind": "statement"}).content.decode()
    assert "2 messages not sent" in page
    assert TO_THE_PERSON in page and TO_THE_COORDINATOR in page
    assert "Plan approved" not in page
    page = client.get(LIST, {"kind": "decision"}).content.decode()
    assert "1 message not sent" in page and "Statement reminder, for the period" not in page


def test_a_coordinator_with_no_address_is_shown_as_none(client, leo, alice, failed):
    alice.email = ""
    alice.save()
    client.force_login(leo)
    assert "No e-mail address" in client.get(LIST, {"kind": "statement"}).content.decode()


def test_they_are_in_the_leads_tray_and_header_count(client, leo, priya, failed):
    found = {section.source.key: section for section in trays.rows_for(trays.Ask(leo, timezone.now()), *trays.Tray)}
    section = found["failed_statements"]
    assert section.source.heading == "Statement reminders not sent"
    assert section.total == 2 and [row.name for row in section.rows] == ["Jo Money", "Jo Money"]
    assert section.rows[0].link == LIST
    assert found["failed_decisions"].total == 1
    assert trays.count(trays.Ask(leo, timezone.now())).messages_not_sent.value == 3
    others = trays.rows_for(trays.Ask(priya, timezone.now()), *trays.Tray)
    assert "failed_statements" not in {section.source.key for section in others}
    client.force_login(leo)
    assert "Messages not sent (3)" in client.get(reverse("casework:caseload")).content.decode()


def test_trying_again_queues_it_and_it_is_sent(
    client, leo, failed, queued, django_capture_on_commit_callbacks, mailoutbox
):
    to_person, _to_coordinator = failed
    client.force_login(leo)
    url = reverse("careplans:message_retry", kwargs={"kind": "statement", "pk": to_person.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert f"We will try to send the message again: {TO_THE_PERSON}" in response.content.decode()
    assert queued == [("statement", to_person.pk)]
    to_person.refresh_from_db()
    assert (to_person.failed_at, to_person.attempts, to_person.next_attempt_at) == (None, 0, None)
    [event] = AuditEvent.objects.filter(action=AuditAction.RETRY_SEND)
    assert (event.actor, event.person_id, event.object_id) == (leo, to_person.plan.person.pk, str(to_person.pk))
    assert event.object_type == "payments.statementreminder"
    # The queued task sends it.
    assert tasks.send_statement_reminder(to_person.pk) is True
    assert mailoutbox[0].to == ["jo.money@example.com"]

    # A second click changes nothing.
    response = client.post(url, follow=True)
    assert "already being sent again" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.RETRY_SEND).count() == 1


def test_trying_again_a_statement_reminder_is_only_for_the_lead(client, priya, failed):
    to_person, _to_coordinator = failed
    client.force_login(priya)
    url = reverse("careplans:message_retry", kwargs={"kind": "statement", "pk": to_person.pk})
    assert client.post(url).status_code == 404
    assert StatementReminder.objects.get(pk=to_person.pk).failed_at is not None


def test_the_page_reads_who_a_coordinators_reminder_went_to_without_a_query_a_row(
    client, leo, failed, django_assert_max_num_queries
):
    """The care coordinator is worked out from the plan's versions read with the reminders (reminders.listed), so
    the page stays within its 8 queries (tests/test_page_queries.py) however many reminders failed."""
    client.force_login(leo)
    client.get(LIST)  # the session and the kept counts settle
    with django_assert_max_num_queries(8):
        page = client.get(LIST, {"kind": "statement"}).content.decode()
    assert TO_THE_COORDINATOR in page
