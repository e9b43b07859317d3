"""A plan's status tag has one colour for each status, the same on staff pages and in the portal."""

import re

import pytest
from django.urls import reverse

from careplans.models import STATUS_TAG_COLOURS, Status
from careplans.tests.factories import approved_plan

pytestmark = pytest.mark.django_db

STATUS_TAG = re.compile(r'<strong class="nhsuk-tag nhsuk-tag--(\w+)" data-testid="status">([^<]*)</strong>')


def test_every_status_has_a_colour_from_the_nhs_tag_guidance():
    assert set(STATUS_TAG_COLOURS) == set(Status)
    assert set(STATUS_TAG_COLOURS.values()) <= {"grey", "blue", "green", "orange", "red"}


@pytest.mark.parametrize("status", [Status.DECLINED, Status.RETURNED, Status.ENDED, Status.WITHDRAWN])
def test_a_plan_that_did_not_go_ahead_is_never_green_like_success(status):
    assert STATUS_TAG_COLOURS[status] != "green"


def test_an_active_plan_is_the_same_green_for_staff_and_in_the_portal(client, alice, priya, jane, pat):
    active = approved_plan(person=jane, coordinator=alice, approver=priya)
    assert active.status == Status.ACTIVE

    client.force_login(alice)
    staff = STATUS_TAG.findall(client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode())
    client.force_login(pat)
    portal = STATUS_TAG.findall(client.get(reverse("portal:plan", kwargs={"pk": jane.pk})).content.decode())

    assert staff == portal == [("green", f"Version {active.number}: Active")]
