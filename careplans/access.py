"""Who may see or change a support plan: whoever may see or change the person (people.access)."""

from django.http import Http404

from careplans.models import Letter, Outcome, PlanVersion, Review, SupportItem, SupportPlan
from careplans.selectors import version_with_details
from people.access import persons_visible_to, persons_writable_by


def _scope(user, write: bool):
    return persons_writable_by(user) if write else persons_visible_to(user)


def get_version_for_user(user, pk, *, write: bool = False) -> PlanVersion:
    version = version_with_details().filter(pk=pk, plan__person__in=_scope(user, write)).first()
    if version is None:
        raise Http404("No plan found")
    return version


def get_plan_for_user(user, pk, *, write: bool = False) -> SupportPlan:
    plan = SupportPlan.objects.select_related("person").filter(pk=pk, person__in=_scope(user, write)).first()
    if plan is None:
        raise Http404("No plan found")
    return plan


def get_outcome_for_user(user, pk) -> Outcome:
    outcome = (
        Outcome.objects.select_related("plan_version", "plan_version__plan__person")
        .filter(pk=pk, plan_version__plan__person__in=persons_writable_by(user))
        .first()
    )
    if outcome is None:
        raise Http404("No outcome found")
    return outcome


def get_item_for_user(user, pk) -> SupportItem:
    item = (
        SupportItem.objects.select_related("plan_version", "plan_version__plan__person")
        .prefetch_related("outcomes")
        .filter(pk=pk, plan_version__plan__person__in=persons_writable_by(user))
        .first()
    )
    if item is None:
        raise Http404("No item found")
    return item


def get_letter_for_user(user, pk) -> Letter:
    """A letter kept on the record of a person the user may see."""
    letter = Letter.objects.select_related("person", "plan_version__plan").filter(
        pk=pk, person__in=persons_visible_to(user)
    )
    letter = letter.first()
    if letter is None:
        raise Http404("No letter found")
    return letter


def get_review_for_user(user, pk, *, write: bool = False) -> Review:
    """A review of a plan for a person the user may see (write: may change)."""
    review = (
        Review.objects.select_related("plan__person", "plan_version")
        .filter(pk=pk, plan__person__in=_scope(user, write))
        .first()
    )
    if review is None:
        raise Http404("No review found")
    return review
