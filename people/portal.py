"""What a signed-in patient or representative may see: only the people they are linked to."""

from django.db.models import QuerySet

from people.models import Person
from phb.roles import Role, has_role


def persons_for_patient(user) -> QuerySet[Person]:
    if not has_role(user, Role.PATIENT):
        return Person.objects.none()
    return Person.objects.filter(portal_access__user=user, portal_access__revoked_at__isnull=True)
