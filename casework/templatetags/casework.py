"""A person's journey stage as an NHS.UK tag, the same on staff pages and in the portal."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from casework import selectors
from casework.stages import Holder, Where

register = template.Library()


@register.filter
def stage(person) -> Where:
    """The stage of a person read through casework.selectors.with_stage (no query)."""
    return selectors.where(person)


@register.simple_tag
def stage_tag(where: Where, for_person: bool = False):
    """The stage as an NHS.UK tag in its one colour (casework.stages.SHAPES), for staff or (for_person) in the
    portal's words."""
    label = where.label_for_person if for_person else where.label
    return format_html('<strong class="nhsuk-tag nhsuk-tag--{}" data-testid="stage">{}</strong>', where.colour, label)


@register.simple_tag
def next_action(where: Where):
    """The next action, and who holds it when someone does."""
    if where.holder == Holder.NOBODY:
        return where.next_action
    return format_html('{} <span class="nhsuk-body-s">({})</span>', where.next_action, where.holder.label)


@register.inclusion_tag("casework/_person_stage.html")
def person_stage(person):
    """The stage and next action under a person's name on their page: read with the person when the page
    loaded them annotated (people.access.RECORD_ANNOTATIONS), else in one query."""
    if hasattr(person, "stage"):
        return {"where": selectors.where(person)}
    return {"where": selectors.stage_for(person=person, today=timezone.localdate())}
