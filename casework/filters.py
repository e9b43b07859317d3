"""The caseload's filters and sort, read from the query string (django-filter), so a list can be bookmarked.

A value that is not one of the choices is ignored (the list shows as if it were not given), never an error
page: the form holds only the valid values, and only those are kept on the page's links.
"""

import datetime
from urllib.parse import urlencode

import django_filters
from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import F

from careplans.reviews import due_soon_until
from casework.stages import Stage
from eligibility.rules import Route
from people.models import EngagementSupport, Person

NOT_ASSESSED = "not_assessed"
STAGE_CHOICES = [(stage.slug, stage.label) for stage in Stage]
SUPPORT_CHOICES = [(value or NOT_ASSESSED, label) for value, label in EngagementSupport.choices]
ROUTE_CHOICES = [(route.value, route.label) for route in Route if route != Route.NONE]
REVIEW_CHOICES = [("overdue", "Overdue"), ("soon", "Due in the next 28 days")]

# The sortable columns: (ascending order, descending order). Names break ties, so a page never shuffles.
NAMES = ("family_name", "given_name", "id")
# A person with no date for their next action comes last either way.
SORTS = {
    "name": NAMES,
    "stage": ("stage", *NAMES),
    "next": (F("next_action_on").asc(nulls_last=True), *NAMES),
}
DESCENDING = {
    "name": tuple(f"-{field}" for field in NAMES),
    "stage": ("-stage", *NAMES),
    "next": (F("next_action_on").desc(nulls_last=True), *NAMES),
}
SORT_CHOICES = [
    (key, key) for name in SORTS for key in (name, f"-{name}")
]  # not shown as a field: the column headers link to them


class CaseloadFilter(django_filters.FilterSet):
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
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="keep", widget=forms.HiddenInput, empty_label=None)

    class Meta:
        model = Person
        fields = []

    def __init__(self, *args, today: datetime.date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)
        self.form.helper = FormHelper()
        self.form.helper.form_tag = False

    def by_stage(self, queryset, name, value):
        return queryset.filter(stage=Stage.from_slug(value))

    def by_support(self, queryset, name, value):
        return queryset.filter(engagement_support="" if value == NOT_ASSESSED else value)

    def by_review(self, queryset, name, value):
        # _review_on: the earliest review still due (casework.selectors.with_stage).
        if value == "overdue":
            return queryset.filter(_review_on__lt=self.today)
        return queryset.filter(_review_on__gte=self.today, _review_on__lte=due_soon_until(self.today))

    def keep(self, queryset, name, value):
        return queryset  # the sort is applied by order_by below, after every filter

    def valid(self, name: str) -> str:
        """A value from the query string if it is one of the choices, else "" (an invalid field is left out
        of cleaned_data; the others stay)."""
        self.form.is_valid()
        return self.form.cleaned_data.get(name) or ""

    @property
    def sort_key(self) -> str:
        return self.valid("sort") or "name"

    def ordered(self, queryset):
        key = self.sort_key
        if key == "name":
            return queryset  # the caseload's own order (a name search orders by the trigram index's columns)
        if key.startswith("-"):
            return queryset.order_by(*DESCENDING[key[1:]])
        return queryset.order_by(*SORTS[key])


FILTERS = ("stage", "support", "route", "review")
LABELS = {
    "stage": dict(STAGE_CHOICES),
    "support": dict(SUPPORT_CHOICES),
    "route": dict(ROUTE_CHOICES),
    "review": dict(REVIEW_CHOICES),
}
WORDS = {"stage": "stage", "support": "engagement support", "route": "route", "review": "next review"}
SORT_WORDS = {"name": "name", "stage": "stage", "next": "next action's date"}
# The columns whose headers sort the list, in the order the table shows them.
SORTABLE = ("name", "stage", "next")


def kept(listing: CaseloadFilter) -> dict:
    """The valid filters and sort, as the page's links keep them (the default sort left out)."""
    values = {name: listing.valid(name) for name in FILTERS}
    if listing.sort_key != "name":
        values["sort"] = listing.sort_key
    return {name: value for name, value in values.items() if value}


def in_words(listing: CaseloadFilter) -> dict:
    """The filters and sort for the audit trail, in the words the page shows (only chosen values)."""
    words = {WORDS[name]: LABELS[name][listing.valid(name)] for name in FILTERS if listing.valid(name)}
    key = listing.sort_key
    if key != "name":
        words["sorted by"] = SORT_WORDS[key.lstrip("-")] + (", last first" if key.startswith("-") else "")
    return words


def sort_links(listing: CaseloadFilter, params: dict) -> dict:
    """Each sortable column's header: the link that sorts by it (the other way if it is the current sort)
    and its aria-sort."""
    others = {name: value for name, value in params.items() if name not in {"sort", "page"}}
    links = {}
    for column in SORTABLE:
        if listing.sort_key == column:
            aria, target = "ascending", f"-{column}"
        elif listing.sort_key == f"-{column}":
            aria, target = "descending", column
        else:
            aria, target = "none", column
        query = {**others, **({"sort": target} if target != "name" else {})}
        links[column] = {"href": "?" + urlencode(query), "aria": aria}
    return links


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
