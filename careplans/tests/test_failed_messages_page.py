"""The lead's "Messages not sent" is paged across both kinds of message, newest first, with no message on
two pages and none left out."""

import datetime

import pytest
from django.utils import timezone

from careplans import emails
from careplans.models import DecisionEmail, ReviewReminder
from tests import page_data as data

pytestmark = pytest.mark.django_db


def test_the_pages_hold_every_failed_message_once_newest_first(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    data.failed_messages(data.World(team=north, coordinator=alice, approver=priya, lead=leo), 30)
    # Interleave the two kinds in time, so a page has to merge them.
    start = timezone.now() - datetime.timedelta(days=1)
    rows = [
        *DecisionEmail.objects.filter(failed_at__isnull=False),
        *ReviewReminder.objects.filter(failed_at__isnull=False),
    ]
    for n, row in enumerate(sorted(rows, key=lambda row: (row.pk % 7, type(row).__name__))):
        type(row).objects.filter(pk=row.pk).update(failed_at=start + datetime.timedelta(minutes=n))

    first, second = emails.failed_messages(1, size=20), emails.failed_messages(2, size=20)
    shown = [*first, *second]
    assert (len(first), len(second), first.has_next, second.has_next) == (20, 10, True, False)
    assert first.count == 30 and not first.count_capped
    assert len({(message.kind, message.pk) for message in shown}) == 30
    times = [message.row.failed_at for message in shown]
    assert times == sorted(times, reverse=True)
    assert {message.kind for message in first} == {"decision", "reminder"}
