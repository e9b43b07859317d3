"""Celery tasks for notices to the person (people.notices): thin adapters that take ids and call the services.

As careplans.tasks: the send tasks do not retry through Celery (the outbox keeps each failure on the row and the
sweep queues the row again when its next attempt is due), and every send task expires after SEND_TASK_EXPIRES.
The options are written out here because people may not import careplans (it is above people).
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
def send_person_notice(notice_id: int) -> bool:
    from people.notices import notice_send

    return notice_send(notice_id)


@shared_task(**BATCH_OPTIONS)
def send_person_notices(notice_ids: list[int], queued_at: str) -> int:
    from people.notices import notices_send

    return notices_send(notice_ids, queued_at=queued_at)


@shared_task(soft_time_limit=120, time_limit=180)
def send_waiting_notices() -> int:
    """Every 15 minutes (Celery beat): queues any notice whose task was lost (for example Redis was down when it
    was written) or whose next attempt has come."""
    from people.notices import queue_due

    return queue_due().queued
