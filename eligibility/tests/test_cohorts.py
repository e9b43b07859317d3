"""Administrators add, rename and retire IPC cohorts; coordinators are offered only live ones."""

import datetime

import pytest
from django.urls import reverse

from eligibility.forms import ScreeningForm
from eligibility.models import IPCCohort
from eligibility.tests.factories import IPCCohortFactory
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_an_administrator_adds_renames_and_retires_a_cohort_and_each_is_audited(client, ada):
    client.force_login(ada)
    client.post(
        reverse("admin:eligibility_ipccohort_add"),
        {"code": "homeless", "name": "People who are homeless", "description": "", "position": "7"},
    )
    cohort = IPCCohort.objects.get(code="homeless")
    change = reverse("admin:eligibility_ipccohort_change", args=[cohort.pk])
    renamed = {"name": "People without a home", "description": "", "position": "7"}
    client.post(change, renamed)
    client.post(change, {**renamed, "retired_on": "2026-01-31"})
    cohort.refresh_from_db()
    assert (cohort.name, cohort.retired_on) == ("People without a home", datetime.date(2026, 1, 31))
    events = AuditEvent.objects.filter(object_type="eligibility.ipccohort", object_id=str(cohort.pk)).order_by("id")
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.UPDATE]
    assert events[1].changes["name"] == ["People who are homeless", "People without a home"]
    delete = reverse("admin:eligibility_ipccohort_delete", args=[cohort.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_coordinators_cannot_edit_cohorts(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:eligibility_ipccohort_add"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_form_offers_only_cohorts_not_yet_retired(jane):
    live = IPCCohortFactory(code="live", name="Live cohort")
    IPCCohortFactory(code="gone", name="Retired cohort", retired_on=datetime.date(2020, 1, 1))
    offered = list(ScreeningForm(person=jane).fields["cohorts"].queryset)
    assert live in offered
    assert not any(c.code == "gone" for c in offered)
