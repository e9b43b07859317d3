"""The audit trail answers questions: a PHB team lead's "Who viewed or changed this record" (filtered,
paged, exported as CSV, each use itself audited), and every user's own "What I did"."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from people import services as people_services
from phb import audit
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(alice, bob, jane, sam, charlie):
    """Alice and Bob open Jane's record, Charlie opens Sam's; one of Bob's views was last year."""
    people_services.person_record_view(person=jane, acting_user=alice)
    people_services.person_record_view(person=jane, acting_user=bob, page="record history")
    people_services.person_record_view(person=sam, acting_user=charlie)
    AuditEvent.objects.create(
        at=timezone.now() - datetime.timedelta(days=400),
        actor=bob,
        actor_username="bob",
        actor_role="coordinator",
        action=AuditAction.VIEW,
        person_id=jane.pk,
        summary="Viewed record last year",
    )


@pytest.fixture
def lead(client, leo):
    client.force_login(leo)
    return client


def shown(response) -> list[str]:
    return [row.summary for row in (r["event"] for r in response.context["rows"])]


def test_a_lead_finds_a_persons_record_by_nhs_number_and_sees_who_and_what_in_words(lead, trail, jane):
    response = lead.get(reverse("audit:trail"), {"nhs_number": jane.nhs_number})
    # The NHS number is typed once; the page's links name the person by their record's id.
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('audit:trail')}?person={jane.pk}"
    page = lead.get(response["Location"])
    html = page.content.decode()
    assert shown(page) == ["Viewed record history", "Viewed record", "Viewed record last year"]
    assert "Bob Brown" in html and "Care coordinator" in html and "Viewed</td>" in html.replace("\n", "")
    assert "Jane Smith" in html and jane.nhs_number not in page.context["page"].next_link
    assert ">coordinator<" not in html
    # Looking at a person's trail is itself in their record's history.
    looked = AuditEvent.objects.filter(action=AuditAction.VIEW_LIST, person_id=jane.pk).get()
    assert looked.summary == "Viewed the audit trail (person: one person): 3 shown of 3"


def test_a_lead_filters_by_user_action_and_dates(lead, trail, jane):
    today = timezone.localdate()
    by_bob = lead.get(reverse("audit:trail"), {"user": "BOB", "action": AuditAction.VIEW})
    assert shown(by_bob) == ["Viewed record history", "Viewed record last year"]
    recent = lead.get(
        reverse("audit:trail"),
        {
            "user": "bob",
            "since_day": today.day - 0,
            "since_month": today.month,
            "since_year": today.year,
            "until_day": today.day,
            "until_month": today.month,
            "until_year": today.year,
        },
    )
    assert shown(recent) == ["Viewed record history"]
    nothing = lead.get(reverse("audit:trail"), {"action": AuditAction.PURGE})
    assert "No events match this filter." in nothing.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"nhs_number": "123"}, "NHS number must be 10 digits"),
        ({"nhs_number": "9434765918"}, "Enter a valid NHS number"),
        ({"nhs_number": "9434765919"}, "No one has this NHS number"),
        ({"user": "nobody@example.nhs.uk"}, "No one has this email address or username"),
        ({"action": "drop_table"}, "Select one of the options shown"),
        ({"since_day": "31", "since_month": "2", "since_year": "2026"}, "From must be a real date"),
        (
            {"since_day": "2", "since_month": "1", "since_year": "2026", "until_day": "1", "until_month": "1"}
            | {"until_year": "2026"},
            "The &#x27;To&#x27; date must be the same as or after the &#x27;From&#x27; date",
        ),
        ({"person": "not-a-uuid"}, "This link to a person&#x27;s events is not complete"),
    ],
)
def test_a_filter_that_cannot_be_used_says_what_to_do(lead, trail, query, message):
    response = lead.get(reverse("audit:trail"), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert response.context["rows"] == []


def test_the_page_is_paged(lead, alice, jane):
    for _ in range(30):
        people_services.person_record_view(person=jane, acting_user=alice)
    first = lead.get(reverse("audit:trail"), {"person": jane.pk, "action": AuditAction.VIEW})
    assert len(first.context["rows"]) == 25 and first.context["page"].has_next
    second = lead.get(reverse("audit:trail") + first.context["page"].next_link)
    assert len(second.context["rows"]) == 5


def test_only_a_lead_may_see_or_export_the_trail(client, request, trail):
    for persona in ("alice", "priya", "pat", "ada"):
        client.force_login(request.getfixturevalue(persona))
        for route in ("audit:trail", "audit:export"):
            assert client.get(reverse(route)).status_code == 404, f"{persona} reached {route}"
    client.logout()
    assert client.get(reverse("audit:trail")).status_code == 302


def test_the_export_is_the_filtered_trail_as_csv_and_is_itself_recorded(lead, leo, trail, jane, alice):
    audit.record(actor=alice, action=AuditAction.UPDATE, person_id=jane.pk, summary='=HYPERLINK("http://x")')
    response = lead.get(reverse("audit:export"), {"person": jane.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["When", "Who", "Role", "What", "NHS number", "Person", "Details", "Request id"]
    assert [row[6] for row in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "Viewed record history",
        "Viewed record",
        "Viewed record last year",
    ]
    assert {(row[1], row[2], row[4], row[5]) for row in rows[2:]} == {
        ("Bob Brown", "Care coordinator", jane.nhs_number, "Jane Smith"),
        ("Alice Adams", "Care coordinator", jane.nhs_number, "Jane Smith"),
    }
    exported = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert exported.actor == leo and exported.person_id == jane.pk
    assert exported.summary == "Exported 4 audit events as CSV (person: one person)"


def test_every_user_sees_what_they_did_and_nothing_else(client, trail, alice, bob):
    client.force_login(bob)
    response = client.get(reverse("audit:mine"))
    assert response.status_code == 200
    # Signing in (force_login) is recorded too.
    assert shown(response) == ["Signed in", "Viewed record history", "Viewed record last year"]
    assert "Bob Brown (Care coordinator)" in response.content.decode()


@pytest.mark.parametrize("persona", ["pat", "ada", "priya"])
def test_patients_administrators_and_the_phb_team_have_the_page_too(client, request, persona):
    user = request.getfixturevalue(persona)
    audit.record(actor=user, action=AuditAction.SIGN_IN, summary="Signed in")
    client.force_login(user)
    response = client.get(reverse("audit:mine"))
    assert response.status_code == 200
    assert shown(response) == ["Signed in", "Signed in"]  # force_login's, then the one recorded here


def test_a_lead_reaches_the_trail_from_a_persons_record_and_a_coordinator_does_not(client, leo, alice, jane):
    link = f"{reverse('audit:trail')}?person={jane.pk}"
    client.force_login(leo)
    assert link in client.get(reverse("people:detail", args=[jane.pk])).content.decode()
    client.force_login(alice)
    assert link not in client.get(reverse("people:detail", args=[jane.pk])).content.decode()
