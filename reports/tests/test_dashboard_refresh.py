"""A dashboard slow to work out is shown from its last copy while a real Celery worker works it out again
(phb.freshness.kept_or_refreshed, reports.tasks.refresh_dashboard); a quick one never is."""

import pytest
from django.urls import reverse

from conftest import wait_for
from phb import freshness
from phb.words import time_of_day
from reports.dashboard import kept_dashboard
from tests import page_data as data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def w(north, alice, priya, leo):
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def test_a_slow_dashboard_is_shown_from_its_last_copy_until_the_worker_has_worked_it_out_again(
    celery_worker_process, monkeypatch, client, w, priya
):
    _, log = celery_worker_process
    monkeypatch.setattr(freshness, "SLOW_MS", 0)  # every dashboard counts as slow to work out
    data.people(w, 2)
    first = kept_dashboard(user=priya)
    assert (first.people, first.newer_coming) == (2, False)

    data.people(w, 3)
    freshness.stale_now()  # as the change's commit does
    shown = kept_dashboard(user=priya)
    assert (shown.people, shown.newer_coming, shown.worked_out_at) == (2, True, first.worked_out_at)
    client.force_login(priya)
    words = " ".join(client.get(reverse("reports:dashboard")).content.decode().split())
    assert f"These figures were worked out at {time_of_day(first.worked_out_at)}." in words
    assert "Newer figures are being worked out now: refresh the page in a minute to see them." in words

    assert wait_for(lambda: kept_dashboard(user=priya).people == 5), log.read_text()
    latest = kept_dashboard(user=priya)
    assert latest.newer_coming is False and latest.worked_out_at > first.worked_out_at
    assert "Newer figures" not in client.get(reverse("reports:dashboard")).content.decode()
    # The page and the call asked while it was being worked out: it was worked out once.
    runs = [line for line in log.read_text().splitlines() if "refresh_dashboard[" in line and "succeeded" in line]
    assert len(runs) == 1


def test_a_quick_dashboard_is_worked_out_again_at_once_after_a_change(w, priya):
    data.people(w, 2)
    assert kept_dashboard(user=priya).people == 2
    data.people(w, 3)
    freshness.stale_now()
    shown = kept_dashboard(user=priya)
    assert (shown.people, shown.newer_coming) == (5, False)
