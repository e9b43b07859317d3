from django.db.models import Q, QuerySet

from eligibility.models import Decision, IPCCohort, Screening
from people.models import Person


def decision_queue() -> QuerySet[Screening]:
    """Referrals waiting for the PHB team, oldest first, with what the page shows already joined."""
    return (
        Screening.objects.filter(decision=Decision.AWAITING)
        .select_related("person", "person__care_team", "created_by")
        .prefetch_related("cohorts")
        .order_by("created_at", "id")
    )


def screenings_for(*, person: Person) -> QuerySet[Screening]:
    return person.screenings.select_related("created_by", "decided_by").order_by("-screened_on", "-created_at")


def cohorts_offered(*, on) -> QuerySet[IPCCohort]:
    """Cohorts a coordinator can choose on a date: those not retired by then."""
    return IPCCohort.objects.filter(Q(retired_on__isnull=True) | Q(retired_on__gt=on))


def current_screening(*, person: Person) -> Screening | None:
    """The latest screening: the one that says whether the person is eligible now."""
    return screenings_for(person=person).first()


def is_eligible(*, person: Person) -> bool:
    screening = current_screening(person=person)
    return screening is not None and screening.is_eligible
