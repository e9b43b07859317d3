"""The outbox: every e-mail the service sends is a row in PostgreSQL first, and a worker sends it later.

Each kind of e-mail is a model that inherits OutboxRow (careplans has decision e-mails and review
reminders). A row goes through these steps:
- queue: after the transaction that wrote the row commits, a send task for that row goes to Celery
  (`queue`); if Redis is down the row simply waits for the sweep;
- sweep (`queue_due`, from Celery beat every 15 minutes): hands the rows that are waiting and due to
  Celery in batches, one task and one call to Redis for each SEND_BATCH rows, and marks each row
  queued (`queued_at`). A marked row is not queued again while the task that carries it may still be
  waiting in Redis (see QUEUE_AGAIN_AFTER), so however long a backlog takes to drain, Redis holds at
  most one task for each unsent row;
- claim: the task claims its row, or the rows of its batch together, with a conditional UPDATE
  (`claim`), so two tasks for one row send one e-mail. Only a row that is unsent, not failed, due
  (`next_attempt_at` passed) and not claimed can be claimed; a claim older than CLAIM_EXPIRES is from
  a worker that died mid-send and may be taken again. Every claim counts an attempt and clears the
  row's queued mark;
- send (`send`, `send_batch`): the caller's function builds the message from the row; it is sent and
  the row marked sent. Any error while building or sending releases the claim, keeps the error, and
  puts the next attempt further off each time (FIRST_BACKOFF, doubling, at most LONGEST_BACKOFF).
  After settings.OUTBOX_MAX_ATTEMPTS attempts the row is failed: nothing sends it again until the PHB
  team lead chooses "Try again" (`outbox_retry`). One row that cannot be sent never holds up the rows
  behind it, in its batch or after it: its failure is recorded on that row only.

Delivery is at least once, not exactly once. A worker killed after the mail server accepted a
message, but before it marked the row sent, leaves a claim; when the claim expires the row is sent
again. Every message carries the row's identity as an `X-Idempotency-Key` header and a `Message-ID`
made from it, so a mail provider that drops duplicates can do so.

Whether it arrived: a message sent through GOV.UK Notify keeps its notification's id on the row (`notify_id`;
blank for a mail server), and phb.delivery asks Notify every 15 minutes what became of it. One that arrived is
stamped `delivered_at`; one that did not is failed like a row that could not be sent (its `undelivered` says
Notify's status, `last_error` what it means), so it waits for the PHB team lead's "Try again".

phb knows nothing of the apps (imports go one way), so callers pass the model, the Celery task
and the function that builds the message.
"""

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.notify import KIND_HEADER, NotifyRefused, notification_ids
from phb.roles import Role, has_role

logger = logging.getLogger(__name__)

# A worker that claimed a row and has not finished after this long has died (send tasks time out well before).
CLAIM_EXPIRES = datetime.timedelta(minutes=10)
# The sweep hands rows to Celery in batches: one task, and one call to Redis, for this many rows.
SEND_BATCH = 100
# The sweep marks rows queued this many at a time, in one short transaction.
MARK_AT_ONCE = 5000
# A batch takes no new row after this long (say the mail server answers slowly), well inside the send task's
# time limits; the rows it did not reach are unmarked, and the next sweep queues them.
BATCH_SECONDS = 60
# A row stays marked queued from the sweep until the worker takes it out of its task, so the sweep does not
# queue it again while the task may still wait in Redis behind a backlog. A row still marked after
# QUEUE_AGAIN_AFTER has lost its task (Redis lost it, or the task expired unrun), and the sweep queues it
# again, but only when no task at all waits in the queue, so never beside a copy still waiting. Send tasks
# expire after as long, so a copy that turns up later (Redis gives back a dead worker's task) sends nothing.
SEND_TASK_EXPIRES = datetime.timedelta(hours=1)
QUEUE_AGAIN_AFTER = SEND_TASK_EXPIRES
# After a failed attempt: 5, 10, 20, 40... minutes, at most 6 hours. With 8 attempts a row fails after
# about 10 hours, long enough to ride out a mail server that is down overnight.
FIRST_BACKOFF = datetime.timedelta(minutes=5)
LONGEST_BACKOFF = datetime.timedelta(hours=6)
WORKER_DIED = "The worker stopped while sending this message (it was restarted or ran out of time)."


class OutboxRow(models.Model):
    """What every outbox row records about its sending. Subclasses add what the message is about, and the kind
    of message it is (NOTIFY_KIND: which GOV.UK Notify template sends it, settings.NOTIFY_TEMPLATES)."""

    NOTIFY_KIND = ""

    created_at = models.DateTimeField(auto_now_add=True)
    # Handed to Celery and not yet taken by a worker: the sweep leaves the row alone (see QUEUE_AGAIN_AFTER).
    queued_at = models.DateTimeField(null=True, blank=True)
    # Taken by a worker that is sending it now (see CLAIM_EXPIRES).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Done: sent, or nothing to send any more (for example the review was recorded first).
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Gave up after settings.OUTBOX_MAX_ATTEMPTS: waits for the PHB team lead.
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The GOV.UK Notify notification the message went as (one id for each recipient, separated by spaces); blank
    # when it went by a mail server, which tells us nothing afterwards.
    # (The blank text is also the database's default for these two: the reminder sweeps write rows in raw SQL.)
    notify_id = models.CharField(max_length=1000, blank=True, default="", db_default="")
    # What Notify told us afterwards (phb.delivery): it arrived, or the status it failed with, say
    # "permanent-failure". A message that did not arrive is failed (failed_at) and waits for the PHB team lead.
    delivered_at = models.DateTimeField(null=True, blank=True)
    undelivered = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(failed_at__isnull=True), name="%(class)s_sent_or_failed"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="%(class)s_waiting",
            ),
            models.Index(fields=["failed_at"], condition=Q(failed_at__isnull=False), name="%(class)s_failed"),
            # Sent through Notify, and Notify has not yet said whether it arrived: what phb.delivery asks about.
            models.Index(
                fields=["sent_at"],
                condition=Q(sent_at__isnull=False, delivered_at__isnull=True, undelivered="") & ~Q(notify_id=""),
                name="%(class)s_in_transit",
            ),
        ]


def max_attempts() -> int:
    return settings.OUTBOX_MAX_ATTEMPTS


def backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the given number of failed attempts."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), LONGEST_BACKOFF)


def idempotency_key(row: OutboxRow) -> str:
    """The row's identity, the same on every attempt. The creation time tells apart rows with the same
    number in different databases (a test copy and the live service)."""
    return f"{row._meta.label_lower}-{row.pk}-{row.created_at:%Y%m%d%H%M%S%f}"


def _waiting(now: datetime.datetime) -> Q:
    """Unsent, not failed, not claimed by a live worker, and its next attempt due."""
    return (
        Q(sent_at__isnull=True, failed_at__isnull=True, attempts__lt=max_attempts())
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def claim(model: type[OutboxRow], pk, *, now: datetime.datetime) -> bool:
    """Compare-and-swap: takes the row for this worker if it is waiting and due, counting an attempt.

    The task that carried the row has now reached it, so the row no longer counts as waiting in Redis:
    if this attempt fails, the sweep may queue it as soon as its next attempt is due.
    """
    return bool(
        model.objects.filter(_waiting(now), pk=pk).update(claimed_at=now, queued_at=None, attempts=F("attempts") + 1)
    )


class NoRecipient(Exception):
    """Nobody the message could go to (no address on record). Trying again cannot help until someone adds
    one, so the row fails at once and waits on the PHB team lead's page; "Try again" sends it then."""


def _record_failure(model: type[OutboxRow], pk, *, claimed_at: datetime.datetime, error: Exception) -> None:
    now = timezone.now()
    attempts = model.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 0
    # Notify refusing the message (a template or address it will not take) cannot change by trying again either.
    failed = attempts >= max_attempts() or isinstance(error, NoRecipient | NotifyRefused)
    # Only our own claim: never overwrite a worker that took the row after ours expired.
    model.objects.filter(pk=pk, claimed_at=claimed_at, sent_at__isnull=True).update(
        claimed_at=None,
        last_error=" ".join(f"{type(error).__name__}: {error}".split())[:300],
        next_attempt_at=None if failed else now + backoff(attempts),
        failed_at=now if failed else None,
    )
    log = logger.error if failed else logger.warning
    log(
        "Could not send %s-%s (attempt %s of %s)%s",
        model._meta.label_lower,
        pk,
        attempts,
        max_attempts(),
        "; it has failed and waits for the PHB team lead" if failed else "",
        exc_info=error,
    )


def _stamp(message: EmailMessage, row: OutboxRow) -> None:
    """The same identity on every attempt, so a provider that drops duplicates can."""
    key = idempotency_key(row)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    message.extra_headers = {**message.extra_headers, "X-Idempotency-Key": key, "Message-ID": f"<{key}@{domain}>"}
    if row.NOTIFY_KIND:
        message.extra_headers[KIND_HEADER] = row.NOTIFY_KIND


def _fitted(ids: str) -> str:
    """As many whole notification ids as the row holds (an e-mail to very many people keeps its first ones): a
    row that cannot be marked sent would be sent again."""
    longest = OutboxRow._meta.get_field("notify_id").max_length
    return ids if len(ids) <= longest else ids[: longest + 1].rsplit(" ", 1)[0]


def _deliver(model: type[OutboxRow], pk, load: Callable[[], OutboxRow], *, build, claimed_at, connection=None) -> bool:
    """Builds and sends one row this worker has claimed, and records the outcome on it. True if an e-mail went.

    `connection`, when given, is a connection to the mail server kept open for a whole batch.
    """
    notify_id = ""
    try:
        row = load()
        message = build(row)
        if message is not None:
            _stamp(message, row)
            if connection is not None and isinstance(message, EmailMessage):  # a text message needs no mail server
                connection.open()  # once for the batch: it does nothing when already open
                message.connection = connection
            message.send()
            notify_id = _fitted(notification_ids(message))  # blank for a mail server
    except Exception as error:  # any fault of this row: bad header, refused address, server down
        _record_failure(model, pk, claimed_at=claimed_at, error=error)
        if connection is not None:
            _close_quietly(connection)  # the next row starts on a fresh connection
        if isinstance(error, SoftTimeLimitExceeded):
            raise
        return False
    model.objects.filter(pk=pk, claimed_at=claimed_at).update(
        sent_at=timezone.now(), next_attempt_at=None, notify_id=notify_id
    )
    return message is not None


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # a connection that broke may fail to close too; nothing more to do with it
        logger.info("Could not close the connection to the mail server", exc_info=True)


def send(rows: models.QuerySet, pk, *, build: Callable[[OutboxRow], EmailMessage | None]) -> bool:
    """Sends one row, once. True if an e-mail went now.

    False if it was already sent, is being sent, is failed or not yet due, or `build` returned None
    (nothing to send any more; the row is marked done). Never raises for the row's own faults: the
    error is kept on the row and the attempt counted.
    """
    model = rows.model
    now = timezone.now()
    if not claim(model, pk, now=now):
        return False
    return _deliver(model, pk, lambda: rows.get(pk=pk), build=build, claimed_at=now)


def _claim_batch(model: type[OutboxRow], pks: list, *, now: datetime.datetime) -> list:
    """`claim` for the rows of a batch at once: the ones waiting and due are taken and counted an attempt.

    A row another transaction holds at this moment (a worker claiming it, a sweep marking it) is left
    alone, as `claim` would find it taken."""
    with transaction.atomic():
        due = model.objects.filter(_waiting(now), pk__in=pks).select_for_update(skip_locked=True).order_by("pk")
        claimed = list(due.values_list("pk", flat=True))
        model.objects.filter(pk__in=claimed).update(claimed_at=now, queued_at=None, attempts=F("attempts") + 1)
    return claimed


def send_batch(
    rows: models.QuerySet, pks: list, *, queued_at: str, build: Callable[[OutboxRow], EmailMessage | None]
) -> int:
    """Sends the rows of one batch task, each once, through one connection to the mail server.

    The rows are claimed together (one conditional UPDATE, as `claim`) and read together; a row another
    task has sent or is sending is skipped, and one row's fault is kept on that row only. The batch takes
    no new row after BATCH_SECONDS: the claims it did not use are given back with their attempt. Whatever
    this task did not send or try is unmarked as it ends, so the next sweep queues it if it still waits.
    Returns how many e-mails went.
    """
    model = rows.model
    mark = datetime.datetime.fromisoformat(queued_at)
    deadline = time.monotonic() + BATCH_SECONDS
    now = timezone.now()
    claimed = _claim_batch(model, pks, now=now)
    untried = list(claimed)
    connection = get_connection()
    sent = 0
    try:
        loaded = rows.in_bulk(claimed)
        for pk in claimed:
            if time.monotonic() > deadline:
                logger.warning("A batch of %s ran out of time; the next sweep queues the rest", model._meta.label_lower)
                break
            untried.remove(pk)
            if pk in loaded:  # else deleted since (its review was): nothing to send
                sent += _deliver(
                    model, pk, lambda pk=pk: loaded[pk], build=build, claimed_at=now, connection=connection
                )
    finally:
        _close_quietly(connection)
        model.objects.filter(pk__in=untried, claimed_at=now, sent_at__isnull=True).update(
            claimed_at=None, attempts=F("attempts") - 1
        )
        # Only this task's own mark: a row queued again since (its task lost) keeps its new one.
        model.objects.filter(pk__in=pks, queued_at=mark).update(queued_at=None)
    return sent


def queue(model: type[OutboxRow], pk, task) -> bool:
    """Hands one row to the worker. False if the broker refused; the row then waits for the sweep."""
    now = timezone.now()
    model.objects.filter(pk=pk).update(queued_at=now)
    try:
        task.delay(pk)
    except Exception:  # any broker error: kombu and redis raise several kinds
        model.objects.filter(pk=pk, queued_at=now).update(queued_at=None)
        logger.warning("Could not queue %s-%s; the sweep will send it", model._meta.label_lower, pk, exc_info=True)
        return False
    return True


@dataclass(frozen=True)
class Queued:
    queued: int  # rows handed to Celery
    broker_refused: bool
    tasks: int = 0  # batch tasks, one call to Redis each


@dataclass(frozen=True)
class SweepResult:
    """What a reminders sweep did: rows claimed, and those handed to the worker."""

    claimed: int
    queued: int  # reminders handed to the worker
    queue_failed: bool
    tasks: int = 0  # the batches they went in: one call to Redis each


def swept(claimed: int, queue_due: Callable[[], Queued], *, queue: bool = True) -> SweepResult:
    """A sweep's result once it has claimed `claimed` rows: what is waiting and due queued (unless not `queue`)."""
    queued = queue_due() if queue else Queued(queued=0, broker_refused=False)
    return SweepResult(claimed=claimed, queued=queued.queued, queue_failed=queued.broker_refused, tasks=queued.tasks)


def _fail_given_up(model: type[OutboxRow], now: datetime.datetime) -> None:
    """Rows that used their last attempt on a worker that died (or whose limit was lowered) are failed."""
    model.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES),
        sent_at__isnull=True,
        failed_at__isnull=True,
        attempts__gte=max_attempts(),
    ).update(
        failed_at=now,
        claimed_at=None,
        last_error=Case(When(claimed_at__isnull=False, then=Value(WORKER_DIED)), default=F("last_error")),
    )


def queue_is_empty(task) -> bool:
    """True if no task at all waits in Redis in the queue this task goes to; False if it cannot tell."""
    from kombu.exceptions import ChannelError

    name = task.app.amqp.router.route({}, task.name)["queue"].name
    try:
        with task.app.connection_for_read() as connection:
            return connection.default_channel.queue_declare(queue=name, passive=True).message_count == 0
    except ChannelError:
        return True  # Redis removes a list once it is empty: a queue not found holds nothing
    except Exception:  # any broker error: a row whose task may still wait stays as it is
        logger.warning("Could not read the length of the queue %s", name, exc_info=True)
        return False


def queue_due(model: type[OutboxRow], task, *, now: datetime.datetime | None = None) -> Queued:
    """The sweep: hands every row that is waiting, due and not queued already to `task`, SEND_BATCH rows at a time.

    `task` takes a list of primary keys and the time they were marked queued (`send_batch`). A row
    queued before is queued again only if its task is known to be gone: the worker unmarked it, or it
    has been marked for longer than QUEUE_AGAIN_AFTER while no task waits in the queue. So the queue
    never holds more rows than there are rows waiting to be sent.

    Safe to run from two processes at once: each batch is marked queued under SKIP LOCKED row locks, so
    a row is queued by one of them. If the broker refuses, the rows not handed over are unmarked and wait
    for the next sweep.
    """
    now = now or timezone.now()
    _fail_given_up(model, now)
    waiting = model.objects.filter(_waiting(now))
    not_queued = Q(queued_at__isnull=True)
    lost = Q(queued_at__lt=now - QUEUE_AGAIN_AFTER)
    if waiting.filter(lost).exists() and queue_is_empty(task):
        not_queued |= lost
    # Read once through the index of waiting rows (ordering and limiting each batch in SQL would walk the
    # primary key across every row ever sent); then marked MARK_AT_ONCE at a time by primary key.
    candidates = list(waiting.filter(not_queued).order_by("pk").values_list("pk", flat=True))
    queued = tasks = 0
    for start in range(0, len(candidates), MARK_AT_ONCE):
        with transaction.atomic():
            chunk = waiting.filter(not_queued, pk__in=candidates[start : start + MARK_AT_ONCE])
            pks = list(chunk.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True))
            model.objects.filter(pk__in=pks).update(queued_at=now)
        for at in range(0, len(pks), SEND_BATCH):
            batch = pks[at : at + SEND_BATCH]
            try:
                task.delay(batch, now.isoformat())
            except Exception:  # any broker error; what was not handed over waits for the next sweep
                model.objects.filter(pk__in=pks[at:], queued_at=now).update(queued_at=None)
                logger.warning(
                    "Could not queue %s rows; the next sweep will try again", model._meta.label_lower, exc_info=True
                )
                return Queued(queued=queued, broker_refused=True, tasks=tasks)
            queued += len(batch)
            tasks += 1
    return Queued(queued=queued, broker_refused=False, tasks=tasks)


@transaction.atomic
def outbox_retry(*, row: OutboxRow, task, acting_user, person_id=None, what: str) -> bool:
    """The PHB team lead asks for a failed message to be sent again: it gets a fresh set of attempts.

    Returns False, changing nothing, if the row is no longer failed (a second click, or another lead).
    """
    if not has_role(acting_user, Role.LEAD):
        raise ServiceError("Only the PHB team lead can send a message again.")
    model = type(row)
    current = model.objects.select_for_update().filter(pk=row.pk, failed_at__isnull=False).first()
    if current is None:
        return False
    # A message Notify could not deliver (phb.delivery) is sent again as a new notification: what Notify said of
    # the old one no longer describes the row. (notify.send_text and the e-mail backend send again under the
    # same reference, since the old notification failed.)
    model.objects.filter(pk=row.pk).update(
        failed_at=None,
        attempts=0,
        next_attempt_at=None,
        claimed_at=None,
        queued_at=None,
        notify_id="",
        delivered_at=None,
        undelivered="",
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.RETRY_SEND,
        obj=current,
        person_id=person_id,
        summary=f"Tried sending again: {what}",
        changes={
            "failed_at": [audit.json_safe(current.failed_at), None],
            "attempts": [current.attempts, 0],
            **({"undelivered": [current.undelivered, ""]} if current.undelivered else {}),
        },
    )
    transaction.on_commit(lambda: queue(model, row.pk, task))
    return True
