"""The support plan panel on a person's page."""

from django import template
from django.utils import timezone

from careplans.models import Review, ReviewStatus
from careplans.reviews import review_counts
from careplans.selectors import budgets_to_start_on, plans_for
from people.access import persons_writable_by

register = template.Library()


@register.inclusion_tag("careplans/_person_panel.html", takes_context=True)
def plan_panel(context, person):
    user = context["request"].user
    plans = [(plan, list(plan.versions.all())) for plan in plans_for(person=person)]
    can_start = persons_writable_by(user).filter(pk=person.pk).exists() and budgets_to_start_on(person=person).exists()
    next_review = Review.objects.filter(plan__person=person, status=ReviewStatus.DUE).order_by("due_on").first()
    return {"person": person, "plans": plans, "can_start": can_start, "next_review": next_review}


@register.inclusion_tag("careplans/_reviews_summary.html", takes_context=True)
def reviews_summary(context):
    """Counts for the home page: reviews overdue, and due in the next 28 days."""
    user = context["request"].user
    return {"counts": review_counts(user=user, today=timezone.localdate())}
