"""Reads for the portal pages, each carrying its joins, built from the other apps' own rules.

Which plan versions the person sees is `Status.AGREED` (careplans.models); which one their budget
rests on now is `current_plan`. Pages that list rows run in a constant number of queries.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast

from budgets.models import BudgetVersion
from budgets.selectors import usable_budgets
from careplans import rules
from careplans.models import (
    Letter,
    LetterKind,
    PlanVersion,
    Review,
    ReviewStatus,
    Status,
    SupportItem,
)
from careplans.review_history import review_findings
from careplans.selectors import snapshot, version_with_details, version_with_people
from eligibility.models import Screening
from eligibility.selectors import screenings_shown
from people.models import Person, PortalAccess, User
from phb.db import IdList, ids_from
from phb.money import weekly
from portal.models import Invitation, Message, Relationship, hash_token

# The return notice is written to the coordinator, not to the person.
NOT_FOR_THE_PERSON = frozenset({LetterKind.RETURN})


# Plan versions


def agreed_versions(person: Person) -> QuerySet[PlanVersion]:
    """Every version of the person's plans the PHB team agreed, newest first (for lists of links)."""
    return PlanVersion.objects.agreed().filter(plan__person=person).order_by("-created_at", "-number")


def agreed_versions_with_details(person: Person) -> QuerySet[PlanVersion]:
    return version_with_details().agreed().filter(plan__person=person)


def current_plan(person: Person, *, today: datetime.date, details: bool = True) -> PlanVersion | None:
    """The agreed version the person's budget rests on now, with its details.

    The version in force today (ending ones included: the money is still paid until the end date);
    else one approved and waiting for its start date; else, once the budget has ended, the version
    that ended. Never a draft, a version waiting for a decision, or one replaced by a newer version.
    """
    if details:
        versions = agreed_versions_with_details(person)
    else:
        # The home page needs only the money options: they come as one string with the version.
        options = (
            SupportItem.objects.filter(plan_version=OuterRef("pk"))
            .order_by()
            .values("plan_version")
            .annotate(options=IdList("money_option"))
            .values("options")
        )
        versions = (
            version_with_people().agreed().filter(plan__person=person).annotate(money_option_list=Subquery(options))
        )
    return (
        versions.in_force(on=today).order_by("-number").first()
        or versions.standing().order_by("-number").first()
        or versions.filter(status=Status.ENDED).order_by("-ended_on", "-number").first()
    )


@dataclass(frozen=True)
class Ending:
    """When the person's budget ends (ending) or ended."""

    on: datetime.date
    past: bool


def ending_of(version: PlanVersion | None, *, today: datetime.date) -> Ending | None:
    """Set once a coordinator has ended the budget. Past from the end date on, even in the hour before the
    job that marks the version ended has run."""
    if version is None or version.ended_on is None:
        return None
    return Ending(on=version.ended_on, past=version.ended_on <= today)


@dataclass(frozen=True)
class PlanPage:
    version: PlanVersion | None
    items: list[tuple[SupportItem, Decimal]]
    totals: rules.Totals | None
    versions: list[PlanVersion]
    ending: Ending | None


def plan_page(person: Person, *, version: PlanVersion | None, today: datetime.date) -> PlanPage:
    """The plan page: the version asked for (else the current one), what each item costs a year, the totals."""
    version = version or current_plan(person, today=today)
    items = []
    totals = None
    if version is not None:
        items = [(i, rules.item_annual_cost(i.unit_cost, i.quantity, i.frequency)) for i in version.items.all()]
        totals = rules.totals(snapshot(version))
    return PlanPage(
        version=version,
        items=items,
        totals=totals,
        versions=list(agreed_versions(person).only("id", "number", "status")),
        ending=ending_of(version, today=today),
    )


# Home


def budget_for(person: Person) -> BudgetVersion | None:
    """The indicative budget the person may be told (the same rule as on staff pages)."""
    return usable_budgets(person=person).first()


@dataclass(frozen=True)
class HomeSummary:
    plan: PlanVersion | None
    annual: Decimal | None
    weekly: Decimal | None
    agreed: bool  # the plan's agreed amount, rather than the indicative budget
    budget: Decimal | None  # with an agreed plan: the budget it was written against, to set its cost against
    ending: Ending | None
    money_options: list[str]
    coordinator: User | None
    next_review_on: datetime.date | None
    unread: int


def home_summary(person: Person, *, today: datetime.date) -> HomeSummary:
    """The person's budget: the agreed amount while a plan is agreed (and while it is ending).

    Once the budget has ended there is no amount to show, unless a new indicative budget has been
    worked out since; the indicative budget the ended plan was written from is never shown again.
    """
    plan = current_plan(person, today=today, details=False)
    ending = ending_of(plan, today=today)
    annual = None
    options = []
    agreed = plan is not None and not (ending and ending.past)
    plan_budget = None
    if agreed:
        annual = plan.agreed_annual
        plan_budget = plan.budget_version.annual_amount
        options = sorted(
            {rules.MONEY_OPTION_LABELS[rules.MoneyOption(value)] for value in ids_from(plan.money_option_list)}
        )
    else:
        budget = budget_for(person)
        if budget is not None and (plan is None or budget.number > plan.budget_version.number):
            annual = budget.annual_amount
    # The next review and the unread replies: one query.
    facts = (
        Person.objects.filter(pk=person.pk)
        .annotate(
            next_review_on=Subquery(
                Review.objects.filter(plan__person=OuterRef("pk"), status=ReviewStatus.DUE)
                .order_by("due_on")
                .values("due_on")[:1]
            ),
            unread=Subquery(
                Message.objects.filter(person=OuterRef("pk"), from_patient=False, read_at__isnull=True)
                .order_by()
                .values("person")
                .annotate(n=Count("pk"))
                .values("n")
            ),
        )
        .values("next_review_on", "unread")
        .get()
    )
    return HomeSummary(
        plan=plan,
        annual=annual,
        weekly=weekly(annual) if annual is not None else None,
        agreed=agreed,
        budget=plan_budget,
        ending=ending,
        money_options=options,
        coordinator=(plan.care_coordinator if plan else None) or person.lead_coordinator,
        next_review_on=facts["next_review_on"],
        unread=facts["unread"] or 0,
    )


# Reviews and documents


def reviews_for(person: Person) -> QuerySet[Review]:
    """Reviews due and done (never cancelled ones), newest first, with progress and ratings."""
    return (
        Review.objects.filter(plan__person=person)
        .exclude(status=ReviewStatus.CANCELLED)
        .prefetch_related(*review_findings())
        .order_by("-due_on", "-created_at")
    )


def letters_for(person: Person) -> QuerySet[Letter]:
    """Letters addressed to the person, newest first."""
    return Letter.objects.filter(person=person).exclude(kind__in=NOT_FOR_THE_PERSON).order_by("-created_at")


def screenings_for(person: Person) -> QuerySet[Screening]:
    return Screening.objects.filter(person=person).order_by("-screened_on", "-pk")


@dataclass(frozen=True)
class Documents:
    plans: list[PlanVersion]
    letters: list[Letter]
    screenings: list[Screening]
    budgets: list[BudgetVersion]

    @property
    def empty(self) -> bool:
        return not (self.plans or self.letters or self.screenings or self.budgets)


def documents_for(person: Person) -> Documents:
    screenings = screenings_shown(person=person)  # read once: "eligible now?" below reads them too
    budget = budget_for(person)
    return Documents(
        plans=list(agreed_versions(person).only("id", "number")),
        letters=list(letters_for(person).only("id", "kind", "created_at")),
        screenings=screenings,
        budgets=[budget] if budget else [],
    )


# Messages


def thread_for(person: Person) -> QuerySet[Message]:
    """The person's message thread, oldest first, with who sent each message."""
    return Message.objects.filter(person=person).select_related("sender").order_by("created_at", "id")


def unread_for(person: Person) -> int:
    """Replies from the care team the person has not read yet."""
    return Message.objects.filter(person=person, from_patient=False, read_at__isnull=True).count()


# Online access (the staff side) and invitations


@dataclass
class OnlineAccessRow:
    pk: int
    username: str
    relationship: str
    granted_at: datetime.datetime


@dataclass
class PendingInvitationRow:
    pk: str
    email: str
    relationship: str
    sent_at: datetime.datetime
    expires_at: datetime.datetime


@dataclass
class OnlinePanel:
    accesses: list[OnlineAccessRow]
    invitations: list[PendingInvitationRow]
    messages: int
    new_from_person: int


# The columns both halves of the online panel's one query give, in this order.
_PANEL_COLUMNS = ("row_kind", "row_id", "row_address", "row_relationship", "row_from", "row_until", "row_n", "row_new")


def online_panel_for(person: Person, *, now: datetime.datetime) -> OnlinePanel:
    """Who sees the person's records online, the invitations still waiting to be accepted, how many
    messages there are and how many from the person are unread, in one query (a UNION of the access rows
    and the pending invitations): the counts ride on every access row, revoked ones included. With no
    access row at all there are no messages (message_send refuses a reply when no one was ever given access)."""
    thread = Message.objects.filter(person=person).order_by().values("person")
    text, number = CharField(), IntegerField()
    accesses = (
        PortalAccess.objects.filter(person=person)
        .order_by()
        .annotate(
            row_kind=Value("access", output_field=text),
            row_id=Cast("pk", output_field=text),
            row_address=F("user__username"),
            row_relationship=Cast("relationship", output_field=text),
            row_from=F("granted_at"),
            row_until=F("revoked_at"),
            row_n=Subquery(thread.annotate(n=Count("pk")).values("n"), output_field=number),
            row_new=Subquery(
                thread.filter(from_patient=True, read_at__isnull=True).annotate(n=Count("pk")).values("n"),
                output_field=number,
            ),
        )
        .values_list(*_PANEL_COLUMNS)
    )
    pending = (
        Invitation.objects.usable(now=now)
        .filter(person=person)
        .order_by()
        .annotate(
            row_kind=Value("invitation", output_field=text),
            row_id=Cast("pk", output_field=text),
            row_address=Cast("email", output_field=text),
            row_relationship=Cast("relationship", output_field=text),
            row_from=F("created_at"),
            row_until=F("expires_at"),
            row_n=Value(None, output_field=number),
            row_new=Value(None, output_field=number),
        )
        .values_list(*_PANEL_COLUMNS)
    )
    rows = list(accesses.union(pending, all=True).order_by("row_kind", "row_from", "row_id"))
    panel = OnlinePanel([], [], 0, 0)
    for kind, pk, address, relationship, start, until, count, new in rows:
        if kind == "invitation":
            label = Relationship(relationship).label if relationship in Relationship.values else relationship
            panel.invitations.append(PendingInvitationRow(pk, address, label, start, until))
            continue
        panel.messages, panel.new_from_person = count or 0, new or 0
        if until is None:
            panel.accesses.append(OnlineAccessRow(int(pk), address, relationship, start))
    return panel


def thread_newest_first(person: Person) -> QuerySet[Message]:
    """The person's message thread for staff, newest first (the staff page is paged)."""
    return Message.objects.filter(person=person).select_related("sender").order_by("-created_at", "-id")


def accesses_for(person: Person) -> QuerySet[PortalAccess]:
    """Who sees the person's records online now."""
    return PortalAccess.objects.filter(person=person, revoked_at__isnull=True).select_related("user").order_by("pk")


def name_offered(invitation: Invitation) -> dict:
    """The name the accept form starts with: the person's own for an invitation to them; a representative
    types theirs."""
    if invitation.relationship == Relationship.SELF:
        return {"first_name": invitation.person.given_name, "last_name": invitation.person.family_name}
    return {}


def usable_invitation(token: str, *, now: datetime.datetime) -> Invitation | None:
    """The invitation a link's token belongs to, if it can still be accepted."""
    return Invitation.objects.usable(now=now).select_related("person").filter(token_hash=hash_token(token)).first()
