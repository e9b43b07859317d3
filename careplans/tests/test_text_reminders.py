"""A person who chose text messages gets their review reminder by text, through GOV.UK Notify, exactly once: even
when the worker is killed after Notify took the text and before the row was marked sent. Against
tests/notify_api.py, which checks every request as Notify does (nothing patched in the code under test)."""

import datetime
import os
import signal
import time
import uuid

import pytest
from django.db import connection
from django.test import override_settings

from careplans import approval, reminders, services
from careplans.models import ReviewReminder
from careplans.tests.factories import complete_plan
from conftest import start_celery_worker, wait_for
from people.contact import TEXT_KIND
from people.models import ContactChannel, Person
from phb import outbox
from phb.celery import app

DUE = datetime.date(2026, 6, 15)  # the first review of the plan the factories make
SWEPT = DUE - datetime.timedelta(days=20)  # inside the person's 28-day window
MOBILE = "07700 900982"


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def chose(person, channel, *, phone=MOBILE, email=""):
    Person.objects.filter(pk=person.pk).update(
        wants_review_reminders=True, contact_by=channel, phone=phone, email=email
    )


def texts(api):
    return [seen for seen in api.accepted if seen.path == "/v2/notifications/sms"]


@pytest.mark.django_db
def test_a_person_who_chose_text_messages_gets_the_review_reminder_by_text_once(notify_api, active, jane):
    chose(jane, ContactChannel.TEXT, email="jane@example.com")
    template = notify_api.template("sms", "body")
    with override_settings(**notify_api.settings(**{TEXT_KIND: template})):
        reminders.sweep(today=SWEPT, queue=False)
        row = ReviewReminder.objects.get(kind="person_28")
        assert reminders.reminder_send(row.pk) is True
        assert reminders.reminder_send(row.pk) is False

    [text] = texts(notify_api)
    assert text.body["phone_number"] == MOBILE and text.body["template_id"] == template
    assert text.body["personalisation"]["body"].startswith("Your personal health budget review is due by 15 June 2026.")
    assert text.body["reference"] == outbox.idempotency_key(row)
    assert not [seen for seen in notify_api.requests if seen.path == "/v2/notifications/email"]


@pytest.mark.django_db
def test_a_text_reminder_without_notify_set_up_waits_for_the_lead_with_the_reason(active, jane):
    chose(jane, ContactChannel.TEXT)
    with override_settings(NOTIFY_API_KEY=""):
        reminders.sweep(today=SWEPT, queue=False)
        row = ReviewReminder.objects.get(kind="person_28")
        assert reminders.reminder_send(row.pk) is False
    row.refresh_from_db()
    assert row.failed_at is not None and "GOV.UK Notify, which is not set up here" in row.last_error


@pytest.mark.django_db
def test_a_person_who_chose_text_with_no_mobile_number_is_a_message_with_nobody_to_send_to(notify_api, active, jane):
    chose(jane, ContactChannel.TEXT, phone="0113 496 0000")  # a landline: Notify cannot text it
    with override_settings(**notify_api.settings(**{TEXT_KIND: notify_api.template("sms", "body")})):
        reminders.sweep(today=SWEPT, queue=False)
        row = ReviewReminder.objects.get(kind="person_28")
        assert reminders.reminder_send(row.pk) is False
    row.refresh_from_db()
    assert row.failed_at is not None
    assert (
        row.last_error == "NoRecipient: There is no mobile phone number for the person. Add one, then choose Try again"
    )
    assert notify_api.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_text_goes_once_even_when_the_worker_is_killed_after_notify_took_it(
    notify_api, monkeypatch, tmp_path, active, jane
):
    chose(jane, ContactChannel.TEXT)
    template = notify_api.template("sms", "body")
    # Notify holds its answer to the first text for a while, so the worker is killed after Notify took the text
    # and before the outbox could mark the row sent.
    answer = notify_api._route

    def slow_first_text(method, path, body):
        found = answer(method, path, body)
        if path == "/v2/notifications/sms" and len(notify_api.notifications) == 1:
            time.sleep(20)
        return found

    monkeypatch.setattr(notify_api, "_route", slow_first_text)
    queue = f"phb-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "NOTIFY_API_KEY": notify_api.api_key(),
        "NOTIFY_BASE_URL": notify_api.base_url,
        "NOTIFY_TEMPLATES": f"{TEXT_KIND}={template}",
    }
    log = tmp_path / "worker.log"
    previous_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    worker = start_celery_worker(queue, env, log)
    try:
        reminders.sweep(today=SWEPT)  # claims the reminders and hands them to the worker
        assert wait_for(lambda: len(notify_api.notifications) == 1), log.read_text()
        os.kill(worker.pid, signal.SIGKILL)  # Notify has the text; the row is claimed and not marked sent
        worker.wait(timeout=10)
        row = ReviewReminder.objects.get(kind="person_28")
        assert row.sent_at is None and row.claimed_at is not None

        worker = start_celery_worker(queue, env, log)
        # Ten minutes on, the claim has expired and the next sweep hands the row over again.
        ReviewReminder.objects.filter(pk=row.pk).update(
            claimed_at=row.claimed_at - outbox.CLAIM_EXPIRES, queued_at=None
        )
        reminders.sweep(today=SWEPT)
        assert wait_for(lambda: ReviewReminder.objects.get(pk=row.pk).sent_at is not None), log.read_text()
    finally:
        app.conf.task_default_queue = previous_queue
        worker.kill()
        worker.wait(timeout=10)

    # Asked again under the row's reference, Notify already had the text: it holds one.
    assert len(notify_api.notifications) == 1
    asked = [seen for seen in notify_api.requests if seen.method == "GET" and "reference=" in seen.path]
    assert len(asked) == 2  # once by each worker before sending
    assert ReviewReminder.objects.get(pk=row.pk).attempts == 2


@pytest.mark.django_db
def test_a_week_before_the_review_the_person_who_chose_text_gets_a_second_text_that_says_in_a_week(
    notify_api, active, jane
):
    chose(jane, ContactChannel.TEXT, email="jane@example.com")
    template = notify_api.template("sms", "body")
    a_week_before = datetime.date(2026, 6, 8)
    with override_settings(**notify_api.settings(**{TEXT_KIND: template})):
        reminders.sweep(today=SWEPT, queue=False)
        reminders.sweep(today=a_week_before, queue=False)
        rows = {row.kind: row for row in ReviewReminder.objects.filter(kind__in=["person_28", "person_7"])}
        assert set(rows) == {"person_28", "person_7"}
        for row in rows.values():
            assert reminders.reminder_send(row.pk) is True
        reminders.sweep(today=a_week_before, queue=False)
        assert ReviewReminder.objects.filter(kind="person_7").count() == 1

    bodies = [text.body["personalisation"]["body"] for text in texts(notify_api)]
    assert bodies[0].startswith("Your personal health budget review is due by 15 June 2026.")
    assert bodies[1].startswith("Your personal health budget review is due by 15 June 2026, in a week.")
