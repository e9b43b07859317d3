"""One rule for recording a review (careplans.reviews.record_refusal): the review's page offers "Record the
review", and the record page opens, exactly when review_complete would accept it, for every persona and
every state a review can be in."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from careplans import approval, reviews, services
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.tests.factories import approved_change, approved_plan, complete_plan
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db

PERSONAS = ["alice", "bob", "charlie", "priya", "leo", "pat"]


def _due(plan) -> Review:
    return Review.objects.get(plan=plan, status=ReviewStatus.DUE)


def due_review(jane, alice, priya):
    return _due(approved_plan(person=jane, coordinator=alice, approver=priya).plan)


def completed_review(jane, alice, priya):
    review = due_review(jane, alice, priya)
    _record(review, alice)
    return Review.objects.get(pk=review.pk)


def cancelled_review(jane, alice, priya):
    active = approved_plan(person=jane, coordinator=alice, approver=priya)
    review = _due(active.plan)
    approval.plan_end(
        version=active, reason="moved_away", ended_on=timezone.localdate(), note="", unspent_to_repay=None,
        acting_user=alice,
    )  # fmt: skip
    return Review.objects.get(pk=review.pk)


def plan_not_started(jane, alice, priya):
    future = timezone.localdate() + datetime.timedelta(days=10)
    draft = complete_plan(person=jane, coordinator=alice)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=future,
        first_review_date=future + datetime.timedelta(days=30),
    )
    version = services.plan_submit(version=draft, acting_user=alice)
    approval.plan_approve(version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya)
    return _due(version.plan)


def plan_no_longer_standing(jane, alice, priya):
    """A review left due on a plan that has ended (ending cancels them; the rule must not lean on that)."""
    review = due_review(jane, alice, priya)
    PlanVersion.objects.filter(pk=review.plan_version_id).update(status=Status.ENDED)
    return Review.objects.get(pk=review.pk)


def change_waiting_to_start(jane, alice, priya):
    """A change approved to start later: the version in force is still the old one, and its review is due."""
    active = approved_plan(person=jane, coordinator=alice, approver=priya)
    start = timezone.localdate() + datetime.timedelta(days=20)
    approved_change(plan=active.plan, coordinator=alice, approver=priya, start=start)
    return Review.objects.get(plan=active.plan, status=ReviewStatus.DUE, plan_version=active)


# The case, and who may record it (everyone else is refused).
CASES = {
    "due": (due_review, {"alice", "bob"}),
    "completed": (completed_review, set()),
    "cancelled when the budget ended": (cancelled_review, set()),
    "plan not started yet": (plan_not_started, set()),
    "plan no longer standing": (plan_no_longer_standing, set()),
    "a change waiting to start": (change_waiting_to_start, {"alice", "bob"}),
}


class _Undo(Exception):
    pass


def _answers(review: Review) -> dict:
    version = reviews.in_force(review.plan) or review.plan_version
    return {
        "completed_on": timezone.localdate(),
        "outcome_progress": {str(o.key): ("partly", "") for o in version.outcomes.all()},
        "domain_ratings": {"social": "same"},
        "money_enough": True,
        "money_notes": "",
        "used_as_planned": True,
        "use_notes": "",
        "safety_notes": "",
        "satisfaction": "satisfied",
        "decision": "continue",
    }


def _record(review: Review, user) -> None:
    reviews.review_complete(review=review, acting_user=user, **_answers(review))


def service_accepts(review: Review, user) -> bool:
    """Whether review_complete records it; undone either way, so every persona tries the same review."""
    try:
        with transaction.atomic():
            _record(Review.objects.select_related("plan__person", "plan_version").get(pk=review.pk), user)
            raise _Undo
    except _Undo:
        return True
    except ServiceError:
        return False


def page_offers(client, review: Review, user) -> bool:
    client.force_login(user)
    response = client.get(reverse("careplans:review", kwargs={"pk": review.pk}))
    offered = reverse("careplans:review_record", kwargs={"pk": review.pk}) in response.content.decode()
    assert response.status_code in (200, 404)
    return response.status_code == 200 and offered


def record_page_opens(client, review: Review, user) -> bool:
    client.force_login(user)
    return client.get(reverse("careplans:review_record", kwargs={"pk": review.pk})).status_code == 200


@pytest.mark.parametrize("case", CASES)
def test_the_button_shows_exactly_when_the_service_would_record_the_review(
    case, client, request, jane, alice, priya, bob, charlie, leo, pat
):
    make, who_may = CASES[case]
    review = make(jane, alice, priya)
    for name in PERSONAS:
        user = request.getfixturevalue(name)
        fresh = Review.objects.select_related("plan__person", "plan_version").get(pk=review.pk)
        accepted = service_accepts(review, user)
        assert accepted == (name in who_may), (case, name)
        assert (reviews.record_refusal(fresh, user) is None) == accepted, (case, name)
        assert page_offers(client, review, user) == accepted, (case, name)
        assert record_page_opens(client, review, user) == accepted, (case, name)


def test_the_page_says_why_a_review_cannot_be_recorded(client, jane, alice, priya):
    review = due_review(jane, alice, priya)
    client.force_login(priya)
    page = client.get(reverse("careplans:review", kwargs={"pk": review.pk})).content.decode()
    assert "Only a care coordinator in the person&#x27;s care team can record a review." in page
    client.force_login(alice)
    assert (
        'data-testid="record-refusal"'
        not in client.get(reverse("careplans:review", kwargs={"pk": review.pk})).content.decode()
    )


def test_the_service_refuses_with_the_rules_words(jane, alice, priya):
    review = plan_not_started(jane, alice, priya)
    with pytest.raises(ServiceError, match="Only a plan in force can be reviewed"):
        _record(review, alice)


def test_a_review_with_answers_missing_is_still_a_validation_error_not_a_refusal(jane, alice, priya):
    review = due_review(jane, alice, priya)
    with pytest.raises(ValidationError, match="Record progress on every outcome"):
        reviews.review_complete(review=review, acting_user=alice, **{**_answers(review), "outcome_progress": {}})


@pytest.mark.parametrize("case", list(CASES))
def test_a_review_is_listed_as_due_exactly_when_it_can_be_recorded(case, jane, alice, priya):
    """The reviews-due page, the coordinator's tray and the header count (careplans.reviews.reviews_due_for)
    list a review exactly when the rule lets its coordinator record it: one booked when a plan was approved
    to start later waits for the plan to start."""
    make, may = CASES[case]
    review = make(jane, alice, priya)
    listed = reviews.reviews_due_for(user=alice).filter(pk=review.pk).exists()
    assert listed == (reviews.record_refusal(review, alice) is None) == ("alice" in may), case
