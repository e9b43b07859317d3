"""Who may see a screening, and who may decide on one.

A screening is visible to whoever may see the person (people.access). Only the
PHB team decides on referrals and sees the queue; everyone else gets a 404.
"""

from django.db.models import QuerySet

from eligibility.models import Screening
from people.access import persons_visible_to
from phb.refusals import refuse, refuse_role
from phb.roles import is_phb_team


def screenings_visible_to(user) -> QuerySet[Screening]:
    return Screening.objects.filter(person__in=persons_visible_to(user))


def get_screening_for_user(user, pk) -> Screening:
    screening = (
        screenings_visible_to(user)
        .select_related("person", "person__care_team", "created_by", "decided_by")
        .prefetch_related("cohorts")
        .filter(pk=pk)
        .first()
    )
    if screening is None:
        refuse(Screening, pk, person="person_id", message="No screening found")
    return screening


def require_phb_team(user) -> None:
    if not is_phb_team(user):
        refuse_role()
