"""The support plan panel on a person's page."""

from django import template
from django.utils import timezone

from careplans.reviews import review_counts
from careplans.selectors import person_plans
from people.access import may_write

register = template.Library()


@register.inclusion_tag("careplans/_person_panel.html", takes_context=True)
def plan_panel(context, person):
    user = context["request"].user
    panel = person_plans(person=person, may_start=may_write(user, person))
    return {
        "person": person,
        "plans": panel.plans,
        "can_start": panel.can_start,
        "next_review_on": panel.next_review_on,
    }


@register.inclusion_tag("careplans/_reviews_summary.html", takes_context=True)
def reviews_summary(context):
    """Counts for the home page: reviews overdue, and due in the next 28 days."""
    user = context["request"].user
    return {"counts": review_counts(user=user, today=timezone.localdate())}
