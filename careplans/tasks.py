"""Celery tasks: thin adapters that take ids and call the services in careplans.approval."""

import datetime
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def send_decision_email(email_id: int) -> bool:
    from careplans.approval import decision_email_send

    return decision_email_send(email_id)


@shared_task(soft_time_limit=120, time_limit=180)
def send_waiting_emails() -> int:
    """Catches any e-mail whose task was lost (for example Redis was down when the decision was made)."""
    from careplans.approval import decision_email_send
    from careplans.models import DecisionEmail

    waiting = DecisionEmail.objects.filter(
        sent_at__isnull=True, created_at__lt=timezone.now() - datetime.timedelta(minutes=5)
    ).values_list("pk", flat=True)
    return sum(1 for pk in waiting if decision_email_send(pk))


@shared_task(soft_time_limit=120, time_limit=180)
def activate_due_plans() -> int:
    from careplans.approval import activate_due_plans as activate

    return activate()


@shared_task(soft_time_limit=120, time_limit=180)
def finish_ended_plans() -> int:
    from careplans.approval import finish_ended_plans as finish

    return finish()


@shared_task(soft_time_limit=600, time_limit=900)
def sweep_review_reminders() -> dict:
    from careplans.reminders import sweep

    result = sweep()
    return {"claimed": result.claimed, "queued": result.queued, "queue_failed": result.queue_failed}


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def send_review_reminder(reminder_id: int) -> bool:
    from careplans.reminders import reminder_send

    return reminder_send(reminder_id)
