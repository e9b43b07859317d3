"""The outbox: every e-mail the service sends is a row in PostgreSQL first, and a worker sends it later.

Each kind of e-mail is a model that inherits OutboxRow (careplans has decision e-mails and review
reminders). A row goes through these steps:
- queue: after the transaction that wrote the row commits, a send task goes to Celery (`queue`);
  if Redis is down the row simply waits for the sweep;
- claim: the task claims the row with a conditional UPDATE (`claim`), so two tasks for one row
  send one e-mail. Only a row that is unsent, not failed, due (`next_attempt_at` passed) and not
  claimed can be claimed; a claim older than CLAIM_EXPIRES is from a worker that died mid-send and
  may be taken again. Every claim counts an attempt;
- send (`send`): the caller's function builds the message from the row; it is sent and the row
  marked sent. Any error while building or sending releases the claim, keeps the error, and puts
  the next attempt further off each time (FIRST_BACKOFF, doubling, at most LONGEST_BACKOFF). After
  settings.OUTBOX_MAX_ATTEMPTS attempts the row is failed: nothing sends it again until the PHB
  team lead chooses "Try again" (`outbox_retry`);
- sweep (`queue_due`, from Celery beat every 15 minutes): queues the rows that are waiting and due
  and were not queued in the last QUEUE_AGAIN_AFTER. Send tasks expire after SEND_TASK_EXPIRES (no
  longer than that), so Redis holds at most one live task per row, and a backlog longer than one
  sweep does not multiply. One row that cannot be sent never holds up the rows behind it: each is
  sent by its own task, and its failure is recorded on the row only.

Delivery is at least once, not exactly once. A worker killed after the mail server accepted a
message, but before it marked the row sent, leaves a claim; when the claim expires the row is sent
again. Every message carries the row's identity as an `X-Idempotency-Key` header and a `Message-ID`
made from it, so a mail provider that drops duplicates can do so.

phb knows nothing of the apps (imports go one way), so callers pass the model, the Celery task
and the function that builds the message.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role

logger = logging.getLogger(__name__)

# A worker that claimed a row and has not finished after this long has died (tasks time out after a minute).
CLAIM_EXPIRES = datetime.timedelta(minutes=10)
# The sweeps run every 15 minutes. A task still in Redis after SEND_TASK_EXPIRES is dropped by the worker,
# and a row is queued again only once as long has passed, so a waiting row never has two live tasks.
SEND_TASK_EXPIRES = datetime.timedelta(minutes=12)
QUEUE_AGAIN_AFTER = SEND_TASK_EXPIRES
# After a failed attempt: 5, 10, 20, 40... minutes, at most 6 hours. With 8 attempts a row fails after
# about 10 hours, long enough to ride out a mail server that is down overnight.
FIRST_BACKOFF = datetime.timedelta(minutes=5)
LONGEST_BACKOFF = datetime.timedelta(hours=6)
QUEUE_BATCH = 1000
WORKER_DIED = "The worker stopped while sending this message (it was restarted or ran out of time)."


class OutboxRow(models.Model):
    """What every outbox row records about its sending. Subclasses add what the message is about."""

    created_at = models.DateTimeField(auto_now_add=True)
    # Last handed to Celery: the sweep leaves a row alone for QUEUE_AGAIN_AFTER.
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

    The task that was queued has now run, so the row no longer counts as waiting in Redis: if this
    attempt fails, the sweep may queue it as soon as its next attempt is due.
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
    failed = attempts >= max_attempts() or isinstance(error, NoRecipient)
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
    try:
        row = rows.get(pk=pk)
        message = build(row)
        if message is not None:
            _stamp(message, row)
            message.send()
    except Exception as error:  # any fault of this row: bad header, refused address, server down
        _record_failure(model, pk, claimed_at=now, error=error)
        return False
    model.objects.filter(pk=pk, claimed_at=now).update(sent_at=timezone.now(), next_attempt_at=None)
    return message is not None


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
    queued: int
    broker_refused: bool


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


def queue_due(model: type[OutboxRow], task, *, now: datetime.datetime | None = None) -> Queued:
    """The sweep: queues every row that is waiting and due and was not queued in the last QUEUE_AGAIN_AFTER.

    Safe to run from two processes at once: each batch is marked queued under SKIP LOCKED row locks, so
    a row is queued by one of them. If the broker refuses, the rows not handed over are unmarked and wait
    for the next sweep.
    """
    now = now or timezone.now()
    _fail_given_up(model, now)
    due = model.objects.filter(
        _waiting(now), Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUE_AGAIN_AFTER)
    ).order_by("pk")
    queued = 0
    while True:
        with transaction.atomic():
            pks = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:QUEUE_BATCH])
            model.objects.filter(pk__in=pks).update(queued_at=now)
        if not pks:
            return Queued(queued=queued, broker_refused=False)
        for index, pk in enumerate(pks):
            try:
                task.delay(pk)
            except Exception:  # any broker error; what was not handed over waits for the next sweep
                model.objects.filter(pk__in=pks[index:], queued_at=now).update(queued_at=None)
                logger.warning(
                    "Could not queue %s rows; the next sweep will try again", model._meta.label_lower, exc_info=True
                )
                return Queued(queued=queued, broker_refused=True)
            queued += 1


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
    model.objects.filter(pk=row.pk).update(
        failed_at=None, attempts=0, next_attempt_at=None, claimed_at=None, queued_at=None
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.RETRY_SEND,
        obj=current,
        person_id=person_id,
        summary=f"Tried sending again: {what}",
        changes={"failed_at": [audit.json_safe(current.failed_at), None], "attempts": [current.attempts, 0]},
    )
    transaction.on_commit(lambda: queue(model, row.pk, task))
    return True
