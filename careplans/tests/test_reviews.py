"""Recording reviews, asking for one sooner, and the reviews-due list."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from careplans import approval, reviews, services
from careplans.models import PlanVersion, Review, ReviewStatus, Status
from careplans.tests.factories import approved_plan, complete_plan
from people.tests.factories import PersonFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def answers(version, **overrides):
    values = {
        "completed_on": datetime.date(2026, 6, 10),
        "outcome_progress": {str(o.key): ("partly", "Getting there") for o in version.outcomes.all()},
        "domain_ratings": {"social": "better", "daily_living": "same"},
        "money_enough": True,
        "money_notes": "",
        "used_as_planned": True,
        "use_notes": "",
        "safety_notes": "No falls",
        "satisfaction": "satisfied",
        "decision": "continue",
    }
    values.update(overrides)
    return values


def test_completing_a_review_schedules_the_next_twelve_months_after(active, alice):
    first = Review.objects.get(plan=active.plan)
    review, following, draft = reviews.review_complete(review=first, acting_user=alice, **answers(active))
    assert review.status == ReviewStatus.COMPLETED
    assert following.due_on == datetime.date(2027, 6, 10)
    assert draft is None
    assert review.outcome_progress.count() == 2
    assert review.domain_ratings.get(domain="social").change == "better"


def test_deciding_to_amend_opens_a_new_draft(active, alice):
    first = Review.objects.get(plan=active.plan)
    _, _, draft = reviews.review_complete(review=first, acting_user=alice, **answers(active, decision="amend"))
    assert (draft.status, draft.number) == (Status.DRAFT, 2)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"completed_on": datetime.date.today() + datetime.timedelta(days=1)}, "today or in the past"),
        ({"completed_on": datetime.date(2026, 3, 1)}, "on or after the plan's start date"),
        ({"decision": ""}, "Select what happens next"),
        ({"outcome_progress": {}}, "Record progress on every outcome"),
    ],
)
def test_bad_review_answers_are_refused_and_nothing_is_saved(active, alice, overrides, message):
    first = Review.objects.get(plan=active.plan)
    with pytest.raises(ValidationError, match=message):
        reviews.review_complete(review=first, acting_user=alice, **answers(active, **overrides))
    assert Review.objects.get(pk=first.pk).status == ReviewStatus.DUE


@pytest.mark.parametrize("status", [Status.ENDED, Status.SUPERSEDED, Status.WITHDRAWN])
def test_a_plan_that_is_not_in_force_cannot_be_reviewed(active, alice, status):
    first = Review.objects.get(plan=active.plan)
    PlanVersion.objects.filter(pk=active.pk).update(status=status)
    with pytest.raises(ServiceError, match="has not started or has ended"):
        reviews.review_complete(review=first, acting_user=alice, **answers(active))
    assert Review.objects.get(pk=first.pk).status == ReviewStatus.DUE


def test_an_approved_plan_whose_start_date_has_come_is_in_force_before_the_hourly_job(active, alice):
    first = Review.objects.get(plan=active.plan)
    PlanVersion.objects.filter(pk=active.pk).update(status=Status.APPROVED)
    review, _, _ = reviews.review_complete(review=first, acting_user=alice, **answers(active))
    assert review.status == ReviewStatus.COMPLETED


def test_an_unscheduled_review_needs_a_reason_and_is_due_in_14_days(active, alice):
    with pytest.raises(ValidationError, match="why the review is needed"):
        reviews.review_request(plan=active.plan, reason="", acting_user=alice)
    review = reviews.review_request(plan=active.plan, reason="money_not_enough", acting_user=alice)
    assert review.due_on == datetime.date.today() + datetime.timedelta(days=14)
    assert review.kind == "unscheduled"


def test_an_unscheduled_review_brings_the_next_scheduled_one_forward_only_if_it_would_be_later(active, alice):
    scheduled = Review.objects.get(plan=active.plan, kind="scheduled")
    extra = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    reviews.review_complete(review=extra, acting_user=alice, **answers(active, completed_on=datetime.date(2026, 5, 1)))
    scheduled.refresh_from_db()
    # Already due by 15 June 2026, earlier than 12 months after 1 May 2026: unchanged.
    assert scheduled.due_on == datetime.date(2026, 6, 15)


def test_an_unscheduled_review_brings_a_later_scheduled_review_forward(active, alice):
    scheduled = Review.objects.get(plan=active.plan, kind="scheduled")
    Review.objects.filter(pk=scheduled.pk).update(due_on=datetime.date(2027, 8, 1))
    extra = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    _, following, _ = reviews.review_complete(
        review=extra, acting_user=alice, **answers(active, completed_on=datetime.date(2026, 5, 1))
    )
    scheduled.refresh_from_db()
    # Due by 1 August 2027, later than 12 months after 1 May 2026: brought forward to 1 May 2027.
    assert scheduled.due_on == following.due_on == datetime.date(2027, 5, 1)
    assert Review.objects.filter(plan=active.plan, kind="scheduled", status="due").count() == 1


def test_the_reviews_due_list_shows_overdue_first_in_constant_queries(
    client, alice, priya, north, active, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("careplans:reviews_due")
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    # One review asked for on each of four more plans (a plan has at most one waiting), each with its first
    # scheduled review: 1 + 4 * 2 rows.
    for _ in range(4):
        person = PersonFactory(care_team=north, lead_coordinator=alice)
        other = approved_plan(person=person, coordinator=alice, approver=priya)
        reviews.review_request(plan=other.plan, reason="concern_raised", acting_user=alice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    rows = response.context["rows"]
    assert len(rows) == 9
    assert rows[0]["review"].due_on <= rows[-1]["review"].due_on
    caseload = client.get(reverse("casework:caseload")).content.decode()
    assert "review overdue" in caseload or "reviews overdue" in caseload


def test_the_person_page_shows_the_next_review(client, alice, active):
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": active.plan.person_id})).content.decode()
    assert "Next review due by <strong>15 June 2026</strong>" in page


@pytest.mark.parametrize("persona", ["charlie", "pat", "priya"])
def test_only_the_care_team_records_a_review(client, request, active, persona):
    review = Review.objects.get(plan=active.plan)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("careplans:review_record", kwargs={"pk": review.pk})).status_code == 404


def test_the_review_page_records_ratings_and_the_decision(client, alice, active):
    review = Review.objects.get(plan=active.plan)
    client.force_login(alice)
    url = reverse("careplans:review_record", kwargs={"pk": review.pk})
    assert client.get(url).status_code == 200
    data = {
        "completed_on_day": "10",
        "completed_on_month": "6",
        "completed_on_year": "2026",
        "money_enough": "yes",
        "used_as_planned": "no",
        "use_notes": "Some taxis were not used",
        "satisfaction": "very_satisfied",
        "decision": "continue",
        "change_social": "better",
        "change_daily_living": "same",
    }
    for outcome in active.outcomes.all():
        data[f"progress_{outcome.key}"] = "achieved"
    response = client.post(url, data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.used_as_planned, review.satisfaction) == ("completed", False, "very_satisfied")


def test_asking_for_a_review_eight_times_makes_one_due_review(client, alice, active):
    """The finding: eight identical posts to request-review made eight due reviews, each with reminders."""
    client.force_login(alice)
    url = reverse("careplans:review_request", kwargs={"pk": active.plan_id})
    answers = [client.post(url, {"reason": "health_changed", "note": "A fall at home"}) for _ in range(8)]
    assert {response.status_code for response in answers} == {302}
    [review] = Review.objects.filter(plan=active.plan, kind="unscheduled", status=ReviewStatus.DUE)
    assert review.reason_note == "A fall at home"
    assert AuditEvent.objects.filter(object_id=str(review.pk), action=AuditAction.REQUEST_REVIEW).count() == 1
    page = client.get(answers[-1]["Location"]).content.decode()
    assert "A review was already asked for" in page


def test_the_same_review_form_sent_twice_goes_where_the_first_went(client, alice, active):
    client.force_login(alice)
    url = reverse("careplans:review_request", kwargs={"pk": active.plan_id})
    token = re.search(r'name="once" value="([^"]+)"', client.get(url).content.decode()).group(1)
    sent = {"reason": "health_changed", "note": "", "once": token}
    first, second = client.post(url, sent), client.post(url, sent)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("careplans:reviews_due")
    assert Review.objects.filter(plan=active.plan, kind="unscheduled").count() == 1
    assert "You had already sent this form" in client.get(second["Location"]).content.decode()


def test_asking_again_for_a_sooner_review_brings_the_one_waiting_forward(active, alice):
    today = datetime.date.today()
    first = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    later = reviews.review_request(
        plan=active.plan, reason="concern_raised", due_on=first.due_on + datetime.timedelta(days=5), acting_user=alice
    )
    assert (later.pk, later.due_on, later.asked_before) == (first.pk, first.due_on, True)
    sooner = reviews.review_request(
        plan=active.plan, reason="concern_raised", due_on=today + datetime.timedelta(days=2), acting_user=alice
    )
    assert sooner.pk == first.pk
    assert Review.objects.get(pk=first.pk).due_on == today + datetime.timedelta(days=2)
    moved = AuditEvent.objects.filter(object_id=str(first.pk), action=AuditAction.REQUEST_REVIEW).order_by("at")
    assert moved.count() == 2
    assert moved.last().changes == {"due_on": [str(first.due_on), str(today + datetime.timedelta(days=2))]}


def test_the_database_keeps_one_unscheduled_review_due_per_plan(active, alice):
    first = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            plan=active.plan, plan_version=active, kind="unscheduled", due_on=first.due_on, reason="concern_raised"
        )
    # Once the first is done, another can be asked for.
    Review.objects.filter(pk=first.pk).update(status=ReviewStatus.COMPLETED)
    again = reviews.review_request(plan=active.plan, reason="concern_raised", acting_user=alice)
    assert again.pk != first.pk and not getattr(again, "asked_before", False)
