"""Celery tasks of the money in use: thin adapters that call the services."""

from celery import shared_task


@shared_task(soft_time_limit=600, time_limit=900)
def extend_schedules() -> dict:
    """Daily (Celery beat): the next plan year's lines for every plan in force whose schedule ends within
    RUN_AHEAD_DAYS (payments.services.extend_schedules). Safe to run as often as you like: a plan whose schedule
    reaches far enough is left alone."""
    from payments.services import extend_schedules as extend

    result = extend()
    return {"plans": result.plans, "lines": result.lines}
