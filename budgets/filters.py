"""The budgets lists' filters and sorts from the query string (phb.listing): the PHB team's sign-off queue
(only budgets waiting, so any column may sort it) and the lead's tariffs (a handful of rows)."""

import django_filters

from people.models import CareTeam, EngagementSupport
from phb.listing import ListFilter, Sort

NOT_ASSESSED = "not_assessed"
SUPPORT_CHOICES = [(value or NOT_ASSESSED, label) for value, label in EngagementSupport.choices]


class SignOffFilter(ListFilter):
    # Waiting counts days from when the budget was worked out: fewest days first is the newest first.
    SORTS = {
        "name": Sort("name", ("person__family_name", "person__given_name", "id")),
        "amount": Sort(
            "amount a year, lowest first",
            ("annual_amount", "created_at", "id"),
            reversed_words="amount a year, highest first",
        ),
        "waiting": Sort(
            "days waiting, fewest first", ("-created_at", "-id"), reversed_words="days waiting, longest first"
        ),
    }
    DEFAULT_SORT = "-waiting"

    team = django_filters.ModelChoiceFilter(
        label="Care team",
        field_name="person__care_team",
        queryset=CareTeam.objects.order_by("name"),
        empty_label="Any team",
    )
    support = django_filters.ChoiceFilter(
        label="Engagement support", choices=SUPPORT_CHOICES, method="by_support", empty_label="Any"
    )

    def by_support(self, queryset, name, value):
        return queryset.filter(person__engagement_support="" if value == NOT_ASSESSED else value)


class TariffFilter(ListFilter):
    """No filter: a lead keeps a handful of tariffs. Sorted by the day each starts, newest first."""

    SORTS = {
        "starts": Sort(
            "start date, earliest first", ("effective_from", "pk"), reversed_words="start date, latest first"
        ),
        "price": Sort("price of one point, lowest first", ("price_per_point", "-effective_from", "pk")),
    }
    DEFAULT_SORT = "-starts"
