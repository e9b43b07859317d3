"""Who may see what in the patient portal, and who may manage online access. Every portal view starts here.

The person's side (/my/): only a patient or representative, and only for the people they have active
access to. Anything else is a 404, so a guessed link does not even confirm that a record exists.
Within a person's records, they see only what is theirs to see (agreed plan versions, letters
addressed to them, their screenings, the budget they may be told).

The staff side (invitations, stopping access, replies) is the care team's: it uses people.access,
the same scope as changing the person's record.
"""

from django.db.models import QuerySet
from django.http import Http404

from budgets.models import BudgetVersion
from careplans.models import Letter, PlanVersion
from casework.selectors import with_stage_today
from eligibility.models import Screening
from people.access import get_person_for_user, may_write, persons_writable_by, require_staff
from people.models import Person, PortalAccess
from phb.refusals import refuse, refuse_role
from phb.roles import Role, has_role
from portal import selectors
from portal.models import Invitation


class NoAccessLeft(Http404):
    """The patient's access to every person has been stopped: the view signs them out."""


def require_patient(user) -> None:
    """Portal pages are 404 to everyone but patients and representatives (staff included)."""
    if not has_role(user, Role.PATIENT):
        refuse_role()


def persons_for(user) -> QuerySet[Person]:
    """The people whose records a patient or representative may see: those they have active access to."""
    if not has_role(user, Role.PATIENT):
        return Person.objects.none()
    return (
        Person.objects.filter(portal_access__user=user, portal_access__revoked_at__isnull=True)
        .select_related("lead_coordinator")
        .order_by("given_name", "family_name", "pk")
    )


def sees_several(user) -> bool:
    """Whether the user chooses between people (so the pages offer a way back to the choice)."""
    return persons_for(user).count() > 1


# Set on a person loaded through a patient's own access in this request (an object in memory, never from
# anything the user sends), so a service acting for the same user need not ask again.
LOADED_FOR = "_phb_loaded_for_patient"


def loaded_for(person: Person, user) -> bool:
    return user is not None and user.pk is not None and getattr(person, LOADED_FOR, None) == user.pk


def get_person_for_patient(user, pk, *, with_stage: bool = False) -> Person:
    """The person, if the signed-in patient has active access to them; otherwise a 404.

    Raises NoAccessLeft (a 404) when the user has no access to anyone any more. with_stage: with their journey
    stage read in the same query (casework.selectors.with_stage).
    """
    if not has_role(user, Role.PATIENT):
        refuse(Person, pk, person="pk")  # staff trying a person's portal page: the event names the person
    scope = persons_for(user)
    found = scope.filter(pk=pk)
    person = (with_stage_today(found) if with_stage else found).first()
    if person is not None:
        setattr(person, LOADED_FOR, user.pk)
        return person
    if not scope.exists():
        raise NoAccessLeft("Page not found")
    refuse(Person, pk, person="pk")


# Within one person's records: only what is theirs to see.


def get_version_for_person(person: Person, pk) -> PlanVersion:
    """An agreed version of the person's plan (never a draft or one waiting for a decision), with its details."""
    version = selectors.agreed_versions_with_details(person).filter(pk=pk).first()
    if version is None:
        refuse(PlanVersion, pk, person="plan__person_id")
    return version


def get_letter_for_person(person: Person, pk) -> Letter:
    letter = selectors.letters_for(person).filter(pk=pk).first()
    if letter is None:
        refuse(Letter, pk, person="person_id")
    return letter


def get_screening_for_person(person: Person, pk) -> Screening:
    screening = selectors.screenings_for(person).filter(pk=pk).first()
    if screening is None:
        refuse(Screening, pk, person="person_id")
    return screening


def get_budget_for_person(person: Person, pk) -> BudgetVersion:
    """The indicative budget, only while it is the one the person may be told."""
    budget = selectors.budget_for(person)
    if budget is None or str(budget.pk) != str(pk):
        refuse(BudgetVersion, pk, person="person_id")
    return budget


# The staff side: the person's care team.


def get_person_for_care_team(user, pk) -> Person:
    """The person, for a coordinator in their care team (who may invite, stop access and reply); else 404."""
    require_staff(user)
    return get_person_for_user(user, pk, write=True)


def may_manage_online_access(user, person: Person) -> bool:
    """Whether the user may invite, stop access and reply for this person (for showing the buttons)."""
    return may_write(user, person)


def get_access_for_care_team(user, pk) -> PortalAccess:
    """Someone's online access to a person, for a coordinator in the person's care team; else 404."""
    require_staff(user)
    access = (
        PortalAccess.objects.select_related("user", "person")
        .filter(pk=pk, person__in=persons_writable_by(user))
        .first()
    )
    if access is None:
        refuse(PortalAccess, pk, person="person_id")
    return access


def get_invitation_for_care_team(user, pk) -> Invitation:
    """An invitation to see a person's records, for a coordinator in the person's care team; else 404."""
    require_staff(user)
    invitation = Invitation.objects.select_related("person").filter(pk=pk, person__in=persons_writable_by(user)).first()
    if invitation is None:
        refuse(Invitation, pk, person="person_id")
    return invitation
