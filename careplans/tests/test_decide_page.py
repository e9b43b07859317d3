"""The decide page opens exactly when a decision may start from the version's status (careplans.lifecycle):
a version replaced by a newer one, or already decided, sends the PHB team to the plan instead."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from careplans import lifecycle, services
from careplans.models import PlanVersion, Status
from careplans.tests.factories import approved_change, approved_plan, complete_plan
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def superseded(jane, alice, priya):
    """Version 1, replaced by version 2 (approved to start today, so active at once)."""
    first = approved_plan(person=jane, coordinator=alice, approver=priya)
    second = approved_change(plan=first.plan, coordinator=alice, approver=priya, start=datetime.date.today())
    assert second.status == Status.ACTIVE
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    return first


def test_it_sends_the_phb_team_from_a_superseded_version_to_the_plan(client, superseded, leo):
    client.force_login(leo)
    response = client.get(reverse("careplans:decide", kwargs={"pk": superseded.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("careplans:version", kwargs={"pk": superseded.pk})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == "This plan is replaced by a newer version, so there is nothing to decide."
    # The page did not open, so it was not a view of the plan to decide on it.
    assert not AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_id=str(superseded.pk), summary__contains="decide"
    ).exists()


def test_it_refuses_a_decision_posted_on_a_superseded_version_all_the_same(client, superseded, leo):
    client.force_login(leo)
    url = reverse("careplans:decide", kwargs={"pk": superseded.pk})
    client.post(url, {"decision": "decline", "decline_reason": "Too late"})
    assert PlanVersion.objects.get(pk=superseded.pk).status == Status.SUPERSEDED


@pytest.mark.parametrize("status", sorted(set(Status) - {Status.SUBMITTED}))
def test_the_page_opens_only_for_a_status_a_decision_may_start_from(status):
    """One rule: the page's test is the lifecycle's FROM_STATUSES for the decisions, whatever the status."""
    version = PlanVersion(status=status)
    assert lifecycle.awaits_decision(version) is False
    assert lifecycle.awaits_decision(PlanVersion(status=Status.SUBMITTED)) is True


def test_it_still_opens_for_a_version_waiting_for_a_decision(client, jane, alice, priya):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    client.force_login(priya)
    response = client.get(reverse("careplans:decide", kwargs={"pk": submitted.pk}))
    assert response.status_code == 200
    assert "Record decision" in response.content.decode()


def test_it_sends_an_approver_to_the_plan_once_it_is_decided(client, jane, alice, priya, leo):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    client.force_login(priya)
    url = reverse("careplans:decide", kwargs={"pk": submitted.pk})
    response = client.post(
        url, {"decision": "approve", "financially_appropriate": "on", "clinically_appropriate": "on"}
    )
    assert response.status_code == 302
    client.force_login(leo)
    response = client.get(url)
    assert response["Location"] == reverse("careplans:version", kwargs={"pk": submitted.pk})
