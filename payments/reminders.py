"""Statement reminders: when a direct-payment holder's statement is overdue, the person is reminded and then
their care coordinator, once each, through the outbox (phb.outbox), as review reminders are (careplans.reminders).

The overdue rule is payments.balance.statement_overdue; nothing here works out anyone's money. The sweep reads
the statement-overdue flags payments.flagging keeps (models.MoneyFlag: `period_end` names the period whose
statement is missing, `raised_on` the day the flag was first raised) and inserts one StatementReminder row per
(plan, period, kind) that is due, in one INSERT ... SELECT; the unique constraint means running it twice, or from
two processes at once, adds nothing twice. Then it queues the rows waiting and due (phb.outbox.queue_due).

Decided here:
- The person is reminded from the day the flag is raised, if they chose to be sent reminders
  (Person.wants_review_reminders, the only consent to e-mails the service records) and have an e-mail address.
- The care coordinator (the plan's, else the person's lead coordinator) is reminded COORDINATOR_AFTER_DAYS days
  after the flag was raised, if it is still raised for that period. When the flag moves on to a later period
  (that statement is missing too) without clearing, it keeps the day it was first raised; so the coordinator's
  wait is counted from the later of that day and the day the period's statement became overdue.
- A reminder whose statement has arrived before it is sent (the flag for that plan and period is gone: cleared,
  or moved on to a later period) sends nothing.
Run the sweep from Celery beat (exactly one beat) or by hand: `manage.py send_statement_reminders`.
"""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import DateTimeField, OuterRef, Prefetch, Subquery, Value
from django.utils import timezone

from careplans.models import PlanVersion, in_force_among
from payments.balance import STATEMENT_DAYS, FlagCode
from payments.models import MoneyFlag, StatementReminder, StatementReminderKind
from people import contact
from people.models import User
from phb import outbox
from phb.notify import TextMessage
from phb.words import long_date

# The coordinator is reminded this many days after the flag was raised, if the statement is still overdue.
COORDINATOR_AFTER_DAYS = 14


SweepResult = outbox.SweepResult


def _overdue_flags():
    return MoneyFlag.objects.filter(code=FlagCode.STATEMENT_OVERDUE, period_end__isnull=False)


def _due_by_kind(today: datetime.date):
    """For each kind of reminder, the statement-overdue flags it is due for today and that have none yet."""
    for kind in StatementReminderKind:
        flags = _overdue_flags().filter(raised_on__lte=today)
        if kind == StatementReminderKind.PERSON:
            flags = flags.filter(contact.reachable("person__"))
        else:
            wait = datetime.timedelta(days=COORDINATOR_AFTER_DAYS)
            # Overdue from period_end + STATEMENT_DAYS + 1 (payments.balance.StatementDue.overdue_since).
            overdue_since = datetime.timedelta(days=STATEMENT_DAYS + 1)
            flags = flags.filter(raised_on__lte=today - wait, period_end__lte=today - wait - overdue_since)
        # A scalar subquery, not ~Exists(...): see careplans.reminders._due_by_kind.
        earlier = StatementReminder.objects.filter(
            plan=OuterRef("plan"), period_end=OuterRef("period_end"), kind=kind.value
        ).values("pk")[:1]
        flags = flags.annotate(earlier=Subquery(earlier)).filter(earlier__isnull=True)
        yield kind, flags.order_by()


def claim_due_reminders(*, today: datetime.date) -> int:
    """Inserts a reminder row for every statement overdue whose reminder is due today. Returns how many were new.

    One INSERT ... SELECT: ON CONFLICT DO NOTHING on the unique (plan, period_end, kind) means two sweeps at once
    add nothing twice, and the row count it returns is the number of new reminders.
    """
    now = timezone.now()
    selects, params = [], []
    for kind, flags in _due_by_kind(today):
        # The values the model would fill in itself (created_at, attempts, last_error) are written out here.
        rows = flags.annotate(
            reminder_kind=Value(kind.value),
            reminder_created=Value(now, output_field=DateTimeField()),
            no_attempts=Value(0),
            no_error=Value(""),
        ).values_list("plan_id", "period_end", "reminder_kind", "reminder_created", "no_attempts", "no_error")
        sql, rows_params = rows.query.sql_with_params()
        selects.append(sql)
        params += rows_params
    # Built from the model's table name and the ORM's own SQL; every value is a parameter.
    insert = (
        f"INSERT INTO {StatementReminder._meta.db_table} "  # noqa: S608
        "(plan_id, period_end, kind, created_at, attempts, last_error) "
        f"{' UNION ALL '.join(selects)} ON CONFLICT DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, params)
        return cursor.rowcount


def queue_due() -> outbox.Queued:
    """Hands every reminder that is waiting and due to the worker (see phb.outbox.queue_due)."""
    from payments import tasks

    return outbox.queue_due(StatementReminder, tasks.send_statement_reminders)


def sweep(*, today: datetime.date | None = None, queue: bool = True) -> SweepResult:
    """Safe to run at any time, any number of times, from any number of processes."""
    return outbox.swept(claim_due_reminders(today=today or timezone.localdate()), queue_due, queue=queue)


def with_details():
    """Reminders with what building their message, or listing them, needs."""
    return StatementReminder.objects.select_related("plan__person__care_team", "plan__person__lead_coordinator")


def listed():
    """Reminders with what the lead's page of messages not sent needs: the plan's versions too, so who is reminded
    is known without a query a row (coordinator)."""
    return with_details().prefetch_related(
        Prefetch("plan__versions", queryset=PlanVersion.objects.select_related("care_coordinator"))
    )


def coordinator(reminder: StatementReminder, *, on: datetime.date | None = None) -> User | None:
    """Who is reminded of a statement overdue: the care coordinator of the plan's version in force, or else the
    person's lead coordinator."""
    on = on or timezone.localdate()
    if "versions" in getattr(reminder.plan, "_prefetched_objects_cache", {}):
        version = in_force_among(reminder.plan.versions.all(), on=on)  # listed(): read with the reminders
    else:
        version = PlanVersion.objects.in_force_for(reminder.plan, on=on)
    if version is not None and version.care_coordinator_id is not None:
        return version.care_coordinator
    return reminder.plan.person.lead_coordinator


def describe(reminder: StatementReminder) -> tuple[str, str, object]:
    """A reminder as the PHB team lead's page of messages not sent shows it (careplans.emails.OutboxKind): what it
    was and who it was for, the address it goes to, and the person it is about."""
    person = reminder.plan.person
    kind = StatementReminderKind(reminder.kind)
    if kind == StatementReminderKind.PERSON:
        to = person.email or "No e-mail address"
    else:
        who = coordinator(reminder)
        to = who.email if who and who.email else "No e-mail address"
    what = f"Statement reminder, for the period ending {long_date(reminder.period_end)}. {kind.label}"
    return what, to, person


def still_overdue(reminder: StatementReminder) -> bool:
    """The flag the reminder was claimed from is still raised for its period: the statement has not arrived."""
    return _overdue_flags().filter(plan=reminder.plan_id, period_end=reminder.period_end).exists()


def _message(reminder: StatementReminder) -> tuple[list[str], str, str]:
    person = reminder.plan.person
    period_end = long_date(reminder.period_end)
    due_by = long_date(reminder.period_end + datetime.timedelta(days=STATEMENT_DAYS))
    to = coordinator(reminder)
    return (
        [to.email] if to and to.email else [],
        f"Statement overdue: {person.full_name}",
        f"The statement for {person.full_name}'s personal health budget account for the period that ended on "
        f"{period_end} was due by {due_by} and has not arrived. Contact them to help them send it, and add it "
        f"in the service when it comes. Care team: {person.care_team.name}.",
    )


def reminder_message(reminder: StatementReminder) -> EmailMessage | None:
    """The e-mail for one reminder, or None if there is nothing to send any more (the statement has arrived, or
    the person said no to reminders since the sweep). Raises outbox.NoRecipient when there is nobody to send to."""
    if not still_overdue(reminder):
        return None
    if reminder.kind == StatementReminderKind.PERSON:
        return _to_person(reminder)
    recipients, subject, body = _message(reminder)
    if recipients:
        return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    raise outbox.NoRecipient("There is no email address for the care coordinator. Add one, then choose Try again")


def _to_person(reminder: StatementReminder) -> EmailMessage | TextMessage | None:
    """The person's reminder the way they chose (people.contact)."""
    person = reminder.plan.person
    period_end = long_date(reminder.period_end)
    due_by = long_date(reminder.period_end + datetime.timedelta(days=STATEMENT_DAYS))
    return contact.message_to(
        person,
        subject="Your personal health budget statement is due",
        body=f"Dear {person.full_name},\n\nWe have not had the statement for your personal health budget account "
        f"for the period that ended on {period_end}. It was due by {due_by}.\n\nYou can send it online: sign "
        'in, go to "Your money" and choose "Send a bank or card statement". Or give it to your care '
        "coordinator.\n\nIf you have sent it in the last few days, you do not need to do anything.\n\n"
        "The personal health budget team",
        text=f"We have not had your personal health budget statement for the period that ended on {period_end}. "
        f'It was due by {due_by}. Sign in and go to "Your money" to send it, or give it to your care coordinator. '
        "From the personal health budget team",
    )


def reminder_send(reminder_id: int) -> bool:
    """Sends one reminder, once. False if it was already sent, is being sent, is not due, failed this time (the
    outbox keeps the error and tries again later), or is no longer needed."""
    return outbox.send(with_details(), reminder_id, build=reminder_message)


def reminders_send(reminder_ids: list[int], *, queued_at: str) -> int:
    """Sends a batch the sweep queued, each once (see phb.outbox.send_batch). Returns how many went."""
    return outbox.send_batch(with_details(), reminder_ids, queued_at=queued_at, build=reminder_message)
