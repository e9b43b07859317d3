"""The online access and messages panel on a person's page (staff)."""

from django import template

from people.access import persons_writable_by
from people.models import PortalAccess
from portal.models import Message

register = template.Library()


@register.inclusion_tag("portal/_online_panel.html", takes_context=True)
def online_panel(context, person):
    user = context["request"].user
    return {
        "person": person,
        "accesses": PortalAccess.objects.filter(person=person, revoked_at__isnull=True).select_related("user"),
        "thread": Message.objects.filter(person=person).select_related("sender"),
        "can_change": persons_writable_by(user).filter(pk=person.pk).exists(),
    }
