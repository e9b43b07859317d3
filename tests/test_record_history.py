"""A person's record history says what changed in words: each field by its label, each choice by its label,
each record it points to by its name, dates as dates; opening the record is left out unless asked for."""

import datetime
import uuid

import pytest
from django.urls import reverse

from careplans import services as plan_services
from people import services as people_services
from phb import audit
from phb.models import AuditAction
from tests import page_data as data
from tests.test_no_raw_codes import raw_words, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def history(client, user, person, query=""):
    client.force_login(user)
    response = client.get(reverse("people:history", kwargs={"pk": person.pk}) + query)
    assert response.status_code == 200
    return response


def test_it_writes_each_change_by_its_label_and_the_choices_and_records_by_their_names(client, w, jane, bob):
    people_services.person_update(
        person=jane, expected_version=jane.version, acting_user=w.coordinator, lead_coordinator=bob
    )
    data.assessment_with_services(w, jane, 1)  # a service bought per unit ("nhs_spot")
    draft = data.draft_plan(w, jane)  # the agreement date and how the direct payment is paid
    plan_services.outcome_save(
        version=draft,
        expected_revision=draft.revision,
        acting_user=w.coordinator,
        domain="physical_health",
        goal="Walk to the shops",
        measure="I tell my coordinator",
        target_date=datetime.date(2026, 9, 1),
    )
    text = visible_text(history(client, w.coordinator, jane).content.decode())
    assert "Lead coordinator: was Alice Adams, now Bob Brown" in text
    assert "Who pays for it: NHS, bought per unit (spot purchase)" in text
    assert "Part of life: Physical health" in text
    assert "Target date: 1 September 2026" in text
    assert "Changed the plan: about me, date agreed, how they agreed" in text
    assert not raw_words(text)


def test_it_leaves_out_views_of_the_record_until_asked_for_them(client, w, jane):
    people_services.person_record_view(person=jane, acting_user=w.approver)
    people_services.person_update(
        person=jane,
        expected_version=jane.version,
        acting_user=w.coordinator,
        wants_review_reminders=not jane.wants_review_reminders,
    )
    changes_only = history(client, w.coordinator, jane).content.decode()
    assert 'data-action="update"' in changes_only and 'data-action="view"' not in changes_only
    assert "Show who opened the record too" in changes_only
    with_views = history(client, w.coordinator, jane, "?views=shown").content.decode()
    assert 'data-action="update"' in with_views and 'data-action="view"' in with_views
    assert "Priya Patel" in with_views and "PHB team member" in with_views
    assert "Show changes only" in with_views


def test_a_record_no_longer_there_is_named_so_and_never_by_its_id(client, w, jane):
    gone = str(uuid.uuid4())
    audit.record(
        actor=w.coordinator,
        action=AuditAction.UPDATE,
        obj=jane,
        person_id=jane.pk,
        summary="Changed lead coordinator",
        changes={"lead_coordinator": [str(w.coordinator.pk), gone]},
    )
    text = visible_text(history(client, w.coordinator, jane).content.decode())
    assert "Lead coordinator: was Alice Adams, now a record no longer here" in text
    assert gone not in text


def test_every_kind_of_record_a_page_names_costs_one_query_in_all(client, w, jane, bob):
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client.force_login(w.coordinator)
        with CaptureQueriesContext(connection) as captured:
            history(client, w.coordinator, jane)
        return len(captured)

    people_services.person_update(
        person=jane, expected_version=jane.version, acting_user=w.coordinator, lead_coordinator=bob
    )
    naming_people = queries()
    draft = data.draft_plan(w, jane)  # names an indicative budget and a care coordinator
    outcome = plan_services.outcome_save(
        version=draft,
        expected_revision=draft.revision,
        acting_user=w.coordinator,
        domain="social",
        goal="Back to the choir",
        measure="I tell my coordinator",
        target_date=None,
    )
    draft.refresh_from_db()
    plan_services.item_save(
        version=draft,
        expected_revision=draft.revision,
        outcomes=[outcome],
        acting_user=w.coordinator,
        description="Taxi to choir",
        unit_cost=Decimal("12.00"),
        quantity=Decimal("1"),
        frequency="week",
        money_option="notional",
        category="transport",
    )
    text = visible_text(history(client, w.coordinator, jane).content.decode())
    assert "Budget version: indicative budget 1" in text
    assert "Outcomes: Back to the choir" in text
    assert queries() == naming_people
