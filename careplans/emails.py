"""The e-mails careplans sends, all through the one outbox (phb.outbox).

Three kinds of row: a DecisionEmail (written by careplans.approval with each decision, to the
coordinator), a ReviewReminder (written by the sweep in careplans.reminders) and a PostedLetter (a letter to
the person posted through GOV.UK Notify, written with the letter when they chose post: `letter_post_write`).
This module sends decision e-mails and posted letters, and lists and retries the messages that could not be
sent, for the PHB team lead's page (careplans.outbox_views): those of every kind in OUTBOXES, careplans' own, the
notices to the person
from people (people.notices, registered here since people is below careplans) and those the apps above
register when Django starts (payments' statement reminders, in payments.apps), since careplans may not
import them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import QuerySet

from careplans import reminders, tasks
from careplans.models import DecisionEmail, Letter, LetterKind, PostedLetter, ReviewReminder
from careplans.schedule import REMINDER_LABELS, TO_PERSON, ReminderKind
from people import contact, notices
from people import tasks as people_tasks
from people.models import ContactChannel, PersonNotice
from phb import notify, outbox
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


# The letters that go to the person, and so are posted to those who chose post. A return notice goes to the
# coordinator, inside the ICB: it is never posted.
POSTED_KINDS = frozenset({LetterKind.APPROVAL, LetterKind.DECLINE, LetterKind.ENDING})
NOTIFY_NOT_SET_UP = (
    "Letters are posted through GOV.UK Notify, which is not set up here (NOTIFY_API_KEY). Set up Notify, then "
    "choose Try again, or print the letter from their record and post it"
)


def letter_post_write(letter: Letter) -> PostedLetter | None:
    """In the transaction that made the letter: a row to post it, if it goes to the person and they chose to have
    their letters posted (Person.letters_by_post). It is handed to the worker once the transaction commits."""
    if letter.kind not in POSTED_KINDS or not letter.person.letters_by_post:
        return None
    posting = PostedLetter.objects.create(letter=letter)
    transaction.on_commit(lambda: posted_letter_queue(posting.pk))
    return posting


class LetterToPost:
    """A letter the outbox sends as it sends an e-mail (phb.outbox calls `send()`): the PDF kept on the record,
    posted through GOV.UK Notify's precompiled-letter API under the row's idempotency key, at most once
    (send_precompiled_letter asks Notify first). Without Notify there is no way to post it, so it is refused and
    the outbox keeps the row for the lead with the reason."""

    def __init__(self, pdf: bytes, *, reference: str, postage: str):
        self.pdf = pdf
        self.reference = reference
        self.postage = postage
        self.extra_headers: dict[str, str] = {}
        self.connection = None  # an e-mail connection the outbox hands a batch: a letter does not use it
        self.notify_id = ""

    def send(self, fail_silently: bool = False) -> int:
        if not notify.configured():
            raise notify.NotifyRefused(NOTIFY_NOT_SET_UP, status_code=400)
        self.notify_id = notify.send_precompiled_letter(self.pdf, reference=self.reference, postage=self.postage)
        return 1


def _postings():
    """Letters to post, with the letter (its PDF too) and the person."""
    return PostedLetter.objects.select_related("letter__person")


def posted_letter_message(posting: PostedLetter) -> LetterToPost | None:
    """None if the person has since said not to post their letters: nothing to send any more."""
    if not posting.letter.person.letters_by_post:
        return None
    return LetterToPost(bytes(posting.letter.pdf), reference=outbox.idempotency_key(posting), postage=posting.postage)


def posted_letter_send(posting_id: int) -> bool:
    """Posts one letter, once. False if it was already posted, is being posted, is not due, or failed this time
    (the outbox keeps the error; a refusal, or Notify not set up, fails it at once for the lead)."""
    return outbox.send(_postings(), posting_id, build=posted_letter_message)


def posted_letters_send(posting_ids: list[int], *, queued_at: str) -> int:
    """Posts a batch the sweep queued, each once (see phb.outbox.send_batch). Returns how many went."""
    return outbox.send_batch(_postings(), posting_ids, queued_at=queued_at, build=posted_letter_message)


def posted_letter_queue(posting_id: int) -> bool:
    """Hands one letter to post to the worker; if Redis is down it waits for the sweep."""
    return outbox.queue(PostedLetter, posting_id, tasks.send_posted_letter)


def posted_letters_queue_due() -> outbox.Queued:
    """The posted letters' sweep (see phb.outbox.queue_due)."""
    return outbox.queue_due(PostedLetter, tasks.send_posted_letters)


@dataclass(frozen=True)
class OutboxKind:
    """A kind of message on the lead's page (and tray: casework.trays), and its link's `kind`."""

    model: type[outbox.OutboxRow]
    task: object  # the Celery task that sends one row (phb.outbox.outbox_retry queues it)
    label: str  # in the page's filter: "Review reminders"
    heading: str  # its section of the lead's tray: "Review reminders not sent"
    person_path: str  # from a row to the person it is about: "review__plan__person__"
    rows: Callable[[], QuerySet]  # its rows, with what describing them needs (select_related)
    describe: Callable[[outbox.OutboxRow], tuple[str, str, object]]  # a row's what, to whom, and its person


# The kinds in the lead's page and its links, in the order the page's filter and the tray show them.
OUTBOXES: dict[str, OutboxKind] = {}


def register(kind: str, entry: OutboxKind) -> OutboxKind:
    """Adds a kind of message (registering a kind again replaces it: it is never there twice)."""
    OUTBOXES[kind] = entry
    return entry


def kind_choices() -> list[tuple[str, str]]:
    """The kinds as the page's filter offers them: (kind, label)."""
    return [(kind, entry.label) for kind, entry in OUTBOXES.items()]


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


def _describe_decision(row: DecisionEmail) -> tuple[str, str, object]:
    return row.subject, row.to, row.event.plan_version.plan.person


def _describe_reminder(row: ReviewReminder) -> tuple[str, str, object]:
    review = row.review
    person = review.plan.person
    reminder_kind = ReminderKind(row.kind)
    if reminder_kind in TO_PERSON:
        address = contact.reminder_address(person)
        missing = "No mobile phone number" if person.contact_by == ContactChannel.TEXT else "No e-mail address"
        to = address.to if address else missing
    elif reminder_kind == ReminderKind.LEAD_OVERDUE:
        to = "Every PHB team lead"
    else:
        coordinator = reminders.coordinator(row)
        to = coordinator.email if coordinator and coordinator.email else "No e-mail address"
    what = f"Review reminder, due by {long_date(review.due_on)}. {REMINDER_LABELS[reminder_kind]}"
    return what, to, person


register(
    "decision",
    OutboxKind(
        model=DecisionEmail,
        task=tasks.send_decision_email,
        label="Decision emails",
        heading="Decision e-mails not sent",
        person_path="event__plan_version__plan__person__",
        rows=_decisions,
        describe=_describe_decision,
    ),
)
register(
    "reminder",
    OutboxKind(
        model=ReviewReminder,
        task=tasks.send_review_reminder,
        label="Review reminders",
        heading="Review reminders not sent",
        person_path="review__plan__person__",
        rows=reminders.with_details,
        describe=_describe_reminder,
    ),
)


# Notices to the person (people.notices): people is below careplans, so it is registered here.
register(
    "notice",
    OutboxKind(
        model=PersonNotice,
        task=people_tasks.send_person_notice,
        label="Notices to people",
        heading="Notices to people not sent",
        person_path="person__",
        rows=notices.with_details,
        describe=notices.describe,
    ),
)


def _posted_letters():
    # The lead's page does not need the PDF.
    return PostedLetter.objects.select_related("letter__person").defer("letter__pdf")


def _describe_posted_letter(row: PostedLetter) -> tuple[str, str, object]:
    person = row.letter.person
    address = ", ".join(
        part for part in (person.address_line_1, person.address_line_2, person.town, person.postcode) if part
    )
    return f"Letter by post: {row.letter.get_kind_display()}", address or "No postal address", person


register(
    "letter",
    OutboxKind(
        model=PostedLetter,
        task=tasks.send_posted_letter,
        label="Letters posted",
        heading="Letters not posted",
        person_path="letter__person__",
        rows=_posted_letters,
        describe=_describe_posted_letter,
    ),
)


def _describe(kind: str, row) -> OutboxMessage:
    return OutboxMessage(kind, row, *OUTBOXES[kind].describe(row))


def _failed(kind: str) -> QuerySet:
    return OUTBOXES[kind].rows().filter(failed_at__isnull=False)


def _counts(kinds) -> list[int]:
    """Each kind's failed rows counted up to COUNT_UP_TO + 1 (the partial index of failed rows), in one query
    whatever the number of kinds: a scalar subquery each."""
    counted, params = [], []
    for kind in kinds:
        sql, kind_params = _failed(kind).order_by().values("pk")[: COUNT_UP_TO + 1].query.sql_with_params()
        counted.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608
        params += kind_params
    if not counted:
        return []
    # The ORM's own SQL for each kind's rows; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counted)}", params)
        return list(cursor.fetchone())


def failed_messages(
    page_number=1, *, size: int = PAGE_SIZE, kinds=None, oldest_first: bool = False, params=None
) -> Page:
    """A page of the messages that failed, newest first (or oldest first), of the kinds asked for together (by
    default every kind in OUTBOXES): each kind's rows up to the end of the page (the partial index of failed
    rows), one query a kind, and a capped count of each, one query for them all. params: the list's filters and
    sort, kept on the page's links."""
    kinds = tuple(OUTBOXES) if kinds is None else tuple(kinds)
    number = page_number_of(page_number)
    upto = number * size + 1
    order = ("failed_at", "pk") if oldest_first else ("-failed_at", "-pk")
    found = [_describe(kind, row) for kind in kinds for row in _failed(kind).order_by(*order)[:upto]]
    found.sort(key=lambda message: (message.row.failed_at, message.kind, message.pk), reverse=not oldest_first)
    if number > 1 and len(found) <= (number - 1) * size:
        number = 1
    total = sum(_counts(kinds))
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
    """One message of any kind, failed or not (None if there is no such message)."""
    if kind not in OUTBOXES:
        return None
    row = OUTBOXES[kind].rows().filter(pk=pk).first()
    return None if row is None else _describe(kind, row)


def message_retry(*, message: OutboxMessage, acting_user) -> bool:
    """The PHB team lead tries a failed message again. False if it is no longer failed."""
    return outbox.outbox_retry(
        row=message.row,
        task=OUTBOXES[message.kind].task,
        acting_user=acting_user,
        person_id=message.person.pk,
        what=message.what,
    )
