"""A person's journey as the NHS.UK task list at the top of their page, and the money in their summary card.

`steps_of(where, running=...)` is the rule, a pure function over the stage (casework.stages: the one rule
for where someone is): the steps before the stage's step are done, its step wears the stage tag (the
stage's own label and colour from stages.SHAPES), and the steps after it are not started, or cannot start
at all once the journey has stopped (not eligible, ending or ended). A plan in force stays "Active" while
a change to it is written or decided. casework/tests/test_journey.py reads it as a table over the stages.

`with_plan_in_force` adds to the person the page loads (people.access.RECORD_ANNOTATIONS, registered by
casework's AppConfig) the version in force today and its agreed amount and money options, so the summary
card costs the page no query.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from django.db.models import CharField, DateField, DecimalField, IntegerField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from careplans import rules
from careplans.models import PlanVersion, Status, SupportItem
from casework.stages import SHAPES, Stage, Where
from phb.db import IdList, ids_from
from phb.money import weekly


class Step(IntEnum):
    """The steps of the journey, in order."""

    SCREENING = 1
    ASSESSMENT = 2
    BUDGET = 3
    PLAN = 4
    APPROVAL = 5
    ACTIVE = 6
    REVIEWS = 7

    @property
    def title(self) -> str:
        return STEP_TITLES[self]

    @property
    def key(self) -> str:
        return self.name.lower()


STEP_TITLES = {
    Step.SCREENING: "Screening",
    Step.ASSESSMENT: "Assessment of needs",
    Step.BUDGET: "Indicative budget",
    Step.PLAN: "Support plan",
    Step.APPROVAL: "Approval by the PHB team",
    Step.ACTIVE: "Personal health budget in use",
    Step.REVIEWS: "Reviews",
}

# The step each stage is at (stages.Stage, in journey order).
STEP_OF_STAGE = {
    Stage.NEW: Step.SCREENING,
    Stage.NOT_ELIGIBLE: Step.SCREENING,
    Stage.REFERRED: Step.SCREENING,
    Stage.SCREENED: Step.ASSESSMENT,
    Stage.ASSESSED: Step.ASSESSMENT,
    Stage.BUDGET_WAITING: Step.BUDGET,
    Stage.BUDGET_READY: Step.BUDGET,
    Stage.PLAN_DRAFT: Step.PLAN,
    Stage.PLAN_RETURNED: Step.PLAN,
    Stage.PLAN_SUBMITTED: Step.APPROVAL,
    Stage.APPROVED: Step.APPROVAL,
    Stage.ACTIVE: Step.ACTIVE,
    Stage.REVIEW_DUE: Step.REVIEWS,
    Stage.REVIEW_OVERDUE: Step.REVIEWS,
    Stage.ENDING: Step.ACTIVE,
    Stage.ENDED: Step.ACTIVE,
}

# The journey has stopped: nothing after the stage's step will happen (reviews are cancelled by an ending).
STOPPED = frozenset({Stage.NOT_ELIGIBLE, Stage.ENDING, Stage.ENDED})

# The tag colours are the stages' (NHS.UK guidance, casework.stages.SHAPES): done is green like an approved
# plan, not started is grey like someone not screened yet.
DONE_COLOUR = SHAPES[Stage.APPROVED].colour
NOT_STARTED_COLOUR = SHAPES[Stage.NEW].colour


@dataclass(frozen=True)
class StepState:
    """One row of the task list: the step, its status in words, and its tag colour (None: plain text, as the
    NHS.UK task list shows "Cannot start yet")."""

    step: Step
    label: str
    colour: str | None

    @property
    def cannot_start(self) -> bool:
        return self.colour is None


DONE = "Completed"
NOT_STARTED = "Not started"
CANNOT_START = "Cannot start yet"
NOT_NEEDED = "Not needed now"
NOT_DUE_YET = "Not due yet"  # a plan in force whose next review is more than 28 days away


def steps_of(where: Where, *, running: bool = False) -> list[StepState]:
    """Each step's status for a person at `where`; running: a plan version is in force (an active plan that
    is being changed stays "Active" while the change is at an earlier step)."""
    at = STEP_OF_STAGE[where.stage]
    states = []
    for step in Step:
        if step == at:
            states.append(StepState(step, where.label, where.colour))
        elif step == Step.ACTIVE and running and where.stage not in STOPPED:
            active = Where(Stage.ACTIVE)
            states.append(StepState(step, active.label, active.colour))
        elif step == Step.REVIEWS and running and where.stage not in STOPPED:
            # Reviews go on while a plan is in force: none is due within 28 days (the stage would say so).
            states.append(StepState(step, NOT_DUE_YET, NOT_STARTED_COLOUR))
        elif step < at:
            states.append(StepState(step, DONE, DONE_COLOUR))
        elif where.stage in STOPPED:
            states.append(StepState(step, NOT_NEEDED if where.stage != Stage.NOT_ELIGIBLE else CANNOT_START, None))
        else:
            states.append(StepState(step, NOT_STARTED, NOT_STARTED_COLOUR))
    return states


# The money in the summary card


def with_plan_in_force(people: QuerySet) -> QuerySet:
    """People with the number, agreed amount and money options (phb.db.IdList) of their plan version in force
    today (careplans' PlanVersionQuerySet.in_force: the one rule), or else of the approved version still to
    start (with its start date), in the query that loads them."""
    today = timezone.localdate()
    versions = PlanVersion.objects.filter(plan__person=OuterRef("pk"))
    in_force = versions.in_force(on=today).order_by("-number")
    starting = versions.filter(status=Status.APPROVED, start_date__gt=today).order_by("start_date", "-number")
    options = (
        SupportItem.objects.filter(plan_version=OuterRef("pk"))
        .order_by()
        .values("plan_version")
        .annotate(options=IdList("money_option"))
        .values("options")
    )
    return people.annotate(
        in_force_number=Subquery(in_force.values("number")[:1], output_field=IntegerField()),
        starting_on=Subquery(starting.values("start_date")[:1], output_field=DateField()),
        starting_annual=Subquery(
            starting.values("agreed_annual")[:1], output_field=DecimalField(max_digits=12, decimal_places=2)
        ),
        starting_money=Subquery(
            starting.annotate(money=Subquery(options, output_field=CharField())).values("money")[:1],
            output_field=CharField(),
        ),
        in_force_annual=Subquery(
            in_force.values("agreed_annual")[:1], output_field=DecimalField(max_digits=12, decimal_places=2)
        ),
        in_force_money=Subquery(
            in_force.annotate(money=Subquery(options, output_field=CharField())).values("money")[:1],
            output_field=CharField(),
        ),
    )


@dataclass(frozen=True)
class Money:
    """The budget in the summary card: the plan in force's agreed amount, else the indicative budget while it
    can be used, else why it cannot (budgets.selectors.budget_unusable_reason); nothing once the budget has
    ended on the latest one (stages: ended)."""

    annual: Decimal | None = None
    ended: bool = False
    agreed: bool = False  # the agreed amount of a plan, rather than the indicative budget
    starts_on: datetime.date | None = None  # agreed in a plan approved to start on this date (none in force)
    unusable: str | None = None  # why the latest indicative budget cannot be used yet
    options: tuple[str, ...] = ()  # how the money is managed, in words

    @property
    def weekly(self) -> Decimal | None:
        return weekly(self.annual) if self.annual is not None else None


def _options(money: str | None) -> tuple[str, ...]:
    return tuple(sorted({rules.MONEY_OPTION_LABELS[rules.MoneyOption(value)] for value in ids_from(money)}))


def money_of(
    *,
    in_force_annual,
    in_force_money,
    budget_annual,
    budget_unusable: str | None,
    ended: bool = False,
    starting_annual=None,
    starting_money=None,
    starting_on: datetime.date | None = None,
) -> Money:
    """The summary card's money from what the page read (pure): the plan in force's, else the plan approved to
    start later's, else the indicative budget. ended: the person's stage is "ended", so their latest budget is
    the one the ended plan was written from and is not shown as if it could be used."""
    if in_force_annual is not None:
        return Money(annual=in_force_annual, agreed=True, options=_options(in_force_money))
    if starting_annual is not None:
        return Money(annual=starting_annual, agreed=True, starts_on=starting_on, options=_options(starting_money))
    if ended:
        return Money(ended=True)
    if budget_annual is not None and budget_unusable is None:
        return Money(annual=budget_annual)
    return Money(unusable=budget_unusable if budget_annual is not None else None)
