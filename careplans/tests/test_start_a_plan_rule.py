"""'Start a support plan' appears exactly when a plan may be started: never beside a plan still going."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets import services as budget_services
from careplans import services
from careplans.tests.factories import approved_plan, complete_plan
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db


def newer_budget(version, alice):
    """A budget worked out again for the person, needing no sign-off: usable, with no plan on it."""
    return budget_services.budget_version_create(
        assessment=version.budget_version.assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )


@pytest.mark.parametrize("stage", ["submitted", "active"])
def test_no_second_plan_is_offered_or_started_while_one_is_still_going(client, alice, priya, jane, stage):
    if stage == "active":
        version = approved_plan(person=jane, coordinator=alice, approver=priya)
    else:
        version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    budget = newer_budget(version, alice)
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "Start a support plan" not in page
    with pytest.raises(ServiceError, match="already has a support plan that is still going"):
        services.plan_start(person=jane, budget_version=budget, acting_user=alice)
    response = client.get(reverse("careplans:new", kwargs={"person_pk": jane.pk}))
    assert response["Location"] == reverse("people:detail", kwargs={"pk": jane.pk})


def test_the_button_shows_when_a_plan_may_be_started(client, alice, jane):
    from careplans.tests.factories import budgeted

    budgeted(person=jane, coordinator=alice)
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "Start a support plan" in page
