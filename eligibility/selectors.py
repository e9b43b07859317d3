from django.db.models import Q, QuerySet

from eligibility.models import Decision, IPCCohort, Screening
from people.models import Person


def decision_queue() -> QuerySet[Screening]:
    """Referrals waiting for the PHB team, longest waiting first (`Screening.waiting_since`), with what the page
    shows already joined."""
    return (
        Screening.objects.filter(decision=Decision.AWAITING)
        .select_related("person", "person__care_team", "created_by")
        .prefetch_related("cohorts")
        .order_by("screened_on", "created_at", "id")
    )


def screenings_for(*, person: Person) -> QuerySet[Screening]:
    return person.screenings.select_related("created_by", "decided_by").order_by("-screened_on", "-created_at")


def cohorts_offered(*, on) -> QuerySet[IPCCohort]:
    """Cohorts a coordinator can choose on a date: those not retired by then."""
    return IPCCohort.objects.filter(Q(retired_on__isnull=True) | Q(retired_on__gt=on))


# A page that shows a person's screenings keeps them on the person object, so the other panels asking
# "eligible now?" on the same page do not read them again. Only reads fill it; a new screening forgets it.
MEMO = "_phb_screenings"


def screenings_shown(*, person: Person) -> list[Screening]:
    """The person's screenings, newest first, read once for the page (kept on the person object)."""
    if getattr(person, MEMO, None) is None:
        setattr(person, MEMO, list(screenings_for(person=person)))
    return getattr(person, MEMO)


def forget_screenings(person: Person) -> None:
    person.__dict__.pop(MEMO, None)


def current_screening(*, person: Person) -> Screening | None:
    """The latest screening: the one that says whether the person is eligible now."""
    shown = getattr(person, MEMO, None)
    if shown is not None:
        return shown[0] if shown else None
    return screenings_for(person=person).first()


def is_eligible(*, person: Person) -> bool:
    screening = current_screening(person=person)
    return screening is not None and screening.is_eligible
