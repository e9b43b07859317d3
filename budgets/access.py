"""Who may see or change assessments and budgets: whoever may see or change the person.

Tariffs are the PHB team lead's; signing off a budget is the PHB team's. Anything
outside a user's scope is a 404.
"""

from budgets.models import Assessment, BudgetVersion, CurrentService
from budgets.selectors import assessment_with_details
from people.access import persons_visible_to, persons_writable_by
from phb.refusals import refuse, refuse_role
from phb.roles import Role, has_role, is_phb_team


def get_assessment_for_user(user, pk, *, write: bool = False) -> Assessment:
    scope = persons_writable_by(user) if write else persons_visible_to(user)
    assessment = assessment_with_details(pk).filter(person__in=scope).first()
    if assessment is None:
        refuse(Assessment, pk, person="person_id", message="No assessment found")
    return assessment


def get_service_for_user(user, pk) -> CurrentService:
    service = (
        CurrentService.objects.select_related("assessment", "assessment__person")
        .filter(pk=pk, assessment__person__in=persons_writable_by(user))
        .first()
    )
    if service is None:
        refuse(CurrentService, pk, person="assessment__person_id", message="No service found")
    return service


def get_budget_for_user(user, pk) -> BudgetVersion:
    version = (
        BudgetVersion.objects.select_related(
            "person",
            "person__care_team",
            "person__lead_coordinator",
            "assessment",
            "tariff",
            "created_by",
            "signed_off_by",
        )
        .filter(pk=pk, person__in=persons_visible_to(user))
        .first()
    )
    if version is None:
        refuse(BudgetVersion, pk, person="person_id", message="No budget found")
    return version


def require_lead(user) -> None:
    if not has_role(user, Role.LEAD):
        refuse_role()


def require_phb_team(user) -> None:
    """Signing off budgets is the PHB team's."""
    if not is_phb_team(user):
        refuse_role()
