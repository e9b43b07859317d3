"""Reads for plans: a version with everything its page needs, and snapshots for the rules."""

import datetime
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Case, DecimalField, Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, JSONObject, Round
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst

from careplans import rules
from careplans.models import (
    EndingRequest,
    EndingStatus,
    Outcome,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewStatus,
    Status,
    SupportItem,
    SupportPlan,
)
from people.models import Person, User
from phb.db import IdList
from phb.money import pounds
from phb.words import long_date

# The budget's JSON (inputs, workings, flags) is only needed on the budget's own page.
BUDGET_WORKINGS = ("inputs", "costed_lines", "ras_lines", "flags", "sign_off_reasons")


def version_with_people() -> QuerySet[PlanVersion]:
    """A version with its plan, person, budget and the people named on it, in one query (no budget JSON)."""
    return PlanVersion.objects.select_related(
        "plan",
        "plan__person",
        "plan__person__care_team",
        "plan__person__lead_coordinator",
        "budget_version",
        "care_coordinator",
        "updated_by",
        "submitted_by",
        "assigned_to",
        "decided_by",
    ).defer(*(f"budget_version__{name}" for name in BUDGET_WORKINGS))


def details() -> tuple[Prefetch, Prefetch]:
    """A version's outcomes and its items, each item carrying the ids of its outcomes: two queries for any
    number of versions (SupportItem.linked_outcomes reads the links from them)."""
    items = SupportItem.objects.order_by("created_at", "id").annotate(linked_outcome_ids=IdList("outcomes__id"))
    return (
        Prefetch("outcomes", queryset=Outcome.objects.order_by("created_at", "id")),
        Prefetch("items", queryset=items),
    )


def version_with_details() -> QuerySet[PlanVersion]:
    """As version_with_people, with its outcomes and items (and each item's outcomes): two more queries."""
    return version_with_people().prefetch_related(*details())


def snapshot(version: PlanVersion) -> rules.PlanSnapshot:
    """The version as plain values (uses the prefetched outcomes and items)."""
    coordinator = version.care_coordinator
    return rules.PlanSnapshot(
        budget_annual=version.budget_version.annual_amount,
        start_date=version.start_date,
        outcomes=tuple(
            rules.OutcomeSnapshot(
                key=str(o.key), domain=o.domain, goal=o.goal, measure=o.measure, target_date=o.target_date
            )
            for o in version.outcomes.all()
        ),
        items=tuple(
            rules.ItemSnapshot(
                key=str(i.key),
                description=i.description,
                unit_cost=i.unit_cost,
                quantity=i.quantity,
                frequency=rules.Frequency(i.frequency),
                money_option=rules.MoneyOption(i.money_option),
                third_party_organisation=i.third_party_organisation,
                outcome_keys=tuple(sorted(str(o.key) for o in i.linked_outcomes())),
                provider=i.provider,
                category=i.category,
            )
            for i in version.items.all()
        ),
        care_coordinator=coordinator.display_name if coordinator else "",
        health_monitor=version.health_monitor,
        first_review_date=version.first_review_date,
        review_method=version.review_method,
        reduction_notice_days=version.reduction_notice_days,
        risks=version.risks,
        contingency=version.contingency,
        what_matters=version.what_matters,
        dp_recipient=version.dp_recipient,
        dp_recipient_name=version.dp_recipient_name,
        dp_amount=version.dp_amount,
        dp_frequency=version.dp_frequency,
        agreed_on=version.agreed_on,
        agreement_method=version.agreement_method,
        over_budget_justification=version.over_budget_justification,
        first_review_within_months=settings.PLAN_FIRST_REVIEW_WITHIN_MONTHS,
    )


def budgets_to_start_on(*, person: Person) -> QuerySet:
    """The person's budgets a plan may be started on: usable (the one budget rule), and only while the person
    has no plan still going (a version being written, waiting, agreed, in force or ending), on this budget or an
    earlier one: a plan is changed with a new version, or ended, never doubled. The one rule for starting a
    plan: the service, the start page and the person page's button all ask it."""
    from budgets.selectors import usable_budgets

    live = PlanVersion.objects.filter(plan__person_id=OuterRef("person_id"), status__in=Status.LIVE)
    return usable_budgets(person=person).exclude(Exists(live))


def _can_start_first_plan(person: Person) -> bool:
    """With no plan at all, a plan can be started on the latest budget if it is usable: read from the budget
    the page already showed when it did (budgets.selectors.latest_budget_shown), else asked of the database."""
    from budgets.selectors import NOT_READ, budget_unusable_reason, latest_budget_shown

    budget = latest_budget_shown(person)
    if budget is NOT_READ:
        return budgets_to_start_on(person=person).exists()
    return budget is not None and budget_unusable_reason(budget, known_latest=True) is None


@dataclass
class PersonPlans:
    """The support plan panel on a person's page."""

    plans: list  # (plan, [its versions, newest first]), newest plan first
    next_review_on: datetime.date | None
    can_start: bool


def person_plans(*, person: Person, may_start: bool) -> PersonPlans:
    """Every version of the person's plans in one query, carrying the next review due and (for someone who
    may start a plan) whether a plan can be started: budgets_to_start_on, asked inside the same query."""
    next_due = (
        Review.objects.filter(plan__person=person, status=ReviewStatus.DUE).order_by("due_on").values("due_on")[:1]
    )
    versions = (
        PlanVersion.objects.filter(plan__person=person)
        .select_related("plan")
        .only("id", "number", "status", "ended_on", "plan__id", "plan__created_at", "plan__person_id")
        .annotate(next_review_on=Subquery(next_due))
        .order_by("-plan__created_at", "plan_id", "-number")
    )
    if may_start:
        versions = versions.annotate(can_start=Exists(budgets_to_start_on(person=person)))
    versions = list(versions)
    if not versions:
        return PersonPlans(
            plans=[], next_review_on=None, can_start=may_start and budgets_to_start_on(person=person).exists()
        )
    plans: dict = {}
    for version in versions:
        plans.setdefault(version.plan_id, (version.plan, []))[1].append(version)
    return PersonPlans(
        plans=list(plans.values()),
        next_review_on=versions[0].next_review_on,
        can_start=may_start and versions[0].can_start,
    )


def item_annual_cost_sql(prefix: str = "") -> Case:
    """rules.item_annual_cost as SQL, built from the same table (rules.TIMES_A_YEAR): unit cost × quantity ×
    times a year, rounded half-up to the penny once. PostgreSQL's numeric division keeps at least 16
    significant digits and an exact value with a denominator of 7 or 28 is never exactly half a penny
    unless it is a finite decimal, so this agrees with the exact fraction (a test compares the two)."""
    return Case(
        *(
            When(
                **{f"{prefix}frequency": frequency.value},
                then=Round(
                    F(f"{prefix}unit_cost")
                    * F(f"{prefix}quantity")
                    * Value(Decimal(times.numerator))
                    / Value(Decimal(times.denominator)),
                    2,
                ),
            )
            for frequency, times in rules.TIMES_A_YEAR.items()
        ),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def with_plan_total(versions: QuerySet[PlanVersion]) -> QuerySet[PlanVersion]:
    """Each version annotated with plan_total: the sum of its items' annual costs (rules.totals' annual)."""
    items_total = (
        SupportItem.objects.filter(plan_version=OuterRef("pk"))
        .order_by()
        .values("plan_version")
        .annotate(total=Sum(item_annual_cost_sql()))
        .values("total")
    )
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=16, decimal_places=2))
    return versions.annotate(plan_total=Coalesce(Subquery(items_total), zero))


QUEUE_ORDER = {
    "waiting": ("submitted_at", "id"),
    "total": ("-plan_total", "submitted_at", "id"),
    "name": ("plan__person__family_name", "plan__person__given_name", "id"),
}


def decision_queue(
    *, team=None, route: str = "", money_option: str = "", over_budget_only: bool = False, sort: str = "waiting"
) -> QuerySet[PlanVersion]:
    """Submitted plans for the PHB team, with what the queue shows already joined and the plan total and
    whether it is over budget worked out in the database, so the queue is paged there (the partial index
    of submitted versions, by when they were submitted)."""
    from eligibility.models import Screening

    latest_route = Subquery(
        Screening.objects.filter(person=OuterRef("plan__person"))
        .order_by("-screened_on", "-created_at")
        .values("route")[:1]
    )
    versions = with_plan_total(
        PlanVersion.objects.filter(status=Status.SUBMITTED)
        .select_related("plan__person__care_team", "budget_version", "assigned_to")
        .defer(*(f"budget_version__{name}" for name in BUDGET_WORKINGS))
    ).annotate(route=latest_route)
    if team:
        versions = versions.filter(plan__person__care_team=team)
    if route:
        versions = versions.filter(route=route)
    if money_option:
        versions = versions.filter(
            Exists(SupportItem.objects.filter(plan_version=OuterRef("pk"), money_option=money_option))
        )
    if over_budget_only:
        versions = versions.filter(plan_total__gt=F("budget_version__annual_amount"))
    return versions.order_by(*QUEUE_ORDER.get(sort, QUEUE_ORDER["waiting"]))


def assigned_to(versions: QuerySet[PlanVersion], *, user, mine: bool) -> QuerySet[PlanVersion]:
    """Plans to decide assigned to the user (mine) or else to no one yet: the one rule for the plans-to-decide
    filter and the PHB team's home."""
    return versions.filter(assigned_to_id=user.pk) if mine else versions.filter(assigned_to__isnull=True)


def decision_queue_row(version: PlanVersion, *, today) -> dict:
    """One row of the queue: the version, its plan total, whether it is over budget, days waiting, and the
    person's route to a budget in words (the annotation holds the stored code)."""
    from eligibility.rules import ROUTE_LABELS, Route

    return {
        "version": version,
        "route": ROUTE_LABELS[Route(version.route)] if version.route else "",
        "total": version.plan_total,
        "over_budget": version.plan_total > version.budget_version.annual_amount,
        "days_waiting": (today - timezone.localdate(version.submitted_at)).days,
    }


def plan_timeline(*, plan: SupportPlan) -> QuerySet[PlanEvent]:
    return (
        PlanEvent.objects.filter(plan_version__plan=plan).select_related("actor", "plan_version").order_by("at", "id")
    )


def previous_agreed(version: PlanVersion, siblings: list[PlanVersion]) -> PlanVersion | None:
    """The last version before this one that the PHB team approved (Status.AGREED), for showing what
    changed: picked from the plan's versions already loaded."""
    earlier = [v for v in siblings if v.number < version.number and v.status in Status.AGREED]
    return max(earlier, key=lambda v: v.number, default=None)


def returned_before(version: PlanVersion, others: list[PlanVersion]) -> PlanVersion | None:
    """For a draft made by returning a plan: the version the PHB team returned (its reasons and who)."""
    if version.status not in Status.OPEN:
        return None
    earlier = [v for v in others if v.number < version.number]
    source = max(earlier, key=lambda v: v.number, default=None)
    return source if source is not None and source.status == Status.RETURNED else None


# get_version_and_siblings reads the plan's ending waiting for confirmation in the same query, as this attribute.
WAITING_ENDING = "waiting_ending_row"


def with_waiting_ending(versions: QuerySet[PlanVersion]) -> QuerySet[PlanVersion]:
    """Each version with its plan's ending waiting for confirmation (at most one), and who asked, as one JSON
    object from the same query (the plan page has no query to spare); waiting_ending_of reads it."""
    waiting = EndingRequest.objects.filter(plan_id=OuterRef("plan_id"), status=EndingStatus.WAITING).values(
        row=JSONObject(
            id="id",
            reason="reason",
            ended_on="ended_on",
            note="note",
            requested_at="requested_at",
            requested_by_id="requested_by_id",
            username="requested_by__username",
            first_name="requested_by__first_name",
            last_name="requested_by__last_name",
        )
    )[:1]
    return versions.annotate(**{WAITING_ENDING: Subquery(waiting)})


def waiting_ending_of(version: PlanVersion) -> EndingRequest | None:
    """The ending with_waiting_ending found for the version's plan (None: none waiting), with who asked."""
    row = getattr(version, WAITING_ENDING)
    if not row:
        return None
    asker = User(
        pk=row["requested_by_id"], username=row["username"], first_name=row["first_name"], last_name=row["last_name"]
    )
    return EndingRequest(
        id=uuid.UUID(row["id"]),
        plan_id=version.plan_id,
        reason=row["reason"],
        ended_on=datetime.date.fromisoformat(row["ended_on"]),
        note=row["note"],
        requested_at=parse_datetime(row["requested_at"]),
        requested_by=asker,
        status=EndingStatus.WAITING,
    )


def endings_to_confirm() -> QuerySet[EndingRequest]:
    """Endings waiting for a PHB team member's confirmation, oldest first, each with its person, the
    version it was asked from and who asked (one query; the PHB team sees every team's)."""
    return (
        EndingRequest.objects.filter(status=EndingStatus.WAITING)
        .select_related("plan__person", "plan__person__care_team", "plan_version", "requested_by")
        .order_by("requested_at", "id")
    )


@dataclass(frozen=True)
class EndingEffects:
    """What ending a budget does, for the pages that ask someone to confirm it."""

    reviews_cancelled: int  # reviews still to do
    withdrawn: list[int]  # numbers of the versions not yet in force that are withdrawn
    coordinator: object  # who is told by e-mail


def ending_effects(version: PlanVersion, siblings: list[PlanVersion]) -> EndingEffects:
    """From the plan's versions already loaded, and one count of the reviews still to do."""
    return EndingEffects(
        reviews_cancelled=Review.objects.filter(plan_id=version.plan_id, status=ReviewStatus.DUE).count(),
        withdrawn=sorted(v.number for v in siblings if v.status in Status.PENDING and v.pk != version.pk),
        coordinator=version.care_coordinator or version.created_by,
    )


def version_to_end(versions) -> PlanVersion | None:
    """Of a plan's versions, the one an ending ends: the one running (active or ending), else the newest
    agreed one not yet started. A change that started after an ending was asked for is the one ended."""
    current = sorted((v for v in versions if v.status in Status.CURRENT), key=lambda v: -v.number)
    return next((v for v in current if v.status in Status.RUNNING), current[0] if current else None)


# A comparison of two versions in words (the compare page): rules.compare names fields and keeps values as
# they are stored; people read each field's label, each choice's label, the goals an item serves, dates
# and money as they are written everywhere else.
COMPARED_MODELS = {"outcome": Outcome, "item": SupportItem}
COMPARED_LABELS = {"outcome_keys": "Outcomes it helps with"}
MONEY_FIELDS = {"unit_cost"}


def _compared_value(model, name: str, value: str, goals: dict) -> str:
    if value == "":
        return "none"
    if name == "outcome_keys":
        return "; ".join(goals.get(key, "an outcome since removed") for key in value.split(", "))
    field = model._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name in MONEY_FIELDS:
        return pounds(Decimal(value))
    if isinstance(field, models.DateField):
        return long_date(datetime.date.fromisoformat(value))
    if isinstance(field, models.DecimalField):
        return f"{Decimal(value).normalize():f}"  # 8, 2.5
    return value


def comparison_in_words(comparison: rules.Comparison, before: rules.PlanSnapshot, after: rules.PlanSnapshot):
    """The comparison's changes with each field as (label, before, after) in words."""
    goals = {o.key: o.goal for o in (*before.outcomes, *after.outcomes)}
    worded = []
    for change in comparison.changes:
        model = COMPARED_MODELS[change.what]
        fields = tuple(
            (
                COMPARED_LABELS.get(name) or capfirst(model._meta.get_field(name).verbose_name),
                _compared_value(model, name, old, goals),
                _compared_value(model, name, new, goals),
            )
            for name, old, new in change.fields
        )
        worded.append(replace(change, fields=fields))
    return worded
