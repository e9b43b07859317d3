"""A mail server that refuses an address for good, through a real Celery worker and Redis: the outbox
tries a bounded number of times, then the message is failed, shown to the PHB team lead, and never
queued again."""

import datetime
import socketserver
import threading

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import approval, services, tasks
from careplans.models import DecisionEmail
from careplans.tests.factories import complete_plan
from careplans.tests.test_outbox import RefusingSMTP
from conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 3


@pytest.fixture
def refusing_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSMTP)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def celery_worker_env(refusing_server):
    host, port = refusing_server.server_address
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        "OUTBOX_MAX_ATTEMPTS": str(ATTEMPTS),
    }


def test_a_message_the_mail_server_always_refuses_is_failed_by_the_worker_and_never_queued_again(
    celery_worker_process, settings, jane, alice, priya, leo, client
):
    settings.OUTBOX_MAX_ATTEMPTS = ATTEMPTS
    _, log = celery_worker_process
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya)
    email = DecisionEmail.objects.get()
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            # The wait after the last failure is over (5, 10 … minutes in real time): the beat's sweep queues it.
            DecisionEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(1))
            assert tasks.send_waiting_emails() == 1
        assert wait_for(
            lambda n=attempt: (row := DecisionEmail.objects.get(pk=email.pk)).attempts == n and row.claimed_at is None
        ), log.read_text()
    email.refresh_from_db()
    assert email.failed_at is not None and email.sent_at is None
    assert email.last_error.startswith("SMTPRecipientsRefused:")
    # However long the sweeps keep running, a failed message is never queued again.
    DecisionEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(1))
    assert tasks.send_waiting_emails() == 0
    assert DecisionEmail.objects.get(pk=email.pk).attempts == ATTEMPTS

    client.force_login(leo)
    page = client.get(reverse("careplans:failed_messages")).content.decode()
    assert "Plan approved for Jane Smith" in page and "The mailbox does not exist" in page
