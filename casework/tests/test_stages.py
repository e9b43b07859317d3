"""The journey stage: the rule as a table, and the SQL that lists it agreeing with the rule on real records."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets import services as budget_services
from budgets.tests.factories import make_assessment, make_eligible
from careplans import approval, reviews
from careplans import services as plan_services
from careplans.models import ReviewKind, ReviewStatus
from careplans.tests.factories import approved_plan, budgeted
from casework.selectors import at_stage, stage_by_the_rule, where, with_stage
from casework.stages import PERSON_LABELS, SHAPES, Budget, Facts, Holder, Screened, Stage, Where, stage_of
from eligibility import services as eligibility_services
from eligibility.tests.factories import referral
from people.models import Person
from people.tests.factories import PersonFactory
from tests import page_data as data

TODAY = datetime.date(2026, 11, 30)
DAY = datetime.timedelta(days=1)
ELIGIBLE = {"screened": Screened.ELIGIBLE}


def facts(**values) -> Facts:
    return Facts(today=TODAY, **values)


# (what, the facts, the stage, the next action's date)
TABLE = [
    ("nothing recorded", facts(), Stage.NEW, None),
    ("not eligible", facts(screened=Screened.NOT_ELIGIBLE), Stage.NOT_ELIGIBLE, None),
    ("a referral waiting", facts(screened=Screened.REFERRED), Stage.REFERRED, None),
    ("eligible", facts(**ELIGIBLE), Stage.SCREENED, None),
    ("assessed", facts(**ELIGIBLE, assessed=True), Stage.ASSESSED, None),
    (
        "budget returned by the PHB team",
        facts(**ELIGIBLE, assessed=True, budget=Budget.OTHER),
        Stage.ASSESSED,
        None,
    ),
    ("budget waiting", facts(**ELIGIBLE, assessed=True, budget=Budget.WAITING), Stage.BUDGET_WAITING, None),
    ("budget usable", facts(**ELIGIBLE, assessed=True, budget=Budget.USABLE), Stage.BUDGET_READY, None),
    (
        "a usable budget but no longer eligible",
        facts(screened=Screened.NOT_ELIGIBLE, assessed=True, budget=Budget.USABLE),
        Stage.NOT_ELIGIBLE,
        None,
    ),
    ("a draft", facts(**ELIGIBLE, budget=Budget.USABLE, draft=True), Stage.PLAN_DRAFT, None),
    ("a returned draft", facts(draft=True, returned=True), Stage.PLAN_RETURNED, None),
    ("submitted", facts(submitted=True), Stage.PLAN_SUBMITTED, None),
    ("approved, starting later", facts(starts_on=TODAY + 9 * DAY), Stage.APPROVED, TODAY + 9 * DAY),
    (
        "in force, review a year away",
        facts(in_force=True, review_on=TODAY + 300 * DAY),
        Stage.ACTIVE,
        TODAY + 300 * DAY,
    ),
    ("in force, no review booked", facts(in_force=True), Stage.ACTIVE, None),
    ("review due in 28 days", facts(in_force=True, review_on=TODAY + 28 * DAY), Stage.REVIEW_DUE, TODAY + 28 * DAY),
    ("review due in 29 days", facts(in_force=True, review_on=TODAY + 29 * DAY), Stage.ACTIVE, TODAY + 29 * DAY),
    ("review due today", facts(in_force=True, review_on=TODAY), Stage.REVIEW_DUE, TODAY),
    ("review due yesterday", facts(in_force=True, review_on=TODAY - DAY), Stage.REVIEW_OVERDUE, TODAY - DAY),
    ("ending", facts(in_force=True, ending_on=TODAY + 5 * DAY), Stage.ENDING, TODAY + 5 * DAY),
    ("ended", facts(**ELIGIBLE, budget=Budget.USABLE, ended=True), Stage.ENDED, None),
    # The tie-breaks (casework/stages.py): the first rule that matches decides.
    (
        "review overdue and a change submitted",
        facts(in_force=True, review_on=TODAY - DAY, submitted=True),
        Stage.REVIEW_OVERDUE,
        TODAY - DAY,
    ),
    (
        "review overdue and a change returned",
        facts(in_force=True, review_on=TODAY - DAY, draft=True, returned=True),
        Stage.REVIEW_OVERDUE,
        TODAY - DAY,
    ),
    (
        "review due soon and a change returned",
        facts(in_force=True, review_on=TODAY + DAY, draft=True, returned=True),
        Stage.PLAN_RETURNED,
        None,
    ),
    (
        "review due soon and a change submitted",
        facts(in_force=True, review_on=TODAY + DAY, submitted=True),
        Stage.REVIEW_DUE,
        TODAY + DAY,
    ),
    (
        "active and a change submitted",
        facts(in_force=True, review_on=TODAY + 300 * DAY, submitted=True),
        Stage.PLAN_SUBMITTED,
        None,
    ),
    (
        "active and a change approved to start later",
        facts(in_force=True, review_on=TODAY + 300 * DAY, starts_on=TODAY + 9 * DAY),
        Stage.APPROVED,
        TODAY + 9 * DAY,
    ),
    (
        "active and a change being written",
        facts(in_force=True, review_on=TODAY + 300 * DAY, draft=True),
        Stage.PLAN_DRAFT,
        None,
    ),
    (
        "ending with a review overdue",
        facts(in_force=True, review_on=TODAY - DAY, ending_on=TODAY + DAY),
        Stage.ENDING,
        TODAY + DAY,
    ),
    (
        "a review due on a plan not in force yet",
        facts(starts_on=TODAY + 9 * DAY, review_on=TODAY + 20 * DAY),
        Stage.APPROVED,
        TODAY + 9 * DAY,
    ),
    ("ended, and a draft on a new budget", facts(ended=True, draft=True), Stage.PLAN_DRAFT, None),
]


@pytest.mark.parametrize(("what", "known", "stage", "on"), TABLE, ids=[row[0] for row in TABLE])
def test_it_gives_each_person_one_stage_by_the_rule(what, known, stage, on):
    assert stage_of(known) == Where(stage, on)


def test_the_table_covers_every_stage():
    assert {row[2] for row in TABLE} == set(Stage)


def test_every_stage_has_a_colour_from_the_nhs_tag_guidance_and_a_next_action():
    assert set(SHAPES) == set(Stage) == set(PERSON_LABELS)
    for stage, shape in SHAPES.items():
        assert shape.colour in {"grey", "blue", "green", "orange", "red"}, stage
        assert shape.action and shape.holder in Holder
    assert SHAPES[Stage.REVIEW_OVERDUE].colour == "red"
    assert SHAPES[Stage.PLAN_RETURNED].colour == "orange"
    assert SHAPES[Stage.ACTIVE].colour == "green"
    assert SHAPES[Stage.NEW].colour == "grey"


def test_the_next_action_says_who_holds_it_and_by_when():
    overdue = Where(Stage.REVIEW_OVERDUE, datetime.date(2026, 6, 15))
    assert overdue.next_action == "Review the plan with them: it was due by 15 June 2026"
    assert overdue.holder == Holder.COORDINATOR
    assert Where(Stage.PLAN_SUBMITTED).holder == Holder.PHB_TEAM  # from careplans.lifecycle.ROLES
    assert Where(Stage.PLAN_DRAFT).holder == Holder.COORDINATOR
    assert Where(Stage.APPROVED, datetime.date(2027, 1, 4)).label == "Plan approved, starting on 4 January 2027"
    assert Where(Stage.ACTIVE).next_action == "Nothing due: no review is booked"
    assert Where(Stage.ENDING, datetime.date(2027, 1, 4)).label == "Ending on 4 January 2027"


# The SQL and the rule, on real records built through the services.


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def someone(w, name):
    return PersonFactory(given_name=name, family_name="Stage", care_team=w.team, lead_coordinator=w.coordinator)


def complete_scheduled_review(w, active):
    review = active.plan.reviews.get(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE)
    reviews.review_complete(
        review=review,
        completed_on=timezone.localdate(),
        outcome_progress={str(o.key): ("partly", "Getting there") for o in active.outcomes.all()},
        domain_ratings={o.domain: "better" for o in active.outcomes.all()},
        money_enough=True,
        money_notes="",
        used_as_planned=True,
        use_notes="",
        safety_notes="",
        satisfaction="satisfied",
        decision="continue",
        acting_user=w.coordinator,
    )


def active_without_review_due(w, person):
    active = approved_plan(person=person, coordinator=w.coordinator, approver=w.approver)
    complete_scheduled_review(w, active)
    return active


def starting_later(w, draft):
    later = timezone.localdate() + datetime.timedelta(days=40)
    draft.outcomes.update(target_date=None)
    return plan_services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=w.coordinator,
        start_date=later,
        first_review_date=later + datetime.timedelta(days=30),
        agreed_on=timezone.localdate(),
        agreement_method="signed",
    )


def build_every_stage(w) -> dict[str, tuple[Person, Stage]]:
    """A person at every stage, and at the tie-breaks, through the services; name -> (person, expected)."""
    built = {}

    def expect(name, stage):
        person = someone(w, name)
        built[name] = (person, stage)
        return person

    expect("New", Stage.NEW)
    person = expect("NotEligible", Stage.NOT_ELIGIBLE)
    eligibility_services.screening_create(
        person=person,
        screened_on=datetime.date(2026, 1, 5),
        funding="none",
        hospital_inpatient=False,
        section_117="none",
        wheelchair=False,
        commissioned_package=False,
        acting_user=w.coordinator,
    )
    referral(person=expect("Referred", Stage.REFERRED), coordinator=w.coordinator)
    declined = referral(person=expect("Declined", Stage.NOT_ELIGIBLE), coordinator=w.coordinator)
    eligibility_services.screening_decide(screening=declined, approve=False, reason="No", acting_user=w.approver)
    approved = referral(person=expect("ReferralApproved", Stage.SCREENED), coordinator=w.coordinator)
    eligibility_services.screening_decide(screening=approved, approve=True, reason="Yes", acting_user=w.approver)
    make_eligible(person=expect("Screened", Stage.SCREENED), coordinator=w.coordinator)
    data.assessments(w, expect("Assessed", Stage.ASSESSED), 1)
    data.budget_from(
        w, data.assessment_with_services(w, expect("BudgetWaiting", Stage.BUDGET_WAITING), 1), sign_off=True
    )
    returned = data.budget_from(
        w, data.assessment_with_services(w, expect("BudgetReturned", Stage.ASSESSED), 1), sign_off=True
    )
    budget_services.budget_version_sign_off(version=returned, approve=False, note="Too high", acting_user=w.approver)
    budgeted(person=expect("BudgetReady", Stage.BUDGET_READY), coordinator=w.coordinator)
    person = expect("NoLongerEligible", Stage.NOT_ELIGIBLE)
    budgeted(person=person, coordinator=w.coordinator)
    referral(person=person, coordinator=w.coordinator, on=datetime.date(2026, 2, 1))
    eligibility_services.screening_decide(
        screening=person.screenings.get(screened_on=datetime.date(2026, 2, 1)),
        approve=False,
        reason="No",
        acting_user=w.approver,
    )
    data.draft_plan(w, expect("Draft", Stage.PLAN_DRAFT))
    data.submit(w, data.draft_plan(w, expect("Submitted", Stage.PLAN_SUBMITTED)))
    approval.plan_return(
        version=data.submit(w, data.draft_plan(w, expect("Returned", Stage.PLAN_RETURNED))),
        reason="Say more about the risks",
        acting_user=w.approver,
    )
    approval.plan_decline(
        version=data.submit(w, data.draft_plan(w, expect("PlanDeclined", Stage.BUDGET_READY))),
        reason="Not appropriate",
        acting_user=w.approver,
    )
    data.approve(w, starting_later(w, data.draft_plan(w, expect("Approved", Stage.APPROVED))))
    # Plans start on 1 April 2026: their first review (15 June 2026) is overdue.
    approved_plan(person=expect("ReviewOverdue", Stage.REVIEW_OVERDUE), coordinator=w.coordinator, approver=w.approver)
    active_without_review_due(w, expect("Active", Stage.ACTIVE))
    active = active_without_review_due(w, expect("ReviewDue", Stage.REVIEW_DUE))
    reviews.review_request(plan=active.plan, reason="health_changed", acting_user=w.coordinator)
    active = approved_plan(
        person=expect("OverdueAndChangeSubmitted", Stage.REVIEW_OVERDUE), coordinator=w.coordinator, approver=w.approver
    )
    data.submit(w, data.amend(w, active.plan))
    active = active_without_review_due(w, expect("ActiveAndChangeSubmitted", Stage.PLAN_SUBMITTED))
    data.submit(w, data.amend(w, active.plan))
    active = active_without_review_due(w, expect("ActiveAndChangeReturned", Stage.PLAN_RETURNED))
    approval.plan_return(
        version=data.submit(w, data.amend(w, active.plan)), reason="Check the costs", acting_user=w.approver
    )
    active = active_without_review_due(w, expect("ActiveAndChangeDrafted", Stage.PLAN_DRAFT))
    data.amend(w, active.plan)
    active = active_without_review_due(w, expect("ActiveAndChangeApproved", Stage.APPROVED))
    data.approve(w, starting_later(w, data.amend(w, active.plan)))
    for name, end_in_days, stage in (("Ending", 20, Stage.ENDING), ("Ended", 0, Stage.ENDED)):
        active = active_without_review_due(w, expect(name, stage))
        approval.plan_end(
            version=active,
            reason="consent_withdrawn",
            ended_on=timezone.localdate() + datetime.timedelta(days=end_in_days),
            note="",
            unspent_to_repay=None,
            acting_user=w.coordinator,
        )
    active = active_without_review_due(w, expect("EndedThenNewBudget", Stage.BUDGET_READY))
    approval.plan_end(
        version=active,
        reason="needs_not_met",
        ended_on=timezone.localdate(),
        note="",
        unspent_to_repay=None,
        acting_user=w.coordinator,
    )
    data.budget_from(w, make_assessment(person=active.plan.person, coordinator=w.coordinator))
    return built


def test_the_sql_and_the_rule_agree_on_every_stage_built_through_the_services(w):
    built = build_every_stage(w)
    assert {stage for _, stage in built.values()} == set(Stage)
    today = timezone.localdate()
    listed = {p.pk: p for p in with_stage(Person.objects.filter(family_name="Stage"), today=today)}
    for name, (person, expected) in built.items():
        by_the_rule = stage_by_the_rule(person=person, today=today)
        assert by_the_rule.stage == expected, name
        assert where(listed[person.pk]) == by_the_rule, name
    # The same rule in SQL, which filters and sorts the caseload, finds the same people at each stage and
    # the same next dates.
    staged = with_stage(Person.objects.filter(family_name="Stage"), today=today)
    for stage in Stage:
        expected_there = {person.pk for person, expected in built.values() if expected == stage}
        found = set(staged.filter(stage=stage).values_list("pk", flat=True))
        assert found == expected_there, stage
        # And as the caseload's stage filter asks (the stage's own condition as well): the same people.
        assert set(at_stage(staged, stage, today=today).values_list("pk", flat=True)) == expected_there, stage
    for name, (person, _expected) in built.items():
        on = stage_by_the_rule(person=person, today=today).on
        same = {"next_action_on": on} if on else {"next_action_on__isnull": True}
        assert staged.filter(pk=person.pk, **same).exists(), name


def test_a_list_with_stages_is_one_query_whatever_its_length(w):
    build_every_stage(w)
    with CaptureQueriesContext(connection) as queries:
        rows = list(with_stage(Person.objects.all(), today=timezone.localdate()))
    assert len(queries) == 1
    assert len(rows) > 25
