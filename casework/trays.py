"""The work trays: what needs a member of staff now and what they are waiting for, oldest first.

A tray is a list of sources. Each source asks one app's own selector (the referrals queue, the
budgets sign-off queue, the plans to decide, the reviews due, ...) one question, scoped to the people
the user may see, and names the page that does the work. Nothing here decides what is waiting: that
stays with the selector that owns it.

Two reads, whatever the number of rows:
- `counts_for(request)`: every count the header and home page show (what needs the user: for a coordinator,
  their own people's), each counted up to COUNT_UP_TO (99: "99+", as a badge says it), in one query (`count`)
  when a page first shows one, and kept until anyone changes anything (phb.freshness);
- `rows_for(...)`: one query (a UNION ALL, one branch a source) for the oldest rows of every source on
  a home page, each row carrying its source's total, counted up to the same cap.

The cap keeps every count's cost to a hundred rows, whatever the size of the queue: the header's counts are read
on every request a member of staff makes, and the PHB team's queues run to thousands at national scale. The
lists behind them count to phb.pagination.COUNT_UP_TO.

Apps above casework (the portal: messages from people, invitations that ran out) add their sources
with `register` when Django starts (portal.apps), since casework may not import them.
The money in use (payments, below casework) is asked here like any other app's: the money flags of a coordinator's
people, and for the PHB team the repayments and stoppings to decide and the payment runs to confirm.
"""

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
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
from django.db.models.functions import Cast, Concat, TruncDate
from django.urls import reverse
from django.utils import timezone

from budgets.models import BudgetVersion, SignOff
from budgets.selectors import latest_budgets, sign_off_queue
from careplans import emails
from careplans import selectors as plan_selectors
from careplans.models import PlanVersion, Status
from careplans.reviews import due_soon_until, reviews_due_for
from casework.models import JourneyFacts
from eligibility.selectors import decision_queue as referral_queue
from payments.access import RUN_PAYMENTS
from payments.balance import FlagCode
from payments.models import (
    ActionKind,
    MoneyAction,
    MoneyFlag,
    PaymentRun,
    RunStatus,
    waiting_for_decision,
)
from people import access
from people.models import User
from phb import freshness
from phb.db import TALLY_UP_TO, CountUpTo, Tally
from phb.links import id_link
from phb.prepared import Statement
from phb.roles import PHB_TEAM_ROLES, STAFF_ROLES, Role, has_role, is_phb_team

# Rows of each source shown on a home page; the rest are a link away.
ROWS_SHOWN = 10
# Counts stop here: past it a count says "99+".
COUNT_UP_TO = TALLY_UP_TO


class Tray(StrEnum):
    NEEDS_YOU = "needs_you"  # a coordinator's work
    WAITING = "waiting"  # a coordinator's people, waiting for the PHB team
    PHB_TEAM = "phb_team"  # the PHB team's work


class Scope(StrEnum):
    """Whose people a coordinator's trays show: as on the caseload, the people they lead unless ?show=team."""

    MINE = "mine"  # the people they are lead coordinator for ("My people")
    TEAM = "team"  # everyone in their care teams ("My team")


class Assigned(StrEnum):
    """Which plans to decide the PHB team's home shows."""

    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"


ASSIGNED_WORDS = {Assigned.ALL: "All", Assigned.MINE: "Assigned to you", Assigned.UNASSIGNED: "Not assigned"}


@dataclass(frozen=True)
class Ask:
    """What a source is asked: by whom, for whose people, today."""

    user: object
    now: datetime.datetime
    scope: Scope = Scope.MINE
    assigned: Assigned = Assigned.ALL
    # Within the rows' statement of a coordinator's trays (_rows_sql): their people's kept journey facts are read
    # once, as KEPT, for every source that names a condition on them (`people(kept=)`).
    within_kept: bool = False

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    def people(self, path: str, *, write: bool, kept: Q | None = None) -> Q:
        """The people the tray may show, as a filter through `path` (e.g. "plan__person__").

        kept: what every person with a row in the source has among their kept journey facts
        (casework.models.JourneyFacts, e.g. Q(returned=True) for a returned plan). Within a coordinator's rows'
        statement only the people whose facts say so are looked at: each source otherwise went through all of a
        coordinator's people (600, at 1,500 buffers a source) to find the few with a row. It only narrows: the
        people the user may see are asked as they always are."""
        scope = access.writable(self.user, path) if write else access.visible(self.user, path)
        if self.scope == Scope.MINE and has_role(self.user, Role.COORDINATOR):
            scope &= Q(**{f"{path}lead_coordinator_id": self.user.pk})
        if kept is not None and self.within_kept:
            scope &= Q(**{f"{path}pk__in": _among_kept(kept)})
        return scope


# The name the rows' statement gives the kept journey facts of the people a coordinator's trays may show.
KEPT = "tray_facts"


def _among_kept(kept: Q) -> RawSQL:
    """The people among KEPT whose facts meet `kept`: the ORM's SQL for it over casework_journeyfacts, read from
    KEPT instead (the same columns)."""
    sql, params = JourneyFacts.objects.filter(kept).values("person_id").query.sql_with_params()
    table, within = (connection.ops.quote_name(name) for name in (JourneyFacts._meta.db_table, KEPT))
    return RawSQL(sql.replace(table, within), params)  # noqa: S611 (the ORM's SQL; its values stay parameters)


def kept_facts_sql(ask: Ask) -> tuple[str, tuple]:
    """The journey facts of the people the ask's user may see (for a coordinator, the people they lead unless
    ?show=team), as the rows' statement reads them once, named KEPT."""
    facts = JourneyFacts.objects.filter(ask.people("person__", write=False))
    sql, params = facts.query.get_compiler(connection=connection).as_sql()
    return f"WITH {connection.ops.quote_name(KEPT)} AS MATERIALIZED ({sql}) ", tuple(params)


@dataclass(frozen=True)
class Row:
    """One row of a tray: a person, what waits, and since when."""

    source: "Source"
    target: str  # the id of what waits (a plan version, a budget, a review ...)
    person_pk: str
    name: str
    since: datetime.date
    at: datetime.datetime  # the moment the wait began (midnight of `since` for a date), to order a day's rows
    note: str
    today: datetime.date

    @property
    def days(self) -> int:
        return (self.today - self.since).days

    @property
    def link(self) -> str:
        return self.source.link(self)

    @property
    def says(self) -> str:
        return self.source.says(self)

    @property
    def waiting(self) -> str:
        return self.source.waiting(self)

    @property
    def tag(self) -> str:
        """The NHS.UK tag colour for how long it has waited: red once overdue or long waiting."""
        return self.source.tag(self)


def days_words(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def waiting_for(row: Row) -> str:
    return "New today" if row.days <= 0 else f"Waiting {days_words(row.days)}"


def waiting_tag(row: Row) -> str:
    return "red" if row.days > 28 else "orange" if row.days > 14 else "grey"


@dataclass(frozen=True)
class Source:
    """One kind of work in a tray."""

    key: str  # stable: in the page (data-testid) and in the counts
    tray: Tray
    heading: str  # "Plans returned to you"
    query: Callable[[Ask], QuerySet]  # the rows, scoped, through as_rows
    link: Callable[[Row], str]
    says: Callable[[Row], str]
    roles: frozenset = STAFF_ROLES  # who sees it
    waiting: Callable[[Row], str] = waiting_for
    tag: Callable[[Row], str] = waiting_tag
    all_link: str = ""  # the URL name of the whole list, where there is one
    # Its link's words, not the header link's ("See every referral waiting", not "Referrals to decide").
    all_words: str = ""
    empty: str = "None."  # what the section says with no rows (shown only where a filter can empty it)


def as_rows(
    queryset: QuerySet,
    *,
    person: str,
    since_day: str = "",
    since_moment: str = "",
    note=None,
    target: str = "pk",
    then: tuple[str, ...] = (),
) -> QuerySet:
    """A source's queryset as tray rows: the same columns for every source, so they UNION.

    person: the path to the person ("" for a Person queryset, "plan__person__" ...); the wait is counted from
    since_day (a date) or since_moment (a moment, taken as the day it fell on here), oldest first, and among
    rows of one day by `then` (as the source's own queue orders them)."""
    text = CharField()
    since = local_date(since_moment) if since_moment else F(since_day)
    return queryset.annotate(
        tray_target=Cast(target, output_field=text),
        tray_person=Cast(f"{person}pk" if person else "pk", output_field=text),
        tray_given=Cast(f"{person}given_name", output_field=text),
        tray_family=Cast(f"{person}family_name", output_field=text),
        tray_since=Cast(since, output_field=DateField()),
        # The moment itself, so rows of one day keep the order they came in.
        tray_at=Cast(since_moment or since_day, output_field=DateTimeField()),
        tray_note=Cast(note, output_field=text) if note is not None else Value("", output_field=text),
        # A day's rows in the order of the day itself, not of its midnight (tray_at, the same order): PostgreSQL
        # reads a date column's index in order, and its midnight only by sorting every row waiting (the PHB team's
        # thousand referrals, each with its person, for the ten shown).
    ).order_by(F(since_day) if since_day else "tray_at", *then, "tray_target")


# In the order as_rows and rows_for annotate them, so every branch of the UNION lists them alike.
COLUMNS = (
    "tray_target",
    "tray_person",
    "tray_given",
    "tray_family",
    "tray_since",
    "tray_at",
    "tray_note",
    "tray_total",
    "tray_key",
)


def local_date(field) -> TruncDate:
    """The day a moment fell on here (a wait is counted in days from it)."""
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


# Sources are kept in the order the trays show them.
SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Adds a source (replacing one with the same key: registering twice changes nothing)."""
    for index, known in enumerate(SOURCES):
        if known.key == source.key:
            SOURCES[index] = source
            return source
    SOURCES.append(source)
    return source


def sources_for(user, tray: Tray | None = None) -> list[Source]:
    return [s for s in SOURCES if has_role(user, *s.roles) and (tray is None or s.tray == tray)]


COORDINATORS = frozenset({Role.COORDINATOR})
LEADS = frozenset({Role.LEAD})


def url(name: str, **kwargs) -> Callable[[Row], str]:
    """A link to a page named by `name`, with the row's target or person as its one id (the keyword names which:
    url("budgets:budget", pk="target")), written in as reverse() would (phb.links.id_link, once a process)."""
    ((key, value),) = kwargs.items()

    def link(row: Row) -> str:
        return id_link(name, key, getattr(row, value))

    return link


def words(text: str) -> Callable[[Row], str]:
    return lambda row: text


# A coordinator's "Needs you"


def returned_plans(ask: Ask) -> QuerySet:
    """Drafts made by the PHB team returning a plan: waiting from the return."""
    returned = PlanVersion.objects.filter(plan=OuterRef("plan"), number=OuterRef("number") - 1, status=Status.RETURNED)
    drafts = PlanVersion.objects.filter(status__in=Status.EDITABLE)
    drafts = drafts.filter(ask.people("plan__person__", write=True, kept=Q(returned=True)))
    drafts = drafts.filter(Exists(returned)).annotate(returned_at=Subquery(returned.values("decided_at")[:1]))
    return as_rows(drafts, person="plan__person__", since_moment="returned_at")


def budgets_to_tell(ask: Ask) -> QuerySet:
    """The person's latest budget, signed off by the PHB team, with no plan started on it yet: tell the person
    (the budget's page makes the letter) and start a plan. Waiting from the sign-off."""
    planned = PlanVersion.objects.filter(budget_version=OuterRef("pk"))
    budgets = latest_budgets(BudgetVersion.objects.filter(sign_off=SignOff.SIGNED_OFF)).exclude(Exists(planned))
    budgets = budgets.filter(ask.people("person__", write=True, kept=Q(sign_off=SignOff.SIGNED_OFF)))
    return as_rows(budgets, person="person__", since_moment="signed_off_at")


def reviews_due(ask: Ask) -> QuerySet:
    """Reviews overdue or due within careplans.reviews.DUE_SOON_DAYS (the reviews-due page's default)."""
    until = due_soon_until(ask.today)
    reviews = reviews_due_for(user=ask.user, until=until, today=ask.today).filter(
        ask.people("plan__person__", write=True, kept=Q(review_on__lte=until))
    )
    return as_rows(reviews, person="plan__person__", since_day="due_on", then=("created_at",))


def review_when(row: Row) -> str:
    if row.days > 0:
        return f"Overdue by {days_words(row.days)}"
    if row.days == 0:
        return "Due today"
    return f"Due in {days_words(-row.days)}"


def review_tag(row: Row) -> str:
    return "red" if row.days > 0 else "orange" if row.days == 0 else "blue"


def plans_not_started(ask: Ask) -> QuerySet:
    """Approved plans whose start date has passed but that are not active: the hourly job starts them on their
    start date, so one still waiting needs someone to find out why. Waiting from the start date."""
    versions = PlanVersion.objects.filter(status=Status.APPROVED, start_date__lt=ask.today)
    # approved_starts: the approved versions' start dates, earliest first.
    versions = versions.filter(ask.people("plan__person__", write=True, kept=Q(approved_starts__0__lt=ask.today)))
    return as_rows(versions, person="plan__person__", since_day="start_date")


# A coordinator's "Waiting for others" and the PHB team's home: the PHB team's own queues.


def referrals(ask: Ask) -> QuerySet:
    """Referrals waiting for the PHB team's decision, waiting from the screening date (Screening.waiting_since:
    when the person was screened and referred), not from when the record was typed in."""
    screenings = referral_queue().filter(ask.people("person__", write=False))
    return as_rows(screenings, person="person__", since_day="screened_on", then=("created_at",))


def budgets_to_sign_off(ask: Ask) -> QuerySet:
    """Budgets waiting for sign-off, waiting from when the budget was worked out."""
    budgets = sign_off_queue().filter(ask.people("person__", write=False, kept=Q(sign_off=SignOff.AWAITING)))
    return as_rows(budgets, person="person__", since_moment="created_at")


def plans_to_decide(ask: Ask) -> QuerySet:
    """Plans waiting for the PHB team's decision, waiting from when they were submitted; on the PHB team's
    home, those assigned to the user, not assigned, or all."""
    versions = plan_selectors.decision_queue().filter(ask.people("plan__person__", write=False, kept=Q(submitted=True)))
    if is_phb_team(ask.user) and ask.assigned != Assigned.ALL:
        versions = plan_selectors.assigned_to(versions, user=ask.user, mine=ask.assigned == Assigned.MINE)
    assignee = Cast("assigned_to__first_name", CharField())
    return as_rows(versions, person="plan__person__", since_moment="submitted_at", note=assignee)


def endings_to_confirm(ask: Ask) -> QuerySet:
    """Endings asked for with a reason that needs a second person (careplans.lifecycle.SECOND_PERSON_REASONS),
    waiting for a PHB team member since they were asked for."""
    endings = plan_selectors.endings_to_confirm().filter(ask.people("plan__person__", write=False))
    return as_rows(endings, person="plan__person__", since_moment="requested_at")


def failed(kind: str) -> Callable[[Ask], QuerySet]:
    """Messages of one kind of careplans.emails.OUTBOXES that the outbox gave up on (phb.outbox: failed_at is
    set), waiting from then. Only the PHB team lead sees them; their page tries them again."""
    entry = emails.OUTBOXES[kind]

    def query(ask: Ask) -> QuerySet:
        rows = entry.model.objects.filter(failed_at__isnull=False)
        return as_rows(rows, person=entry.person_path, since_moment="failed_at")

    return query


def failed_key(kind: str) -> str:
    """The source of a kind of message not sent: "failed_decisions", "failed_reminders", "failed_statements"."""
    return f"failed_{kind}s"


def register_failed_messages() -> None:
    """A source in the lead's tray for each kind of message in careplans.emails.OUTBOXES: careplans' own and
    those the apps between careplans and casework register when Django starts (payments' statement reminders,
    in payments.apps). Run when this module is imported and again from casework.apps (CaseworkConfig.ready,
    after payments' ready), so a kind registered after an early import is not left out; registering a source
    again replaces it, in its place."""
    for kind, entry in emails.OUTBOXES.items():
        register(
            Source(
                failed_key(kind),
                Tray.PHB_TEAM,
                entry.heading,
                failed(kind),
                lambda row: reverse("careplans:failed_messages"),
                words("Check the address, then try again."),
                roles=LEADS,
                all_link="careplans:failed_messages",
                all_words="See every message that could not be sent, and try again",
            )
        )


# The money in use (payments)


def money_flags(ask: Ask) -> QuerySet:
    """The money flags raised on the plans of the coordinator's people (payments.flagging keeps them: money
    building up or running out, spending not in the plan, a statement overdue), one row a flag, waiting from the
    day it was raised; the target is the plan, the note the flag's code."""
    flags = MoneyFlag.objects.filter(ask.people("person__", write=True))
    return as_rows(flags, person="person__", since_day="raised_on", target="plan_id", note=F("code"), then=("code",))


def money_flag_says(row: Row) -> str:
    return f"{FlagCode(row.note).title}. Look at the money and talk to the person."


def money_decisions(ask: Ask) -> QuerySet:
    """Repayments and stoppings of direct payments waiting for a decision, but not those the user proposed (a
    second member of the PHB team decides: payments.reclaim_access.decide_refusal). Waiting from the day the
    person's response came, or from the day after the day to respond by, whichever was first; the note is the
    kind and whether the person responded."""
    actions = MoneyAction.objects.filter(waiting_for_decision(ask.today)).exclude(proposed_by=ask.user.pk)
    actions = actions.filter(ask.people("plan__person__", write=False))
    day_after = ExpressionWrapper(F("respond_by") + datetime.timedelta(days=1), output_field=DateField())
    actions = actions.alias(
        decision_since=Case(
            When(response_on__lte=F("respond_by"), then=F("response_on")), default=day_after, output_field=DateField()
        )
    )
    responded = Case(When(response_on__isnull=False, then=Value(RESPONDED)), default=Value(""))
    note = Concat(F("kind"), Value(":"), responded, output_field=CharField())
    return as_rows(actions, person="plan__person__", since_day="decision_since", note=note, then=("proposed_at",))


RESPONDED = "responded"


def money_decision_says(row: Row) -> str:
    kind, _, responded = row.note.partition(":")
    why = "The person's response is recorded" if responded == RESPONDED else "The day to respond by has passed"
    return f"{ActionKind(kind).label}: {why}. Decide whether it goes ahead."


def handles_payments(user) -> Q:
    """Whether the user has the finance permission (payments.access.RUN_PAYMENTS), as ModelBackend.has_perm reads
    it (an active superuser, given it directly, or through a group), as a filter: the trays ask it of a user whose
    id may be the row the counts are read with (SignedIn), one query up from the filter's."""
    user_id = OuterRef(user.pk) if isinstance(user.pk, OuterRef) else user.pk
    app_label, codename = RUN_PAYMENTS.split(".")
    permission = {"content_type__app_label": app_label, "codename": codename}
    given = User.user_permissions.through.objects.filter(
        user_id=user_id, **{f"permission__{k}": v for k, v in permission.items()}
    )
    grouped = User.groups.through.objects.filter(
        user_id=user_id, **{f"group__permissions__{k}": v for k, v in permission.items()}
    )
    superuser = User.objects.filter(pk=user_id, is_superuser=True, is_active=True)
    return Exists(given) | Exists(grouped) | Exists(superuser)


def runs_to_confirm(ask: Ask) -> QuerySet:
    """Payment runs waiting for a second person, for a member of the PHB team who handles payments and did not
    make the run (payments.access.decide_refusal). A run is nobody's: its row names the run ("Payment run 12")
    where other rows name a person, and its note is the first name of who made it. Waiting from when it was
    made."""
    runs = PaymentRun.objects.filter(status=RunStatus.WAITING).exclude(created_by=ask.user.pk)
    runs = runs.filter(handles_payments(ask.user))
    runs = runs.alias(given_name=Value("Payment run"), family_name=Cast("pk", CharField()))
    return as_rows(runs, person="", since_moment="created_at", note=F("created_by__first_name"))


def run_says(row: Row) -> str:
    return f"Made by {row.note}. Check the payments, then confirm or cancel the run."


def _sources() -> None:
    needs_you, waiting, phb = Tray.NEEDS_YOU, Tray.WAITING, Tray.PHB_TEAM
    register(
        Source(
            "returned_plans",
            needs_you,
            "Plans returned to you",
            returned_plans,
            url("careplans:version", pk="target"),
            words("The PHB team returned the plan. Change it and submit it again."),
            roles=COORDINATORS,
        )
    )
    register(
        Source(
            "budgets_to_tell",
            needs_you,
            "Budgets signed off",
            budgets_to_tell,
            url("budgets:budget", pk="target"),
            words("Signed off by the PHB team. Tell the person their budget and start a plan."),
            roles=COORDINATORS,
        )
    )
    register(
        Source(
            "reviews_due",
            needs_you,
            "Reviews due",
            reviews_due,
            url("careplans:review_record", pk="target"),
            words("Record the review with the person."),
            roles=COORDINATORS,
            waiting=review_when,
            tag=review_tag,
            all_link="careplans:reviews_due",
            all_words="See every review due soon or overdue",
        )
    )
    register(
        Source(
            "plans_not_started",
            needs_you,
            "Approved plans that have not started",
            plans_not_started,
            url("careplans:version", pk="target"),
            words("The start date has passed but the plan is not active. Ask the PHB team why."),
            roles=COORDINATORS,
        )
    )
    register(
        Source(
            "money_flags",
            needs_you,
            "Money to look at",
            money_flags,
            url("payments:money", plan_id="target"),
            money_flag_says,
            roles=COORDINATORS,
        )
    )
    for key, tray, roles, link in (
        ("referrals_waiting", waiting, COORDINATORS, "eligibility:detail"),
        ("referrals_to_decide", phb, PHB_TEAM_ROLES, "eligibility:decide"),
    ):
        register(
            Source(
                key,
                tray,
                "Referrals to decide" if tray == phb else "Referrals with the PHB team",
                referrals,
                url(link, pk="target"),
                words("Decide whether the person is eligible." if tray == phb else "Waiting for the PHB team."),
                roles=roles,
                all_link="eligibility:queue" if tray == phb else "",
                all_words="See every referral waiting",
            )
        )
    for key, tray, roles in (("sign_off_waiting", waiting, COORDINATORS), ("sign_off_to_decide", phb, PHB_TEAM_ROLES)):
        register(
            Source(
                key,
                tray,
                "Budgets to sign off" if tray == phb else "Budgets waiting for sign-off",
                budgets_to_sign_off,
                url("budgets:budget", pk="target"),
                words("Sign off the budget or return it." if tray == phb else "Waiting for the PHB team."),
                roles=roles,
                all_link="budgets:sign_off_queue" if tray == phb else "",
                all_words="See every budget waiting for sign-off",
            )
        )
    for key, tray, roles, link in (
        ("plans_waiting", waiting, COORDINATORS, "careplans:version"),
        ("plans_to_decide", phb, PHB_TEAM_ROLES, "careplans:decide"),
    ):
        register(
            Source(
                key,
                tray,
                "Plans to decide" if tray == phb else "Plans with the PHB team",
                plans_to_decide,
                url(link, pk="target"),
                plan_says if tray == phb else words("Waiting for the PHB team's decision."),
                roles=roles,
                all_link="careplans:queue" if tray == phb else "",
                all_words="See every plan waiting, with filters",
                empty="No plans to decide here.",
            )
        )
    register(
        Source(
            "endings_to_confirm",
            phb,
            "Endings to confirm",
            endings_to_confirm,
            url("careplans:ending_decide", pk="target"),
            words("A second PHB team member confirms or refuses the ending."),
            roles=PHB_TEAM_ROLES,
            all_link="careplans:endings",
        )
    )
    register(
        Source(
            "money_decisions",
            phb,
            "Repayments and stopping to decide",
            money_decisions,
            url("payments:reclaim_decide", pk="target"),
            money_decision_says,
            roles=PHB_TEAM_ROLES,
        )
    )
    register(
        Source(
            "runs_to_confirm",
            phb,
            "Payment runs to confirm",
            runs_to_confirm,
            url("payments:run", pk="target"),
            run_says,
            roles=PHB_TEAM_ROLES,
            all_link="payments:runs",
            all_words="See every payment run",
        )
    )
    register_failed_messages()


def plan_says(row: Row) -> str:
    return f"Assigned to {row.note}." if row.note else "Not assigned to anyone yet."


_sources()


# Reading


@dataclass(frozen=True)
class Counts:
    """Every count the user's header and home show: each source's (for a coordinator, the people they lead, as
    "My people" shows) and, for the PHB team, the plans to decide assigned to them and not assigned to anyone."""

    by_source: dict[str, int]

    def of(self, *keys: str) -> Tally:
        return Tally(sum(self.by_source.get(key, 0) for key in keys), COUNT_UP_TO)

    @property
    def needs_you(self) -> Tally:
        return self.of(*(s.key for s in SOURCES if s.tray == Tray.NEEDS_YOU))

    @property
    def referrals(self) -> Tally:
        return self.of("referrals_to_decide")

    @property
    def sign_off(self) -> Tally:
        return self.of("sign_off_to_decide")

    @property
    def plans(self) -> Tally:
        return self.of("plans_to_decide")

    @property
    def money_decisions(self) -> Tally:
        return self.of("money_decisions")

    @property
    def runs_to_confirm(self) -> Tally:
        return self.of("runs_to_confirm")

    @property
    def messages_not_sent(self) -> Tally:
        return self.of(*(failed_key(kind) for kind in emails.OUTBOXES))

    def plans_assigned(self, assigned: Assigned) -> Tally:
        return self.of("plans_to_decide" if assigned == Assigned.ALL else f"plans_{assigned}")


def _choice(choices: type[StrEnum], value, default: StrEnum) -> StrEnum:
    return choices(value) if value in {c.value for c in choices} else default


def ask_from(request) -> Ask:
    """What the home page asks, from its query string (?show=team, ?plans=unassigned); anything else is the
    default, never an error."""
    return Ask(
        user=request.user,
        now=timezone.now(),
        scope=_choice(Scope, request.GET.get("show"), Scope.MINE),
        assigned=_choice(Assigned, request.GET.get("plans"), Assigned.ALL),
    )


@dataclass(frozen=True)
class Choice:
    value: str
    words: str
    tally: Tally


def assigned_choices(counts: "Counts") -> list[Choice]:
    """The PHB team home's choices of plans to decide, each with how many."""
    return [Choice(a.value, ASSIGNED_WORDS[a], counts.plans_assigned(a)) for a in Assigned]


REQUEST_MEMO = "_casework_counts"
# On a request whose counts are not kept, they ride on the signed-in user's own query
# (people.backends.USER_ANNOTATIONS), each under this prefix, with where to keep them under USER_COUNTS_KEPT.
USER_COUNT = "tray_count_"
USER_COUNTS_KEPT = "tray_counts_kept_as"
# Counted with the header's counts: every tray's sources. The header shows what needs the user (Counts.needs_you
# and the PHB team's queues); the home page takes every section's total from the same figures, so its rows'
# query counts nothing (a coordinator of 600's "Waiting for others" counted three queues on every visit).
COUNTED = frozenset(Tray)


def _key(user_id) -> str:
    # A change of role or of care teams marks every kept figure stale (people.signals), as any audited change does.
    return f"work-counts:{user_id}:{timezone.localdate()}"


def counts_for(request) -> Counts:
    """Every count the header and home page show, once per request: kept by phb.freshness until anyone changes
    anything, and when not kept, read with the signed-in user by people.backends (no query of its own) and kept;
    one query of their own for a user loaded otherwise."""
    if getattr(request, REQUEST_MEMO, None) is None:
        user = request.user
        read = _read_with(user)
        if read is not None:
            figures = read  # kept as they were read (keep_read_counts)
        else:
            figures = freshness.cached(_key(user.pk), lambda: count(Ask(user=user, now=timezone.now())).by_source)
        setattr(request, REQUEST_MEMO, Counts(figures))
    return getattr(request, REQUEST_MEMO)


def _read_with(user) -> dict | None:
    """The counts read in the query that loaded the user, if they were."""
    read = {key: getattr(user, USER_COUNT + key, None) for key in counted_keys(user)}
    return read if None not in read.values() else None


def keep_read_counts(user) -> None:
    """For people.backends.USER_LOADED: counts read with the user are kept at once, on every request that read
    them, not only on a page that shows them: a redirect, a download or a form sent shows none, and the next
    request would otherwise work them out again (the trivial redirect from / went from 4 to 18 ms once its kept
    counts had run out)."""
    kept_as = getattr(user, USER_COUNTS_KEPT, None)
    read = _read_with(user) if kept_as else None
    if read is not None:
        freshness.keep(freshness.Lookup(kept_as, None), read)


def counted_keys(user) -> list[str]:
    keys = [s.key for s in sources_for(user) if s.tray in COUNTED]
    if is_phb_team(user):
        keys += [f"plans_{assigned}" for assigned in (Assigned.MINE, Assigned.UNASSIGNED)]
    return keys


def _counters(ask: Ask) -> dict[str, CountUpTo]:
    counters = {s.key: CountUpTo(s.query(ask), COUNT_UP_TO) for s in sources_for(ask.user) if s.tray in COUNTED}
    if is_phb_team(ask.user):
        for assigned in (Assigned.MINE, Assigned.UNASSIGNED):
            counters[f"plans_{assigned}"] = CountUpTo(
                plans_to_decide(Ask(ask.user, ask.now, assigned=assigned)), COUNT_UP_TO
            )
    return counters


def count(ask: Ask) -> Counts:
    """One query: each count a scalar subquery, selected with the user's own row (any one-row table would do)."""
    counters = _counters(ask)
    if not counters:
        return Counts({})
    return Counts(User.objects.filter(pk=ask.user.pk).values(**counters).get())


class SignedIn:
    """The user whose row the user query reads, as the sources' selectors take a user: their id is the row's,
    their care teams (people.access.team_ids) a subquery of the row's memberships. A source's scope filter sits in
    the counted query, one below the user's; the memberships sit one below that."""

    is_authenticated = True
    is_active = True

    def __init__(self, role: str):
        self.role = role
        self.pk = OuterRef("pk")
        self._phb_team_ids = User.teams.through.objects.filter(user_id=OuterRef(OuterRef("pk"))).values("careteam_id")


def user_annotations(user_id) -> dict:
    """For people.backends.USER_ANNOTATIONS: nothing when the user's counts are kept (phb.freshness), else the
    counts as annotations over the signed-in user's row and where to keep them. Each count is asked only for the
    roles that see it: PostgreSQL works out a CASE's branch only when it is taken, so another role's request
    pays nothing for it. Built and compiled once a day (the counts' SQL changes only with the date)."""
    lookup = freshness.look(_key(user_id))
    if lookup.figures is not None:
        return {}
    annotations = {
        # The ORM's own SQL for our expressions, its values still separate parameters (never from input).
        name: RawSQL(sql, params, output_field=IntegerField())  # noqa: S611
        for name, sql, params in _compiled(timezone.localdate(), connection.vendor)
    }
    # Without Redis (lookup.name ""), read with the user all the same, and kept nowhere.
    return {**annotations, USER_COUNTS_KEPT: Value(lookup.name, output_field=CharField())}


@functools.lru_cache(maxsize=4)
def _compiled(today: datetime.date, vendor: str) -> tuple[tuple[str, str, tuple], ...]:
    """Each count's CASE as SQL over the user's row ("people_user"), for the day (vendor: the cache's key only)."""
    now = timezone.now()
    expressions = {}
    for roles in (COORDINATORS, PHB_TEAM_ROLES, LEADS):
        for key, counter in _counters(Ask(user=SignedIn(sorted(roles)[0]), now=now)).items():
            if _roles_of(key) == roles:
                expressions[USER_COUNT + key] = Case(
                    When(role__in=sorted(roles), then=counter), default=None, output_field=IntegerField()
                )
    query = User.objects.filter(pk=0).annotate(**expressions).values(*expressions).query
    compiler = query.get_compiler(connection=connection)
    compiler.setup_query()
    return tuple((alias, sql, tuple(params)) for _expression, (sql, params), alias in compiler.select)


def _roles_of(key: str) -> frozenset:
    source = next((s for s in SOURCES if s.key == key), None)
    return source.roles if source is not None else PHB_TEAM_ROLES  # the plans assigned: the PHB team's


@dataclass
class Section:
    """A source on a home page: its oldest rows and how many there are."""

    source: Source
    rows: list[Row]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)

    @property
    def tally(self) -> Tally:
        return Tally(self.total, COUNT_UP_TO)

    @property
    def capped(self) -> bool:
        return self.total > COUNT_UP_TO

    @property
    def all_url(self) -> str:
        return reverse(self.source.all_link) if self.source.all_link else ""


HEADINGS = {Tray.NEEDS_YOU: "Needs you", Tray.WAITING: "Waiting for others", Tray.PHB_TEAM: "Waiting for the PHB team"}
NOTHING = {
    Tray.NEEDS_YOU: "Nothing needs you now.",
    Tray.WAITING: "Nothing is waiting for the PHB team.",
    Tray.PHB_TEAM: "Nothing is waiting for the PHB team.",
}


@dataclass
class Shown:
    """A tray on a home page: its heading and its sources."""

    tray: Tray
    sections: list[Section]

    @property
    def key(self) -> str:
        return self.tray.value

    @property
    def heading(self) -> str:
        return HEADINGS[self.tray]

    @property
    def nothing(self) -> str:
        return NOTHING[self.tray]

    @property
    def found(self) -> list[Section]:
        return [section for section in self.sections if section.rows]


def trays_for(ask: Ask, counts: Counts | None = None) -> list[Shown]:
    """The user's trays with their rows, in one query: a coordinator's "Needs you" and "Waiting for others", or
    the PHB team's. `counts`: the header's (counts_for), so the sources they count are not counted again."""
    shown = [Tray.PHB_TEAM] if is_phb_team(ask.user) else [Tray.NEEDS_YOU, Tray.WAITING]
    sections = rows_for(ask, *shown, counts=counts)
    return [Shown(tray, [s for s in sections if s.source.tray == tray]) for tray in shown]


def known_total(counts: Counts | None, source: Source, ask: Ask) -> int | None:
    """A source's total from the header's counts, when they count what the page shows: the default view (a
    coordinator's own people; the plans to decide assigned as the page asks)."""
    if counts is None or ask.scope != Scope.MINE:
        return None
    if source.key == "plans_to_decide" and is_phb_team(ask.user):
        return counts.plans_assigned(ask.assigned).value
    return counts.by_source.get(source.key)


def rows_for(ask: Ask, *shown: Tray, counts: Counts | None = None) -> list[Section]:
    """The oldest ROWS_SHOWN rows of each source of the trays shown, each with its source's total, in one query
    (each branch of the UNION is one source; its total from `counts` where they have it, else a subquery
    counting up to COUNT_UP_TO + 1, worked out once for the branch, never a count of every row).

    The query's SQL is built and compiled once a day for each shape of ask (`_rows_sql`), as the header's counts
    are: building a dozen querysets through the ORM cost every home page more than running them."""
    sources = [s for s in sources_for(ask.user) if s.tray in shown]
    if not sources:
        return []
    known = {s.key: known_total(counts, s, ask) for s in sources}
    known = {key: total for key, total in known.items() if total is not None}
    if connection.features.supports_slicing_ordering_in_compound:
        found = _read_rows(ask, sources, known)
    else:  # SQLite (`make run` with no database set up): a query a source
        found = [row for branch in _branches(ask, sources, known) for row in branch]
    today = ask.today
    sections = {s.key: Section(s, [], 0) for s in sources}
    for target, person, given, family, since, at, note, total, key in found:
        section = sections[key]
        section.total = known.get(key, total)
        section.rows.append(Row(section.source, target, person, f"{given} {family}", since, at, note or "", today))
    for section in sections.values():
        # A count kept from before something changed with no one acting (an invitation ran out) never says
        # fewer than the rows shown.
        section.total = max(section.total, len(section.rows))
        section.rows.sort(key=lambda row: row.at)  # stable: a day's rows keep the order their query gave
    return list(sections.values())


# A source's total that the header's counts already know is filled in after the query, not counted in it.
KNOWN = -1


def _branches(ask: Ask, sources: list[Source], known) -> list[QuerySet]:
    def total(source):
        if source.key in known:
            return Value(KNOWN, output_field=IntegerField())
        return CountUpTo(source.query(ask), COUNT_UP_TO)

    return [
        s.query(ask)
        .annotate(tray_total=total(s), tray_key=Value(s.key, output_field=CharField()))
        .values_list(*COLUMNS)[:ROWS_SHOWN]
        for s in sources
    ]


class StandIn:
    """A user as the rows' query is compiled for: the role and the number of care teams of the user asking, with
    an id and team ids no row has (ids count up from 1), which the compiled query's parameters then swap for the
    user's own. The query's SQL depends on nothing else about the user."""

    is_authenticated = True
    is_active = True
    USER = -7_340_001
    FIRST_TEAM = -7_340_100

    def __init__(self, role: str, teams: int):
        self.role = role
        self.pk = self.id = self.USER
        self._phb_team_ids = [self.FIRST_TEAM - n for n in range(teams)]  # people.access.team_ids reads these

    def values(self) -> frozenset[int]:
        return frozenset({self.USER, *self._phb_team_ids})

    @classmethod
    def swaps(cls, user) -> dict[int, int]:
        teams = access.team_ids(user)
        return {cls.USER: user.pk, **{cls.FIRST_TEAM - n: team for n, team in enumerate(teams)}}


def rows_statement(ask: Ask, sources: list[Source], known) -> Statement | None:
    """The rows' statement for this ask: one for every user of the same shape (role, number of care teams,
    scope, sources, which totals the header's counts know)."""
    teams = len(access.team_ids(ask.user))
    shape = (ask.user.role, teams, ask.scope, ask.assigned, tuple(s.key for s in sources), frozenset(known))
    return _rows_sql(ask.today, connection.vendor, shape)


def _read_rows(ask: Ask, sources: list[Source], known) -> list[tuple]:
    statement = rows_statement(ask, sources, known)
    if statement is None:  # every branch is empty (a coordinator in no care team)
        return []
    return statement.rows(StandIn.swaps(ask.user))


@functools.lru_cache(maxsize=256)
def _rows_sql(today: datetime.date, vendor: str, shape: tuple) -> Statement | None:
    """The rows' UNION as a statement for a day and a shape of ask, prepared on each connection that runs it
    (phb.prepared; vendor: the cache's key only)."""
    role, teams, scope, assigned, keys, known = shape
    stand_in = StandIn(role, teams)
    noon = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))  # a moment of the day asked
    # A coordinator's people's journey facts are read once for every source (Ask.people's kept); they are kept
    # only on PostgreSQL (casework.facts), the one database this statement is prepared on.
    kept = has_role(stand_in, Role.COORDINATOR) and connection.vendor == "postgresql"
    ask = Ask(user=stand_in, now=noon, scope=scope, assigned=assigned, within_kept=kept)
    sources = [s for s in SOURCES if s.key in keys]
    branches = _branches(ask, sorted(sources, key=lambda s: keys.index(s.key)), known)
    found = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    try:
        sql, params = found.query.get_compiler(connection=connection).as_sql()
        if kept:
            with_sql, with_params = kept_facts_sql(ask)
            sql, params = with_sql + sql, (*with_params, *params)
    except EmptyResultSet:
        return None
    return Statement.of(sql, params, stand_in.values())
