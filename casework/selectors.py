"""Reads for the caseload: people with their journey stage, worked out in the database for a whole list.

`with_stage` is casework.stages.stage_of in SQL: each fact is an EXISTS or a one-row subquery on the
person, and the stage is a CASE over them in the rule's order, so a page of any length is one query
(tests/test_stages.py proves the two agree on real records for every stage). `facts_for` gathers the
same facts for one person through the apps' own selectors, the other way round, for that test.
"""

import datetime

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from budgets.models import Assessment, BudgetVersion, SignOff
from budgets.selectors import budget_versions_for, latest_sign_off, usable_budgets
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.reviews import due_soon_until
from careplans.selectors import returned_before
from casework.stages import Budget, Facts, Screened, Stage, Where, stage_of
from eligibility.models import Decision, Screening, eligible_q
from eligibility.selectors import current_screening
from people.models import Person
from people.selectors import caseload_for


def _latest_screening():
    return Screening.objects.filter(person=OuterRef("pk")).order_by("-screened_on", "-created_at")


def _facts_sql(today: datetime.date) -> dict:
    """Each of stages.Facts as an expression on a person (the names start with an underscore: they are
    aliases, not columns the page reads)."""
    versions = PlanVersion.objects.filter(plan__person=OuterRef("pk"))
    screened = _latest_screening().annotate(
        result=Case(
            When(eligible_q(), then=Value(Screened.ELIGIBLE.value)),
            When(decision=Decision.AWAITING, then=Value(Screened.REFERRED.value)),
            default=Value(Screened.NOT_ELIGIBLE.value),
            output_field=CharField(),
        )
    )
    returned_just_before = PlanVersion.objects.filter(
        plan=OuterRef("plan"), number=OuterRef("number") - 1, status=Status.RETURNED
    )
    latest_budget_id = (
        BudgetVersion.objects.filter(person_id=OuterRef(OuterRef("pk"))).order_by("-number").values("pk")[:1]
    )
    return {
        "_screened": Subquery(screened.values("result")[:1], output_field=CharField()),
        "_assessed": Exists(Assessment.objects.filter(person=OuterRef("pk"))),
        "_latest_sign_off": latest_sign_off(),
        "_ending_on": Subquery(
            versions.filter(status=Status.ENDING).order_by("ended_on").values("ended_on")[:1], output_field=DateField()
        ),
        "_in_force": Exists(versions.in_force(on=today)),
        "_starts_on": Subquery(
            versions.filter(status=Status.APPROVED, start_date__gt=today)
            .order_by("start_date")
            .values("start_date")[:1],
            output_field=DateField(),
        ),
        "_submitted": Exists(versions.filter(status=Status.SUBMITTED)),
        "_draft": Exists(versions.filter(status__in=Status.EDITABLE)),
        "_returned": Exists(versions.filter(status__in=Status.EDITABLE).filter(Exists(returned_just_before))),
        "_review_on": Subquery(
            Review.objects.filter(plan__person=OuterRef("pk"), status=ReviewStatus.DUE)
            .order_by("due_on")
            .values("due_on")[:1],
            output_field=DateField(),
        ),
        # Ended on the person's latest budget (a newer budget starts a new journey): correlated, so a list
        # of people reads each person's versions rather than hashing every ended version.
        "_ended": Exists(versions.filter(status=Status.ENDED, budget_version_id=Subquery(latest_budget_id))),
    }


def _rules_sql(today: datetime.date) -> list[tuple[Q, Stage, str | None]]:
    """stages.stage_of as (condition, stage, the next action's date), in the same order."""
    in_force = Q(_in_force=True)
    return [
        (Q(_ending_on__isnull=False), Stage.ENDING, "_ending_on"),
        (in_force & Q(_review_on__lt=today), Stage.REVIEW_OVERDUE, "_review_on"),
        (Q(_draft=True, _returned=True), Stage.PLAN_RETURNED, None),
        (in_force & Q(_review_on__lte=due_soon_until(today)), Stage.REVIEW_DUE, "_review_on"),
        (Q(_submitted=True), Stage.PLAN_SUBMITTED, None),
        (Q(_starts_on__isnull=False), Stage.APPROVED, "_starts_on"),
        (Q(_draft=True), Stage.PLAN_DRAFT, None),
        (in_force, Stage.ACTIVE, "_review_on"),
        (Q(_ended=True), Stage.ENDED, None),
        (Q(_screened__isnull=True), Stage.NEW, None),
        (Q(_screened=Screened.NOT_ELIGIBLE.value), Stage.NOT_ELIGIBLE, None),
        (Q(_screened=Screened.REFERRED.value), Stage.REFERRED, None),
        (Q(_latest_sign_off__in=SignOff.USABLE), Stage.BUDGET_READY, None),
        (Q(_latest_sign_off=SignOff.AWAITING), Stage.BUDGET_WAITING, None),
        (Q(_assessed=True), Stage.ASSESSED, None),
    ]


# What every other person is: eligible, and nothing more yet.
OTHERWISE = Stage.SCREENED


def with_stage(people: QuerySet[Person], *, today: datetime.date) -> QuerySet[Person]:
    """People annotated with `stage` (a casework.stages.Stage value), `next_action_on` (its date, or None)
    and `route` (the latest screening's route), in the one query that reads them."""
    rules = _rules_sql(today)
    return people.alias(**_facts_sql(today)).annotate(
        stage=Case(
            *(When(condition, then=Value(int(stage))) for condition, stage, _ in rules),
            default=Value(int(OTHERWISE)),
            output_field=IntegerField(),
        ),
        next_action_on=Case(
            *(When(condition, then=F(date) if date else Value(None)) for condition, _, date in rules),
            default=Value(None),
            output_field=DateField(),
        ),
        route=Subquery(_latest_screening().values("route")[:1]),
    )


def with_stage_today(people: QuerySet[Person]) -> QuerySet[Person]:
    return with_stage(people, today=timezone.localdate())


def caseload(*, user, today: datetime.date, query: str = "", mine: bool = False) -> QuerySet[Person]:
    """The people a user may see (people.selectors.caseload_for: the scope, the search, the order and the
    joins), only those they lead for "my people", each with their stage: a page in one query."""
    people = caseload_for(user=user, query=query)
    if mine:
        people = people.filter(lead_coordinator=user)
    return with_stage(people, today=today)


def where(person: Person) -> Where:
    """The stage of a person read through with_stage."""
    return Where(Stage(person.stage), person.next_action_on)


def stage_for(*, person: Person, today: datetime.date) -> Where:
    """One person's stage, in one query (the person page)."""
    row = with_stage(Person.objects.filter(pk=person.pk), today=today).values("stage", "next_action_on").get()
    return Where(Stage(row["stage"]), row["next_action_on"])


def facts_for(*, person: Person, today: datetime.date) -> Facts:
    """The rule's facts for one person, gathered through each app's own selectors (several queries): the
    other way of working out a stage, which with_stage must agree with."""
    screening = current_screening(person=person)
    if screening is None:
        screened = Screened.NONE
    elif screening.is_eligible:
        screened = Screened.ELIGIBLE
    elif screening.decision == Decision.AWAITING:
        screened = Screened.REFERRED
    else:
        screened = Screened.NOT_ELIGIBLE
    latest = budget_versions_for(person=person).first()
    if latest is None:
        budget = Budget.NONE
    elif usable_budgets(person=person).exists():
        budget = Budget.USABLE
    elif latest.sign_off == SignOff.AWAITING:
        budget = Budget.WAITING
    else:
        budget = Budget.OTHER
    versions = list(PlanVersion.objects.filter(plan__person=person))
    drafts = [v for v in versions if v.is_editable]
    approved_later = [v.start_date for v in versions if v.status == Status.APPROVED and v.start_date > today]
    due = Review.objects.filter(plan__person=person, status=ReviewStatus.DUE).order_by("due_on").first()
    return Facts(
        today=today,
        screened=screened,
        assessed=person.assessments.exists(),
        budget=budget,
        ending_on=min((v.ended_on for v in versions if v.is_ending), default=None),
        in_force=PlanVersion.objects.filter(plan__person=person).in_force(on=today).exists(),
        starts_on=min(approved_later, default=None),
        submitted=any(v.status == Status.SUBMITTED for v in versions),
        draft=bool(drafts),
        returned=any(
            returned_before(draft, [v for v in versions if v.plan_id == draft.plan_id and v.pk != draft.pk])
            for draft in drafts
        ),
        review_on=due.due_on if due else None,
        ended=any(
            v.status == Status.ENDED and latest is not None and v.budget_version_id == latest.pk for v in versions
        ),
    )


def stage_by_the_rule(*, person: Person, today: datetime.date) -> Where:
    return stage_of(facts_for(person=person, today=today))
