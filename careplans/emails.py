"""The e-mails careplans sends, all through the one outbox (phb.outbox).

Two kinds of row: a DecisionEmail (written by careplans.approval with each decision, to the
coordinator) and a ReviewReminder (written by the sweep in careplans.reminders). This module sends
decision e-mails, and lists and retries the messages of either kind that could not be sent, for the
PHB team lead's page (careplans.outbox_views).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage

from careplans import reminders, tasks
from careplans.models import DecisionEmail, ReviewReminder
from careplans.schedule import REMINDER_LABELS, ReminderKind
from phb import outbox
from phb.pagination import COUNT_UP_TO, PAGE_SIZE, Page
from phb.pagination import page_number as page_number_of
from phb.words import long_date


def decision_email_message(email: DecisionEmail) -> EmailMessage:
    return EmailMessage(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])


def decision_email_send(email_id: int) -> bool:
    """Sends one decision e-mail, once. False if it was already sent, is being sent, is not due, or
    failed this time (the outbox keeps the error and tries again later)."""
    return outbox.send(DecisionEmail.objects.all(), email_id, build=decision_email_message)


def decision_emails_send(email_ids: list[int], *, queued_at: str) -> int:
    """Sends a batch the sweep queued, each once (see phb.outbox.send_batch). Returns how many went."""
    return outbox.send_batch(DecisionEmail.objects.all(), email_ids, queued_at=queued_at, build=decision_email_message)


def decision_email_queue(email_id: int) -> bool:
    """Hands one decision e-mail to the worker; if Redis is down it waits for the sweep."""
    return outbox.queue(DecisionEmail, email_id, tasks.send_decision_email)


def queue_due() -> outbox.Queued:
    """The decision e-mails' sweep (see phb.outbox.queue_due)."""
    return outbox.queue_due(DecisionEmail, tasks.send_decision_emails)


# The kinds in the lead's page and its links: the model and the task that sends it.
OUTBOXES = {
    "decision": (DecisionEmail, tasks.send_decision_email),
    "reminder": (ReviewReminder, tasks.send_review_reminder),
}


@dataclass(frozen=True)
class OutboxMessage:
    kind: str
    row: outbox.OutboxRow
    what: str
    to: str
    person: object

    @property
    def pk(self):
        return self.row.pk


def _decisions():
    return DecisionEmail.objects.select_related("event__plan_version__plan__person")


def _describe(kind: str, row) -> OutboxMessage:
    if kind == "decision":
        return OutboxMessage(kind, row, row.subject, row.to, row.event.plan_version.plan.person)
    review = row.review
    person = review.plan.person
    reminder_kind = ReminderKind(row.kind)
    if reminder_kind == ReminderKind.PERSON_28_DAYS:
        to = person.email or "No e-mail address"
    elif reminder_kind == ReminderKind.LEAD_OVERDUE:
        to = "Every PHB team lead"
    else:
        coordinator = reminders.coordinator(row)
        to = coordinator.email if coordinator and coordinator.email else "No e-mail address"
    what = f"Review reminder, due by {long_date(review.due_on)}. {REMINDER_LABELS[reminder_kind]}"
    return OutboxMessage(kind, row, what, to, person)


def _rows(kind: str):
    return _decisions() if kind == "decision" else reminders.with_details()


def failed_messages(
    page_number=1, *, size: int = PAGE_SIZE, kinds=tuple(OUTBOXES), oldest_first: bool = False, params=None
) -> Page:
    """A page of the messages that failed, newest first (or oldest first), of the kinds asked for together:
    each kind's rows up to the end of the page (the partial index of failed rows) and a capped count of each,
    two queries a kind. params: the list's filters and sort, kept on the page's links."""
    number = page_number_of(page_number)
    upto = number * size + 1
    order = ("failed_at", "pk") if oldest_first else ("-failed_at", "-pk")
    found = [
        _describe(kind, row)
        for kind in kinds
        for row in _rows(kind).filter(failed_at__isnull=False).order_by(*order)[:upto]
    ]
    found.sort(key=lambda message: (message.row.failed_at, message.kind, message.pk), reverse=not oldest_first)
    if number > 1 and len(found) <= (number - 1) * size:
        number = 1
    counts = [_rows(kind).filter(failed_at__isnull=False).order_by()[: COUNT_UP_TO + 1].count() for kind in kinds]
    total = sum(counts)
    shown = found[(number - 1) * size : number * size]
    return Page(
        object_list=shown,
        number=number,
        size=size,
        has_next=len(found) > number * size,
        count=min(total, COUNT_UP_TO),
        count_capped=total > COUNT_UP_TO,
        params={key: value for key, value in (params or {}).items() if value},
    )


def outbox_message(kind: str, pk: int) -> OutboxMessage | None:
    """One message of either kind, failed or not (None if there is no such message)."""
    if kind not in OUTBOXES:
        return None
    row = _rows(kind).filter(pk=pk).first()
    return None if row is None else _describe(kind, row)


def message_retry(*, message: OutboxMessage, acting_user) -> bool:
    """The PHB team lead tries a failed message again. False if it is no longer failed."""
    _model, task = OUTBOXES[message.kind]
    return outbox.outbox_retry(
        row=message.row, task=task, acting_user=acting_user, person_id=message.person.pk, what=message.what
    )
