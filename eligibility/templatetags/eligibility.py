"""The eligibility panel on a person's page: current outcome and route, and the screening history."""

from django import template

from eligibility.selectors import screenings_for
from people.access import persons_writable_by

register = template.Library()


@register.inclusion_tag("eligibility/_person_panel.html", takes_context=True)
def eligibility_panel(context, person):
    screenings = list(screenings_for(person=person))
    user = context["request"].user
    return {
        "person": person,
        "current": screenings[0] if screenings else None,
        "screenings": screenings,
        "can_screen": persons_writable_by(user).filter(pk=person.pk).exists(),
    }
