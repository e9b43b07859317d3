"""What the plan services refuse, and say, when the input or the moment is wrong; and that nothing is written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from careplans import approval, reviews, services
from careplans.models import DecisionEmail, PlanVersion, Review, ReviewStatus, Status
from careplans.tests.factories import add_outcome, approved_plan, budgeted, complete_plan
from careplans.tests.test_reviews import answers
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db

LATER = datetime.date.today() + datetime.timedelta(days=40)


@pytest.fixture
def active(jane, alice, priya):
    return approved_plan(person=jane, coordinator=alice, approver=priya)


@pytest.fixture
def submitted(jane, alice):
    return services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)


def end(version, user, **overrides):
    values = {"reason": "moved_away", "ended_on": LATER, "note": "", "unspent_to_repay": None}
    values.update(overrides)
    return approval.plan_end(version=version, acting_user=user, **values)


# Decisions and ending.


def test_a_coordinator_without_an_email_address_gets_the_decision_on_the_page_only(submitted, alice, priya):
    type(alice).objects.filter(pk=alice.pk).update(email="")
    approval.plan_approve(
        version=submitted, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.ACTIVE
    assert not DecisionEmail.objects.exists()


def test_approval_needs_the_financial_confirmation_too(submitted, priya):
    with pytest.raises(ValidationError, match="financially appropriate"):
        approval.plan_approve(
            version=submitted, financially_appropriate=False, clinically_appropriate=True, acting_user=priya
        )
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": ""}, "reason", "Select the reason for ending the personal health budget"),
        ({"unspent_to_repay": Decimal("-1.00")}, "unspent_to_repay", "Unspent money to repay must be £0 or more"),
        (
            {"ended_on": datetime.date(2026, 3, 31)},
            "ended_on",
            "End date must be on or after the plan's start date, 1 April 2026",
        ),
    ],
)
def test_ending_refuses_a_bad_answer_and_changes_nothing(active, alice, overrides, field, message):
    with pytest.raises(ValidationError) as error:
        end(active, alice, **overrides)
    assert error.value.message_dict[field] == [message]
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE
    assert Review.objects.filter(plan=active.plan, status=ReviewStatus.DUE).exists()


def test_an_ending_budget_is_not_marked_ended_before_its_end_date(active, alice):
    ending = end(active, alice)
    with pytest.raises(ServiceError, match=f"ends on {LATER:%-d %B %Y}, so it has not ended yet"):
        approval.plan_finish(version=ending, on=LATER - datetime.timedelta(days=1))
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ENDING


def test_a_move_refuses_a_version_that_has_moved_on(active):
    with pytest.raises(ServiceError, match="This plan is now active, so nothing was changed"):
        approval._move(active, approval.Action.APPROVE, to_status=Status.APPROVED, acting_user=None, summary="")


def test_setting_aside_a_version_that_has_moved_on_changes_nothing(active, alice):
    stale = PlanVersion.objects.get(pk=active.pk)
    stale.status = Status.APPROVED  # as read before it became active
    assert not approval._set_aside(stale, to_status=Status.WITHDRAWN, reason="test", summary="test", acting_user=alice)
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE


@pytest.mark.parametrize(
    ("job", "service"), [("activate_due_plans", "plan_activate"), ("finish_ended_plans", "plan_finish")]
)
def test_the_hourly_jobs_carry_on_past_a_plan_that_fails(monkeypatch, job, service, north, alice, priya, caplog):
    from people.tests.factories import PersonFactory

    versions = [
        approved_plan(person=PersonFactory(care_team=north, lead_coordinator=alice), coordinator=alice, approver=priya)
        for _ in range(3)
    ]
    status = Status.APPROVED if service == "plan_activate" else Status.ENDING
    for version in versions:
        PlanVersion.objects.filter(pk=version.pk).update(status=status, ended_on=LATER)
    failures = {versions[0].pk: IntegrityError("refused"), versions[1].pk: ServiceError("moved on")}
    real = getattr(approval, service)

    def flaky(*, version, **kwargs):
        if version.pk in failures:
            raise failures[version.pk]
        return real(version=version, **kwargs)

    monkeypatch.setattr(approval, service, flaky)
    assert getattr(approval, job)(on=LATER) == 1
    assert PlanVersion.objects.get(pk=versions[2].pk).status in {Status.ACTIVE, Status.ENDED}
    assert f"version {versions[0].pk}" in caplog.text


# Drafts.


def test_saving_a_draft_page_opened_before_it_was_submitted_is_refused(jane, alice):
    stale = complete_plan(person=jane, coordinator=alice)
    services.plan_submit(version=stale, acting_user=alice)
    with pytest.raises(services.NotEditableError, match="Version 1 of this plan is submitted to the PHB team"):
        services.plan_update(version=stale, expected_revision=stale.revision, acting_user=alice, helped_by="Me")


def test_a_plan_cannot_be_started_on_someone_elses_budget(jane, sam, alice, charlie):
    sams_budget = budgeted(person=sam, coordinator=charlie)
    budgeted(person=jane, coordinator=alice)
    with pytest.raises(ValidationError, match="Choose one of this person's indicative budgets"):
        services.plan_start(person=jane, budget_version=sams_budget, acting_user=alice)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"agreed_on": datetime.date.today() + datetime.timedelta(days=1)}, "agreed_on", "today or in the past"),
        ({"dp_amount": Decimal("0.00")}, "dp_amount", "more than £0"),
        ({"dp_recipient": "nominee", "dp_recipient_name": " "}, "dp_recipient_name", "Enter the name of the person"),
        (
            {"start_date": datetime.date(2026, 10, 1), "first_review_date": datetime.date(2026, 11, 1)},
            "start_date",
            "has a target date before this start date",
        ),
    ],
)
def test_a_draft_refuses_answers_that_do_not_fit_and_keeps_what_it_had(jane, alice, values, field, message):
    draft = complete_plan(person=jane, coordinator=alice)
    with pytest.raises(ValidationError) as error:
        services.plan_update(version=draft, expected_revision=draft.revision, acting_user=alice, **values)
    assert message in " ".join(error.value.message_dict[field])
    assert PlanVersion.objects.get(pk=draft.pk).revision == draft.revision


def test_a_field_that_is_not_part_of_the_plan_is_a_programming_error(jane, alice):
    draft = complete_plan(person=jane, coordinator=alice)
    with pytest.raises(ValueError, match="Not plan fields: \\['status'\\]"):
        services.plan_update(version=draft, expected_revision=draft.revision, acting_user=alice, status="active")


def test_an_item_cannot_be_linked_to_another_plans_outcome(jane, sam, alice, charlie):
    draft = complete_plan(person=jane, coordinator=alice)
    other = complete_plan(person=sam, coordinator=charlie)
    foreign = add_outcome(other, charlie, goal="Someone else's goal")
    with pytest.raises(ValidationError, match="Choose outcomes from this plan"):
        services.item_save(
            version=draft,
            expected_revision=draft.revision,
            outcomes=[foreign],
            acting_user=alice,
            description="Taxi",
            unit_cost=Decimal("10.00"),
            quantity=Decimal("1"),
            frequency="week",
            money_option="notional",
        )


# Reviews.


def test_an_unscheduled_review_cannot_be_due_in_the_past(active, alice):
    with pytest.raises(ValidationError, match="Due date must be today or in the future"):
        reviews.review_request(
            plan=active.plan,
            reason="health_changed",
            due_on=datetime.date.today() - datetime.timedelta(days=1),
            acting_user=alice,
        )
    assert not Review.objects.filter(plan=active.plan, kind="unscheduled").exists()


def test_only_the_care_team_records_a_review_through_the_service(active, charlie, priya):
    due = Review.objects.get(plan=active.plan)
    for outsider in (charlie, priya):
        with pytest.raises(ServiceError, match="Only a care coordinator in the person's care team"):
            reviews.review_complete(review=due, acting_user=outsider, **answers(active))
    assert Review.objects.get(pk=due.pk).status == ReviewStatus.DUE


def test_a_review_page_opened_before_the_plan_changed_is_refused(active, alice):
    due = Review.objects.get(plan=active.plan)
    progress = {**answers(active)["outcome_progress"], "an-outcome-the-plan-no-longer-has": ("partly", "")}
    with pytest.raises(ValidationError, match="The plan has changed since this page was opened"):
        reviews.review_complete(review=due, acting_user=alice, **answers(active, outcome_progress=progress))


def test_a_review_is_recorded_once(active, alice):
    due = Review.objects.get(plan=active.plan)
    reviews.review_complete(review=due, acting_user=alice, **answers(active))
    with pytest.raises(ServiceError, match="This review has already been recorded"):
        reviews.review_complete(review=due, acting_user=alice, **answers(active))
    assert Review.objects.filter(plan=active.plan, status=ReviewStatus.COMPLETED).count() == 1
