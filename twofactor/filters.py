"""A lead's list of staff second factors, filtered by role and by whether an authenticator app is set up,
and sorted by name, from the query string (phb.listing). Only staff accounts: a short list."""

import django_filters

from phb.listing import ListFilter, Sort
from phb.roles import Role
from twofactor.rules import SECOND_FACTOR_ROLES

ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in SECOND_FACTOR_ROLES]
APP_CHOICES = [("missing", "Not set up"), ("set_up", "Set up")]


class StaffFactorsFilter(ListFilter):
    SORTS = {"name": Sort("name", ("last_name", "first_name", "username", "id"))}
    DEFAULT_SORT = "name"

    role = django_filters.ChoiceFilter(label="Role", choices=ROLE_CHOICES, empty_label="Any role")
    app = django_filters.ChoiceFilter(
        label="Authenticator app", choices=APP_CHOICES, method="by_app", empty_label="Set up or not"
    )

    def by_app(self, queryset, name, value):
        return queryset.filter(has_authenticator=value == "set_up")
