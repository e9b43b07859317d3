"""Celery tasks: thin adapters that take ids and call the services.

The send tasks do not retry through Celery: the outbox (phb.outbox) keeps each failure on the row and
the sweeps queue the row again when its next attempt is due. A decision e-mail, or a message the lead
tries again, goes at once in a task of its own (`send_decision_email`, `send_review_reminder`,
`send_posted_letter`); the sweeps hand over what is waiting in batches (`send_decision_emails`,
`send_review_reminders`, `send_posted_letters`), one call to Redis for each phb.outbox.SEND_BATCH rows.
Every send task expires after SEND_TASK_EXPIRES, when the sweep may queue its rows again, so Redis never
holds two live tasks for one row.
"""

from celery import shared_task

from phb.outbox import BATCH_SECONDS, SEND_TASK_EXPIRES

SEND_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "expires": int(SEND_TASK_EXPIRES.total_seconds()),
    "soft_time_limit": 30,
    "time_limit": 60,
}
# A batch takes no new row after BATCH_SECONDS; the limits leave room for the row it is sending then.
BATCH_OPTIONS = {**SEND_OPTIONS, "soft_time_limit": BATCH_SECONDS + 30, "time_limit": BATCH_SECONDS + 60}


@shared_task(**SEND_OPTIONS)
def send_decision_email(email_id: int) -> bool:
    from careplans.emails import decision_email_send

    return decision_email_send(email_id)


@shared_task(**BATCH_OPTIONS)
def send_decision_emails(email_ids: list[int], queued_at: str) -> int:
    from careplans.emails import decision_emails_send

    return decision_emails_send(email_ids, queued_at=queued_at)


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
    return {
        "claimed": result.claimed,
        "queued": result.queued,
        "tasks": result.tasks,
        "queue_failed": result.queue_failed,
    }


@shared_task(**SEND_OPTIONS)
def send_review_reminder(reminder_id: int) -> bool:
    from careplans.reminders import reminder_send

    return reminder_send(reminder_id)


@shared_task(**BATCH_OPTIONS)
def send_review_reminders(reminder_ids: list[int], queued_at: str) -> int:
    from careplans.reminders import reminders_send

    return reminders_send(reminder_ids, queued_at=queued_at)


@shared_task(**SEND_OPTIONS)
def send_posted_letter(posting_id: int) -> bool:
    from careplans.emails import posted_letter_send

    return posted_letter_send(posting_id)


@shared_task(**BATCH_OPTIONS)
def send_posted_letters(posting_ids: list[int], queued_at: str) -> int:
    from careplans.emails import posted_letters_send

    return posted_letters_send(posting_ids, queued_at=queued_at)


@shared_task(soft_time_limit=120, time_limit=180)
def send_waiting_letters() -> int:
    """Every 15 minutes (Celery beat): queues any letter to post whose task was lost (for example Redis was down
    when the letter was made) or whose next attempt has come."""
    from careplans.emails import posted_letters_queue_due

    return posted_letters_queue_due().queued
