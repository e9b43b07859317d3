"""Celery tasks of the shared core: thin adapters that call the function doing the work."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=120, time_limit=180)
def purge_sent_forms() -> int:
    """Hourly (Celery beat): removes form tokens past ONCE_KEEP_DAYS (phb.once.purge_sent_forms)."""
    from phb.once import purge_sent_forms as purge

    return purge()


@shared_task(soft_time_limit=300, time_limit=360)
def poll_delivery_status() -> dict:
    """Every 15 minutes (Celery beat): records on the outbox rows whether the messages sent through GOV.UK Notify
    arrived (phb.delivery.poll). If Notify cannot be asked now, the next run asks again."""
    from dataclasses import asdict

    from phb import delivery, notify

    try:
        return asdict(delivery.poll())
    except notify.NotifyError:
        logger.warning("Could not ask GOV.UK Notify whether messages arrived; trying again next time", exc_info=True)
        return asdict(delivery.NOTHING)
