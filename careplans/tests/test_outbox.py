"""The one outbox (phb.outbox) for decision e-mails and review reminders: claims, retries, failures, the lead's page."""

import datetime
import socketserver
import threading
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.mail.backends import locmem
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from careplans import approval, emails, reminders, services, tasks
from careplans.models import DecisionEmail, PlanEvent, ReviewReminder, Status
from careplans.tests.factories import complete_plan
from phb import outbox
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LIST = reverse("careplans:failed_messages")
# The first review of the plan the factories make is due on 15 June 2026: the lead's reminder is due.
OVERDUE = datetime.date(2026, 7, 5)


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


@pytest.fixture
def queued(monkeypatch):
    """What the sweeps (in batches) and retries (one row) hand to Celery, row by row in order.

    The broker is not needed to test the outbox: the queue counts as empty, as if every task handed
    over had been taken (test_sweep_backlog runs the real worker and Redis).
    """
    handed = []
    monkeypatch.setattr(tasks.send_decision_email, "delay", lambda pk: handed.append(("decision", pk)))
    monkeypatch.setattr(tasks.send_review_reminder, "delay", lambda pk: handed.append(("reminder", pk)))
    monkeypatch.setattr(
        tasks.send_decision_emails, "delay", lambda pks, queued_at: handed.extend(("decision", pk) for pk in pks)
    )
    monkeypatch.setattr(
        tasks.send_review_reminders, "delay", lambda pks, queued_at: handed.extend(("reminder", pk) for pk in pks)
    )
    monkeypatch.setattr(outbox, "queue_is_empty", lambda task: True)
    return handed


def sweep_all(handed) -> list:
    """Both beat sweeps, as Celery beat runs them; returns what they queued."""
    handed.clear()
    emails.queue_due()
    reminders.queue_due()
    return list(handed)


def decision_email(version, *, subject="Plan approved for Jane Smith", to="alice@example.nhs.uk"):
    event = PlanEvent.objects.create(plan_version=version, from_status=Status.SUBMITTED, to_status=Status.APPROVED)
    return DecisionEmail.objects.create(event=event, to=to, subject=subject, body="The plan was approved.")


def fail(row, *, error="SMTPRecipientsRefused: refused"):
    """A row the outbox gave up on."""
    type(row).objects.filter(pk=row.pk).update(
        attempts=django_settings.OUTBOX_MAX_ATTEMPTS, failed_at=timezone.now(), last_error=error
    )
    row.refresh_from_db()
    return row


class RefusingSMTP(socketserver.StreamRequestHandler):
    """A mail server that refuses every recipient for good (550), as one does for an address that does not exist."""

    def handle(self):
        self.wfile.write(b"220 mail.example.nhs.uk ESMTP\r\n")
        for line in self.rfile:
            command = line.decode().strip().upper()
            if command.startswith("RCPT TO"):
                self.wfile.write(b"550 5.1.1 The mailbox does not exist\r\n")
            elif command.startswith("QUIT"):
                self.wfile.write(b"221 Bye\r\n")
                return
            elif command.startswith(("EHLO", "HELO", "MAIL FROM", "RSET", "NOOP")):
                self.wfile.write(b"250 OK\r\n")
            else:
                self.wfile.write(b"502 Not implemented\r\n")


@pytest.fixture
def refusing_mail_server(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSMTP)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    yield server
    server.shutdown()
    server.server_close()


# (a) A permanent refusal: failed after the last attempt, shown to the lead, never queued again.


def test_it_fails_a_message_the_mail_server_always_refuses_after_the_last_attempt(
    active, refusing_mail_server, queued, client, leo
):
    email = DecisionEmail.objects.get()
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for attempt in range(1, django_settings.OUTBOX_MAX_ATTEMPTS + 1):
            assert sweep_all(queued) == [("decision", email.pk)], f"attempt {attempt} was not queued"
            assert tasks.send_decision_email(email.pk) is False
            email.refresh_from_db()
            assert email.attempts == attempt
            assert email.last_error.startswith("SMTPRecipientsRefused:")
            assert "The mailbox does not exist" in email.last_error
            if email.failed_at is None:
                # Not queued again until the wait after this failure is over.
                assert sweep_all(queued) == []
                waits.append(email.next_attempt_at - timezone.now())
                clock.move_to(email.next_attempt_at)
        assert email.failed_at is not None and email.attempts == django_settings.OUTBOX_MAX_ATTEMPTS
        # Each wait twice the one before: 5, 10, 20... minutes, at most 6 hours.
        assert waits[:3] == [datetime.timedelta(minutes=m) for m in (5, 10, 20)]
        assert all(
            later == min(earlier * 2, outbox.LONGEST_BACKOFF) for earlier, later in zip(waits, waits[1:], strict=False)
        )
        # Never queued again, however long the sweeps keep running; a task already queued sends nothing.
        clock.shift(datetime.timedelta(days=30))
        assert sweep_all(queued) == []
        assert tasks.send_decision_email(email.pk) is False
    assert DecisionEmail.objects.get(pk=email.pk).attempts == django_settings.OUTBOX_MAX_ATTEMPTS

    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert "Plan approved for Jane Smith" in page and email.to in page
    assert "The mailbox does not exist" in page
    assert f"{django_settings.OUTBOX_MAX_ATTEMPTS} tries</span>" in page


def test_the_number_of_attempts_is_a_setting(active, settings, queued, monkeypatch):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = DecisionEmail.objects.get()

    def smtp_down(self, messages):
        raise ConnectionError("SMTP server not answering")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", smtp_down)
    assert emails.decision_email_send(email.pk) is False
    email.refresh_from_db()
    assert email.failed_at is None
    with time_machine.travel(email.next_attempt_at):
        assert emails.decision_email_send(email.pk) is False
    email.refresh_from_db()
    assert (email.attempts, email.failed_at is not None, email.next_attempt_at) == (2, True, None)


# (c) The sweep queues a row once: not again while it waits in Redis or while a worker is sending it.


def test_the_sweep_does_not_queue_again_a_row_queued_recently(active, queued):
    email = DecisionEmail.objects.get()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert sweep_all(queued) == [("decision", email.pk)]
        assert sweep_all(queued) == []
        # Its task never ran (Redis lost it): once it would have expired, the row is queued again.
        clock.shift(outbox.QUEUE_AGAIN_AFTER - datetime.timedelta(seconds=1))
        assert sweep_all(queued) == []
        clock.shift(datetime.timedelta(seconds=2))
        assert sweep_all(queued) == [("decision", email.pk)]
    # A task lives no longer than a row is left alone, so Redis never holds two live tasks for one row.
    # (They used to expire before the next sweep, because the sweep queued every row again after that
    # long; now a row stays marked until the worker takes it, so a task may wait out a long backlog.)
    for task in (tasks.send_decision_email, tasks.send_review_reminder):
        assert task.expires == outbox.SEND_TASK_EXPIRES.total_seconds()
    for task in (tasks.send_decision_emails, tasks.send_review_reminders):
        assert task.expires == outbox.SEND_TASK_EXPIRES.total_seconds()
        # A batch ends (or is killed) long before its claims could be taken for a dead worker's.
        assert outbox.BATCH_SECONDS < task.soft_time_limit < task.time_limit < outbox.CLAIM_EXPIRES.total_seconds()
    assert outbox.SEND_TASK_EXPIRES <= outbox.QUEUE_AGAIN_AFTER


def test_the_sweep_does_not_queue_a_row_a_worker_is_sending(active, queued):
    email = DecisionEmail.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert outbox.claim(DecisionEmail, email.pk, now=timezone.now())
        assert sweep_all(queued) == []
        # A second task for the same row sends nothing while the claim is live.
        assert emails.decision_email_send(email.pk) is False
        # The worker died: once its claim has expired the row is queued and sent again (at least once).
        clock.shift(outbox.CLAIM_EXPIRES + datetime.timedelta(seconds=1))
        assert sweep_all(queued) == [("decision", email.pk)]


def test_the_sweep_queues_nothing_that_is_sent_or_failed(active, queued, mailoutbox):
    sent = DecisionEmail.objects.get()
    assert emails.decision_email_send(sent.pk) is True
    fail(decision_email(active, subject="Plan declined for Jane Smith"))
    assert sweep_all(queued) == []


def test_a_worker_that_died_on_the_last_attempt_leaves_a_failed_row(active, queued, settings):
    email = DecisionEmail.objects.get()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        DecisionEmail.objects.filter(pk=email.pk).update(attempts=settings.OUTBOX_MAX_ATTEMPTS - 1)
        assert outbox.claim(DecisionEmail, email.pk, now=timezone.now())  # ...and then the worker is killed
        clock.shift(outbox.CLAIM_EXPIRES + datetime.timedelta(seconds=1))
        assert sweep_all(queued) == []
    email.refresh_from_db()
    assert email.failed_at is not None and email.claimed_at is None
    assert email.last_error == outbox.WORKER_DIED


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_each_row_once(queued, active):
    for number in range(30):
        decision_email(active, subject=f"Decision {number}")
    # As if the approval's own task had been lost.
    DecisionEmail.objects.update(queued_at=None)
    queued.clear()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            emails.queue_due()
        except Exception as error:  # the test reports any failure below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(queued) == [
        ("decision", pk) for pk in DecisionEmail.objects.order_by("pk").values_list("pk", flat=True)
    ]


# (d) A message that cannot be built or sent is marked and skipped; the rows behind it go.


def test_a_message_with_a_line_break_in_its_subject_is_marked_and_the_rows_behind_it_are_sent(
    active, queued, mailoutbox
):
    first = DecisionEmail.objects.get()
    broken = decision_email(active, subject="Plan approved\nBcc: everyone@example.com")
    last = decision_email(active, subject="Plan returned for changes: Jane Smith")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(django_settings.OUTBOX_MAX_ATTEMPTS):
            for _kind, pk in sweep_all(queued):
                tasks.send_decision_email(pk)
            broken.refresh_from_db()
            assert broken.sent_at is None
            assert broken.last_error.startswith("BadHeaderError:")
            clock.move_to(broken.next_attempt_at or timezone.now())
        assert sweep_all(queued) == []
    assert [m.subject for m in mailoutbox] == [first.subject, last.subject]
    assert DecisionEmail.objects.filter(sent_at__isnull=False).count() == 2
    broken.refresh_from_db()
    assert broken.failed_at is not None and broken.attempts == django_settings.OUTBOX_MAX_ATTEMPTS


# (f) Decision e-mails and reminders both go through the one outbox.


def test_decision_e_mails_and_reminders_both_go_through_the_one_outbox(active, queued, mailoutbox, leo, monkeypatch):
    assert issubclass(DecisionEmail, outbox.OutboxRow) and issubclass(ReviewReminder, outbox.OutboxRow)
    reminders.claim_due_reminders(today=OVERDUE)
    email, reminder = DecisionEmail.objects.get(), ReviewReminder.objects.get()
    assert sweep_all(queued) == [("decision", email.pk), ("reminder", reminder.pk)]

    def smtp_down(self, messages):
        raise ConnectionError("SMTP server not answering")

    with monkeypatch.context() as patch:
        patch.setattr(locmem.EmailBackend, "send_messages", smtp_down)
        assert tasks.send_decision_email(email.pk) is False
        assert tasks.send_review_reminder(reminder.pk) is False
    for row in (email, reminder):
        row.refresh_from_db()
        assert (row.attempts, row.last_error) == (1, "ConnectionError: SMTP server not answering")
        assert row.next_attempt_at > timezone.now()
    with time_machine.travel(max(email.next_attempt_at, reminder.next_attempt_at)):
        assert sorted(sweep_all(queued)) == [("decision", email.pk), ("reminder", reminder.pk)]
        assert tasks.send_decision_email(email.pk) is True
        assert tasks.send_review_reminder(reminder.pk) is True
    keys = [m.extra_headers["X-Idempotency-Key"] for m in mailoutbox]
    assert keys[0].startswith(f"careplans.decisionemail-{email.pk}-")
    assert keys[1].startswith(f"careplans.reviewreminder-{reminder.pk}-")
    assert [m.extra_headers["Message-ID"] for m in mailoutbox] == [f"<{key}@example.nhs.uk>" for key in keys]


def test_no_careplans_module_sends_mail_or_claims_rows_itself():
    """The claim, send and release code is written once, in phb/outbox.py."""
    app = Path(__file__).resolve().parents[1]
    for source in app.glob("*.py"):
        text = source.read_text()
        for written_once in ("send_mail(", ".send()", "claimed_at=", "sent_at=", "attempts=F("):
            assert written_once not in text, f"{source.name} has its own {written_once}"


# (e) The PHB team lead's page.


@pytest.fixture
def failed(active):
    """A failed decision e-mail and a failed reminder."""
    reminders.claim_due_reminders(today=OVERDUE)
    return fail(DecisionEmail.objects.get()), fail(ReviewReminder.objects.get(), error="ConnectionError: refused")


def test_the_lead_sees_the_messages_that_could_not_be_sent(client, leo, failed):
    email, reminder = failed
    client.force_login(leo)
    response = client.get(LIST)
    page = response.content.decode()
    assert "2 messages not sent" in page
    assert "Plan approved for Jane Smith" in page and email.to in page
    assert "Review reminder, due by 15 June 2026. To the PHB team lead, 14 days overdue" in page
    assert "ConnectionError: refused" in page and "SMTPRecipientsRefused: refused" in page
    assert reverse("careplans:message_retry", kwargs={"kind": "reminder", "pk": reminder.pk}) in page


def test_the_page_says_when_every_message_has_been_sent(client, leo, active):
    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert "No messages are waiting. Every message has been sent." in page


@pytest.mark.parametrize("persona", ["priya", "alice", "pat", "ada"])
def test_only_the_lead_may_see_the_page_or_try_again(client, request, persona, failed):
    email, _reminder = failed
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(LIST).status_code == 404
    retry = reverse("careplans:message_retry", kwargs={"kind": "decision", "pk": email.pk})
    assert client.post(retry).status_code == 404
    assert DecisionEmail.objects.get(pk=email.pk).failed_at is not None


@pytest.mark.parametrize(("persona", "linked"), [("leo", True), ("priya", False), ("alice", False)])
def test_only_the_lead_has_the_page_in_the_header(client, request, persona, linked):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("careplans:reviews_due")).content.decode()
    assert (f'href="{LIST}"' in page.split("</header>")[0]) is linked


def test_trying_again_gives_a_failed_message_new_attempts_queues_it_and_is_audited(
    client, leo, jane, failed, queued, django_capture_on_commit_callbacks, mailoutbox
):
    _email, reminder = failed
    client.force_login(leo)
    url = reverse("careplans:message_retry", kwargs={"kind": "reminder", "pk": reminder.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "We will try to send the message again" in response.content.decode()
    assert queued == [("reminder", reminder.pk)]
    reminder.refresh_from_db()
    assert (reminder.failed_at, reminder.attempts, reminder.next_attempt_at) == (None, 0, None)
    [event] = AuditEvent.objects.filter(action=AuditAction.RETRY_SEND)
    assert (event.actor, event.person_id, event.object_id) == (leo, jane.pk, str(reminder.pk))
    assert event.object_type == "careplans.reviewreminder"
    assert event.changes["attempts"] == [django_settings.OUTBOX_MAX_ATTEMPTS, 0]
    # The queued task sends it (the lead is the one reminded of an overdue review).
    assert tasks.send_review_reminder(reminder.pk) is True
    assert mailoutbox[0].to == [leo.email]

    # A second click changes nothing and writes no second audit row.
    response = client.post(url, follow=True)
    assert "already being sent again" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.RETRY_SEND).count() == 1


def test_trying_again_an_unknown_message_is_not_found(client, leo, failed):
    email, _reminder = failed
    client.force_login(leo)
    assert client.post(reverse("careplans:message_retry", kwargs={"kind": "letter", "pk": email.pk})).status_code == 404
    assert client.post(reverse("careplans:message_retry", kwargs={"kind": "decision", "pk": 0})).status_code == 404
    assert (
        client.get(reverse("careplans:message_retry", kwargs={"kind": "decision", "pk": email.pk})).status_code == 405
    )


def test_only_the_lead_may_use_the_retry_service(failed, priya):
    email, _reminder = failed
    with pytest.raises(ServiceError, match="Only the PHB team lead"):
        emails.message_retry(message=emails.outbox_message("decision", email.pk), acting_user=priya)


def test_the_page_runs_in_a_constant_number_of_queries(client, leo, active, django_assert_num_queries):
    client.force_login(leo)
    fail(DecisionEmail.objects.get())
    with django_assert_num_queries(QUERIES):
        assert client.get(LIST).status_code == 200
    reminders.claim_due_reminders(today=OVERDUE)
    fail(ReviewReminder.objects.get())
    for number in range(3):
        fail(decision_email(active, subject=f"Decision {number}"))
    with django_assert_num_queries(QUERIES):
        page = client.get(LIST).content.decode()
    assert "5 messages not sent" in page


# The session, the user (the lead's second factor is read from the session: no query), then for each kind of message
# its newest failed rows (decision e-mails, review reminders, notices to people, letters posted, statement
# reminders), one capped count of every kind together (careplans.emails.failed_messages pages the list since issue
# 12), and the page's one VIEW_LIST audit event.
QUERIES = 9
