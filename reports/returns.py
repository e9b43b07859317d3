"""The NHS England quarterly personal health budget return: how many people had a personal health budget in the
quarter, in the year to date and at the quarter's end, by who they are and how their money is managed. The
paragraphs after this one say, in plain words for the return's page (DEFINITIONS), how each case is counted.

Having a personal health budget: a person has one while an agreed version of their support plan is in force. A
version is in force from its start date. It stops being in force on the end date recorded when the budget was ended
(from that day the budget is no longer in use), or on the start date of the newer version that replaced it. A
version replaced before its start date was never in force.

In the quarter: everyone whose plan was in force on at least one day of the quarter. A budget that started on the
quarter's first day counts; one that started the day after the quarter's last day does not, and nor does one that
ended before the quarter began.

A budget that ended during the quarter: it counts in the quarter and in the year to date, but not as live at the
quarter's end.

Year to date: everyone whose plan was in force on at least one day from 1 April to the quarter's last day. Someone
whose budget ended in an earlier quarter of the same financial year still counts.

Live at the quarter's end: everyone whose plan was in force on the quarter's last day. A budget with an end date on
or before that day is not live.

A quarter not yet over: the figures run to today. In the quarter and the year to date count up to today, and live
means live today.

One-off budgets: a budget paid once, such as a personal wheelchair budget that buys one wheelchair, counts while
its plan is in force, as NHS England's guidance allows while it is reviewed. Once the plan is ended it counts in
the quarter it ended in and in that year to date, and no longer as live.

Each person counts once, in one category: the first of these that their screening shows, in this order. 1. Adults
with NHS Continuing Healthcare. 2. Children and young people's continuing care. 3. Section 117 mental health
aftercare. 4. Personal wheelchair budgets: people eligible for NHS wheelchair services. 5. Other: people in an
Integrated Personal Commissioning (IPC) cohort, people with an individually commissioned care package, and anyone
else. Continuing care and aftercare come first because those budgets pay for the person's whole package of NHS
care, and a wheelchair is often one part of it.

Which screening: the latest screening that found the person eligible, on or before the quarter's last day (or, if
there is none by then, the first one after it).

Fast track: screenings do not record whether NHS Continuing Healthcare was fast-tracked, so fast-track budgets are
counted with NHS Continuing Healthcare and not shown on their own.

Personal wheelchair budgets: the service does not record a wheelchair budget separately from other budgets. A
budget counts as a personal wheelchair budget when the person's screening says they are eligible for NHS wheelchair
services and none of the categories before it applies.

A young person who turned 18: their category follows the funding their screening records, not their age. A young
person who turned 18 during the quarter counts under children and young people's continuing care until a new
screening records adult NHS Continuing Healthcare funding. Moving to adult continuing healthcare needs its own
decision, and counting by birthday would report someone as having adult funding before anyone had decided it.

How the money is managed: from the support plan's items, each of which is a notional budget, a third-party budget
or a direct payment. A budget managed in more than one way counts once, as mixed, and not once for each way: NHS
England's data collection counts each budget once, and one that combines ways as a combination. In the quarter and
the year to date, it is the way set out in the latest version of the plan in force in that time; live, the version
in force on the last day.

Care teams: a return for some care teams counts the people in those teams' care now.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    JSONField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, JSONObject
from django.utils import timezone

from careplans.models import EventKind, PlanEvent, PlanVersion, Status, SupportItem
from careplans.rules import MoneyOption
from eligibility.models import Screening, eligible_q
from eligibility.rules import Funding, Section117
from people.models import Person
from phb.audit import spreadsheet_safe
from phb.words import long_date
from reports.quarters import Quarter

# A version's in_force_until while nothing has ended or replaced it.
NEVER = datetime.date.max

# The module's words, paragraph by paragraph, for the return's page: what each figure means.
DEFINITIONS = tuple(" ".join(paragraph.split()) for paragraph in __doc__.strip().split("\n\n")[1:])


class Category(StrEnum):
    CHC = "chc"
    CHILDREN = "children"
    WHEELCHAIR = "wheelchair"
    AFTERCARE = "aftercare"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.CHC: "Adults with NHS Continuing Healthcare",
    Category.CHILDREN: "Children and young people's continuing care",
    Category.WHEELCHAIR: "Personal wheelchair budgets",
    Category.AFTERCARE: "Section 117 mental health aftercare",
    Category.OTHER: "Other: IPC cohorts and individually commissioned care",
}
# The return's rows, in its order.
ROWS = (Category.CHC, Category.CHILDREN, Category.WHEELCHAIR, Category.AFTERCARE, Category.OTHER)
TOTAL_LABEL = "Total"


class Managed(StrEnum):
    """How a budget's money is managed: one of careplans.rules.MoneyOption, or mixed (more than one)."""

    NOTIONAL = MoneyOption.NOTIONAL.value
    THIRD_PARTY = MoneyOption.THIRD_PARTY.value
    DIRECT_PAYMENT = MoneyOption.DIRECT_PAYMENT.value
    MIXED = "mixed"


MANAGED_LABELS = {
    Managed.NOTIONAL: "Notional budget",
    Managed.THIRD_PARTY: "Third-party budget",
    Managed.DIRECT_PAYMENT: "Direct payment",
    Managed.MIXED: "Mixed (more than one way)",
}
# The columns under each measure, in the return's order, then their total.
COLUMNS = (Managed.NOTIONAL, Managed.THIRD_PARTY, Managed.DIRECT_PAYMENT, Managed.MIXED)
ALL_COLUMNS_LABEL = "All"


class Measure(StrEnum):
    IN_QUARTER = "in_quarter"
    YEAR_TO_DATE = "year_to_date"
    LIVE = "live"


MEASURE_LABELS = {
    Measure.IN_QUARTER: "In the quarter",
    Measure.YEAR_TO_DATE: "Year to date",
    Measure.LIVE: "Live at the quarter's end",
}
MEASURES = (Measure.IN_QUARTER, Measure.YEAR_TO_DATE, Measure.LIVE)


@dataclass(frozen=True)
class Counts:
    """People in one row under one measure, by how their money is managed."""

    notional: int = 0
    third_party: int = 0
    direct_payment: int = 0
    mixed: int = 0

    def __getitem__(self, managed: Managed) -> int:
        return getattr(self, Managed(managed).name.lower())

    @property
    def total(self) -> int:
        return self.notional + self.third_party + self.direct_payment + self.mixed

    @property
    def cells(self) -> tuple[int, ...]:
        """The figures in the return's column order, then the total."""
        return (*(self[managed] for managed in COLUMNS), self.total)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(self[managed] + other[managed] for managed in COLUMNS))


@dataclass(frozen=True)
class Row:
    """One row of the return: a category (None for the totals row) with its three measures."""

    category: Category | None
    label: str
    in_quarter: Counts = field(default_factory=Counts)
    year_to_date: Counts = field(default_factory=Counts)
    live: Counts = field(default_factory=Counts)

    def __getitem__(self, measure: Measure) -> Counts:
        return getattr(self, Measure(measure).value)

    @property
    def cells(self) -> tuple[int, ...]:
        """Every figure of the row in the return's column order (each measure's columns and its total)."""
        return tuple(cell for measure in MEASURES for cell in self[measure].cells)


@dataclass(frozen=True)
class QuarterlyReturn:
    quarter: Quarter
    as_at: datetime.date  # the quarter's last day, or today while the quarter is not yet over
    rows: tuple[Row, ...]  # one for each category, in the return's order
    total: Row

    @property
    def complete(self) -> bool:
        """Whether the quarter is over, so the figures cover all of it."""
        return self.as_at == self.quarter.end

    @property
    def note(self) -> str:
        """What a page says above figures for a quarter not yet over; "" once it is."""
        if self.complete:
            return ""
        return (
            f"{self.quarter.short_label} has not ended yet. These figures are up to {long_date(self.as_at)}, "
            "and live means live on that day."
        )

    @property
    def header(self) -> tuple[str, ...]:
        """The column headings, as in the CSV: the category, then each measure's ways of managing the money
        and their total."""
        return ("Category", *column_labels())


def column_labels() -> tuple[str, ...]:
    return tuple(
        f"{MEASURE_LABELS[measure]}: {label}"
        for measure in MEASURES
        for label in (*(MANAGED_LABELS[managed] for managed in COLUMNS), ALL_COLUMNS_LABEL)
    )


# --- the facts, as SQL over plan versions --------------------------------------------------------------


def _became_active(version) -> Exists:
    """The version was made active at some time (its timeline has the change of status)."""
    return Exists(PlanEvent.objects.filter(plan_version=version, kind=EventKind.STATUS, to_status=Status.ACTIVE))


def in_force_until() -> Coalesce:
    """The day a version stopped being in force (the first day it was not), as an expression on versions;
    NEVER while nothing has ended or replaced it. A budget ended on a date is in force until the day before it
    (payments stop from the end date); a version replaced by a newer one is in force until the newer one's
    start date (careplans' in_force: while a change waits for its start date the older version stays in force).
    The newer one is the next version of the plan that became active: a version replaced before it started
    replaced nothing."""
    replaced_on = (
        PlanVersion.objects.filter(plan_id=OuterRef("plan_id"), number__gt=OuterRef("number"))
        .filter(_became_active(OuterRef("pk")))
        .order_by("number")
        .values("start_date")[:1]
    )
    stopped = Case(
        When(status__in=sorted(Status.FINISHING), then=F("ended_on")),
        When(status=Status.SUPERSEDED, then=Subquery(replaced_on)),
        default=None,
        output_field=DateField(),
    )
    return Coalesce(stopped, Value(NEVER))


def was_in_force() -> Q:
    """An agreed version that came into force at some time: every agreed status, except a version replaced
    before it started (never made active). Whether it was in force on a given day is in_force_between."""
    return Q(status__in=Status.AGREED) & (~Q(status=Status.SUPERSEDED) | _became_active(OuterRef("pk")))


def in_force_between(first: datetime.date, last: datetime.date) -> Q:
    """In force on at least one day from `first` to `last` (inclusive), on versions annotated with `until`
    (in_force_until): started by `last`, and not stopped by `first` or before it started. (`until` is named
    once, so the database works it out once for each version.)"""
    return Q(start_date__lte=last) & Q(until__gt=Greatest(Value(first), F("start_date")))


def managed() -> Coalesce:
    """How a version's money is managed, from its items: their one money option, or mixed. A plan cannot be
    submitted without items (careplans.rules.missing), so a version without any is never agreed; were one ever
    to be, it would count as notional, the NHS arranging its care."""
    ways = (
        SupportItem.objects.filter(plan_version=OuterRef("pk"))
        .order_by()
        .values("plan_version")
        .annotate(ways=Count("money_option", distinct=True), one_way=Min("money_option"))
        .annotate(managed=Case(When(ways__gt=1, then=Value(Managed.MIXED.value)), default=F("one_way")))
        .values("managed")
    )
    return Coalesce(Subquery(ways), Value(Managed.NOTIONAL.value))


def category(*, on: datetime.date) -> Coalesce:
    """The person's category (on versions: the plan's person), from their latest screening that found them
    eligible on or before `on`, else their first after it; other with none. The first that applies, in order:
    Continuing Healthcare, children's continuing care, section 117 aftercare, wheelchair, other."""
    by_or_before = Q(screened_on__lte=on)
    screening = (
        Screening.objects.filter(eligible_q(), person_id=OuterRef("plan__person_id"))
        .order_by(
            Case(When(by_or_before, then=Value(0)), default=Value(1)),
            Case(When(by_or_before, then=F("screened_on"))).desc(nulls_last=True),
            "screened_on",
            "-created_at",
        )
        .values(
            category=Case(
                When(funding=Funding.CHC.value, then=Value(Category.CHC.value)),
                When(funding=Funding.CC.value, then=Value(Category.CHILDREN.value)),
                When(section_117=Section117.AFTERCARE.value, then=Value(Category.AFTERCARE.value)),
                When(wheelchair=True, then=Value(Category.WHEELCHAIR.value)),
                default=Value(Category.OTHER.value),
            )
        )[:1]
    )
    return Coalesce(Subquery(screening), Value(Category.OTHER.value))


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def budget_of_person(quarter: Quarter, *, as_at: datetime.date) -> Subquery:
    """For each person (the outer query), their budget in the year to date as one JSON object: the latest
    version of their plans in force on any day from 1 April to `as_at`, with the person's category, how the
    money is managed, whether it was in force in the quarter and whether it is live on `as_at`. NULL for
    someone without one.

    One version per person is enough: a person's versions are in force one after another (a new plan cannot
    start while another is still going), so the latest in force in the year to date is also the latest in
    force in the quarter when there is one, and the one in force on `as_at` when there is one."""
    versions = (
        PlanVersion.objects.filter(plan__person_id=OuterRef("pk"))
        .annotate(until=in_force_until())
        .filter(was_in_force(), in_force_between(quarter.year_start, as_at))
        .order_by("-start_date", "-number")
        .values(
            budget=JSONObject(
                category=category(on=as_at),
                managed=managed(),
                in_quarter=_flag(Q(until__gt=quarter.start)),
                live=_flag(Q(until__gt=as_at)),
            )
        )[:1]
    )
    return Subquery(versions, output_field=JSONField())


# --- the return --------------------------------------------------------------------------------------------


def quarterly_return(
    quarter: Quarter, *, teams: Iterable | None = None, today: datetime.date | None = None
) -> QuarterlyReturn:
    """The return for a quarter, for everyone or for the people of some care teams (CareTeam objects, their ids
    or a queryset of them).

    One query whatever the number of people: each person's budget is worked out in SQL (budget_of_person)
    and people are counted by the database, grouped by category, way of managing the money and whether they
    were in the quarter and live; the cells add those groups up (at most 5 × 4 × 4 of them).
    """
    today = today or timezone.localdate()
    as_at = min(quarter.end, today)
    if as_at < quarter.start:
        raise ValueError(f"{quarter.short_label} has not started yet, so it has no figures.")
    people = Person.objects.all()
    if teams is not None:
        people = people.filter(care_team__in=teams)  # a queryset of teams stays a subquery: no query more
    groups = (
        people.order_by()
        .annotate(budget=budget_of_person(quarter, as_at=as_at))
        .values("budget")
        .annotate(people=Count("pk"))
    )
    tallies = {(category, measure): dict.fromkeys(COLUMNS, 0) for category in ROWS for measure in MEASURES}
    for group in groups:
        budget = group["budget"]
        if budget is None:
            continue  # people without a budget in the year to date
        cells = Category(budget["category"]), Managed(budget["managed"])
        measures = [Measure.YEAR_TO_DATE]
        measures += [Measure.IN_QUARTER] if budget["in_quarter"] else []
        measures += [Measure.LIVE] if budget["live"] else []
        for measure in measures:
            tallies[cells[0], measure][cells[1]] += group["people"]
    rows = tuple(
        Row(
            category=row,
            label=CATEGORY_LABELS[row],
            **{measure.value: Counts(*(tallies[row, measure][managed] for managed in COLUMNS)) for measure in MEASURES},
        )
        for row in ROWS
    )
    total = Row(
        category=None,
        label=TOTAL_LABEL,
        **{measure.value: sum((row[measure] for row in rows), Counts()) for measure in MEASURES},
    )
    return QuarterlyReturn(quarter=quarter, as_at=as_at, rows=rows, total=total)


def return_csv(result: QuarterlyReturn) -> str:
    """The return as CSV in its layout: a header row, a row for each category, then the totals. Text cells
    pass through phb.audit.spreadsheet_safe, so no cell is read as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(heading) for heading in result.header])
    for row in (*result.rows, result.total):
        writer.writerow([spreadsheet_safe(row.label), *row.cells])
    return out.getvalue()


def file_name(result: QuarterlyReturn) -> str:
    """A name for the CSV download: "phb-return-2026-27-q1.csv"."""
    return f"phb-return-{result.quarter.code}.csv"
