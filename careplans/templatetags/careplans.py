"""The support plan panel on a person's page."""

from django import template

from budgets.models import SignOff
from careplans.selectors import plans_for
from eligibility.selectors import is_eligible
from people.access import persons_writable_by

register = template.Library()


@register.inclusion_tag("careplans/_person_panel.html", takes_context=True)
def plan_panel(context, person):
    user = context["request"].user
    plans = [(plan, list(plan.versions.all())) for plan in plans_for(person=person)]
    can_start = (
        persons_writable_by(user).filter(pk=person.pk).exists()
        and is_eligible(person=person)
        and person.budget_versions.filter(sign_off__in=[SignOff.NOT_NEEDED, SignOff.SIGNED_OFF]).exists()
    )
    return {"person": person, "plans": plans, "can_start": can_start}
