"""Celery tasks of the money in use: thin adapters that call the services."""

from celery import shared_task

from careplans.tasks import BATCH_OPTIONS, SEND_OPTIONS


@shared_task(soft_time_limit=600, time_limit=900)
def extend_schedules() -> dict:
    """Daily (Celery beat): the next plan year's lines for every plan in force whose schedule ends within
    RUN_AHEAD_DAYS (payments.services.extend_schedules). Safe to run as often as you like: a plan whose schedule
    reaches far enough is left alone."""
    from payments.services import extend_schedules as extend

    result = extend()
    return {"plans": result.plans, "lines": result.lines}


@shared_task(soft_time_limit=1800, time_limit=2100)
def refresh_flags() -> dict:
    """Daily (Celery beat): the money flags of every plan whose money is in use worked out again for today
    (payments.flagging.refresh_all), since a statement becomes overdue and the projection moves with the date
    alone. Safe to run as often as you like: it writes only what changed."""
    from payments.flagging import refresh_all

    result = refresh_all()
    return {"plans": result.plans, "raised": result.raised, "cleared": result.cleared}


# Statement reminders (payments.reminders): the same outbox, and the same task options, as review reminders.


@shared_task(soft_time_limit=600, time_limit=900)
def sweep_statement_reminders() -> dict:
    """Every 15 minutes (Celery beat): claims the statement reminders due today and queues them for sending.
    Safe to run as often as you like: each reminder is claimed and sent once."""
    from payments.reminders import sweep

    result = sweep()
    return {
        "claimed": result.claimed,
        "queued": result.queued,
        "tasks": result.tasks,
        "queue_failed": result.queue_failed,
    }


@shared_task(**SEND_OPTIONS)
def send_statement_reminder(reminder_id: int) -> bool:
    from payments.reminders import reminder_send

    return reminder_send(reminder_id)


@shared_task(**BATCH_OPTIONS)
def send_statement_reminders(reminder_ids: list[int], queued_at: str) -> int:
    from payments.reminders import reminders_send

    return reminders_send(reminder_ids, queued_at=queued_at)
