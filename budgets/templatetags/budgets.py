"""The assessment and budget panel on a person's page."""

from django import template

from budgets import calculate
from budgets.selectors import latest_assessment_and_budget, sign_off_words
from eligibility.selectors import is_eligible
from people.access import may_write

register = template.Library()


@register.inclusion_tag("budgets/_person_panel.html", takes_context=True)
def budget_panel(context, person):
    user = context["request"].user
    assessment, budget = latest_assessment_and_budget(person=person)
    return {
        "person": person,
        "assessment": assessment,
        "budget": budget,
        "can_assess": may_write(user, person) and is_eligible(person=person),
    }


@register.simple_tag
def yearly_words():
    """How weekly, 4-weekly and monthly costs become yearly ones (budgets.calculate.yearly_words)."""
    return calculate.yearly_words()


@register.simple_tag
def budget_sign_off(version):
    """The budget's sign-off in words, saying why none is needed when it is not (budgets.selectors)."""
    return sign_off_words(version)
