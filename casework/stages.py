"""Where a person is in the journey, and what happens next: the rule, written once.

`stage_of(facts)` is the rule as a pure function over plain values (tests/test_stages.py reads it as a
table). `casework.selectors.with_stage` is the same rule in SQL, for a whole list in one query; a test
builds real records for every stage and proves the two agree. Each stage has one label, one NHS.UK tag
colour (grey: not started or over; blue: in progress; green: done; orange or red: needs attention) and
one next action with who holds it, so the caseload, the person page and the portal say the same.

The facts come from the sources of truth: the latest screening (eligibility.models.eligible_q), the
latest budget and whether it can be used (budgets.selectors.usable_if_eligible), the plan versions
(careplans.models.Status and the PlanVersion querysets: in force, open) and the reviews still due.

The first rule that matches decides (the tie-breaks are this order):

1. Ending: a version is ending. Reviews are cancelled and changes withdrawn by the ending, so nothing
   else is open.
2. Review overdue: a plan is in force and a review was due before today. It outranks a change waiting
   for the PHB team (an active plan with a review overdue and a change submitted is "review overdue":
   the review is the coordinator's and late; the change is with the PHB team).
3. Plan returned: a draft made by the PHB team returning a version (returned before a review due soon,
   as it waits on the coordinator now).
4. Review due: a plan is in force and a review is due within careplans.reviews.DUE_SOON_DAYS.
5. Plan submitted: a version (a first plan or a change) waits for the PHB team.
6. Approved, starting on a date: a version is approved and its start date is still to come (a first
   plan, or a change while the older version stays in force).
7. Plan draft: a version is being written (a first plan, or a change to a plan in force: the change is
   the work still to finish, so it shows rather than "active").
8. Active: a version is in force, with the next review's date.
9. Ended: a version ended on the person's latest budget, and nothing is going. A newer budget worked out
   since (a new journey) shows that budget's stage instead.
10. Before any plan, from the latest screening: none, "not screened"; not eligible (or a referral the
    PHB team declined), "not eligible"; a referral waiting, "referred"; eligible, then from the latest
    budget: usable, "budget ready" (to tell them and start a plan; also after a plan was declined);
    waiting for sign-off, "budget waiting for sign-off"; otherwise an assessment makes it "assessed"
    (also when the PHB team returned the budget: a new one is to be worked out), else "eligible".
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.db import models

from careplans import lifecycle
from careplans.reviews import due_soon_until
from phb.roles import PHB_TEAM_ROLES
from phb.words import long_date


class Stage(models.IntegerChoices):
    """The stages in journey order (the caseload sorts by it). The value is stored nowhere: it is worked
    out on every read, so the numbers can change."""

    NEW = 10, "Not screened yet"
    NOT_ELIGIBLE = 15, "Not eligible"
    REFERRED = 20, "Referred to the PHB team"
    SCREENED = 30, "Eligible, waiting for an assessment"
    ASSESSED = 40, "Assessed"
    BUDGET_WAITING = 50, "Budget waiting for sign-off"
    BUDGET_READY = 60, "Budget ready to tell"
    PLAN_DRAFT = 70, "Plan being written"
    PLAN_RETURNED = 75, "Plan returned for changes"
    PLAN_SUBMITTED = 80, "Plan with the PHB team"
    APPROVED = 90, "Plan approved"
    ACTIVE = 100, "Active"
    REVIEW_DUE = 110, "Review due"
    REVIEW_OVERDUE = 115, "Review overdue"
    ENDING = 120, "Ending"
    ENDED = 130, "Ended"

    @property
    def slug(self) -> str:
        """The stage in a query string (?stage=review_overdue)."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> "Stage | None":
        return next((stage for stage in cls if stage.slug == slug), None)


class Holder(StrEnum):
    """Who holds the next action."""

    COORDINATOR = "coordinator"
    PHB_TEAM = "phb_team"
    NOBODY = "nobody"

    @property
    def label(self) -> str:
        return HOLDER_LABELS[self]


HOLDER_LABELS = {Holder.COORDINATOR: "Care coordinator", Holder.PHB_TEAM: "PHB team", Holder.NOBODY: "No one"}


def _holder(action: lifecycle.Action) -> Holder:
    """Who takes a plan action, from the lifecycle's own table of roles."""
    return Holder.PHB_TEAM if lifecycle.ROLES[action] <= PHB_TEAM_ROLES else Holder.COORDINATOR


@dataclass(frozen=True)
class StageShape:
    """How a stage looks and what happens next. `action` may hold "{date}": the next action's date."""

    colour: str
    action: str
    holder: Holder
    undated: str = ""  # the action when there is no date (an active plan with no review to do)


SHAPES = {
    Stage.NEW: StageShape("grey", "Screen them for a personal health budget", Holder.COORDINATOR),
    Stage.NOT_ELIGIBLE: StageShape("grey", "Nothing, unless their circumstances change", Holder.NOBODY),
    Stage.REFERRED: StageShape("blue", "Decide on the referral", Holder.PHB_TEAM),
    Stage.SCREENED: StageShape("blue", "Assess their needs", Holder.COORDINATOR),
    Stage.ASSESSED: StageShape("blue", "Work out their indicative budget", Holder.COORDINATOR),
    Stage.BUDGET_WAITING: StageShape("blue", "Sign off the budget", Holder.PHB_TEAM),
    Stage.BUDGET_READY: StageShape("blue", "Tell them their budget and start a support plan", Holder.COORDINATOR),
    Stage.PLAN_DRAFT: StageShape("blue", "Finish the plan and submit it", _holder(lifecycle.Action.SUBMIT)),
    Stage.PLAN_RETURNED: StageShape(
        "orange", "Make the changes asked for and submit the plan again", _holder(lifecycle.Action.SUBMIT)
    ),
    Stage.PLAN_SUBMITTED: StageShape("blue", "Decide on the plan", _holder(lifecycle.Action.APPROVE)),
    Stage.APPROVED: StageShape("green", "Nothing until it starts on {date}", Holder.NOBODY),
    Stage.ACTIVE: StageShape(
        "green", "Review the plan with them by {date}", Holder.COORDINATOR, undated="Nothing due: no review is booked"
    ),
    Stage.REVIEW_DUE: StageShape("orange", "Review the plan with them by {date}", Holder.COORDINATOR),
    Stage.REVIEW_OVERDUE: StageShape("red", "Review the plan with them: it was due by {date}", Holder.COORDINATOR),
    Stage.ENDING: StageShape("orange", "Nothing: payments stop on {date}", Holder.NOBODY),
    Stage.ENDED: StageShape("grey", "Nothing", Holder.NOBODY),
}

# The stage as the person reads it in the portal: their own journey, in the same colour as staff see it.
PERSON_LABELS = {
    Stage.NEW: "Not started",
    Stage.NOT_ELIGIBLE: "Not eligible",
    Stage.REFERRED: "Waiting for a decision",
    Stage.SCREENED: "Waiting for an assessment",
    Stage.ASSESSED: "Budget being worked out",
    Stage.BUDGET_WAITING: "Budget being checked",
    Stage.BUDGET_READY: "Budget ready",
    Stage.PLAN_DRAFT: "Plan being written",
    Stage.PLAN_RETURNED: "Plan being changed",
    Stage.PLAN_SUBMITTED: "Plan being checked",
    Stage.APPROVED: "Plan approved",
    Stage.ACTIVE: "Active",
    Stage.REVIEW_DUE: "Review due",
    Stage.REVIEW_OVERDUE: "Review overdue",
    Stage.ENDING: "Ending",
    Stage.ENDED: "Ended",
}


@dataclass(frozen=True)
class Where:
    """A person's stage and its next action's date (None where the stage has no date)."""

    stage: Stage
    on: datetime.date | None = None

    @property
    def colour(self) -> str:
        return SHAPES[self.stage].colour

    @property
    def label(self) -> str:
        return self._dated(self.stage.label)

    @property
    def label_for_person(self) -> str:
        return self._dated(PERSON_LABELS[self.stage])

    def _dated(self, label: str) -> str:
        if self.stage == Stage.APPROVED and self.on:
            return f"{label}, starting on {long_date(self.on)}"
        if self.stage == Stage.ENDING and self.on:
            return f"{label} on {long_date(self.on)}"
        return label

    @property
    def holder(self) -> Holder:
        return SHAPES[self.stage].holder

    @property
    def next_action(self) -> str:
        shape = SHAPES[self.stage]
        if "{date}" not in shape.action:
            return shape.action
        if self.on is None:
            return shape.undated or shape.action.replace("{date}", "soon")
        return shape.action.replace("{date}", long_date(self.on))


class Screened(StrEnum):
    """What the latest screening says now."""

    NONE = "none"
    ELIGIBLE = "eligible"
    REFERRED = "referred"  # waiting for the PHB team's decision
    NOT_ELIGIBLE = "not_eligible"


class Budget(StrEnum):
    """The person's latest indicative budget."""

    NONE = "none"
    USABLE = "usable"  # budgets.selectors.usable_if_eligible: signed off or needing no sign-off
    WAITING = "waiting"  # waiting for PHB team sign-off
    OTHER = "other"  # returned by the PHB team (or replaced): a new one is to be worked out


@dataclass(frozen=True)
class Facts:
    """What the rule reads about one person on one day."""

    today: datetime.date
    screened: Screened = Screened.NONE
    assessed: bool = False
    budget: Budget = Budget.NONE
    ending_on: datetime.date | None = None  # a version is ending: its end date
    in_force: bool = False  # a version is in force today (PlanVersionQuerySet.in_force)
    starts_on: datetime.date | None = None  # the earliest start of an approved version still to start
    submitted: bool = False  # a version waits for the PHB team
    draft: bool = False  # a version is being written
    returned: bool = False  # that draft was made by the PHB team returning the version before it
    review_on: datetime.date | None = None  # the earliest review still due
    ended: bool = False  # a version ended on the person's latest budget


def stage_of(facts: Facts) -> Where:
    """The person's stage and the date of their next action. The order is the tie-break (module doc)."""
    review_on = facts.review_on if facts.in_force else None
    if facts.ending_on is not None:
        return Where(Stage.ENDING, facts.ending_on)
    if review_on is not None and review_on < facts.today:
        return Where(Stage.REVIEW_OVERDUE, review_on)
    if facts.draft and facts.returned:
        return Where(Stage.PLAN_RETURNED)
    if review_on is not None and review_on <= due_soon_until(facts.today):
        return Where(Stage.REVIEW_DUE, review_on)
    if facts.submitted:
        return Where(Stage.PLAN_SUBMITTED)
    if facts.starts_on is not None:
        return Where(Stage.APPROVED, facts.starts_on)
    if facts.draft:
        return Where(Stage.PLAN_DRAFT)
    if facts.in_force:
        return Where(Stage.ACTIVE, review_on)
    if facts.ended:
        return Where(Stage.ENDED)
    return Where(_before_a_plan(facts))


def _before_a_plan(facts: Facts) -> Stage:
    if facts.screened == Screened.NONE:
        return Stage.NEW
    if facts.screened == Screened.NOT_ELIGIBLE:
        return Stage.NOT_ELIGIBLE
    if facts.screened == Screened.REFERRED:
        return Stage.REFERRED
    if facts.budget == Budget.USABLE:
        return Stage.BUDGET_READY
    if facts.budget == Budget.WAITING:
        return Stage.BUDGET_WAITING
    if facts.assessed:
        return Stage.ASSESSED
    return Stage.SCREENED
