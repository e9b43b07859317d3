"""A backlog of reminders: the sweep hands it to Celery in batches, never queues a row twice while its task may
still be waiting in Redis, and one real worker sends every row exactly once (issue 12).

The worker test runs a real Celery worker against Redis and a local SMTP server (no eager mode). The Redis
queue is counted in rows, not messages: each message carries a batch of up to outbox.SEND_BATCH reminder
ids, and it is the ids waiting in Redis that must never outnumber the reminders not yet sent.
"""

import base64
import datetime
import json
import math
import socketserver
import threading
import time
import uuid

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.mail import BadHeaderError
from django.db.models import F
from django.utils import timezone

from careplans import approval, reminders, services, tasks
from careplans.models import (
    DecisionEmail,
    PlanVersion,
    Review,
    ReviewKind,
    ReviewReminder,
    SupportPlan,
    UnscheduledReason,
)
from careplans.tests.factories import complete_plan
from conftest import wait_for
from phb import outbox
from phb.celery import app

DUE = datetime.date(2026, 6, 15)  # the first review of the plan the factories make
# Sized so the worker test stays well under a minute on a busy 2-core machine; the bench drains 30,000.
BACKLOG = 3000


class SMTPSink(socketserver.StreamRequestHandler):
    """A mail server that accepts every message. The server keeps each message's X-Idempotency-Key, in the
    order they came (`server.keys`), and counts the connections made to it (`server.connections`)."""

    def handle(self):
        with self.server.lock:
            self.server.connections += 1
        self.wfile.write(b"220 mail.example.nhs.uk ESMTP\r\n")
        for line in self.rfile:
            command = line.decode().strip().upper()
            if command.startswith("DATA"):
                self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                key = None
                for data in self.rfile:
                    if data.rstrip(b"\r\n") == b".":
                        break
                    if data.lower().startswith(b"x-idempotency-key:"):
                        key = data.split(b":", 1)[1].strip().decode()
                with self.server.lock:
                    self.server.keys.append(key)
                self.wfile.write(b"250 OK: queued\r\n")
            elif command.startswith("QUIT"):
                self.wfile.write(b"221 Bye\r\n")
                return
            elif command.startswith(("EHLO", "HELO", "MAIL FROM", "RCPT TO", "RSET", "NOOP")):
                self.wfile.write(b"250 OK\r\n")
            else:
                self.wfile.write(b"502 Not implemented\r\n")


def start_sink() -> socketserver.ThreadingTCPServer:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPSink)
    server.daemon_threads = True
    server.keys, server.connections, server.lock = [], 0, threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_sink(server) -> None:
    server.shutdown()
    server.server_close()


def ids_waiting_in_redis(client, queue: str, task_name: str) -> tuple[int, int]:
    """(ids, messages) waiting in a Redis queue for the batch task `task_name` (its first argument is the ids)."""
    ids = messages = 0
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == task_name:
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids += len(args[0])
            messages += 1
    return ids, messages


@pytest.fixture
def sink():
    server = start_sink()
    yield server
    stop_sink(server)


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def review_backlog(version, size: int) -> None:
    """`size` unscheduled reviews due on DUE: on that day each has its coordinator's reminder due. A plan
    has at most one unscheduled review waiting, so each is on a plan of its own: the person's, made in bulk
    as copies of this one's plan and version (the sweep reminds about plans with a version standing)."""
    plan = version.plan
    plans = SupportPlan.objects.bulk_create(
        SupportPlan(person_id=plan.person_id, created_by_id=plan.created_by_id) for _ in range(size)
    )
    copies = []
    for each in plans:
        copy = PlanVersion.objects.get(pk=version.pk)
        copy.id, copy.plan, copy._state.adding = uuid.uuid4(), each, True
        copies.append(copy)
    PlanVersion.objects.bulk_create(copies)
    Review.objects.bulk_create(
        Review(
            plan=each,
            plan_version=copy,
            kind=ReviewKind.UNSCHEDULED,
            reason=UnscheduledReason.HEALTH_CHANGED,
            due_on=DUE,
        )
        for each, copy in zip(plans, copies, strict=True)
    )


@pytest.fixture
def handed(monkeypatch):
    """The batches the sweep hands to Celery (ids, queued_at); the queue reads as empty unless a test says not."""
    batches = []
    monkeypatch.setattr(tasks.send_review_reminders, "delay", lambda pks, queued_at: batches.append((pks, queued_at)))
    monkeypatch.setattr(outbox, "queue_is_empty", lambda task: True)
    return batches


def queued_ids(batches) -> list:
    return [pk for pks, _queued_at in batches for pk in pks]


# Without the broker: what the sweep hands over, and when it hands a row over again.


@pytest.mark.django_db
def test_it_hands_rows_over_in_batches_one_call_to_redis_each(active, handed):
    review_backlog(active, 2 * outbox.SEND_BATCH + 49)  # and the plan's own review, long overdue: 250 reminders
    result = reminders.sweep(today=DUE)
    assert (result.claimed, result.queued, result.tasks) == (250, 250, 3)
    assert [len(pks) for pks, _queued_at in handed] == [outbox.SEND_BATCH, outbox.SEND_BATCH, 50]
    assert sorted(queued_ids(handed)) == sorted(ReviewReminder.objects.values_list("pk", flat=True))
    # Every row carries the mark its task was queued with, until the worker takes it.
    [queued_at] = {queued_at for _pks, queued_at in handed}
    assert set(ReviewReminder.objects.values_list("queued_at", flat=True)) == {
        datetime.datetime.fromisoformat(queued_at)
    }


@pytest.mark.django_db
def test_it_does_not_queue_a_row_already_queued_whose_task_has_not_expired(active, handed, monkeypatch):
    review_backlog(active, 2)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert reminders.sweep(today=DUE).queued == 3
        # However many sweeps run while the tasks wait in Redis, and even with the queue empty, none is queued
        # again before its task has expired.
        for _ in range(3):
            clock.shift(datetime.timedelta(minutes=15))
            assert reminders.sweep(today=DUE).queued == 0
        clock.move_to(start + outbox.SEND_TASK_EXPIRES - datetime.timedelta(seconds=1))
        assert reminders.sweep(today=DUE).queued == 0
        # Expired, and so lost (the worker takes the mark off each row it reaches): still not queued while
        # any task waits in the queue, as the tasks may only be behind a long backlog...
        clock.move_to(start + outbox.QUEUE_AGAIN_AFTER + datetime.timedelta(seconds=1))
        monkeypatch.setattr(outbox, "queue_is_empty", lambda task: False)
        assert reminders.sweep(today=DUE).queued == 0
        # ...and queued again, once, when the queue is empty.
        monkeypatch.setattr(outbox, "queue_is_empty", lambda task: True)
        assert reminders.sweep(today=DUE).queued == 3
        assert reminders.sweep(today=DUE).queued == 0
    assert len(queued_ids(handed)) == 6 and len(set(queued_ids(handed))) == 3


@pytest.mark.django_db
def test_a_row_the_worker_has_taken_and_failed_is_queued_when_its_next_attempt_is_due(active, handed, monkeypatch):
    review_backlog(active, 1)
    reminders.sweep(today=DUE)
    [(pks, queued_at)] = handed
    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken_mail_server)
        assert reminders.reminders_send(pks, queued_at=queued_at) == 0
    # Taken by the worker: no longer marked, so the sweep queues each again once its next attempt is due.
    assert ReviewReminder.objects.filter(queued_at__isnull=False).count() == 0
    assert reminders.sweep(today=DUE).queued == 0
    later = ReviewReminder.objects.order_by("next_attempt_at").last().next_attempt_at
    with time_machine.travel(later):
        assert reminders.sweep(today=DUE).queued == 2


def broken_mail_server(backend, messages):
    raise ConnectionError("SMTP server not answering")


@pytest.mark.django_db
def test_a_batch_sends_through_one_connection_and_a_bad_row_holds_up_no_other(
    active, handed, settings, sink, monkeypatch
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.server_address
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    review_backlog(active, 5)
    reminders.sweep(today=DUE)
    [(pks, queued_at)] = handed
    assert reminders.reminders_send(pks[:3], queued_at=queued_at) == 3
    assert sink.connections == 1

    # Any fault building or sending one row is kept on that row; the rows after it go on a fresh connection.
    broken = pks[4]
    build = reminders.reminder_message

    def build_or_fail(reminder):
        if reminder.pk == broken:
            raise BadHeaderError("Header values can't contain newlines")
        return build(reminder)

    monkeypatch.setattr(reminders, "reminder_message", build_or_fail)
    assert reminders.reminders_send(pks[3:], queued_at=queued_at) == 2
    assert sink.connections == 3
    row = ReviewReminder.objects.get(pk=broken)
    assert row.last_error.startswith("BadHeaderError:") and row.sent_at is None and row.queued_at is None
    assert row.next_attempt_at > timezone.now()
    assert len(sink.keys) == len(set(sink.keys)) == 5


class Clock:
    """outbox's `time`, for one test: monotonic() reads from a list of readings."""

    def __init__(self, readings):
        self.readings = iter(readings)

    def monotonic(self):
        return next(self.readings)


@pytest.mark.django_db
def test_a_batch_hands_back_what_it_did_not_take(active, handed, monkeypatch, mailoutbox):
    review_backlog(active, 4)
    reminders.sweep(today=DUE)
    [(pks, queued_at)] = handed
    assert reminders.reminder_send(pks[0]) is True  # another task sent it first
    # The batch runs out of time after two rows (the first reading sets the deadline).
    monkeypatch.setattr(outbox, "time", Clock([0, 1, 2, outbox.BATCH_SECONDS + 1]))
    assert reminders.reminders_send(pks, queued_at=queued_at) == 2
    not_reached = pks[3:]
    # Neither claimed nor marked queued, and no attempt counted: as if this task had never had them.
    assert set(
        ReviewReminder.objects.filter(pk__in=not_reached).values_list("queued_at", "claimed_at", "sent_at", "attempts")
    ) == {(None, None, None, 0)}
    assert list(ReviewReminder.objects.filter(pk__in=pks[:3]).values_list("attempts", flat=True)) == [1, 1, 1]
    # Handed back, not lost: the next sweep queues them.
    handed.clear()
    assert reminders.sweep(today=DUE).queued == 2 and queued_ids(handed) == not_reached
    assert len(mailoutbox) == 3


@pytest.mark.django_db
def test_it_reads_from_redis_whether_any_task_waits_in_the_queue(settings):
    previous = app.conf.task_default_queue
    queue = f"phb-test-empty-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    try:
        assert outbox.queue_is_empty(tasks.send_review_reminders) is True
        tasks.send_review_reminders.delay([1, 2], timezone.now().isoformat())
        assert outbox.queue_is_empty(tasks.send_review_reminders) is False
    finally:
        app.conf.task_default_queue = previous
        redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete(queue)


# With a real worker and Redis.


@pytest.fixture
def celery_worker_env(sink):
    host, port = sink.server_address
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": host,
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
    }


@pytest.mark.django_db(transaction=True)
def test_a_backlog_is_sent_exactly_once_by_one_worker_and_redis_never_holds_more_rows_than_are_unsent(
    celery_worker_process, sink, active
):
    _mail, log = celery_worker_process
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    queue = app.conf.task_default_queue  # the worker's own queue, set by celery_worker_process
    batch_task = tasks.send_review_reminders.name
    # The approval's own e-mail goes first, so the sink then counts reminders only.
    assert wait_for(lambda: DecisionEmail.objects.filter(sent_at__isnull=False).count() == 1), log.read_text()
    decision_keys = list(sink.keys)

    review_backlog(active, BACKLOG)
    rows = BACKLOG + 1  # and the plan's own review, long overdue on DUE
    started = time.monotonic()
    first = reminders.sweep(today=DUE)
    assert (first.claimed, first.queued, first.tasks) == (rows, rows, math.ceil(rows / outbox.SEND_BATCH))

    def sweep_and_measure(sweep) -> list[tuple[int, int]]:
        """(reminder ids waiting in Redis, reminders unsent) before and after a sweep. The unsent rows are
        counted first: meanwhile only the worker changes either, and it only ever shortens the queue, so
        the check cannot pass by chance."""
        unsent = ReviewReminder.objects.filter(sent_at__isnull=True).count()
        before, _messages = ids_waiting_in_redis(client, queue, batch_task)
        sweep()
        unsent_after = ReviewReminder.objects.filter(sent_at__isnull=True).count()
        after, _messages = ids_waiting_in_redis(client, queue, batch_task)
        return [(before, unsent), (after, unsent_after)]

    seen, aged_with_a_backlog = [], 0
    while ReviewReminder.objects.filter(sent_at__isnull=True).exists() and time.monotonic() - started < 90:
        # The beat's sweep: nothing new to claim, and every row already queued.
        seen += sweep_and_measure(lambda: reminders.sweep(today=DUE))
        # As if the backlog had waited in Redis longer than a task lives: every mark is old enough for the
        # row's task to count as lost. The queue is not empty, so no row is queued beside a copy still waiting
        # (the sweep before issue 12 queued every unsent row again here, and the queue held two of each).
        ReviewReminder.objects.filter(queued_at__isnull=False).update(
            queued_at=F("queued_at") - outbox.QUEUE_AGAIN_AFTER - datetime.timedelta(minutes=1)
        )
        measured = sweep_and_measure(lambda: reminders.sweep(today=DUE))
        aged_with_a_backlog += measured[0][0] > 0
        seen += measured
        time.sleep(0.5)
    drained = time.monotonic() - started

    assert not ReviewReminder.objects.filter(sent_at__isnull=True).exists(), log.read_text()[-3000:]
    assert aged_with_a_backlog >= 3, "the sweep should have run several times while the backlog waited in Redis"
    assert all(waiting <= unsent for waiting, unsent in seen), [(i, w, u) for i, (w, u) in enumerate(seen) if w > u]
    # Sent exactly once: one message to the mail server for every reminder, each attempted once.
    keys = [key for key in sink.keys if key not in decision_keys]
    expected = {outbox.idempotency_key(row) for row in ReviewReminder.objects.all()}
    assert len(keys) == rows and set(keys) == expected
    assert set(ReviewReminder.objects.values_list("attempts", flat=True)) == {1}
    print(f"{rows} reminders sent in {drained:.1f} s by one worker: {rows / drained:.0f} a second")
