"""The assessment and budget panel on a person's page."""

from django import template

from budgets.selectors import assessments_for, budget_versions_for
from eligibility.selectors import is_eligible
from people.access import persons_writable_by

register = template.Library()


@register.inclusion_tag("budgets/_person_panel.html", takes_context=True)
def budget_panel(context, person):
    user = context["request"].user
    return {
        "person": person,
        "assessment": assessments_for(person=person).first(),
        "budget": budget_versions_for(person=person).first(),
        "can_assess": persons_writable_by(user).filter(pk=person.pk).exists() and is_eligible(person=person),
    }
