"""Celery tasks: thin adapters that take plain values and call the reports' functions."""

from celery import shared_task


@shared_task(soft_time_limit=120, time_limit=180)
def refresh_dashboard(**asked) -> None:
    """Works out a dashboard again while its pages show the last copy (reports.dashboard.kept_dashboard)."""
    from reports.dashboard import refresh_kept_dashboard

    refresh_kept_dashboard(**asked)
