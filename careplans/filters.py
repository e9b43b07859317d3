"""The careplans lists' filters and sorts from the query string (phb.listing): the PHB team's plans to
decide and endings to confirm (only items waiting, so any column may sort them), and the reviews due
(sorted only by the due date, which the partial index of reviews due answers at any size)."""

import datetime
from urllib.parse import urlencode

import django_filters
from django import forms

from careplans import emails, lifecycle, selectors
from careplans.models import MONEY_OPTION_CHOICES, DecisionEmail, EndReason, PlanVersion
from careplans.reviews import DUE_SOON_DAYS, due_soon_until
from eligibility.models import ROUTE_CHOICES
from people.access import team_ids
from people.models import CareTeam
from phb.listing import ListFilter, Sort
from phb.roles import Role, has_role

NAME = ("plan__person__family_name", "plan__person__given_name", "id")


def _teams():
    return CareTeam.objects.order_by("name")


class PlanQueueFilter(ListFilter):
    """Plans to decide. Care team, route, money and over budget are the queue's own filters, asked of
    careplans.selectors.decision_queue (its rules, written once); who is deciding is filtered here."""

    # Waiting counts days from submission: fewest days first is the newest first.
    SORTS = {
        "name": Sort("name", NAME),
        "total": Sort(
            "plan total, lowest first", ("plan_total", "submitted_at", "id"), reversed_words="plan total, highest first"
        ),
        "waiting": Sort(
            "days waiting, fewest first", ("-submitted_at", "-id"), reversed_words="days waiting, longest first"
        ),
    }
    DEFAULT_SORT = "-waiting"

    assigned = django_filters.ChoiceFilter(
        label="Deciding",
        choices=[("me", "Assigned to me"), ("nobody", "Not assigned yet")],
        method="by_assigned",
        empty_label="Anyone or no one",
    )
    team = django_filters.ModelChoiceFilter(label="Care team", queryset=_teams(), method="keep", empty_label="All")
    route = django_filters.ChoiceFilter(label="Route", choices=ROUTE_CHOICES[:-1], method="keep", empty_label="All")
    money_option = django_filters.ChoiceFilter(
        label="Money managed by", choices=MONEY_OPTION_CHOICES, method="keep", empty_label="All"
    )
    over_budget = django_filters.BooleanFilter(
        label="Only plans over budget", widget=forms.CheckboxInput, method="keep"
    )

    class Meta:
        model = PlanVersion  # the queryset itself comes from the selector (queue())
        fields = []

    def __init__(self, data=None, *args, user, **kwargs):
        self.user = user
        super().__init__(data, *args, **kwargs)

    def queue(self):
        """The plans these filters choose, sorted."""
        self.queryset = selectors.decision_queue(
            team=self.valid("team") or None,
            route=self.valid("route"),
            money_option=self.valid("money_option"),
            over_budget_only=bool(self.valid("over_budget")),
        )
        return self.qs

    def by_assigned(self, queryset, name, value):
        return selectors.assigned_to(queryset, user=self.user, mine=value == "me")


class EndingFilter(ListFilter):
    SORTS = {
        "name": Sort("name", NAME),
        "ends": Sort(
            "end date, earliest first", ("ended_on", "requested_at", "id"), reversed_words="end date, latest first"
        ),
        "waiting": Sort(
            "days waiting, fewest first", ("-requested_at", "-id"), reversed_words="days waiting, longest first"
        ),
    }
    DEFAULT_SORT = "-waiting"

    reason = django_filters.ChoiceFilter(
        label="Reason",
        choices=[(value, label) for value, label in EndReason.choices if lifecycle.needs_second_person(value)],
        empty_label="Any reason",
    )
    team = django_filters.ModelChoiceFilter(
        label="Care team", field_name="plan__person__care_team", queryset=_teams(), empty_label="Any team"
    )


# ?when= on the reviews due: by default overdue or due soon (what needs doing).
WHEN_CHOICES = [("overdue", "Overdue"), ("all", "Every review still to do")]
SHOWING = {
    "": f"overdue or due within {DUE_SOON_DAYS} days",
    "overdue": "overdue",
    "all": "every review waiting",
}


class ReviewsDueFilter(ListFilter):
    SORTS = {
        "due": Sort("due date, earliest first", ("due_on", "created_at", "id"), reversed_words="due date, latest first")
    }
    DEFAULT_SORT = "due"

    when = django_filters.ChoiceFilter(
        label="Show",
        choices=WHEN_CHOICES,
        method="by_when",
        empty_label=f"Overdue or due in the next {DUE_SOON_DAYS} days",
    )
    team = django_filters.ModelChoiceFilter(
        label="Care team", field_name="plan__person__care_team", queryset=_teams(), empty_label="Any team"
    )

    def __init__(self, data=None, *args, user, today: datetime.date, **kwargs):
        self.today = today
        super().__init__(data, *args, **kwargs)
        if has_role(user, Role.COORDINATOR):
            # Only the teams whose reviews they see.
            self.filters["team"].queryset = _teams().filter(pk__in=team_ids(user))

    def filter_queryset(self, queryset):
        if not self.valid("when"):
            queryset = queryset.filter(due_on__lte=due_soon_until(self.today))
        return super().filter_queryset(queryset)

    def by_when(self, queryset, name, value):
        return queryset.filter(due_on__lt=self.today) if value == "overdue" else queryset

    def query_showing(self, when: str) -> str:
        """The query string of this list showing `when` (a choice of Show), its team and sort kept (kept(): the
        one rule of what a link keeps) and back to the first page: for the page's own link to another choice."""
        return "?" + urlencode({**self.kept(), "when": when})

    def in_words(self) -> dict:
        words = super().in_words()
        words.pop("show", None)
        return {"showing": SHOWING[self.valid("when")], **words}


class FailedMessagesFilter(ListFilter):
    """The lead's messages not sent, by kind, newest or oldest failure first: careplans.emails.failed_messages
    reads each kind's partial index of failed rows and merges them (so no queryset here)."""

    SORTS = {"failed": Sort("last tried, oldest first", None, reversed_words="last tried, newest first")}
    DEFAULT_SORT = "-failed"

    # Its choices are the kinds registered (careplans.emails.OUTBOXES), read when the form is made: the apps
    # above careplans register theirs after this module is imported.
    kind = django_filters.ChoiceFilter(label="Kind", choices=[], empty_label="All kinds")

    class Meta:
        model = DecisionEmail  # only for django-filter: the page is built by careplans.emails
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["kind"].extra["choices"] = emails.kind_choices()

    def page(self, number):
        kind = self.valid("kind")
        return emails.failed_messages(
            number,
            kinds=(kind,) if kind else None,
            oldest_first=self.sort_key == "failed",
            params=self.kept(),
        )
