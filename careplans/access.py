"""Who may see or change a support plan: whoever may see or change the person (people.access)."""

from django.db.models import prefetch_related_objects

from careplans.models import EndingRequest, Letter, Outcome, PlanVersion, Review, SupportItem, SupportPlan
from careplans.selectors import details, version_with_details, version_with_people, with_waiting_ending
from people.access import visible, writable
from phb.refusals import refuse


def _scope(user, write: bool, path: str):
    """The user's people as a filter through `path` (no join at all for the PHB team, who see everyone)."""
    return writable(user, path) if write else visible(user, path)


def get_version_for_user(user, pk, *, write: bool = False, details: bool = True) -> PlanVersion:
    """The version with its person and people (details: also its outcomes and items, for the rules)."""
    versions = version_with_details() if details else version_with_people()
    version = versions.filter(_scope(user, write, "plan__person__"), pk=pk).first()
    if version is None:
        refuse(PlanVersion, pk, person="plan__person_id", message="No plan found")
    return version


def get_version_and_siblings(
    user, pk, *, write: bool = False, also_detail=None
) -> tuple[PlanVersion, list[PlanVersion]]:
    """The version and every version of its plan (itself included, newest first) in one query, each with its
    people; the version's outcomes and items in two more. For pages that show the plan's other versions
    and ask what may be done (careplans.lifecycle with siblings= reads them with no query). Each carries its
    plan's ending waiting for confirmation (selectors.waiting_ending_of).
    also_detail(version, siblings): another version whose outcomes and items come in the same two queries."""
    versions = version_with_people().filter(_scope(user, write, "plan__person__"), plan__versions__pk=pk)
    siblings = list(with_waiting_ending(versions).order_by("-number"))
    version = next((v for v in siblings if v.pk == pk or str(v.pk) == str(pk)), None)
    if version is None:
        refuse(PlanVersion, pk, person="plan__person_id", message="No plan found")
    other = also_detail(version, siblings) if also_detail else None
    prefetch_related_objects([version] + ([other] if other is not None else []), *details())
    return version, siblings


def get_plan_for_user(user, pk, *, write: bool = False) -> SupportPlan:
    plan = SupportPlan.objects.select_related("person").filter(_scope(user, write, "person__"), pk=pk).first()
    if plan is None:
        refuse(SupportPlan, pk, person="person_id", message="No plan found")
    return plan


def get_outcome_for_user(user, pk) -> Outcome:
    outcome = (
        Outcome.objects.select_related("plan_version", "plan_version__plan__person")
        .filter(writable(user, "plan_version__plan__person__"), pk=pk)
        .first()
    )
    if outcome is None:
        refuse(Outcome, pk, person="plan_version__plan__person_id", message="No outcome found")
    return outcome


def get_item_for_user(user, pk) -> SupportItem:
    item = (
        SupportItem.objects.select_related("plan_version", "plan_version__plan__person")
        .prefetch_related("outcomes")
        .filter(writable(user, "plan_version__plan__person__"), pk=pk)
        .first()
    )
    if item is None:
        refuse(SupportItem, pk, person="plan_version__plan__person_id", message="No item found")
    return item


def get_letter_for_user(user, pk) -> Letter:
    """A letter kept on the record of a person the user may see."""
    letter = Letter.objects.select_related("person", "plan_version__plan").filter(visible(user, "person__"), pk=pk)
    letter = letter.first()
    if letter is None:
        refuse(Letter, pk, person="person_id", message="No letter found")
    return letter


def get_review_for_user(user, pk, *, write: bool = False, reviews=None) -> Review:
    """A review of a plan for a person the user may see (write: may change). reviews: the queryset to read it
    from, carrying what the page needs (by default its person and version)."""
    if reviews is None:
        reviews = Review.objects.select_related("plan__person", "plan_version")
    review = reviews.filter(_scope(user, write, "plan__person__"), pk=pk).first()
    if review is None:
        refuse(Review, pk, person="plan__person_id", message="No review found")
    return review


def get_ending_for_user(user, pk) -> EndingRequest:
    """An ending asked for, of the plan of a person the user may see, with its person and who asked."""
    ending = (
        EndingRequest.objects.select_related("plan__person", "requested_by", "decided_by")
        .filter(visible(user, "plan__person__"), pk=pk)
        .first()
    )
    if ending is None:
        refuse(EndingRequest, pk, person="plan__person_id", message="No ending found")
    return ending
