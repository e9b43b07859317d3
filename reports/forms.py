"""The reports' choosers, sent by GET so a report can be bookmarked: a quarter, or a period and a care team."""

import datetime

from crispy_forms.helper import FormHelper
from django import forms

from eligibility.rules import ROUTE_LABELS, Route
from people.models import CareTeam, User
from phb.forms import NHSMessagesMixin
from phb.nhsuk import NHSDateField
from phb.roles import Role
from phb.words import long_date, lower_first
from reports.quarters import Quarter, last_finished, recent

OUTCOMES_DAYS = 365  # the outcomes report's period unless chosen: the year to today


def _by_get(form: forms.Form) -> None:
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.disable_csrf = True  # sent by GET: no security token in the address


class QuarterForm(NHSMessagesMixin, forms.Form):
    """Which quarter's return: the recent ones, the last one finished unless chosen."""

    quarter = forms.ChoiceField(label="Quarter")

    def __init__(self, data, *, today: datetime.date):
        super().__init__(data)
        _by_get(self)
        self.default = last_finished(today)
        self.fields["quarter"].choices = [(quarter.code, quarter.label) for quarter in recent(today)]
        self.fields["quarter"].initial = self.default.code

    def chosen(self) -> Quarter:
        if self.is_valid() and self.cleaned_data["quarter"]:
            return Quarter.from_code(self.cleaned_data["quarter"])
        return self.default


class PeriodForm(NHSMessagesMixin, forms.Form):
    """A period (from and to, both included) and one of the care teams the user sees (all of them unless chosen)."""

    start = NHSDateField(label="From", required=False, past_only=True, help_text="For example, 1 4 2026")
    end = NHSDateField(label="To", required=False, help_text="For example, 31 3 2027")
    team = forms.ChoiceField(label="Care team", required=False)

    def __init__(self, data, *, today: datetime.date, team_ids: list[int] | None):
        super().__init__(data)
        _by_get(self)
        self.today = today
        self.team_ids = team_ids
        teams = CareTeam.objects.order_by("name")
        if team_ids is not None:
            teams = teams.filter(pk__in=team_ids)
        everyone = "All care teams" if team_ids is None else "All your care teams"
        self.fields["team"].choices = [("", everyone), *((str(team.pk), team.name) for team in teams)]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The 'To' date must be the same as or after the 'From' date")
        return cleaned

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The period chosen, or the year to today."""
        end = (self.is_valid() and self.cleaned_data["end"]) or self.today
        start = (self.is_valid() and self.cleaned_data["start"]) or end - datetime.timedelta(days=OUTCOMES_DAYS - 1)
        return start, end

    def teams(self) -> list[int] | None:
        """The care teams the figures are for: one chosen, else every team the user sees (None: everyone)."""
        if self.is_valid() and self.cleaned_data["team"]:
            return [int(self.cleaned_data["team"])]
        return self.team_ids

    def in_words(self) -> dict:
        start, end = self.period()
        chosen = {"from": long_date(start), "to": long_date(end)}
        if self.is_valid() and self.cleaned_data["team"]:
            chosen["care team"] = dict(self.fields["team"].choices)[self.cleaned_data["team"]]
        return chosen


class DashboardForm(PeriodForm):
    """The dashboard's filters: a care team, a route and a lead coordinator among those the user sees, and a date
    range for the figures that have one (reviews done on time, the money)."""

    route = forms.ChoiceField(label="Route to a budget", required=False)
    coordinator = forms.ChoiceField(label="Lead coordinator", required=False)

    field_order = ["team", "route", "coordinator", "start", "end"]

    def __init__(self, data, *, today: datetime.date, team_ids: list[int] | None):
        super().__init__(data, today=today, team_ids=team_ids)
        self.fields["start"].help_text = "For reviews done on time and the money. For example, 1 4 2026"
        self.fields["route"].choices = [("", "Every route")] + [
            (route.value, ROUTE_LABELS[route]) for route in Route if route != Route.NONE
        ]
        coordinators = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("first_name", "last_name")
        if team_ids is not None:
            coordinators = coordinators.filter(teams__in=team_ids).distinct()
        self.fields["coordinator"].choices = [("", "Anyone")] + [
            (str(user.pk), user.display_name) for user in coordinators
        ]

    def filters(self) -> dict:
        """The dashboard's keyword arguments: the filters chosen that are valid (the page says what is not)."""
        valid = self.is_valid()
        chosen = self.cleaned_data if valid else {}
        return {
            "teams": self.teams(),
            "route": chosen.get("route") or None,
            "coordinator": int(chosen["coordinator"]) if chosen.get("coordinator") else None,
            "start": chosen.get("start") or None,
            "end": chosen.get("end") or None,
        }

    def in_words(self) -> dict:
        if not self.is_valid():
            return {}
        chosen = {}
        for name in ("team", "route", "coordinator"):
            if self.cleaned_data[name]:
                chosen[lower_first(self.fields[name].label)] = dict(self.fields[name].choices)[self.cleaned_data[name]]
        for name in ("start", "end"):
            if self.cleaned_data[name]:
                chosen[lower_first(self.fields[name].label)] = long_date(self.cleaned_data[name])
        return chosen
