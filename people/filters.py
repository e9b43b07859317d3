"""The audit pages' sort and filter from the query string (phb.listing): the lead's trail, each user's own
"What I did" and a person's record history, sorted by when (the trail's indexes on the time, alone and
after the person, answer both ways at any size)."""

import django_filters

from phb.listing import ListFilter, Sort
from phb.models import AuditAction

WHEN = Sort("time, oldest first", ("at", "id"), reversed_words="time, newest first")


class EventsByTime(ListFilter):
    """Events newest first, or oldest first (?sort=when); the filters are the page's own form."""

    SORTS = {"when": WHEN}
    DEFAULT_SORT = "-when"


class MyActivityFilter(EventsByTime):
    action = django_filters.ChoiceFilter(label="What you did", choices=AuditAction.choices, empty_label="Anything")
