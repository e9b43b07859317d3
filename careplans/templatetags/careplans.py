"""The support plan panel on a person's page, and a plan version's status tag."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from careplans import letters, rules
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


@register.simple_tag
def plan_status_tag(version):
    """A version's status as an NHS.UK tag, in the one colour for its status (STATUS_TAG_COLOURS), on staff
    pages and in the portal."""
    return format_html(
        '<strong class="nhsuk-tag nhsuk-tag--{}" data-testid="status">Version {}: {}</strong>',
        version.status_tag_colour,
        version.number,
        version.status_words,
    )


@register.simple_tag
def plan_yearly_words():
    """How each frequency of cost becomes a yearly one, as the plan's letters say it (from rules.TIMES_A_YEAR)."""
    return letters.yearly_words(rules.Frequency)
