"""The caseload's filters and sort, read from the query string (phb.listing: django-filter), so a list can be
bookmarked. A value that is not one of the choices is ignored, never an error page."""

import datetime
from urllib.parse import urlencode

import django_filters
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.http import QueryDict

from careplans.reviews import due_soon_until
from casework import selectors
from casework.stages import Stage
from casework.trays import StandIn
from eligibility.rules import Route
from payments.balance import FlagCode
from payments.models import MoneyFlag
from people.access import team_ids
from people.models import EngagementSupport, Person
from people.selectors import found_by_trigrams, search_words
from phb.listing import ListFilter, Sort
from phb.pagination import page_compiled

NOT_ASSESSED = "not_assessed"
STAGE_CHOICES = [(stage.slug, stage.label) for stage in Stage]
SUPPORT_CHOICES = [(value or NOT_ASSESSED, label) for value, label in EngagementSupport.choices]
ROUTE_CHOICES = [(route.value, route.label) for route in Route if route != Route.NONE]
REVIEW_CHOICES = [("overdue", "Overdue"), ("soon", "Due in the next 28 days")]
ANY_FLAG = "any"
MONEY_CHOICES = [(ANY_FLAG, "Any money to look at"), *((code.value, code.title) for code in FlagCode)]

# The sortable columns. Names break ties, so a page never shuffles; a person with no date for their next
# action comes last either way. "name" keeps the caseload's own order (a name search orders by the trigram
# index's columns).
NAMES = ("family_name", "given_name", "id")
SORTS = {
    "name": Sort("name", None, descending=tuple(f"-{field}" for field in NAMES)),
    "stage": Sort("stage", ("stage", *NAMES), descending=("-stage", *NAMES)),
    "next": Sort(
        "next action's date",
        (F("next_action_on").asc(nulls_last=True), *NAMES),
        descending=(F("next_action_on").desc(nulls_last=True), *NAMES),
    ),
}


class CaseloadFilter(ListFilter):
    SORTS = SORTS
    DEFAULT_SORT = "name"

    stage = django_filters.ChoiceFilter(
        label="Stage", choices=STAGE_CHOICES, method="by_stage", empty_label="Any stage"
    )
    support = django_filters.ChoiceFilter(
        label="Engagement support", choices=SUPPORT_CHOICES, method="by_support", empty_label="Any"
    )
    route = django_filters.ChoiceFilter(
        label="Route", choices=ROUTE_CHOICES, field_name="route", empty_label="Any route"
    )
    review = django_filters.ChoiceFilter(
        label="Next review", choices=REVIEW_CHOICES, method="by_review", empty_label="Any time"
    )
    money = django_filters.ChoiceFilter(
        label="Money", choices=MONEY_CHOICES, method="by_money", empty_label="Any, or none"
    )

    class Meta:
        model = Person
        fields = []

    def __init__(self, *args, today: datetime.date, everyone: bool = False, **kwargs):
        """everyone: the list is everyone the service holds (the PHB team's): sorted by name only, since the stage
        and the next action's date are worked out for the day from each person's kept facts, and sorting a
        national caseload by them means working them out for all 200,000 first (a filter to one stage reads
        only the people its own condition finds, through an index: casework.selectors.at_stage)."""
        self.today = today
        if everyone:
            self.SORTS = {"name": SORTS["name"]}
        super().__init__(*args, **kwargs)

    @property
    def countable(self) -> bool:
        """Whether the page can count its rows: not a stage filter over everyone, which for a stage with no
        indexed condition of its own (eligible, waiting for an assessment) would work out the stage of everyone
        up to the count's cap; such a page shows only its earlier and later links."""
        return len(self.SORTS) > 1 or not self.valid("stage")

    def by_stage(self, queryset, name, value):
        return selectors.at_stage(queryset, Stage.from_slug(value), today=self.today)

    def by_support(self, queryset, name, value):
        return queryset.filter(engagement_support="" if value == NOT_ASSESSED else value)

    def by_money(self, queryset, name, value):
        # The money flags raised on the person's plans (payments.flagging keeps them).
        flags = MoneyFlag.objects.filter(person=OuterRef("pk"))
        return queryset.filter(Exists(flags if value == ANY_FLAG else flags.filter(code=value)))

    def by_review(self, queryset, name, value):
        # _review_on: the earliest review still due, as kept for the person (casework.selectors.with_stage).
        if value == "overdue":
            return queryset.filter(_review_on__lt=self.today)
        return queryset.filter(_review_on__gte=self.today, _review_on__lte=due_soon_until(self.today))


# The coordinator's two views of the caseload (no tabs for the PHB team: they see everyone).
SHOWING = {"mine": "people you lead", "team": "everyone in your care teams"}


def tabs(show: str, params: dict) -> list[dict]:
    """The "My people" and "My team" tabs for a coordinator, each keeping the filters (page 1)."""
    if not show:
        return []
    others = {name: value for name, value in params.items() if name not in {"show", "page"}}
    return [
        {"label": "My people", "href": "?" + urlencode(others), "current": show == "mine"},
        {"label": "My team", "href": "?" + urlencode({**others, "show": "team"}), "current": show == "team"},
    ]


def search_terms(query: str) -> tuple[str, ...] | None:
    """A name search's words when caseload_page can read it compiled (every word long enough for the trigram
    indexes: people.selectors.caseload_for); None for an NHS number or a shorter word, read through the ORM."""
    terms = search_words(query)
    return terms if found_by_trigrams(terms) else None


def _term(n: int) -> str:
    # A word no one types, standing for the nth word of a search: letters only, so the ORM's pattern for it
    # ("%...%") holds it unescaped.
    return f"phbsearchword{n}x"


def _pattern(term: str) -> str:
    # The pattern the ORM makes of a word for icontains (Django's PatternLookup: its %, _ and \ escaped).
    return f"%{connection.ops.prep_for_like_query(term)}%"


def caseload_page(user, *, today, show: str, listing, number, params: dict, terms: tuple[str, ...] = ()):
    """A page of the caseload: its queryset built and compiled once a process for each shape of ask (the day,
    the user's role and number of care teams, My people or My team, the filters and sort chosen, how many words
    a name search has), for a stand-in user whose ids the user's own then replace (casework.trays.StandIn, as
    the work trays do), and stand-in words the search's own. Building and compiling it through the ORM took
    longer than running it.
    The list as it opens (no search, no filter, the name's order) is read by a statement prepared once a
    connection for every user alike (phb.prepared: planning it took as long as running it); the rest are planned
    for their own values: a plan that does not know which care team (a generic plan) sorted a team of 600 by
    stage eight times slower, and one that does not know the words cannot tell a rare name from a common one.
    Everyone's list filtered or sorted (the PHB team's, with no search) is prepared too: it names no one.
    Those find the page's people first and read only them in full (page_compiled's narrow)."""
    chosen = listing.kept()
    teams = len(team_ids(user))
    stand_in = StandIn(user.role, teams)
    words = tuple(_term(n) for n in range(len(terms)))

    def build():
        people = selectors.caseload(user=stand_in, today=today, query=" ".join(words), mine=show == "mine")
        data = QueryDict(mutable=True)
        data.update(chosen)
        return CaseloadFilter(data, queryset=people, today=today, everyone=not show).qs

    as_it_opens = not terms and not listing.filtered and listing.sort_key == CaseloadFilter.DEFAULT_SORT
    searched = {_pattern(word): _pattern(term) for word, term in zip(words, terms, strict=True)}
    return page_compiled(
        ("caseload", today, user.role, teams, show, tuple(sorted(chosen.items())), len(terms)),
        build,
        number,
        stand_ins=stand_in.values() | set(searched),
        values={**StandIn.swaps(user), **searched},
        params=params,
        counted=listing.countable,
        # Everyone's list (the PHB team's) names no user or care team: one plan fits every ask of its shape, so it is
        # planned once a connection too (planning a stage filter's query took 2 ms of its 14).
        prepare=as_it_opens or (not show and not terms),
        narrow=not as_it_opens,
        count_with_rows=bool(terms),  # a search's matches are all read to sort them: counted as they are
    )
