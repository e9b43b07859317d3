"""The caseload's banner of reviews overdue and due soon (careplans.reviews.review_counts): counted up to 99,
kept until anyone changes anything (phb.freshness), and showing a change at once."""

import types

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans.tests.factories import approved_plan
from casework.tests.test_stages import complete_scheduled_review

pytestmark = pytest.mark.django_db

URL = reverse("casework:caseload")


def banner_queries(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get(URL).content.decode()
    return html, len([q for q in captured.captured_queries if 'AS "overdue"' in q["sql"]])


def test_the_banner_is_counted_once_then_kept_until_a_change_shows_at_once(
    client, jane, alice, priya, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        active = approved_plan(person=jane, coordinator=alice, approver=priya)  # started 1 April: review overdue
    client.force_login(alice)
    html, counted = banner_queries(client)
    assert "1 review overdue" in html and counted == 1
    html, counted = banner_queries(client)
    assert "1 review overdue" in html and counted == 0  # kept
    with django_capture_on_commit_callbacks(execute=True):
        complete_scheduled_review(types.SimpleNamespace(coordinator=alice), active)
    html, counted = banner_queries(client)
    assert "review overdue" not in html and counted == 1
