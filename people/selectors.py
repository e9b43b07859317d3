"""Reads of people's records, each already scoped by access and carrying its joins."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from people import nhs_number
from people.access import persons_visible_to
from people.models import Person
from phb.models import AuditAction, AuditEvent

# A search term this long or longer is looked up in the trigram indexes (people migration 0004).
TRIGRAM = 3


def caseload_for(*, user, query: str = "") -> QuerySet[Person]:
    """The people a user may see, narrowed by an NHS number or name search.

    Renders a page in a constant number of queries: the joins for the list
    columns are here, not in the template.
    """
    people = persons_visible_to(user).select_related("care_team", "lead_coordinator")
    query = (query or "").strip()
    digits = nhs_number.normalise(query)
    if digits.isdigit():
        people = people.filter(nhs_number=digits) if len(digits) == 10 else people.filter(nhs_number__startswith=digits)
    elif query:
        terms = search_words(query)
        for term in terms:
            people = people.filter(
                Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(preferred_name__icontains=term)
            )
        if found_by_trigrams(terms):
            # Found through the trigram indexes, then sorted: a rare name must not be looked for by walking
            # the whole name index in order (PostgreSQL guesses too many matches and would do that).
            return people.order_by(Upper("family_name"), Upper("given_name"), "id")
    return people.order_by("family_name", "given_name", "id")


def search_words(query: str) -> tuple[str, ...]:
    """The words of a search by name, as caseload_for looks for each; none for no search or an NHS number (digits
    once spaces and dashes are gone)."""
    query = (query or "").strip()
    if not query or nhs_number.normalise(query).isdigit():
        return ()
    return tuple(query.split())


def found_by_trigrams(words: tuple[str, ...]) -> bool:
    """Whether caseload_for finds these words through the trigram indexes (every word long enough), sorting what
    they match, rather than by walking the name index in order."""
    return bool(words) and all(len(word) >= TRIGRAM for word in words)


def search_kind(query: str) -> str:
    """What a caseload search looked for, in words for the audit trail (never the text typed): the test
    caseload_for applies, digits once spaces and dashes are gone being an NHS number."""
    return "name" if search_words(query) else "NHS number"


# Opening a record or a list: many a day, and not a change to the record. The history leaves them out
# unless asked (?views=shown).
VIEW_ACTIONS = (AuditAction.VIEW, AuditAction.VIEW_LIST)


def audit_trail_for(*, person: Person, with_views: bool = False) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(person_id=person.pk)
    if not with_views:
        events = events.exclude(action__in=VIEW_ACTIONS)
    return events.select_related("actor").order_by("-at", "-id")
