"""Retention: events older than AUDIT_RETENTION_YEARS may be removed, only by a PHB team lead, and the
removal is itself an audit event with the count and the cut-off."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from phb import audit
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def event_at(when, summary) -> AuditEvent:
    return AuditEvent.objects.create(at=when, action=AuditAction.VIEW, summary=summary)


@pytest.fixture
def events():
    now = timezone.now()
    return {
        "nine years old": event_at(now - datetime.timedelta(days=365 * 9), "Nine years old"),
        "just over eight": event_at(now.replace(year=now.year - 8) - datetime.timedelta(days=1), "Just over eight"),
        "just under eight": event_at(now.replace(year=now.year - 8) + datetime.timedelta(days=1), "Just under eight"),
        "this year": event_at(now - datetime.timedelta(days=30), "This year"),
    }


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_audit", *args, stdout=out)
    return out.getvalue()


def test_retention_is_eight_years_unless_the_icb_says_otherwise(settings):
    assert settings.AUDIT_RETENTION_YEARS == 8
    now = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    assert audit.retention_cut_off(now) == datetime.datetime(2018, 11, 30, 9, 0, tzinfo=datetime.UTC)
    settings.AUDIT_RETENTION_YEARS = 10
    leap_day = datetime.datetime(2028, 2, 29, tzinfo=datetime.UTC)
    assert audit.retention_cut_off(leap_day) == datetime.datetime(2018, 2, 28, tzinfo=datetime.UTC)


def test_a_lead_removes_only_the_events_older_than_the_retention_period(leo, events):
    said = purge("--as", "leo")
    left = set(AuditEvent.objects.exclude(action=AuditAction.PURGE).values_list("summary", flat=True))
    assert left == {"Just under eight", "This year"}
    purged = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert purged.actor == leo
    assert purged.changes["removed"] == 2
    assert purged.changes["retention_years"] == 8
    cut_off = datetime.datetime.fromisoformat(purged.changes["cut_off"])
    assert events["just over eight"].at < cut_off < events["just under eight"].at
    assert purged.summary.startswith("Removed 2 audit events from before ")
    assert said.strip() == purged.summary


def test_a_lead_is_found_by_email_address_too(leo, events):
    leo.email = "leo.lewis@example.nhs.uk"
    leo.save()
    purge("--as", "LEO.Lewis@example.nhs.uk")
    assert AuditEvent.objects.get(action=AuditAction.PURGE).actor == leo


def test_a_dry_run_says_how_many_and_removes_nothing(leo, events):
    said = purge("--as", "leo", "--dry-run")
    assert said.startswith("2 audit events are from before ")
    assert AuditEvent.objects.count() == 4


@pytest.mark.parametrize("persona", ["alice", "priya", "ada", "pat"])
def test_anyone_but_a_lead_is_refused_and_the_attempt_recorded(request, persona, events):
    user = request.getfixturevalue(persona)
    with pytest.raises(CommandError, match="Only a PHB team lead"):
        purge("--as", user.username)
    assert AuditEvent.objects.filter(summary__in=["Nine years old", "Just over eight"]).count() == 2
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert refused.actor == user
    assert not AuditEvent.objects.filter(action=AuditAction.PURGE).exists()


def test_a_lead_whose_account_is_stopped_is_refused(leo, events):
    leo.is_active = False
    leo.save()
    with pytest.raises(CommandError, match="Only a PHB team lead"):
        purge("--as", "leo")


def test_an_unknown_name_is_refused(events):
    with pytest.raises(CommandError, match="No one can be found"):
        purge("--as", "nobody")
    assert AuditEvent.objects.count() == 4
