"""E-mails go through the outbox, a real Celery worker and Redis, once each (no eager mode)."""

import time

import pytest
from django.conf import settings

from careplans import approval, services, tasks
from careplans.models import DecisionEmail
from careplans.tests.factories import complete_plan
from conftest import wait_for
from phb.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_decision_e_mail_is_sent_once_by_the_worker(celery_worker_process, jane, alice, priya):
    mail, log = celery_worker_process
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
    )
    email = DecisionEmail.objects.get()
    assert wait_for(lambda: DecisionEmail.objects.get(pk=email.pk).sent_at is not None), "the worker sent nothing"
    assert wait_for(lambda: mail.exists() and len(list(mail.iterdir())) == 1)
    [message] = list(mail.iterdir())
    text = message.read_text()
    assert f"To: {alice.email}" in text
    assert "Plan approved for Jane Smith" in text

    # Asking again (a retry, or the sweep) does not send it twice.
    result = tasks.send_decision_email.delay(email.pk)
    assert wait_for(lambda: f"[{result.id}] succeeded" in log.read_text()), log.read_text()
    assert f"[{result.id}] succeeded" in log.read_text() and "False" in log.read_text().split(result.id)[-1][:200]
    assert len(list(mail.iterdir())) == 1
    assert DecisionEmail.objects.get(pk=email.pk).attempts == 1


def _point_broker_at(url):
    from phb.celery import app

    # Drop the cached connection pools so the next publish connects to the new address.
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_reminders_survive_a_redis_outage_and_the_worker_sends_each_once(
    celery_worker_process, jane, alice, priya, leo
):
    from careplans import reminders
    from careplans.models import ReviewReminder
    from phb.celery import app

    mail, log = celery_worker_process
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
    )
    # The approval e-mail goes first; wait for it so the count below is only reminders.
    assert wait_for(lambda: mail.exists() and len(list(mail.iterdir())) == 1)

    real_broker = app.conf.broker_url
    _point_broker_at("redis://127.0.0.1:1/0")  # nothing listens on port 1: Redis is "down"
    try:
        result = reminders.sweep()
    finally:
        _point_broker_at(real_broker)
    # The first review (due 15 June 2026) is long overdue today: the lead's reminder is due.
    assert (result.claimed, result.queued, result.queue_failed) == (1, 0, True)
    assert ReviewReminder.objects.get().sent_at is None

    # Redis is back: the next sweep queues the missed reminder and the worker sends it.
    assert reminders.sweep().queued == 1
    assert wait_for(lambda: ReviewReminder.objects.get().sent_at is not None), log.read_text()
    assert wait_for(lambda: len(list(mail.iterdir())) == 2)
    # A third sweep finds nothing to send: still two e-mails in all.
    assert reminders.sweep() == reminders.SweepResult(claimed=0, queued=0, queue_failed=False)
    time.sleep(1)
    messages = [f.read_text() for f in mail.iterdir()]
    assert len(messages) == 2
    assert sum("Review 14 days overdue: Jane Smith" in m for m in messages) == 1
    assert any(f"To: {leo.email}" in m for m in messages)


def test_a_decision_made_while_redis_is_down_stands_and_the_sweep_sends_its_e_mail_once(
    celery_worker_process, jane, alice, priya
):
    from careplans.models import PlanVersion, Status

    mail, log = celery_worker_process
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    real_broker = app.conf.broker_url
    _point_broker_at("redis://127.0.0.1:1/0")  # nothing listens on port 1: Redis is "down"
    try:
        approval.plan_approve(
            version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
        )
    finally:
        _point_broker_at(real_broker)
    # The decision stands; its e-mail waits in the outbox, not marked as queued.
    assert PlanVersion.objects.get(pk=version.pk).status == Status.ACTIVE
    email = DecisionEmail.objects.get()
    assert (email.sent_at, email.queued_at, email.attempts) == (None, None, 0)

    # Redis is back: the beat's sweep queues it and the real worker sends it.
    assert tasks.send_waiting_emails() == 1
    assert wait_for(lambda: DecisionEmail.objects.get(pk=email.pk).sent_at is not None), log.read_text()
    assert wait_for(lambda: mail.exists() and len(list(mail.iterdir())) == 1)
    # The next sweep finds nothing to queue: one e-mail in all, carrying the row's identity.
    assert tasks.send_waiting_emails() == 0
    [message] = [f.read_text() for f in mail.iterdir()]
    assert "Plan approved for Jane Smith" in message and f"To: {alice.email}" in message
    assert f"X-Idempotency-Key: careplans.decisionemail-{email.pk}-" in message
    assert DecisionEmail.objects.get(pk=email.pk).attempts == 1
