"""Staff pages for reviews done: one review with everything it found, and a plan's reviews with the trend in
each part of life. Recording a review and asking for one are in careplans.views."""

from django.db.models import prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from careplans import access, review_history, reviews
from careplans.forms import ReviewForm
from careplans.models import ReviewStatus
from people.access import require_staff
from phb.pagination import page_of


@require_GET
def review_detail(request, pk):
    require_staff(request.user)
    review = access.get_review_for_user(request.user, pk, reviews=review_history.reviews_with_people())
    prefetch_related_objects([review], *review_history.review_findings())
    reviews.review_record_view(review=review, acting_user=request.user)
    person = review.plan.person
    today = timezone.localdate()
    # The rule review_complete refuses on, so the button shows exactly when recording would be accepted.
    record_refusal = reviews.record_refusal(review, request.user, on=today)
    return render(
        request,
        "careplans/review_detail.html",
        {
            "review": review,
            "person": person,
            "status": review_history.review_status(review, today=today),
            "questions": {name: field.label for name, field in ReviewForm.base_fields.items()},
            "ratings": review_history.ratings_in_order(review),
            "is_done": review.status == ReviewStatus.COMPLETED,
            "is_cancelled": review.status == ReviewStatus.CANCELLED,
            "can_record": record_refusal is None,
            "record_refusal": record_refusal,
        },
    )


@require_GET
def plan_reviews(request, pk):
    require_staff(request.user)
    plan = access.get_plan_for_user(request.user, pk)
    page = page_of(review_history.reviews_of_plan(plan), request.GET.get("page"))
    reviews.plan_reviews_view(plan=plan, acting_user=request.user)
    today = timezone.localdate()
    return render(
        request,
        "careplans/plan_reviews.html",
        {
            "plan": plan,
            "person": plan.person,
            "page": page,
            "rows": [(review, review_history.review_status(review, today=today)) for review in page],
            "trend": review_history.domain_trend(page),
        },
    )
