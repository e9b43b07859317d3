"""Reads for the caseload: people with their journey stage, worked out in the database for a whole list.

`with_stage` is casework.stages.stage_of over each person's kept facts (casework.facts: one row a person,
kept by triggers), read with the person, and the same rule in SQL as a CASE over that row for filters and
sorts, so a page of any length is one query (tests/test_stages.py proves the two agree on real records for
every stage). `facts_for` gathers the same facts for one person through the apps' own selectors, the other
way round, for that test.
"""

import datetime

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.query import ModelIterable
from django.utils import timezone

from budgets.models import SignOff
from budgets.selectors import budget_versions_for, usable_budgets
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.reviews import due_soon_until
from careplans.selectors import returned_before
from casework.facts import FACTS, FIRST_AFTER_FUNCTION, SINCE_FACTS, facts_expressions
from casework.stages import Budget, Facts, Screened, Stage, Where, stage_of
from casework.trays import local_date
from eligibility.models import Decision
from eligibility.selectors import current_screening
from payments.flagging import with_flags
from people.models import Person
from people.selectors import caseload_for

# The facts the rule reads, as the caseload's query names them (an underscore: read by the rule, not shown).
# approved_starts is read as _starts_on, the first of them after the day; the facts that say since when are read
# only by since_facts.
READ_FACTS = tuple(fact for fact in FACTS if fact not in {"approved_starts", "route", "approved_decided", *SINCE_FACTS})


def since_facts(today: datetime.date) -> dict:
    """The facts that say since when a person has been at their stage (casework.facts.SINCE_FACTS), by name, and
    `approved_on`: the day the earliest of their approved versions starting after `today` was approved. As
    expressions on a query of people: the kept row on PostgreSQL, worked out as it is read elsewhere."""
    if connection.vendor == "postgresql":
        read = {fact: F(f"journey__{fact}") for fact in SINCE_FACTS}
        read["approved_on"] = Func(
            F("journey__approved_starts"),
            F("journey__approved_decided"),
            template=(  # a date's own text: no input
                "(SELECT min(decided) FROM unnest(%(expressions)s) AS approved (starts, decided) "  # noqa: S608
                f"WHERE starts > DATE '{today.isoformat()}')"
            ),
            output_field=DateField(),
        )
        return read
    expressions = facts_expressions()
    read = {fact: expressions[fact] for fact in SINCE_FACTS}
    starting = PlanVersion.objects.filter(plan__person=OuterRef("pk"), status=Status.APPROVED, start_date__gt=today)
    read["approved_on"] = Subquery(
        starting.order_by("decided_at").values(day=local_date("decided_at"))[:1], output_field=DateField()
    )
    return read


def _facts_sql(today: datetime.date) -> dict:
    """Each of stages.Facts on a day, as an expression on a query of people, and the latest screening's route.

    On PostgreSQL the facts are kept for each person (casework.models.JourneyFacts, one row joined on the
    person's id; none for someone with no records yet). Elsewhere (make run's SQLite, which has no triggers)
    each is worked out as it is read, by the same expressions the triggers keep them with."""
    if connection.vendor == "postgresql":
        read = {f"_{fact}": F(f"journey__{fact}") for fact in READ_FACTS}
        read["_starts_on"] = Func(
            F("journey__approved_starts"), Value(today), function=FIRST_AFTER_FUNCTION, output_field=DateField()
        )
        # Whether one starts after the day, as a plain expression the rule's CASE tests for every person: calling
        # the function for each of 200,000 people made counting them by stage three times slower (670 ms, 220).
        read["_starts_later"] = Func(
            Value(today, output_field=DateField()),
            F("journey__approved_starts"),
            arg_joiner=" < ANY(",
            template="COALESCE(%(expressions)s), false)",
            output_field=BooleanField(),
        )
        return {**read, "route": F("journey__route")}
    expressions = facts_expressions()
    read = {f"_{fact}": expressions[fact] for fact in READ_FACTS}
    starting = PlanVersion.objects.filter(plan__person=OuterRef("pk"), status=Status.APPROVED, start_date__gt=today)
    read["_starts_on"] = Subquery(starting.order_by("start_date").values("start_date")[:1], output_field=DateField())
    read["_starts_later"] = Exists(starting)
    return {**read, "route": expressions["route"]}


def _is(**lookup) -> Q:
    """A condition on a fact that is false, never unknown, when the fact is missing (SQL's NULL: someone with no
    kept facts, or no review due), so that "not this" holds for them (at_stage negates the rules before)."""
    ((name, value),) = lookup.items()
    return Q(**{f"{name.split('__')[0]}__isnull": False}) & Q(**{name: value})


def rules_sql(today: datetime.date) -> list[tuple[Q, Stage, str | None]]:
    """stages.stage_of as (condition, stage, the next action's date) over the facts, in the same order."""
    in_force = _is(_in_force_from__lte=today)
    return [
        (Q(_ending_on__isnull=False), Stage.ENDING, "_ending_on"),
        (in_force & _is(_review_on__lt=today), Stage.REVIEW_OVERDUE, "_review_on"),
        (_is(_draft=True) & _is(_returned=True), Stage.PLAN_RETURNED, None),
        (in_force & _is(_review_on__lte=due_soon_until(today)), Stage.REVIEW_DUE, "_review_on"),
        (_is(_submitted=True), Stage.PLAN_SUBMITTED, None),
        (Q(_starts_later=True), Stage.APPROVED, "_starts_on"),
        (_is(_draft=True), Stage.PLAN_DRAFT, None),
        (in_force, Stage.ACTIVE, "_review_on"),
        (_is(_ended=True), Stage.ENDED, None),
        (Q(_screened__isnull=True), Stage.NEW, None),
        (_is(_screened=Screened.NOT_ELIGIBLE.value), Stage.NOT_ELIGIBLE, None),
        (_is(_screened=Screened.REFERRED.value), Stage.REFERRED, None),
        (_is(_sign_off__in=SignOff.USABLE), Stage.BUDGET_READY, None),
        (_is(_sign_off=SignOff.AWAITING), Stage.BUDGET_WAITING, None),
        (_is(_assessed=True), Stage.ASSESSED, None),
    ]


# What every other person is: eligible, and nothing more yet.
OTHERWISE = Stage.SCREENED


def facts_of(row, today: datetime.date) -> Facts:
    """stages.Facts on a day from a person read with _facts_sql's columns."""
    sign_off = row._sign_off
    if sign_off is None:
        budget = Budget.NONE
    elif sign_off in SignOff.USABLE:
        # Usable if they are eligible: the rule reads the budget only for someone screened eligible.
        budget = Budget.USABLE
    elif sign_off == SignOff.AWAITING:
        budget = Budget.WAITING
    else:
        budget = Budget.OTHER
    in_force_from = row._in_force_from
    return Facts(
        today=today,
        screened=Screened(row._screened) if row._screened is not None else Screened.NONE,
        assessed=bool(row._assessed),
        budget=budget,
        ending_on=row._ending_on,
        in_force=in_force_from is not None and in_force_from <= today,
        starts_on=row._starts_on,
        submitted=bool(row._submitted),
        draft=bool(row._draft),
        returned=bool(row._returned),
        review_on=row._review_on,
        ended=bool(row._ended),
    )


class _StagedPeople(ModelIterable):
    """People read with their facts, each given `stage` and `next_action_on` by stages.stage_of: the rule
    itself, in Python, over the facts read with them. A queryset keeps its iterable through every filter,
    order and slice."""

    def __iter__(self):
        for person in super().__iter__():
            where = stage_of(facts_of(person, person._stage_day))
            person.stage, person.next_action_on = int(where.stage), where.on
            yield person


def with_stage(people: QuerySet[Person], *, today: datetime.date) -> QuerySet[Person]:
    """People each with `stage` (a casework.stages.Stage value), `next_action_on` (its date, or None) and
    `route` (the latest screening's route), in the one query that reads them.

    The facts are kept for each person (casework.facts) and read with them; the stage is worked out from them
    by the rule (stages.stage_of) as the rows are read. For filtering and sorting, the same rule in SQL is
    there as `stage` and `next_action_on` (aliases: a filter or an order names them; a test holds the SQL to
    the rule): a CASE over the person's one row of facts, so sorting a team by stage reads no other table."""
    rules = rules_sql(today)
    staged = people.annotate(**_facts_sql(today), _stage_day=Value(today, output_field=DateField())).alias(
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


def at_stage(people: QuerySet[Person], stage: Stage, *, today: datetime.date) -> QuerySet[Person]:
    """People of with_stage at one stage: the stage's own condition in the rule (rules_sql) holds and none
    before it does, which is what the CASE chooses, written as plain conditions on the kept facts. PostgreSQL
    can estimate those (it took a CASE equal to a stage for a handful of rows and planned for that) and reads
    the stage's own from an index (casework.models.JourneyFacts), so a list of everyone filtered to one stage
    reads only the people who might be at it."""
    rules = rules_sql(today)
    at = next((index for index, (_, ruled, _) in enumerate(rules) if ruled == stage), len(rules))
    condition = rules[at][0] if at < len(rules) else Q()
    for earlier, _, _ in rules[:at]:
        condition &= ~earlier
    return people.filter(condition)


def with_stage_today(people: QuerySet[Person]) -> QuerySet[Person]:
    return with_stage(people, today=timezone.localdate())


def caseload(*, user, today: datetime.date, query: str = "", mine: bool = False) -> QuerySet[Person]:
    """The people a user may see (people.selectors.caseload_for: the scope, the search, the order and the
    joins), only those they lead for "my people", each with their stage and their money flags
    (payments.flagging.with_flags): a page in one query."""
    people = caseload_for(user=user, query=query)
    if mine:
        people = people.filter(lead_coordinator_id=user.pk)
    return with_flags(with_stage(people, today=today))


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
