"""Review reminders: a sweep that inserts the reminders due, sent once each through the outbox.

The state lives in PostgreSQL, never in Redis:
- the sweep inserts one ReviewReminder row per (review, kind) whose window is open today, in one
  INSERT ... SELECT; the unique constraint means running it twice, or from two processes at once,
  adds nothing twice;
- then it queues the reminders that are waiting and due (phb.outbox.queue_due), a hundred to a task,
  so a reminder whose task was lost, for example because Redis was down, is queued again by a later
  sweep, and one already waiting in Redis or being sent is not;
- the send task claims, sends and records each row through phb.outbox: sent once, retried with a
  growing wait on any error, and failed (for the PHB team lead to try again) after
  settings.OUTBOX_MAX_ATTEMPTS attempts.
Run the sweep from Celery beat (exactly one beat) or by hand: `manage.py send_review_reminders`.
"""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, OuterRef, Subquery, Value
from django.utils import timezone

from careplans.models import PlanVersion, Review, ReviewReminder, ReviewStatus, Status
from careplans.schedule import TO_PERSON, WINDOWS, ReminderKind
from people import contact
from people.models import User
from phb import outbox
from phb.notify import TextMessage
from phb.roles import Role
from phb.words import long_date

SweepResult = outbox.SweepResult


def _live_reviews():
    # Reviews of an agreed plan not yet replaced or ending (an approved plan that has not started yet
    # has its first review booked too; ending a budget cancels its reviews).
    agreed = PlanVersion.objects.filter(plan=OuterRef("plan"), status__in=Status.STANDING)
    return Review.objects.filter(status=ReviewStatus.DUE).filter(Exists(agreed))


def _due_by_kind(today: datetime.date):
    """For each kind of reminder, the reviews whose window for it is open today and that have none yet."""
    for kind, (opens, closes) in WINDOWS.items():
        # The window is open when due + opens <= today < due + closes.
        reviews = _live_reviews().filter(due_on__lte=today - datetime.timedelta(days=opens))
        if closes is not None:
            reviews = reviews.filter(due_on__gt=today - datetime.timedelta(days=closes))
        if kind in TO_PERSON:
            reviews = reviews.filter(contact.reachable("plan__person__"))
        # Not `~Exists(...)`: PostgreSQL turns NOT EXISTS into an anti join costed from the statistics on
        # `kind`, and when they say a kind is rare (it is new to the table) it compares every review in the
        # window with every reminder of that kind (14 s at national scale, EXPLAIN ANALYZE in
        # scripts/bench_reminders.py). A scalar subquery stays one probe of the unique index per review.
        earlier = ReviewReminder.objects.filter(review=OuterRef("pk"), kind=kind.value).values("pk")[:1]
        reviews = reviews.annotate(earlier=Subquery(earlier)).filter(earlier__isnull=True)
        yield kind, reviews.order_by()


def claim_due_reminders(*, today: datetime.date) -> int:
    """Inserts a reminder row for every review whose reminder window is open today. Returns how many were new.

    One INSERT ... SELECT in PostgreSQL: the reviews are never loaded into Python (at national scale the
    first sweep inserts some 30,000 rows). ON CONFLICT DO NOTHING on the unique (review, kind) means two
    sweeps at once add nothing twice, and the row count it returns is the number of new reminders.
    """
    now = timezone.now()
    selects, params = [], []
    for kind, reviews in _due_by_kind(today):
        # The values the model would fill in itself (created_at, attempts, last_error) are written out here.
        rows = reviews.annotate(
            reminder_kind=Value(kind.value),
            reminder_created=Value(now, output_field=DateTimeField()),
            no_attempts=Value(0),
            no_error=Value(""),
        ).values_list("pk", "reminder_kind", "reminder_created", "no_attempts", "no_error")
        sql, rows_params = rows.query.sql_with_params()
        selects.append(sql)
        params += rows_params
    # Built from the model's table name and the ORM's own SQL; every value is a parameter.
    insert = (
        f"INSERT INTO {ReviewReminder._meta.db_table} (review_id, kind, created_at, attempts, last_error) "  # noqa: S608
        f"{' UNION ALL '.join(selects)} ON CONFLICT DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The probes above inflate the cost estimate past PostgreSQL's JIT thresholds, and compiling the
            # statement took longer than running it (1.6 s of 4.1 s at national scale).
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(insert, params)
        return cursor.rowcount


def queue_due() -> outbox.Queued:
    """Hands every reminder that is waiting and due to the worker (see phb.outbox.queue_due)."""
    from careplans import tasks

    return outbox.queue_due(ReviewReminder, tasks.send_review_reminders)


def sweep(*, today: datetime.date | None = None, queue: bool = True) -> SweepResult:
    """Safe to run at any time, any number of times, from any number of processes."""
    return outbox.swept(claim_due_reminders(today=today or timezone.localdate()), queue_due, queue=queue)


def with_details():
    """Reminders with what building their message, or listing them, needs."""
    return ReviewReminder.objects.select_related(
        "review__plan__person__care_team",
        "review__plan__person__lead_coordinator",
        "review__plan_version__care_coordinator",
    )


def coordinator(reminder: ReviewReminder) -> User | None:
    """Who is reminded of a review: the plan's care coordinator, or else the person's lead coordinator."""
    review = reminder.review
    return review.plan_version.care_coordinator or review.plan.person.lead_coordinator


# Who has no address, when a reminder has nobody to go to.
NO_ADDRESS = {ReminderKind.LEAD_OVERDUE: "any PHB team lead"}


def _message(reminder: ReviewReminder) -> tuple[list[str], str, str]:
    review = reminder.review
    person = review.plan.person
    due = long_date(review.due_on)
    kind = ReminderKind(reminder.kind)
    if kind == ReminderKind.LEAD_OVERDUE:
        leads = list(
            User.objects.filter(role=Role.LEAD, is_active=True).exclude(email="").values_list("email", flat=True)
        )
        return (
            leads,
            f"Review 14 days overdue: {person.full_name}",
            f"The review of {person.full_name}'s personal health budget was due by {due} and has not been "
            f"recorded. Care team: {person.care_team.name}.",
        )
    to = coordinator(reminder)
    when = {
        ReminderKind.COORDINATOR_28_DAYS: f"is due by {due}, in 4 weeks",
        ReminderKind.COORDINATOR_7_DAYS: f"is due by {due}, in a week",
        ReminderKind.COORDINATOR_DUE: f"is due today, {due}",
    }[kind]
    return (
        [to.email] if to and to.email else [],
        f"Review due: {person.full_name}",
        f"The review of {person.full_name}'s personal health budget {when}. Arrange it with them, and record "
        "it in the service.",
    )


def _to_person(reminder: ReviewReminder) -> EmailMessage | TextMessage | None:
    """The person's reminder the way they chose (people.contact)."""
    person = reminder.review.plan.person
    due = long_date(reminder.review.due_on)
    if reminder.kind == ReminderKind.PERSON_7_DAYS:
        due = f"{due}, in a week"
    return contact.message_to(
        person,
        subject="Your personal health budget review is coming up",
        body=f"Dear {person.full_name},\n\nYour personal health budget review is due by {due}. Your care "
        "coordinator will contact you to arrange it. Think about what is going well and what you would like to "
        "change.\n\nThe personal health budget team",
        text=f"Your personal health budget review is due by {due}. Your care coordinator will contact you to "
        "arrange it. From the personal health budget team",
    )


def reminder_message(reminder: ReviewReminder) -> EmailMessage | TextMessage | None:
    """The message for one reminder, or None if there is nothing to send any more."""
    if reminder.review.status != ReviewStatus.DUE:
        # Done or cancelled since the sweep: nothing to remind anyone about.
        return None
    kind = ReminderKind(reminder.kind)
    if kind in TO_PERSON:
        return _to_person(reminder)
    recipients, subject, body = _message(reminder)
    if recipients:
        return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    who = NO_ADDRESS.get(kind, "the care coordinator")
    raise outbox.NoRecipient(f"There is no email address for {who}. Add one, then choose Try again")


def reminder_send(reminder_id: int) -> bool:
    """Sends one reminder, once. False if it was already sent, is being sent, is not due, failed this
    time (the outbox keeps the error and tries again later), or is no longer needed."""
    return outbox.send(with_details(), reminder_id, build=reminder_message)


def reminders_send(reminder_ids: list[int], *, queued_at: str) -> int:
    """Sends a batch the sweep queued, each once (see phb.outbox.send_batch). Returns how many went."""
    return outbox.send_batch(with_details(), reminder_ids, queued_at=queued_at, build=reminder_message)
