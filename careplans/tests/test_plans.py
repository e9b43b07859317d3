"""Support plans: totals, completeness, submission, immutable agreed versions, new versions, comparison."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from careplans import services
from careplans.models import Outcome, PlanEvent, PlanVersion, Status
from careplans.tests.factories import add_item, add_outcome, budgeted, complete_plan, details
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(jane, alice):
    return complete_plan(person=jane, coordinator=alice)


def approve(version):
    # The approval service arrives with the Approval issue; the database allows status changes.
    PlanVersion.objects.filter(pk=version.pk).update(status=Status.APPROVED)
    version.refresh_from_db()
    return version


def test_a_plan_needs_an_eligible_person_and_an_agreed_budget(alice, jane, north):
    from budgets.models import BudgetVersion

    with pytest.raises(ServiceError, match="not eligible"):
        services.plan_start(person=jane, budget_version=BudgetVersion(person=jane), acting_user=alice)
    budget = budgeted(person=jane, coordinator=alice)
    BudgetVersion.objects.filter(pk=budget.pk)  # signed off not needed
    version = services.plan_start(person=jane, budget_version=budget, acting_user=alice)
    assert (version.number, version.status, version.care_coordinator) == (1, Status.DRAFT, alice)
    assert PlanEvent.objects.filter(plan_version=version, to_status=Status.DRAFT).count() == 1


def test_it_totals_and_finds_nothing_missing_in_a_complete_plan(client, alice, draft):
    client.force_login(alice)
    response = client.get(reverse("careplans:version", kwargs={"pk": draft.pk}))
    totals = response.context["totals"]
    # £6,257.14 personal assistant + £1,251.43 taxis + £85.00 shower seat
    assert totals.annual == Decimal("7593.57")
    assert totals.budget_annual == Decimal("10428.57")
    assert totals.under_budget
    assert response.context["missing"] == []
    assert "Under budget by" in response.content.decode()


def test_submission_is_refused_until_nothing_is_missing(alice, jane):
    version = services.plan_start(
        person=jane, budget_version=budgeted(person=jane, coordinator=alice), acting_user=alice
    )
    with pytest.raises(ServiceError, match="Add at least one outcome"):
        services.plan_submit(version=version, acting_user=alice)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.DRAFT


def test_it_submits_a_complete_plan_and_writes_the_event(alice, draft):
    submitted = services.plan_submit(version=draft, acting_user=alice)
    assert (submitted.status, submitted.submitted_by) == (Status.SUBMITTED, alice)
    event = PlanEvent.objects.get(plan_version=draft, to_status=Status.SUBMITTED)
    assert (event.from_status, event.actor) == (Status.DRAFT, alice)
    assert AuditEvent.objects.filter(action=AuditAction.SUBMIT, summary__startswith="Submitted version 1").exists()


def test_an_over_budget_plan_needs_a_written_justification(alice, draft):
    add_item(draft, alice, [draft.outcomes.first()], description="Night sitter", unit_cost="200.00", quantity="1")
    draft.refresh_from_db()
    with pytest.raises(ServiceError, match="Explain why the plan costs more"):
        services.plan_submit(version=draft, acting_user=alice)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        **details(over_budget_justification="Night sitting keeps Jane out of hospital"),
    )
    assert services.plan_submit(version=draft, acting_user=alice).status == Status.SUBMITTED


def test_a_submitted_version_cannot_be_changed_by_the_services(alice, draft):
    services.plan_submit(version=draft, acting_user=alice)
    draft.refresh_from_db()
    with pytest.raises(ServiceError, match="cannot be changed"):
        services.plan_update(version=draft, expected_revision=draft.revision, acting_user=alice, **details(risks="x"))
    with pytest.raises(ServiceError, match="cannot be changed"):
        add_outcome(draft, alice, goal="Another")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE careplans_planversion SET risks = 'tampered' WHERE id = %s",
        "DELETE FROM careplans_planversion WHERE id = %s",
        "UPDATE careplans_outcome SET goal = 'tampered' WHERE plan_version_id = %s",
        "DELETE FROM careplans_supportitem WHERE plan_version_id = %s",
        "DELETE FROM careplans_supportitem_outcomes WHERE supportitem_id IN "
        "(SELECT id FROM careplans_supportitem WHERE plan_version_id = %s)",
    ],
)
def test_the_database_refuses_changes_to_an_approved_version(draft, sql):
    approve(draft)
    with pytest.raises(DatabaseError, match="cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [draft.pk])
    assert PlanVersion.objects.get(pk=draft.pk).risks == details()["risks"]


def test_the_database_still_lets_an_approved_version_move_on_in_its_lifecycle(draft):
    approve(draft)
    PlanVersion.objects.filter(pk=draft.pk).update(status=Status.ACTIVE)
    assert PlanVersion.objects.get(pk=draft.pk).status == Status.ACTIVE


def test_changing_an_approved_plan_starts_a_new_draft_that_compares_with_the_old(client, alice, draft):
    approve(draft)
    new = services.plan_amend(plan=draft.plan, acting_user=alice)
    assert (new.number, new.status) == (2, Status.DRAFT)
    assert new.agreed_on is None
    assert {o.key for o in new.outcomes.all()} == {o.key for o in draft.outcomes.all()}
    assert new.items.count() == 3
    assert all(item.outcomes.exists() for item in new.items.all())
    with pytest.raises(ServiceError, match="already has a new version being written"):
        services.plan_amend(plan=draft.plan, acting_user=alice)

    taxi = new.items.get(description="Taxi to choir")
    services.row_remove(row=taxi, expected_revision=new.revision, acting_user=alice)
    client.force_login(alice)
    url = reverse("careplans:compare", kwargs={"pk": draft.plan_id})
    response = client.get(url, {"from": draft.pk, "to": new.pk})
    comparison = response.context["comparison"]
    assert [(c.kind, c.label) for c in comparison.changes] == [("removed", "Taxi to choir")]
    assert comparison.total_difference == Decimal("-1251.43")
    # The approved version is exactly as it was.
    assert draft.items.count() == 3


def test_a_stale_save_is_refused_and_names_who_saved(alice, bob, draft):
    opened_at = draft.revision
    services.plan_update(version=draft, expected_revision=opened_at, acting_user=bob, **details(risks="Bob's risks"))
    with pytest.raises(StaleRecordError, match="This plan was changed by Bob Brown"):
        services.plan_update(version=draft, expected_revision=opened_at, acting_user=alice, **details(risks="Mine"))
    assert PlanVersion.objects.get(pk=draft.pk).risks == "Bob's risks"


def plan_form(version, **overrides):
    data = {
        "revision": str(version.revision),
        "start_date_day": "1",
        "start_date_month": "4",
        "start_date_year": "2026",
        "first_review_date_day": "15",
        "first_review_date_month": "6",
        "first_review_date_year": "2026",
        "agreed_on_day": "20",
        "agreed_on_month": "3",
        "agreed_on_year": "2026",
        "care_coordinator": str(version.care_coordinator_id),
    }
    for name, value in details().items():
        if not isinstance(value, datetime.date):
            data.setdefault(name, "" if value is None else str(value))
    data.update(overrides)
    return data


@pytest.mark.django_db(transaction=True)
def test_two_people_saving_the_same_draft_at_once_one_wins_and_nothing_is_lost(
    client, alice, bob, jane, django_db_blocker
):
    from django.test import Client

    draft = complete_plan(person=jane, coordinator=alice)
    url = reverse("careplans:edit", kwargs={"pk": draft.pk})
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    # Both open the same draft, then both save.
    assert first.get(url).status_code == second.get(url).status_code == 200
    results = {}
    barrier = threading.Barrier(2)

    def save(name, browser, risks):
        barrier.wait()
        results[name] = browser.post(url, plan_form(draft, risks=risks))
        connection.close()

    threads = [
        threading.Thread(target=save, args=("alice", first, "Alice's risk plan")),
        threading.Thread(target=save, args=("bob", second, "Bob's risk plan")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, response in results.items() if response.status_code == 302]
    [loser] = [name for name in results if name not in winners]
    assert len(winners) == 1
    page = results[loser].content.decode()
    winner_name = {"alice": "Alice Adams", "bob": "Bob Brown"}[winners[0]]
    assert f"This plan was changed by {winner_name}" in page
    assert "Reload the page" in page
    # The loser's typed text is still on the page, not lost.
    assert {"alice": "Alice&#x27;s risk plan", "bob": "Bob&#x27;s risk plan"}[loser] in page
    saved = PlanVersion.objects.get(pk=draft.pk)
    assert saved.risks == {"alice": "Alice's risk plan", "bob": "Bob's risk plan"}[winners[0]]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE careplans_planversion SET status = 'draft' WHERE id = %s",
        "UPDATE careplans_outcome SET plan_version_id = (SELECT id FROM careplans_planversion "
        "WHERE status = 'draft' LIMIT 1) WHERE plan_version_id = %s",
    ],
)
def test_the_database_refuses_reopening_or_emptying_an_agreed_version(draft, alice, sql):
    approve(draft)
    services.plan_amend(plan=draft.plan, acting_user=alice)
    with pytest.raises(DatabaseError, match="cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [draft.pk])
    assert Outcome.objects.filter(plan_version=draft).count() == 2
