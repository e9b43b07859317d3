"""Who may see or change a person's record. Every view that touches a person starts here.

Staff see people through their role: a care coordinator sees the people whose
care team they belong to; the PHB team sees everyone (they decide eligibility
and approve plans across teams). Patients and administrators see no staff
pages at all. Anything outside the user's scope is a 404, so a guessed link
does not even confirm that a record exists.
"""

from django.db.models import QuerySet
from django.http import Http404

from people.models import Person
from phb.roles import Role, has_role, is_clinical_staff, is_phb_team


def persons_visible_to(user) -> QuerySet[Person]:
    if has_role(user, Role.COORDINATOR):
        return Person.objects.filter(care_team__members=user)
    if is_phb_team(user):
        return Person.objects.all()
    return Person.objects.none()


def persons_writable_by(user) -> QuerySet[Person]:
    if has_role(user, Role.COORDINATOR):
        return Person.objects.filter(care_team__members=user)
    return Person.objects.none()


def can_add_person(user) -> bool:
    return has_role(user, Role.COORDINATOR) and user.teams.exists()


def get_person_for_user(user, pk, *, write: bool = False) -> Person:
    scope = persons_writable_by(user) if write else persons_visible_to(user)
    person = scope.select_related("care_team", "lead_coordinator", "created_by", "updated_by").filter(pk=pk).first()
    if person is None:
        raise Http404("No person found")
    return person


def require_staff(user) -> None:
    """Staff pages are 404 to everyone else, so they do not reveal that they exist."""
    if not is_clinical_staff(user):
        raise Http404("Page not found")
