"""The PHB team's dashboard: where people are in the journey, what waits, reviews, budgets and money, as figures
worked out in the database for everyone a user may see, whatever their number.

Who sees what: the people the user may see (people.access.visible, the caseload's scope): the PHB team and its
leads everyone, a care coordinator the people of their own care teams. The filters narrow that: care teams, the
route of the person's latest screening (eligibility.rules.Route, kept in casework.models.JourneyFacts), and the
lead coordinator.

Every figure is an aggregate in the database (a count, a sum, a least value, a percentile), in four queries
whatever the number of people: the stages (one GROUP BY over the kept journey facts), the plans in force with
their NHS and council amounts, their items by money option (a GROUP BY), and every other figure as a scalar
subquery of one row. Nothing is read person by person in Python.

Speed: a coordinator's dashboard (600 people) takes about 100 to 400 ms at national scale (seed_scale's 200,000
people). The PHB team's, over everyone, reads every person's kept facts, and for those at a stage where they wait
the record the wait began on (an index lookup each): several seconds on a shared two-core machine. The days at each
stage are the costly part; the casework facts could keep the day each stage began, which would make it one pass
over the facts.

COUNTED is how each figure is counted, in plain words for the page.
"""

import dataclasses
import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from careplans.models import PlanEvent, PlanVersion, Review, ReviewStatus, Status, SupportItem
from careplans.reviews import DUE_SOON_DAYS, due_soon_until, reviews_due_for
from careplans.rules import MONEY_OPTION_LABELS, MoneyOption
from careplans.selectors import item_annual_cost_sql
from casework import trays
from casework.selectors import OTHERWISE, rules_sql, since_facts, with_stage
from casework.stages import Stage
from eligibility.rules import Route
from payments.balance import FlagCode, TransactionKind
from payments.models import Invoice, MoneyFlag, ScheduleLine, Transaction
from payments.rules import LineStatus
from people.access import visible
from people.models import Person, User
from phb import freshness
from phb.money import round_pounds
from phb.roles import PHB_TEAM_ROLES

# How each figure is counted, in plain words for the page (the docstrings below say the same at more length).
COUNTED = {
    "stages": (
        "People at each stage: everyone you can see, at the stage their records put them at today, the same stage "
        "the caseload shows."
    ),
    "days": (
        "Days at the stage: for the people at a stage today, how long they have been at it. The median is the "
        "middle value (half have been there longer); the 90th percentile is the value only 1 in 10 have been "
        "there longer than. Each stage is counted from: not screened yet, the day their record was added; "
        "referred, and eligible waiting for an assessment, the day of their latest screening; assessed, the day "
        "of their latest assessment; budget waiting for sign-off, the day the budget was worked out; budget ready "
        "to tell, the day it was signed off (or worked out, when it needed no sign-off); plan being written, the "
        "day the draft was started; plan returned, the day it was returned; plan with the PHB team, the day it was "
        "submitted; plan approved, the day it was approved; review due, 28 days before the review's due date (when "
        "it became due soon); review overdue, the review's due date; ending, the day the ending was recorded. Days "
        "are not counted for active, ended and not eligible: people stay at those stages rather than wait there, "
        "so the time says nothing about delays."
    ),
    "waits": (
        "Referrals, budget sign-offs and plans waiting for the PHB team: how many wait now, and how long the one "
        "waiting longest has waited, counted from the screening date, the day the budget was worked out and the "
        "day the plan was submitted (the same as the work trays)."
    ),
    "reviews_due": (
        "Reviews due within 28 days and overdue: reviews still to do of plans in force today, the same as the "
        "reviews due page."
    ),
    "on_time": (
        "Reviews done on time: of the reviews due in the date range whose due date has passed or that have been "
        "done, the share done on or before their due date. A review still not done after its due date counts as "
        "not on time. Cancelled reviews are left out. Without a date range, the last 12 months to today."
    ),
    "committed": (
        "Budgets committed a year: the annual amounts of the plans in force today (one version a plan), split by "
        "how the money is managed, from each support item's annual cost (a one-off item counts once). The NHS "
        "share is the plan's agreed annual amount; the council's share is what the person's budget records the "
        "council pays for its social care services in a joint budget."
    ),
    "money": (
        "Money, in the date range (without one, this financial year from 1 April to today): paid is the money "
        "paid into people's accounts (direct payments and third-party budgets) by payment runs confirmed in the "
        "range; invoiced is what providers' invoices against notional budgets came to, approved in the range; "
        "spent is the spending from people's accounts dated in the range that is matched to an item of their "
        "plan. Flags are those raised today: money building up (surplus), and the others (money may run out, "
        "spending not in the plan, a statement overdue), each counted once a plan."
    ),
}

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)


class Percentiles(Aggregate):
    """PostgreSQL's percentile_cont at several fractions at once (one sort of the values, and the expression worked
    out once a row): the value at each fraction of the ordered values, between two values if it falls between them
    (the median of 4 and 6 is 5). NULLs are left out; over no values, NULL."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())

    def __init__(self, expression, fractions: tuple[float, ...], **extra):
        if not fractions or not all(0 <= fraction <= 1 for fraction in fractions):
            raise ValueError("A percentile is a fraction from 0 to 1")
        super().__init__(expression, fractions=", ".join(repr(float(f)) for f in fractions), **extra)


def _days_from(day: datetime.date, since) -> Func:
    """Whole days from `since` (a date expression) to `day`: PostgreSQL's date minus date."""
    return Func(Value(day, output_field=DateField()), since, arg_joiner=" - ", template="(%(expressions)s)")


def _day(moment: str):
    """The day a moment fell on here."""
    return trays.local_date(moment)


# Figures ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFigure:
    stage: Stage
    people: int
    median_days: float | None  # None with nobody at the stage
    p90_days: float | None

    @property
    def label(self) -> str:
        return self.stage.label


@dataclass(frozen=True)
class Wait:
    """What waits for the PHB team: how many, and the days the one waiting longest has waited (None: none)."""

    count: int
    oldest_days: int | None


@dataclass(frozen=True)
class Reviews:
    due_soon: int  # due today or within DUE_SOON_DAYS
    overdue: int
    start: datetime.date  # the range "on time" is counted over
    end: datetime.date
    counted: int  # reviews due in the range that were done, or whose due date has passed
    on_time: int  # of those, done on or before the due date

    @property
    def on_time_percent(self) -> int | None:
        """The share on time, to the nearest whole per cent (a half rounds up); None when none are counted."""
        if not self.counted:
            return None
        return int((Decimal(100 * self.on_time) / self.counted).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


@dataclass(frozen=True)
class OptionAmount:
    option: MoneyOption
    amount: Decimal

    @property
    def label(self) -> str:
        return MONEY_OPTION_LABELS[self.option]


@dataclass(frozen=True)
class Committed:
    plans: int  # plans in force today
    nhs: Decimal  # their agreed annual amounts
    council: Decimal  # the council's share recorded on their budgets
    by_option: tuple[OptionAmount, ...]  # every option, in MoneyOption's order

    @property
    def total(self) -> Decimal:
        return self.nhs + self.council


@dataclass(frozen=True)
class Money:
    start: datetime.date
    end: datetime.date
    paid: Decimal  # into accounts by confirmed payment runs
    invoiced: Decimal  # providers' invoices against notional money, approved
    spent: Decimal  # spend from accounts matched to a plan item
    flags: dict = field(default_factory=dict)  # FlagCode -> plans with it raised today

    @property
    def surplus_flags(self) -> int:
        return self.flags.get(FlagCode.SURPLUS, 0)

    @property
    def other_flags(self) -> int:
        return sum(count for code, count in self.flags.items() if code != FlagCode.SURPLUS)


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    people: int  # everyone the filters leave
    stages: tuple[StageFigure, ...]  # every stage, in journey order
    referrals: Wait
    sign_offs: Wait
    plans: Wait
    reviews: Reviews
    committed: Committed
    money: Money
    # When a kept copy was worked out, and whether a worker is working out a newer one (kept_dashboard).
    worked_out_at: datetime.datetime | None = field(default=None, compare=False)
    newer_coming: bool = field(default=False, compare=False)

    def at(self, stage: Stage) -> StageFigure:
        return next(figure for figure in self.stages if figure.stage == stage)


# The scope and the filters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    user: object
    teams: tuple[int, ...]
    route: str
    coordinator: int | None

    def people(self, path: str = "") -> Q:
        """The people the user may see and the filters leave, as a filter through `path` ("plan__person__")."""
        condition = visible(self.user, path)
        if self.teams:
            condition &= Q(**{f"{path}care_team_id__in": self.teams})
        if self.coordinator is not None:
            condition &= Q(**{f"{path}lead_coordinator_id": self.coordinator})
        if self.route:
            condition &= Q(**{f"{path}journey__route": self.route})
        return condition


def _ids(values) -> tuple[int, ...]:
    return tuple(sorted({getattr(value, "pk", value) for value in values or ()}))


def financial_year_start(day: datetime.date) -> datetime.date:
    """1 April of the financial year `day` is in."""
    return datetime.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def twelve_months_to(day: datetime.date) -> datetime.date:
    """The first day of the 12 months that end on `day` (1 December 2025 for 30 November 2026)."""
    try:
        return day.replace(year=day.year - 1) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return datetime.date(day.year - 1, 3, 1)


def dashboard(*, user, teams=None, route=None, coordinator=None, start=None, end=None, today=None) -> Dashboard:
    """Every figure of the dashboard for the people `user` may see, narrowed by the filters, in four queries.

    teams: care teams (or their ids); route: an eligibility.rules.Route; coordinator: the lead coordinator (a user
    or an id). The date range (start, end, both included) applies to the reviews done on time and to the money
    paid, invoiced and spent; without it those count the last 12 months and this financial year, each to today.
    Everything else is as it stands today (the stages, the waits, reviews due, budgets committed, flags)."""
    today = today or timezone.localdate()
    scope = _Scope(
        user=user,
        teams=_ids(teams),
        route=Route(route).value if route else "",
        coordinator=getattr(coordinator, "pk", coordinator),
    )
    stages, people = _stages(scope, today)
    row = _one_row(scope, today, start, end)
    return Dashboard(
        today=today,
        people=people,
        stages=stages,
        referrals=Wait(row["referrals"], row["referrals_oldest"]),
        sign_offs=Wait(row["sign_offs"], row["sign_offs_oldest"]),
        plans=Wait(row["plans"], row["plans_oldest"]),
        reviews=Reviews(
            due_soon=row["due_soon"],
            overdue=row["overdue"],
            start=start or twelve_months_to(today),
            end=end or today,
            counted=row["reviews_done"] + row["late_not_done"],
            on_time=row["reviews_on_time"],
        ),
        committed=_committed(scope, today),
        money=Money(
            start=start or financial_year_start(today),
            end=end or today,
            paid=row["paid"],
            invoiced=row["invoiced"],
            spent=row["spent"],
            flags={code: row[f"flag_{code}"] for code in FlagCode},
        ),
    )


# The stages, with the days people have been at them --------------------------------------------------------------


def _latest(queryset: QuerySet, value, *order: str):
    """The first row's value of `queryset` in `order`, as a date subquery."""
    return Subquery(queryset.order_by(*order).values(day=value)[:1], output_field=DateField())


# Where people stay rather than wait: no days are counted for them (COUNTED["days"]).
RESTING = frozenset({Stage.NOT_ELIGIBLE, Stage.ACTIVE, Stage.ENDED})
NOT_COUNTED = Value(None, output_field=DateField())


def _since(today: datetime.date) -> dict[Stage, object]:
    """For each stage, the day a person at it came to it (COUNTED["days"]), as an expression on a query of people
    read through casework.selectors.with_stage (its kept facts are there as _review_on and so on). Each is a
    column of the person's kept facts (casework.selectors.since_facts) but the ending's, a subquery PostgreSQL
    works out only for the few people who are ending."""
    since = since_facts(today)
    return {
        Stage.NEW: _day("created_at"),
        Stage.REFERRED: since["screened_on"],
        Stage.SCREENED: since["screened_on"],
        Stage.ASSESSED: since["assessed_on"],
        Stage.BUDGET_WAITING: since["budget_since"],
        Stage.BUDGET_READY: since["budget_since"],
        Stage.PLAN_DRAFT: since["draft_since"],
        Stage.PLAN_RETURNED: since["returned_on"],
        Stage.PLAN_SUBMITTED: since["submitted_on"],
        Stage.APPROVED: since["approved_on"],
        Stage.REVIEW_DUE: Func(F("_review_on"), template=f"(%(expressions)s - {int(DUE_SOON_DAYS)})"),
        Stage.REVIEW_OVERDUE: F("_review_on"),
        Stage.ENDING: _latest(
            PlanEvent.objects.filter(plan_version__plan__person=OuterRef("pk"), to_status=Status.ENDING),
            _day("at"),
            "-at",
        ),
        **dict.fromkeys(RESTING, NOT_COUNTED),
    }


def _stages(scope: _Scope, today: datetime.date) -> tuple[tuple[StageFigure, ...], int]:
    """People at each stage with the median and 90th percentile of their days at it, in one query: the stage is
    casework's own rule in SQL (with_stage, over the kept facts), and the day each came to it follows the same
    rules in the same order (so PostgreSQL chooses the same branch), never a second copy of the rule."""
    since_of = _since(today)
    rules = rules_sql(today)
    since = Case(
        *(When(condition, then=since_of[stage]) for condition, stage, _ in rules),
        default=since_of[OTHERWISE],
        output_field=DateField(),
    )
    people = with_stage(Person.objects.filter(scope.people()), today=today)
    rows = (
        people.annotate(stage_now=F("stage"), days_at=_days_from(today, since))
        .order_by()
        .values("stage_now")
        .annotate(
            people=Count("pk"),
            days=Percentiles("days_at", (0.5, 0.9)),
        )
    )
    found = {row["stage_now"]: (row["people"], *(row["days"] or (None, None))) for row in rows}
    figures = tuple(StageFigure(stage, *found.get(int(stage), (0, None, None))) for stage in Stage)
    return figures, sum(figure.people for figure in figures)


# Everything else, as one row ----------------------------------------------------------------------------------


def _aggregate(queryset: QuerySet, aggregate, output_field):
    """One aggregate over a queryset, as a scalar subquery (no GROUP BY: a single row, even over no rows)."""
    return Subquery(
        queryset.order_by().annotate(_all=Value(1)).values("_all").annotate(figure=aggregate).values("figure"),
        output_field=output_field,
    )


def _count(queryset: QuerySet):
    return Coalesce(_aggregate(queryset, Count("pk"), IntegerField()), 0)


def _sum(queryset: QuerySet, expression):
    return Coalesce(_aggregate(queryset, Sum(expression), MONEY), Value(ZERO, output_field=MONEY))


def _integers(queryset: QuerySet, *aggregates):
    """Several whole-number aggregates over one pass of a queryset, as one scalar subquery (an array of them)."""
    numbers = ArrayField(IntegerField())
    packed = Func(*aggregates, function="ARRAY", template="ARRAY[%(expressions)s]::integer[]", output_field=numbers)
    return _aggregate(queryset, packed, numbers)


def _waiting(queryset: QuerySet, today: datetime.date):
    """How many rows of a tray source wait, and the days the one waiting longest has waited, from the day its
    wait began (the source's tray_since)."""
    return _integers(queryset, Count("pk"), _days_from(today, Min("tray_since")))


def in_force_versions(today: datetime.date) -> QuerySet[PlanVersion]:
    """One version a plan: the one in force today (careplans' rule), the newer when a change has started and
    the hourly job has not yet made it active."""
    newer = PlanVersion.objects.filter(plan=OuterRef("plan"), number__gt=OuterRef("number")).in_force(on=today)
    return PlanVersion.objects.in_force(on=today).exclude(Exists(newer))


def _one_row(scope: _Scope, today: datetime.date, start, end) -> dict:
    ask = trays.Ask(user=scope.user, now=timezone.now(), scope=trays.Scope.TEAM)
    through_plan = scope.people("plan__person__")
    waits = {
        "referrals": trays.referrals(ask).filter(scope.people("person__")),
        "sign_offs": trays.budgets_to_sign_off(ask).filter(scope.people("person__")),
        "plans": trays.plans_to_decide(ask).filter(through_plan),
    }
    due = reviews_due_for(user=scope.user, until=due_soon_until(today), today=today).filter(through_plan)
    reviews_from, reviews_to = start or twelve_months_to(today), end or today
    reviews_in_range = Review.objects.filter(through_plan, due_on__gte=reviews_from, due_on__lte=reviews_to)
    done = reviews_in_range.filter(status=ReviewStatus.COMPLETED)
    # Still to do after the due date: reviews_due_for's rule (a plan in force), due in the range and passed.
    late_not_done = reviews_due_for(user=scope.user, today=today).filter(
        through_plan, due_on__gte=reviews_from, due_on__lte=reviews_to, due_on__lt=today
    )
    money_from, money_to = start or financial_year_start(today), end or today
    paid = ScheduleLine.objects.filter(
        through_plan,
        status=LineStatus.PAID,
        paid_in__decided_at__date__gte=money_from,
        paid_in__decided_at__date__lte=money_to,
    )
    invoiced = Invoice.objects.filter(through_plan, approved_at__date__gte=money_from, approved_at__date__lte=money_to)
    spent = Transaction.objects.filter(
        through_plan, kind=TransactionKind.SPEND, item_key__isnull=False, on__gte=money_from, on__lte=money_to
    )
    flags = MoneyFlag.objects.filter(scope.people("person__"))
    on_time = Q(completed_on__lte=F("due_on"))
    figures = {
        **{name: _waiting(queryset, today) for name, queryset in waits.items()},
        "due": _integers(due, Count("pk", filter=Q(due_on__gte=today)), Count("pk", filter=Q(due_on__lt=today))),
        "done": _integers(done, Count("pk"), Count("pk", filter=on_time)),
        "late_not_done": _count(late_not_done),
        "paid": _sum(paid, "amount"),
        "invoiced": _sum(invoiced, "amount"),
        "spent": _sum(spent, "amount"),
        "flags": _integers(flags, *(Count("pk", filter=Q(code=code)) for code in FlagCode)),
    }
    # A row to hang the subqueries on: the user's own, by its primary key (as careplans.reviews.review_counts).
    row = User.objects.filter(pk=scope.user.pk).values(**figures).get()
    unpacked = {name: row[name] for name in ("late_not_done", "paid", "invoiced", "spent")}
    # A subquery over nobody (a user who may see no one) is NULL rather than an array: no rows, nothing waiting.
    for name in waits:
        unpacked[name], unpacked[f"{name}_oldest"] = row[name] or (0, None)
    unpacked["due_soon"], unpacked["overdue"] = row["due"] or (0, 0)
    unpacked["reviews_done"], unpacked["reviews_on_time"] = row["done"] or (0, 0)
    flags = row["flags"] or [0] * len(FlagCode)
    unpacked.update({f"flag_{code}": count for code, count in zip(FlagCode, flags, strict=True)})
    return unpacked


def _committed(scope: _Scope, today: datetime.date) -> Committed:
    """The plans in force today with their annual amounts, NHS and council (one query, one pass over them), and
    their items' annual costs by money option (one query)."""
    versions = in_force_versions(today).filter(scope.people("plan__person__"))
    totals = versions.aggregate(
        plans=Count("pk"),
        nhs=Coalesce(Sum("agreed_annual"), Value(ZERO, output_field=MONEY)),
        council=Coalesce(Sum("budget_version__council_share"), Value(ZERO, output_field=MONEY)),
    )
    rows = (
        SupportItem.objects.filter(plan_version__in=versions)
        .order_by()
        .values("money_option")
        .annotate(amount=Sum(item_annual_cost_sql()))
    )
    found = {row["money_option"]: round_pounds(row["amount"]) for row in rows}
    by_option = tuple(OptionAmount(option, found.get(option.value, ZERO)) for option in MoneyOption)
    return Committed(plans=totals["plans"], nhs=totals["nhs"], council=totals["council"], by_option=by_option)


# Kept until the next change ----------------------------------------------------------------------------------


def kept_dashboard(*, user, teams=None, route=None, coordinator=None, start=None, end=None, today=None) -> Dashboard:
    """dashboard(), kept in Redis until anyone changes anything, for a minute at most (phb.freshness, as the
    header's counts are). Over everyone at national scale it takes seconds to work out and someone changes
    something every few seconds, so when the figures took longer than freshness.SLOW_MS the page is given the
    last copy (at most freshness.STALE_FOR old: `worked_out_at`, `newer_coming`) while a worker works them out
    again (tasks.refresh_dashboard); quicker figures are worked out there and then.

    Kept under the user's scope itself (people.access.visible: the same for every member of the PHB team, a care
    coordinator's care teams), the filters and the day, so two users who may see different people never share it."""
    asked = _Asked.of(user, teams, route, coordinator, start, end, today)

    def refresh():
        from reports.tasks import refresh_dashboard

        try:
            refresh_dashboard.apply_async(kwargs=asked.as_task(user), expires=freshness.REFRESH_CLAIM_S)
        except Exception:  # the broker not answering: the copy is shown, and worked out again once it is too old
            logger.warning("Could not queue the dashboard's refresh", exc_info=True)

    kept = freshness.kept_or_refreshed(asked.key(user), lambda: asked.work_out(user), refresh)
    return dataclasses.replace(
        from_json(kept.figures),
        worked_out_at=datetime.datetime.fromtimestamp(kept.at, tz=datetime.UTC),
        newer_coming=kept.newer_coming,
    )


def refresh_kept_dashboard(*, user_id: int, **asked) -> None:
    """Works out a user's dashboard again and keeps it (tasks.refresh_dashboard, on a worker)."""
    from people.backends import UserWithTeamsBackend

    user = UserWithTeamsBackend().get_user(user_id)
    if user is None:  # gone since the page asked
        return
    filters = _Asked.from_task(**asked)
    freshness.worked_out_and_kept(filters.key(user), lambda: filters.work_out(user))


def keep_warm(*, today: datetime.date | None = None) -> bool:
    """Works out the PHB team's dashboard over everyone, unfiltered, and keeps it (tasks.keep_dashboard_warm, from
    Celery beat more often than freshness.STALE_FOR): the page the PHB team open most is then never worked out
    while someone waits, even the first time in a morning. The same for every member of the PHB team (the key is
    their scope, people.access.visible). False when there is no one in the PHB team to work it out for."""
    from people.backends import UserWithTeamsBackend

    member = User.objects.filter(is_active=True, role__in=PHB_TEAM_ROLES).order_by("pk").values_list("pk", flat=True)
    found = member.first()
    user = UserWithTeamsBackend().get_user(found) if found is not None else None
    if user is None:
        return False
    asked = _Asked.of(user, None, None, None, None, None, today)
    freshness.worked_out_and_kept(asked.key(user), lambda: asked.work_out(user))
    return True


@dataclass(frozen=True)
class _Asked:
    """The filters of a dashboard asked for, as plain values (a key, a task's arguments)."""

    teams: tuple[int, ...]
    route: str
    coordinator: int | None
    start: datetime.date | None
    end: datetime.date | None
    today: datetime.date

    @classmethod
    def of(cls, user, teams, route, coordinator, start, end, today) -> "_Asked":
        return cls(
            teams=_ids(teams),
            route=Route(route).value if route else "",
            coordinator=getattr(coordinator, "pk", coordinator),
            start=start,
            end=end,
            today=today or timezone.localdate(),
        )

    def key(self, user) -> str:
        parts = ("dashboard", visible(user), self.teams, self.route, self.coordinator, self.start, self.end, self.today)
        return ":".join(str(part) for part in parts).replace(" ", "")

    def work_out(self, user) -> dict:
        return as_json(
            dashboard(
                user=user,
                teams=self.teams,
                route=self.route,
                coordinator=self.coordinator,
                start=self.start,
                end=self.end,
                today=self.today,
            )
        )

    def as_task(self, user) -> dict:
        day = lambda value: value.isoformat() if value else None  # noqa: E731
        return {
            "user_id": user.pk,
            "teams": list(self.teams),
            "route": self.route,
            "coordinator": self.coordinator,
            "start": day(self.start),
            "end": day(self.end),
            "today": day(self.today),
        }

    @classmethod
    def from_task(cls, *, teams, route, coordinator, start, end, today) -> "_Asked":
        day = lambda value: datetime.date.fromisoformat(value) if value else None  # noqa: E731
        return cls(tuple(teams), route, coordinator, day(start), day(end), day(today))


def as_json(figures: Dashboard) -> dict:
    """The figures as plain JSON values (amounts and dates as text)."""
    day = datetime.date.isoformat
    return {
        "today": day(figures.today),
        "people": figures.people,
        "stages": [[int(f.stage), f.people, f.median_days, f.p90_days] for f in figures.stages],
        "waits": [[w.count, w.oldest_days] for w in (figures.referrals, figures.sign_offs, figures.plans)],
        "reviews": [
            figures.reviews.due_soon,
            figures.reviews.overdue,
            day(figures.reviews.start),
            day(figures.reviews.end),
            figures.reviews.counted,
            figures.reviews.on_time,
        ],
        "committed": [
            figures.committed.plans,
            str(figures.committed.nhs),
            str(figures.committed.council),
            [[o.option.value, str(o.amount)] for o in figures.committed.by_option],
        ],
        "money": [
            day(figures.money.start),
            day(figures.money.end),
            str(figures.money.paid),
            str(figures.money.invoiced),
            str(figures.money.spent),
            {code.value: count for code, count in figures.money.flags.items()},
        ],
    }


def from_json(kept: dict) -> Dashboard:
    day = datetime.date.fromisoformat
    due_soon, overdue, reviews_from, reviews_to, counted, on_time = kept["reviews"]
    plans, nhs, council, by_option = kept["committed"]
    money_from, money_to, paid, invoiced, spent, flags = kept["money"]
    referrals, sign_offs, plans_waiting = (Wait(*wait) for wait in kept["waits"])
    return Dashboard(
        today=day(kept["today"]),
        people=kept["people"],
        stages=tuple(StageFigure(Stage(stage), *rest) for stage, *rest in kept["stages"]),
        referrals=referrals,
        sign_offs=sign_offs,
        plans=plans_waiting,
        reviews=Reviews(due_soon, overdue, day(reviews_from), day(reviews_to), counted, on_time),
        committed=Committed(
            plans=plans,
            nhs=Decimal(nhs),
            council=Decimal(council),
            by_option=tuple(OptionAmount(MoneyOption(option), Decimal(amount)) for option, amount in by_option),
        ),
        money=Money(
            start=day(money_from),
            end=day(money_to),
            paid=Decimal(paid),
            invoiced=Decimal(invoiced),
            spent=Decimal(spent),
            flags={FlagCode(code): count for code, count in flags.items()},
        ),
    )
