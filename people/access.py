"""Who may see or change a person's record. Every view that touches a person starts here.

Staff see people through their role: a care coordinator sees the people whose
care team they belong to; the PHB team sees everyone (they decide eligibility
and approve plans across teams). Patients and administrators see no staff
pages at all. Anything outside the user's scope is a 404, so a guessed link
does not even confirm that a record exists.
"""

from django.db.models import Q, QuerySet

from people.models import Person
from phb.refusals import refuse, refuse_role
from phb.roles import Role, has_role, is_clinical_staff, is_phb_team


def team_ids(user) -> list[int]:
    """The ids of the user's care teams, read once per request (kept on the user object).

    Filtering by these ids, rather than joining through the membership table, lets PostgreSQL use the
    (care team, name) index and estimate a small team as small.
    """
    if not hasattr(user, "_phb_team_ids"):
        user._phb_team_ids = sorted(user.teams.values_list("pk", flat=True)) if user.pk else []
    return user._phb_team_ids


NOBODY = Q(pk__in=[])


def visible(user, path: str = "") -> Q:
    """The people a user may see, as a filter on a model that reaches a person through `path`
    (e.g. "plan__person__"): their care teams' people for a coordinator, everyone (no filter, so no
    join) for the PHB team, nobody for anyone else."""
    if has_role(user, Role.COORDINATOR):
        return Q(**{f"{path}care_team_id__in": team_ids(user)})
    if is_phb_team(user):
        return Q()
    return NOBODY


def writable(user, path: str = "") -> Q:
    """The people a user may change: a coordinator's care teams' people; nobody else."""
    if has_role(user, Role.COORDINATOR):
        return Q(**{f"{path}care_team_id__in": team_ids(user)})
    return NOBODY


def persons_visible_to(user) -> QuerySet[Person]:
    return Person.objects.filter(visible(user))


def persons_writable_by(user) -> QuerySet[Person]:
    return Person.objects.filter(writable(user))


def may_write(user, person: Person) -> bool:
    """Whether the user may change this person's record (no query: the rule above, on a loaded person)."""
    return has_role(user, Role.COORDINATOR) and person.care_team_id in team_ids(user)


def can_add_person(user) -> bool:
    return has_role(user, Role.COORDINATOR) and bool(team_ids(user))


def require_may_add_person(user) -> None:
    """Adding people is for coordinators with a care team; a 404 (refused) for everyone else."""
    if not can_add_person(user):
        refuse_role()


# What a later app adds to the person a record page shows, in the query that loads the person (casework adds
# the journey stage): functions from a queryset of people to the same, registered by that app's
# AppConfig.ready, so people imports nothing above it and the page costs no query more.
RECORD_ANNOTATIONS: list = []


def get_person_for_user(user, pk, *, write: bool = False, annotated: bool = False) -> Person:
    """The person, if the user may see (write: change) them; annotated: with RECORD_ANNOTATIONS."""
    scope = persons_writable_by(user) if write else persons_visible_to(user)
    if annotated:
        for annotate in RECORD_ANNOTATIONS:
            scope = annotate(scope)
    person = scope.select_related("care_team", "lead_coordinator", "created_by", "updated_by").filter(pk=pk).first()
    if person is None:
        refuse(Person, pk, person="pk", message="No person found")
    return person


def require_staff(user) -> None:
    """Staff pages are 404 to everyone else, so they do not reveal that they exist."""
    if not is_clinical_staff(user):
        refuse_role()
