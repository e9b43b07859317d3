"""The online access and messages panel on a person's page (staff)."""

from django import template

from portal import access, selectors
from portal.services import MESSAGE_LIMIT

register = template.Library()


@register.inclusion_tag("portal/_online_panel.html", takes_context=True)
def online_panel(context, person):
    return {
        "person": person,
        "accesses": selectors.accesses_for(person),
        "thread": selectors.thread_for(person),
        "can_change": access.may_manage_online_access(context["request"].user, person),
        "message_limit": MESSAGE_LIMIT,
    }
