"""Reads for the caseload: people with their journey stage, worked out in the database for a whole list.

`with_stage` is casework.stages.stage_of in SQL: each fact is an EXISTS or a one-row subquery on the
person, and the stage is a CASE over them in the rule's order, so a page of any length is one query
(tests/test_stages.py proves the two agree on real records for every stage). `facts_for` gathers the
same facts for one person through the apps' own selectors, the other way round, for that test.
"""

import datetime
import functools

from django.db import connection
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
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.utils import timezone

from budgets.models import Assessment, BudgetVersion, SignOff
from budgets.selectors import budget_versions_for, latest_sign_off, usable_budgets
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.reviews import due_soon_until
from careplans.selectors import returned_before
from casework.stages import Budget, Facts, Screened, Stage, Where, stage_of
from eligibility.models import Decision, Screening, eligible_q
from eligibility.selectors import current_screening
from people.access import team_ids
from people.models import Person
from people.selectors import caseload_for


def _latest_screening():
    return Screening.objects.filter(person=OuterRef("pk")).order_by("-screened_on", "-created_at")


def _found(queryset: QuerySet) -> Subquery:
    """Whether a person has such a row, as a one-row subquery (a row's id, or NULL) rather than EXISTS:
    PostgreSQL may answer an EXISTS over a list of people by hashing every matching row of the table first,
    which for a page of 25 people at national scale costs far more than looking up each person's few rows."""
    return Subquery(queryset.values("pk")[:1])


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
        "_assessed": _found(Assessment.objects.filter(person=OuterRef("pk"))),
        "_latest_sign_off": latest_sign_off(),
        "_ending_on": Subquery(
            versions.filter(status=Status.ENDING).order_by("ended_on").values("ended_on")[:1], output_field=DateField()
        ),
        "_in_force": _found(versions.in_force(on=today)),
        "_starts_on": Subquery(
            versions.filter(status=Status.APPROVED, start_date__gt=today)
            .order_by("start_date")
            .values("start_date")[:1],
            output_field=DateField(),
        ),
        "_submitted": _found(versions.filter(status=Status.SUBMITTED)),
        "_draft": _found(versions.filter(status__in=Status.EDITABLE)),
        "_returned": _found(versions.filter(status__in=Status.EDITABLE).filter(Exists(returned_just_before))),
        "_review_on": Subquery(
            Review.objects.filter(plan__person=OuterRef("pk"), status=ReviewStatus.DUE)
            .order_by("due_on")
            .values("due_on")[:1],
            output_field=DateField(),
        ),
        # Ended on the person's latest budget (a newer budget starts a new journey): correlated, so a list
        # of people reads each person's versions rather than hashing every ended version.
        "_ended": _found(versions.filter(status=Status.ENDED, budget_version_id=Subquery(latest_budget_id))),
    }


def _rules_sql(today: datetime.date) -> list[tuple[Q, Stage, str | None]]:
    """stages.stage_of as (condition, stage, the next action's date), in the same order."""
    in_force = Q(_in_force__isnull=False)
    return [
        (Q(_ending_on__isnull=False), Stage.ENDING, "_ending_on"),
        (in_force & Q(_review_on__lt=today), Stage.REVIEW_OVERDUE, "_review_on"),
        (Q(_draft__isnull=False, _returned__isnull=False), Stage.PLAN_RETURNED, None),
        (in_force & Q(_review_on__lte=due_soon_until(today)), Stage.REVIEW_DUE, "_review_on"),
        (Q(_submitted__isnull=False), Stage.PLAN_SUBMITTED, None),
        (Q(_starts_on__isnull=False), Stage.APPROVED, "_starts_on"),
        (Q(_draft__isnull=False), Stage.PLAN_DRAFT, None),
        (in_force, Stage.ACTIVE, "_review_on"),
        (Q(_ended__isnull=False), Stage.ENDED, None),
        (Q(_screened__isnull=True), Stage.NEW, None),
        (Q(_screened=Screened.NOT_ELIGIBLE.value), Stage.NOT_ELIGIBLE, None),
        (Q(_screened=Screened.REFERRED.value), Stage.REFERRED, None),
        (Q(_latest_sign_off__in=SignOff.USABLE), Stage.BUDGET_READY, None),
        (Q(_latest_sign_off=SignOff.AWAITING), Stage.BUDGET_WAITING, None),
        (Q(_assessed__isnull=False), Stage.ASSESSED, None),
    ]


# What every other person is: eligible, and nothing more yet.
OTHERWISE = Stage.SCREENED


def facts_of(row, today: datetime.date) -> Facts:
    """stages.Facts from a person read with _facts_sql's columns."""
    sign_off = row._latest_sign_off
    if sign_off is None:
        budget = Budget.NONE
    elif sign_off in SignOff.USABLE:
        # Usable if they are eligible: the rule reads the budget only for someone screened eligible.
        budget = Budget.USABLE
    elif sign_off == SignOff.AWAITING:
        budget = Budget.WAITING
    else:
        budget = Budget.OTHER
    return Facts(
        today=today,
        screened=Screened(row._screened) if row._screened is not None else Screened.NONE,
        assessed=row._assessed is not None,
        budget=budget,
        ending_on=row._ending_on,
        in_force=row._in_force is not None,
        starts_on=row._starts_on,
        submitted=row._submitted is not None,
        draft=row._draft is not None,
        returned=row._returned is not None,
        review_on=row._review_on,
        ended=row._ended is not None,
    )


class _StagedPeople(ModelIterable):
    """People read with their facts, each given `stage` and `next_action_on` by stages.stage_of: the rule
    itself, in Python, over facts read once each (PostgreSQL would work out every fact again for each
    branch of a CASE that names it). A queryset keeps its iterable through every filter, order and slice."""

    def __iter__(self):
        for person in super().__iter__():
            where = stage_of(facts_of(person, person._stage_day))
            person.stage, person.next_action_on = int(where.stage), where.on
            yield person


def with_stage(people: QuerySet[Person], *, today: datetime.date) -> QuerySet[Person]:
    """People each with `stage` (a casework.stages.Stage value), `next_action_on` (its date, or None) and
    `route` (the latest screening's route), in the one query that reads them.

    Each fact is a column read once; the stage is worked out from them by the rule (stages.stage_of) as the
    rows are read. For filtering and sorting, the same rule in SQL is there as `stage` and `next_action_on`
    (aliases: a filter or an order names them; a test holds the SQL to the rule)."""
    rules = _rules_sql(today)
    staged = people.annotate(
        **_facts_compiled(today),
        _stage_day=Value(today, output_field=DateField()),
    ).alias(
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
    )
    staged._iterable_class = _StagedPeople
    return staged


@functools.lru_cache(maxsize=4)
def _facts_sql_once(today: datetime.date, vendor: str) -> tuple[tuple[str, str, tuple, object], ...]:
    """The facts and the route as SQL over the person's row ("people_person"), compiled once a day (vendor: the
    cache's key only): building and compiling a dozen subqueries had cost every caseload request about 15 ms."""
    expressions = {**_facts_sql(today), "route": Subquery(_latest_screening().values("route")[:1])}
    query = Person.objects.filter(pk=None).annotate(**expressions).values(*expressions).query
    compiler = query.get_compiler(connection=connection)
    compiler.setup_query()
    fields = {name: query.annotations[name].output_field for name in expressions}
    return tuple((alias, sql, tuple(params), fields[alias]) for _expression, (sql, params), alias in compiler.select)


def _facts_compiled(today: datetime.date) -> dict:
    """_facts_sql and the route as annotations of the SQL compiled once a day: the ORM's own SQL for our
    expressions, its values still separate parameters (never from input)."""
    return {
        name: RawSQL(sql, params, output_field=field)  # noqa: S611
        for name, sql, params, field in _facts_sql_once(today, connection.vendor)
    }


def at_stage(people: QuerySet[Person], stage: Stage, *, today: datetime.date) -> QuerySet[Person]:
    """People of with_stage at one stage. The stage's own condition in the rule (_rules_sql) is asked as well:
    it must hold for the stage to be chosen, and it reads one or two facts where the stage reads every fact
    before it, so a list of everyone filtered to one stage passes over most people cheaply."""
    own = next((condition for condition, at, _ in _rules_sql(today) if at == stage), Q())
    return people.filter(own, stage=stage)


def with_stage_today(people: QuerySet[Person]) -> QuerySet[Person]:
    return with_stage(people, today=timezone.localdate())


def caseload(*, user, today: datetime.date, query: str = "", mine: bool = False) -> QuerySet[Person]:
    """The people a user may see (people.selectors.caseload_for: the scope, the search, the order and the
    joins), only those they lead for "my people", each with their stage: a page in one query."""
    people = caseload_for(user=user, query=query)
    if mine:
        people = people.filter(lead_coordinator=user)
    return with_stage(people, today=today)


def varying_with(user) -> set[int]:
    """The values a caseload's query takes from the user asking (their id, their care teams' ids): kept as
    parameters when the page's statement is prepared for every user alike (phb.prepared.planned_once)."""
    return {user.pk, *team_ids(user)}


def where(person: Person) -> Where:
    """The stage of a person read through with_stage."""
    return Where(Stage(person.stage), person.next_action_on)


def stage_for(*, person: Person, today: datetime.date) -> Where:
    """One person's stage, in one query (the person page)."""
    return where(with_stage(Person.objects.filter(pk=person.pk), today=today).get())


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
