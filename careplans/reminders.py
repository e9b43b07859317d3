"""Review reminders: a sweep that claims what is due, and a sender that sends each reminder once.

The state lives in PostgreSQL, never in Redis:
- the sweep inserts one ReviewReminder row per (review, kind) whose window is open today; the
  unique constraint means running it twice, or from two processes at once, adds nothing twice;
- after the insert commits it queues a send task for every reminder not yet sent (so a reminder
  whose task was lost, for example because Redis was down, is queued again by the next sweep);
- the sender claims the row with a conditional UPDATE before sending and marks it sent after, so
  two tasks for one reminder send one e-mail. A claim older than CLAIM_EXPIRES is from a worker
  that died mid-send and may be taken again.
Run the sweep from Celery beat (exactly one beat) or by hand: `manage.py send_review_reminders`.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from careplans.models import PlanVersion, Review, ReviewReminder, ReviewStatus, Status
from careplans.schedule import WINDOWS, ReminderKind
from people.models import User
from phb.roles import Role

logger = logging.getLogger(__name__)

CLAIM_EXPIRES = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class SweepResult:
    claimed: int
    queued: int
    queue_failed: bool


def _live_reviews():
    in_force = PlanVersion.objects.filter(plan=OuterRef("plan"), status__in=[Status.APPROVED, Status.ACTIVE])
    return Review.objects.filter(status=ReviewStatus.DUE).filter(Exists(in_force))


def claim_due_reminders(*, today: datetime.date) -> int:
    """Inserts a reminder row for every review whose reminder window is open today. Returns how many were new."""
    rows = []
    for kind, (opens, closes) in WINDOWS.items():
        # The window is open when due + opens <= today < due + closes.
        reviews = _live_reviews().filter(due_on__lte=today - datetime.timedelta(days=opens))
        if closes is not None:
            reviews = reviews.filter(due_on__gt=today - datetime.timedelta(days=closes))
        if kind == ReminderKind.PERSON_28_DAYS:
            reviews = reviews.filter(plan__person__wants_review_reminders=True).exclude(plan__person__email="")
        reviews = reviews.exclude(Exists(ReviewReminder.objects.filter(review=OuterRef("pk"), kind=kind.value)))
        rows += [ReviewReminder(review_id=pk, kind=kind.value) for pk in reviews.values_list("pk", flat=True)]
    before = ReviewReminder.objects.count() if rows else 0
    with transaction.atomic():
        ReviewReminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
    return ReviewReminder.objects.count() - before if rows else 0


def queue_unsent() -> tuple[int, bool]:
    """Hands every unsent reminder to the worker. Returns (queued, whether the broker refused)."""
    from careplans import tasks

    queued = 0
    for pk in ReviewReminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True).iterator():
        try:
            tasks.send_review_reminder.delay(pk)
        except Exception:  # any broker error; the row waits for the next sweep
            logger.warning("Could not queue review reminders; the next sweep will try again", exc_info=True)
            return queued, True
        queued += 1
    return queued, False


def sweep(*, today: datetime.date | None = None, queue: bool = True) -> SweepResult:
    """Safe to run at any time, any number of times, from any number of processes."""
    today = today or timezone.localdate()
    claimed = claim_due_reminders(today=today)
    queued, failed = queue_unsent() if queue else (0, False)
    return SweepResult(claimed=claimed, queued=queued, queue_failed=failed)


def _message(reminder: ReviewReminder) -> tuple[list[str], str, str]:
    review = reminder.review
    person = review.plan.person
    due = f"{review.due_on:%-d %B %Y}"
    kind = ReminderKind(reminder.kind)
    if kind == ReminderKind.PERSON_28_DAYS:
        return (
            [person.email],
            "Your personal health budget review is coming up",
            f"Dear {person.full_name},\n\nYour personal health budget review is due by {due}. Your care "
            "coordinator will contact you to arrange it. Think about what is going well and what you would "
            "like to change.\n\nThe personal health budget team",
        )
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
    coordinator = review.plan_version.care_coordinator or person.lead_coordinator
    when = {
        ReminderKind.COORDINATOR_28_DAYS: f"is due by {due}, in 4 weeks",
        ReminderKind.COORDINATOR_7_DAYS: f"is due by {due}, in a week",
        ReminderKind.COORDINATOR_DUE: f"is due today, {due}",
    }[kind]
    return (
        [coordinator.email] if coordinator and coordinator.email else [],
        f"Review due: {person.full_name}",
        f"The review of {person.full_name}'s personal health budget {when}. Arrange it with them, and record "
        "it in the service.",
    )


def reminder_send(reminder_id: int) -> bool:
    """Sends one reminder, once. False if it was already sent, is being sent, or is no longer needed."""
    now = timezone.now()
    claimed = ReviewReminder.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_EXPIRES), pk=reminder_id, sent_at__isnull=True
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    reminder = ReviewReminder.objects.select_related(
        "review__plan__person__care_team",
        "review__plan__person__lead_coordinator",
        "review__plan_version__care_coordinator",
    ).get(pk=reminder_id)
    if reminder.review.status != ReviewStatus.DUE:
        # Done or cancelled since the sweep: nothing to remind anyone about.
        ReviewReminder.objects.filter(pk=reminder_id).update(sent_at=now)
        return False
    recipients, subject, body = _message(reminder)
    try:
        if recipients:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        ReviewReminder.objects.filter(pk=reminder_id).update(claimed_at=None)
        raise
    ReviewReminder.objects.filter(pk=reminder_id).update(sent_at=timezone.now())
    return bool(recipients)
