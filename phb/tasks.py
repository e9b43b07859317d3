"""Celery tasks of the shared core: thin adapters that call the function doing the work."""

from celery import shared_task


@shared_task(soft_time_limit=120, time_limit=180)
def purge_sent_forms() -> int:
    """Hourly (Celery beat): removes form tokens past ONCE_KEEP_DAYS (phb.once.purge_sent_forms)."""
    from phb.once import purge_sent_forms as purge

    return purge()
