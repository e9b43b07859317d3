"""Every page that lists people writes one VIEW_LIST event per page view: which list, its filter and how
many rows; a search is written by kind (NHS number or name) with the count, never the text typed."""

import re

import pytest
from django import forms
from django.urls import reverse

from phb import audit
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def events_of(user):
    return list(AuditEvent.objects.filter(actor=user).exclude(action=AuditAction.SIGN_IN).order_by("id"))


LISTS = [
    ("casework:caseload", "", "alice", r"Viewed the caseload \(showing: people you lead\): 1 shown of 1"),
    ("casework:caseload", "", "priya", "Viewed the caseload: 2 shown of 2"),
    (
        "careplans:reviews_due",
        "",
        "alice",
        r"Viewed reviews due \(showing: overdue or due within 28 days\): 0 shown of 0",
    ),
    (
        "careplans:reviews_due",
        "?when=all",
        "priya",
        r"Viewed reviews due \(showing: every review waiting\): 0 shown of 0",
    ),
    ("eligibility:queue", "", "priya", "Viewed referrals waiting for a decision: 0 shown of 0"),
    ("budgets:sign_off_queue", "", "priya", "Viewed budgets to sign off: 0 shown of 0"),
    ("careplans:queue", "", "priya", "Viewed plans to decide: 0 shown of 0"),
    ("careplans:failed_messages", "", "leo", "Viewed messages not sent: 0 shown of 0"),
    ("audit:trail", "", "leo", r"Viewed the audit trail: (\d+) shown of \1"),
]


@pytest.mark.parametrize(("route", "query", "persona", "summary"), LISTS, ids=[f"{r} {p}" for r, _, p, _ in LISTS])
def test_a_list_of_people_writes_one_event_per_page_view(request, client, jane, sam, route, query, persona, summary):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse(route) + query).status_code == 200
    [event] = events_of(user)
    assert (event.action, event.person_id) == (AuditAction.VIEW_LIST, None)
    assert re.fullmatch(summary, event.summary), event.summary


def test_the_plans_queue_writes_its_filter_in_words(client, priya, north):
    client.force_login(priya)
    client.get(reverse("careplans:queue"), {"team": north.pk, "over_budget": "on", "sort": "-total"})
    [event] = events_of(priya)
    assert "care team: North Leeds community team" in event.summary
    assert "only plans over budget: yes" in event.summary
    assert "sorted by: plan total, highest first" in event.summary


@pytest.mark.parametrize(
    ("typed", "summary"),
    [
        ("Jane Smith", "Searched by name in the caseload: 1 found"),
        ("smi", "Searched by name in the caseload: 1 found"),
        ("NHSNUMBER", "Searched by NHS number in the caseload: 1 found"),
        ("123", "Searched by NHS number in the caseload: 0 found"),
    ],
)
def test_a_search_is_written_by_kind_and_count_never_the_text(client, alice, jane, typed, summary):
    typed = typed.replace("NHSNUMBER", f"{jane.nhs_number[:3]} {jane.nhs_number[3:6]} {jane.nhs_number[6:]}")
    client.force_login(alice)
    client.get(reverse("casework:caseload"), {"q": typed})
    [event] = events_of(alice)
    assert (event.action, event.summary) == (AuditAction.SEARCH, summary)
    for written in AuditEvent.objects.values_list("summary", "changes"):
        assert typed.lower() not in str(written).lower()
        assert jane.nhs_number not in str(written)


class Filters(forms.Form):
    team = forms.ChoiceField(label="Care team", choices=[("", "All"), ("n", "North")], required=False)
    name = forms.CharField(label="Name", required=False)
    urgent = forms.BooleanField(label="Urgent only", required=False)


def test_filters_are_written_by_label_and_typed_text_never():
    form = Filters({"team": "n", "name": "Jane Smith", "urgent": "on"})
    assert audit.filters_in_words(form) == {"care team": "North", "name": "given", "urgent only": "yes"}
    assert audit.filters_in_words(Filters()) == {}
