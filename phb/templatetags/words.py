"""Dates, times and labels in templates, one definition each (phb/words.py). A builtin library
(settings.TEMPLATES), so every template, e-mail and letter has them without a {% load %}."""

from django import template

from phb import words

register = template.Library()


@register.filter
def long_date(value):
    """{{ review.due_on|long_date }}: 23 November 2026."""
    return words.long_date(value)


@register.filter
def time_of_day(value):
    """{{ message.created_at|time_of_day }}: 6:24pm."""
    return words.time_of_day(value)


@register.filter
def date_and_time(value):
    """{{ event.at|date_and_time }}: 23 November 2026 at 6:24pm."""
    return words.date_and_time(value)


@register.filter
def lower_first(value):
    """A label in the middle of a sentence: "submitted to the PHB team", never "submitted to the phb team"."""
    return words.lower_first(value)
