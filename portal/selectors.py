"""What the person sees: summaries for the portal pages, built from the other apps' own rules."""

from dataclasses import dataclass
from decimal import Decimal

from budgets.selectors import budget_person_may_see
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.selectors import version_with_details
from people.models import Person, User
from phb.money import weekly


def current_plan(person: Person) -> PlanVersion | None:
    """The plan in force (or approved and about to start); never a draft or one waiting for a decision."""
    return (
        version_with_details()
        .filter(plan__person=person, status__in=[Status.ACTIVE, Status.APPROVED])
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class HomeSummary:
    plan: PlanVersion | None
    annual: Decimal | None
    weekly: Decimal | None
    agreed: bool  # the plan's agreed amount, rather than the indicative budget
    money_options: list[str]
    coordinator: User | None
    next_review: Review | None


def home_summary(person: Person) -> HomeSummary:
    plan = current_plan(person)
    if plan is not None:
        annual = plan.agreed_annual
        options = sorted({item.get_money_option_display() for item in plan.items.all()})
    else:
        budget = budget_person_may_see(person=person)
        annual = budget.annual_amount if budget else None
        options = []
    return HomeSummary(
        plan=plan,
        annual=annual,
        weekly=weekly(annual) if annual is not None else None,
        agreed=plan is not None,
        money_options=options,
        coordinator=(plan.care_coordinator if plan else None) or person.lead_coordinator,
        next_review=Review.objects.filter(plan__person=person, status=ReviewStatus.DUE).order_by("due_on").first(),
    )
