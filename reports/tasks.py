"""Celery tasks: thin adapters that take plain values and call the reports' functions."""

from celery import shared_task
from django.conf import settings

# Seconds between beat's runs of keep_dashboard_warm (settings.CELERY_BEAT_SCHEDULE): a run older than that is not
# worth starting, the next is on its way.
KEEP_WARM_EVERY = settings.CELERY_BEAT_SCHEDULE["keep-dashboard-warm"]["schedule"]


@shared_task(soft_time_limit=120, time_limit=180)
def refresh_dashboard(**asked) -> None:
    """Works out a dashboard again while its pages show the last copy (reports.dashboard.kept_dashboard)."""
    from reports.dashboard import refresh_kept_dashboard

    refresh_kept_dashboard(**asked)


@shared_task(soft_time_limit=120, time_limit=180, expires=KEEP_WARM_EVERY)
def keep_dashboard_warm() -> bool:
    """The PHB team's dashboard over everyone, worked out and kept before anyone asks (Celery beat)."""
    from reports.dashboard import keep_warm

    return keep_warm()
