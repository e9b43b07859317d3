"""The eligibility panel on a person's page: current outcome and route, and the screening history."""

from django import template

from eligibility.selectors import screenings_shown
from people.access import may_write

register = template.Library()


@register.inclusion_tag("eligibility/_person_panel.html", takes_context=True)
def eligibility_panel(context, person):
    screenings = screenings_shown(person=person)
    user = context["request"].user
    return {
        "person": person,
        "current": screenings[0] if screenings else None,
        "screenings": screenings,
        "can_screen": may_write(user, person),
    }
