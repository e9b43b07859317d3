"""Whether the messages the service sent through GOV.UK Notify arrived, read back onto their outbox rows.

We poll Notify rather than take its callbacks: every 15 minutes (Celery beat, phb.tasks.poll_delivery_status)
`poll` asks Notify about the rows it has not yet given an answer for. Polling needs no address on the internet for
Notify to call, so it works behind an ICB's firewall that lets nothing in, there is no incoming request to check
and secure, and the tests run the same code against the Notify stand-in as the live service runs against Notify.

- Which rows: outbox rows of every kind (each concrete phb.outbox.OutboxRow in Django's registry of models, so phb
  imports no app) sent in the last ASK_FOR days through Notify (a `notify_id`), that are neither delivered nor
  undelivered. Notify keeps notifications for 7 days, so it cannot answer for older ones. A message sent by a mail
  server has no notify_id: nothing comes back from one.
- How: one walk through Notify's list of the service's notifications, newest first (notify.statuses), for the
  rows of every kind together. The requests grow with the messages sent since the oldest row waiting (250 a
  request), not with the number of rows waiting; asking for each notification by its id would be a request for
  every row, every 15 minutes, most of them for messages still on their way.
- What is kept: all of a row's notifications delivered -> `delivered_at`. Any of them failed -> the row is failed
  like a row that could not be sent: `undelivered` holds Notify's status and `last_error` says what it means
  (WORDING, the one place for these words), so it shows on the PHB team lead's "Messages not sent" page and tray,
  where "Try again" sends it again (phb.outbox.outbox_retry). Anything else is still on its way: asked again
  next time.
- Once: each change is a conditional UPDATE of rows still waiting for an answer under the same notify_id, so
  polling again, or two polls at once, changes nothing more.
"""

import datetime
import logging
from dataclasses import dataclass

from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone

from phb import notify
from phb.outbox import CLAIM_EXPIRES, OutboxRow

logger = logging.getLogger(__name__)

# How far back to ask: Notify keeps a notification for 7 days.
ASK_FOR = datetime.timedelta(days=7)
# A row is marked sent once Notify has taken its message, so the notification was created a little before:
# at most as long as a worker may hold the row, and a few minutes for Notify's clock and ours to differ.
NOTIFY_BEFORE_SENT = CLAIM_EXPIRES + datetime.timedelta(minutes=5)

# What each of Notify's failure statuses means, for the PHB team lead (the "What went wrong" column).
WORDING = {
    "permanent-failure": "Not delivered. The email address or phone number is wrong, or the phone has been switched "
    "off for a long time (GOV.UK Notify: permanent failure). Check the person's details, then choose Try again.",
    "temporary-failure": "Not delivered. The inbox was full or turned the email away, or the phone was switched off "
    "or out of signal for 3 days (GOV.UK Notify: temporary failure). Choose Try again.",
    "technical-failure": "Not delivered. GOV.UK Notify had a problem of its own sending it (technical failure). "
    "Choose Try again.",
    "validation-failed": "Not posted. GOV.UK Notify could not print the letter because it is not laid out as Notify "
    "needs (validation failed).",
    "virus-scan-failed": "Not posted. GOV.UK Notify found a virus in the letter and did not print it (virus scan "
    "failed).",
    "cancelled": "Not posted. The letter was cancelled in GOV.UK Notify before it was printed (cancelled).",
}
OTHER_FAILURE = "Not delivered. GOV.UK Notify could not deliver it (status: {status}). Choose Try again."


def wording(status: str) -> str:
    return WORDING.get(status) or OTHER_FAILURE.format(status=status)[:300]


@dataclass(frozen=True)
class Polled:
    asked: int  # rows Notify was asked about
    delivered: int  # of them, found delivered now
    undelivered: int  # found failed now


NOTHING = Polled(asked=0, delivered=0, undelivered=0)


def outbox_models() -> list[type[OutboxRow]]:
    """Every kind of outbox row the service has (each app's concrete subclasses of OutboxRow)."""
    return [model for model in apps.get_models() if issubclass(model, OutboxRow)]


def _no_answer_yet(model: type[OutboxRow]) -> QuerySet:
    """Sent through Notify, and Notify has not said whether it arrived (the partial index "in_transit")."""
    return model.objects.filter(sent_at__isnull=False, delivered_at__isnull=True, undelivered="").exclude(notify_id="")


def outcome(found: list[str | None]) -> str | None:
    """A row's answer from its notifications' statuses (None for one Notify did not list): the first failure
    status if any failed, "delivered" if every one was, else None (still on its way)."""
    failed = [status for status in found if status in notify.FAILED]
    if failed:
        return failed[0]
    if found and all(status in notify.DELIVERED for status in found):
        return "delivered"
    return None


def poll(*, models: list[type[OutboxRow]] | None = None, now: datetime.datetime | None = None) -> Polled:
    """Asks GOV.UK Notify what became of the messages sent in the last ASK_FOR days that have no answer yet, and
    records each answer on its row, once (see the module's docstring). Nothing to do when Notify is not in use.

    Raises notify.NotifyError if Notify could not be asked; nothing is recorded then, and the next poll asks again.
    """
    if not notify.configured():
        return NOTHING
    now = now or timezone.now()
    models = outbox_models() if models is None else models
    waiting = {
        model: list(_no_answer_yet(model).filter(sent_at__gte=now - ASK_FOR).values_list("pk", "notify_id", "sent_at"))
        for model in models
    }
    rows = [row for found in waiting.values() for row in found]
    if not rows:
        return NOTHING
    wanted = {notification for _, ids, _ in rows for notification in ids.split()}
    found = notify.statuses(wanted, created_after=min(sent_at for _, _, sent_at in rows) - NOTIFY_BEFORE_SENT)
    delivered = undelivered = 0
    for model, model_rows in waiting.items():
        arrived = []
        for pk, ids, _ in model_rows:
            answer = outcome([found.get(notification) for notification in ids.split()])
            if answer == "delivered":
                arrived.append((pk, ids))
            elif answer:
                undelivered += _record_undelivered(model, pk, ids, status=answer, now=now)
        if arrived:
            # One UPDATE for the kind: notification ids are unique, so (pk, notify_id) in the lists is each row's pair.
            delivered += (
                _no_answer_yet(model)
                .filter(pk__in=[pk for pk, _ in arrived], notify_id__in=[ids for _, ids in arrived])
                .update(delivered_at=now)
            )
    return Polled(asked=len(rows), delivered=delivered, undelivered=undelivered)


def _record_undelivered(model: type[OutboxRow], pk, ids: str, *, status: str, now: datetime.datetime) -> int:
    """The row is failed with Notify's status: it waits on the lead's page like a row that could not be sent
    (a failed row is not a sent one: outbox's sent_or_failed constraint)."""
    changed = (
        _no_answer_yet(model)
        .filter(pk=pk, notify_id=ids)
        .update(sent_at=None, failed_at=now, undelivered=status, last_error=wording(status))
    )
    if changed:
        logger.warning(
            "GOV.UK Notify could not deliver %s-%s (%s); it waits for the PHB team lead",
            model._meta.label_lower,
            pk,
            status,
        )
    return changed
