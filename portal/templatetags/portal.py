"""The online access and messages panel on a person's page (staff)."""

from django import template
from django.utils import timezone

from portal import access, selectors

register = template.Library()


@register.inclusion_tag("portal/_online_panel.html", takes_context=True)
def online_panel(context, person):
    return {
        "person": person,
        "panel": selectors.online_panel_for(person, now=timezone.now()),
        "can_change": access.may_manage_online_access(context["request"].user, person),
    }
