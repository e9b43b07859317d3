"""Celery tasks: thin adapters that take ids and call the services.

The send tasks do not retry through Celery: the outbox (phb.outbox) keeps each failure on the row and
the sweeps queue the row again when its next attempt is due. They expire before the next sweep, so a
task that waited in Redis too long is dropped instead of joining a second copy queued by the sweep.
"""

from celery import shared_task

from phb.outbox import SEND_TASK_EXPIRES

SEND_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "expires": int(SEND_TASK_EXPIRES.total_seconds()),
    "soft_time_limit": 30,
    "time_limit": 60,
}


@shared_task(**SEND_OPTIONS)
def send_decision_email(email_id: int) -> bool:
    from careplans.emails import decision_email_send

    return decision_email_send(email_id)


@shared_task(soft_time_limit=120, time_limit=180)
def send_waiting_emails() -> int:
    """The decision e-mails' sweep: queues any whose task was lost (for example Redis was down when the
    decision was made) or whose next attempt has come."""
    from careplans.emails import queue_due

    return queue_due().queued


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


@shared_task(**SEND_OPTIONS)
def send_review_reminder(reminder_id: int) -> bool:
    from careplans.reminders import reminder_send

    return reminder_send(reminder_id)
