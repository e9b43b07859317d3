"""The PHB team's referral queue: filtered by route and care team and sorted from the query string
(phb.listing). The queue holds only referrals waiting, so any of its columns may sort it."""

import django_filters

from eligibility.rules import Route
from people.models import CareTeam
from phb.listing import ListFilter, Sort

ROUTE_CHOICES = [(route.value, route.label) for route in Route if route != Route.NONE]


class ReferralFilter(ListFilter):
    # Waiting counts days from the screening date: fewest days first is the newest screening first.
    SORTS = {
        "waiting": Sort(
            "days waiting, fewest first",
            ("-screened_on", "-created_at", "-id"),
            reversed_words="days waiting, longest first",
        ),
        "name": Sort("name", ("person__family_name", "person__given_name", "id")),
    }
    DEFAULT_SORT = "-waiting"

    route = django_filters.ChoiceFilter(label="Route", choices=ROUTE_CHOICES, empty_label="Any route")
    team = django_filters.ModelChoiceFilter(
        label="Care team",
        field_name="person__care_team",
        queryset=CareTeam.objects.order_by("name"),
        empty_label="Any team",
    )
