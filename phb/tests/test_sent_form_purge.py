"""Old form tokens (phb.once's SentForm rows) are removed for everyone, not only as each user sends more
forms: by the hourly beat task on a real worker, or by hand with `manage.py purge_sent_forms`."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from conftest import wait_for
from phb import once, tasks
from phb.celery import app
from phb.models import SentForm


def sent(user, *, ago: datetime.timedelta) -> SentForm:
    return SentForm.objects.create(user=user, token=once.new_token(), sent_at=timezone.now() - ago)


def left() -> set[int]:
    return set(SentForm.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_tokens_older_than_the_setting_are_removed_for_every_user_and_newer_ones_kept(alice, bob):
    minute = datetime.timedelta(minutes=1)
    stale = [sent(alice, ago=once.KEPT_FOR + minute), sent(bob, ago=once.KEPT_FOR * 3)]
    fresh = [sent(alice, ago=once.KEPT_FOR - minute), sent(bob, ago=minute)]
    assert once.purge_sent_forms() == 2
    assert left() == {row.pk for row in fresh}
    assert once.purge_sent_forms() == 0  # safe to run again
    assert left() == {row.pk for row in fresh}
    assert not {row.pk for row in stale} & left()


@pytest.mark.django_db
def test_the_time_kept_is_the_setting():
    assert datetime.timedelta(days=settings.ONCE_KEEP_DAYS) == once.KEPT_FOR


@pytest.mark.django_db
def test_the_command_removes_them_too(alice):
    sent(alice, ago=once.KEPT_FOR * 2)
    keep = sent(alice, ago=datetime.timedelta(seconds=5))
    out = StringIO()
    call_command("purge_sent_forms", stdout=out)
    assert out.getvalue().strip() == "1 form token removed."
    assert left() == {keep.pk}


def test_beat_runs_the_purge_every_hour_and_every_beat_task_exists():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    [entry] = [entry for entry in schedule.values() if entry["task"] == "phb.tasks.purge_sent_forms"]
    assert entry["schedule"] == 60 * 60
    assert all(entry["task"] in app.tasks for entry in schedule.values())


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_purges_old_tokens(celery_worker_process, alice):
    _, log = celery_worker_process
    old = sent(alice, ago=once.KEPT_FOR + datetime.timedelta(hours=1))
    new = sent(alice, ago=datetime.timedelta(minutes=5))
    result = tasks.purge_sent_forms.delay()
    assert wait_for(lambda: f"[{result.id}] succeeded" in log.read_text()), log.read_text()
    assert left() == {new.pk}
    assert old.pk not in left()
