"""The PHB team lead's CSV exports of the caseload, the plans to decide and the reviews due.

Alice coordinates the North team (Jane's), Charlie the South team (Sam's); Priya is a PHB team member, Leo
the PHB team's lead and Pat is Jane signing in to the portal. Everyone is fictional.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.tests.factories import make_eligible
from careplans import reviews
from people.models import CareTeam
from phb.models import AuditAction, AuditEvent
from phb.words import long_date
from reports import exports
from tests import page_data as data

pytestmark = pytest.mark.django_db

CASELOAD = reverse("reports:export_caseload")
PLANS = reverse("reports:export_plans")
REVIEWS = reverse("reports:export_reviews")
EXPORTS = [CASELOAD, PLANS, REVIEWS]
FORMULA = '=HYPERLINK("http://example.invalid","Open")'
FEW, MANY = 5, 50


def table(response) -> list[dict]:
    """The download's rows, each as {column: cell}."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def text_of(rows: list[dict]) -> str:
    return "\n".join(",".join(row.values()) for row in rows)


def exported(client, user, url, query=None) -> list[dict]:
    client.force_login(user)
    return table(client.get(url, query or {}))


def world(team, coordinator, priya, leo) -> data.World:
    return data.World(team=team, coordinator=coordinator, approver=priya, lead=leo)


def export_events():
    return AuditEvent.objects.filter(action=AuditAction.EXPORT)


def queries_for(client, url, query=None) -> int:
    """The queries one download runs, its every row read (after one download first: the signed-in user's
    counts kept for the next request, as for any page)."""
    b"".join(client.get(url, query or {}).streaming_content)
    with CaptureQueriesContext(connection) as captured:
        rows = table(client.get(url, query or {}))
    return len(captured), len(rows)


# Who may download


@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize("persona", ["alice", "priya", "pat"])
def test_it_refuses_everyone_but_the_lead_with_the_refused_access_404(client, request, url, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 404
    assert not export_events().exists()
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert refused.actor == user


@pytest.mark.parametrize("url", EXPORTS)
def test_it_sends_someone_not_signed_in_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not export_events().exists()


@pytest.mark.parametrize(
    ("url", "name"),
    [(CASELOAD, "caseload"), (PLANS, "plans-to-decide"), (REVIEWS, "reviews-due")],
)
def test_it_names_the_download_after_the_list_and_the_day(client, leo, url, name):
    client.force_login(leo)
    response = client.get(url)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="{name}-{today}.csv"'


# The caseload


@pytest.fixture
def caseload(jane, sam, alice):
    make_eligible(person=jane, coordinator=alice)  # eligible by the right to have: waiting for an assessment
    return jane, sam


def test_it_exports_the_caseload_filtered_as_its_page_with_labels_not_codes(client, leo, caseload):
    rows = exported(client, leo, CASELOAD, {"stage": "screened"})
    assert [(row["Given name"], row["Family name"]) for row in rows] == [("Jane", "Smith")]
    (jane,) = rows
    assert jane["Stage"] == "Eligible, waiting for an assessment"
    assert jane["Next action"] == "Assess their needs"
    assert jane["Who does the next action"] == "Care coordinator"
    assert jane["Route"] == "Right to have"
    assert jane["Engagement support"] == "Not assessed yet"
    assert jane["Date of birth"] == "14 March 1958"
    assert jane["Care team"] == "North Leeds community team"
    assert jane["Lead coordinator"] == "Alice Adams"
    assert "right_to_have" not in text_of(rows) and "screened" not in text_of(rows)


def test_it_exports_everyone_to_the_lead_sorted_as_asked(client, leo, caseload):
    rows = exported(client, leo, CASELOAD)
    assert [row["Family name"] for row in rows] == ["Smith", "Taylor"]  # both teams: the lead sees everyone
    assert rows[1]["Stage"] == "Not screened yet"
    rows = exported(client, leo, CASELOAD, {"sort": "-name"})
    assert [row["Family name"] for row in rows] == ["Taylor", "Smith"]


def test_it_ignores_a_caseload_filter_that_is_not_one_of_its_choices(client, leo, caseload):
    rows = exported(client, leo, CASELOAD, {"stage": "no_such_stage", "sort": "stage"})
    assert [row["Family name"] for row in rows] == ["Smith", "Taylor"]  # as if not given: everyone, by name


def test_it_records_one_export_event_with_the_caseload_filters_in_words(client, leo, caseload):
    exported(client, leo, CASELOAD, {"stage": "screened", "route": "right_to_have", "q": "Smith"})
    (event,) = export_events()
    assert event.actor == leo
    assert event.summary == (
        "Exported the caseload as CSV (searched: by name; stage: Eligible, waiting for an assessment; "
        "route: Right to have)"
    )
    assert "Smith" not in event.summary  # never the text of a search


def test_it_writes_a_caseload_cell_beginning_with_a_formula_as_text(client, leo, caseload):
    CareTeam.objects.filter(name="North Leeds community team").update(name=FORMULA)
    (jane,) = exported(client, leo, CASELOAD, {"stage": "screened"})
    assert jane["Care team"] == "'" + FORMULA


def test_it_reads_the_whole_caseload_in_the_same_number_of_queries_for_5_and_50(client, north, alice, priya, leo):
    w = world(north, alice, priya, leo)
    client.force_login(leo)
    data.caseload(w, FEW)
    few, rows = queries_for(client, CASELOAD)
    assert rows == FEW
    data.caseload(w, MANY)
    many, rows = queries_for(client, CASELOAD)
    assert rows == MANY
    assert few == many <= 8


# The plans to decide


@pytest.fixture
def plans(north, south, alice, charlie, priya, leo, jane, sam):
    """Jane's plan (North) and Sam's (South), both submitted."""
    data.submit(world(north, alice, priya, leo), data.draft_plan(world(north, alice, priya, leo), jane, rows=2))
    data.submit(world(south, charlie, priya, leo), data.draft_plan(world(south, charlie, priya, leo), sam, rows=2))


def test_it_exports_the_plans_to_decide_filtered_as_their_page_with_labels_not_codes(client, leo, north, plans):
    rows = exported(client, leo, PLANS, {"team": str(north.pk)})
    assert [(row["Given name"], row["Family name"]) for row in rows] == [("Jane", "Smith")]
    (jane,) = rows
    assert jane["Care team"] == "North Leeds community team"
    assert jane["Route"] == "Right to have"
    assert jane["Plan version"] == "1"
    assert Decimal(jane["Budget a year (£)"]) == Decimal("10428.57")
    assert Decimal(jane["Plan total a year (£)"]) == Decimal("6267.14")  # £120 a week × 365 / 7, and £10 once
    assert jane["Over budget"] == "No"
    assert jane["Submitted on"] == long_date(timezone.localdate())
    assert jane["Days waiting"] == "0"
    assert jane["Deciding"] == "Not assigned yet"
    assert "right_to_have" not in text_of(rows)


def test_it_exports_every_plan_to_decide_to_the_lead_sorted_as_asked(client, leo, plans):
    rows = exported(client, leo, PLANS, {"sort": "name"})
    assert [row["Family name"] for row in rows] == ["Smith", "Taylor"]
    rows = exported(client, leo, PLANS, {"sort": "-name"})
    assert [row["Family name"] for row in rows] == ["Taylor", "Smith"]


def test_it_records_one_export_event_with_the_plans_filters_in_words(client, leo, north, plans):
    exported(client, leo, PLANS, {"team": str(north.pk), "assigned": "nobody", "sort": "total"})
    (event,) = export_events()
    assert event.summary == (
        "Exported the plans to decide as CSV (deciding: Not assigned yet; care team: North Leeds community team; "
        "sorted by: plan total, lowest first)"
    )


def test_it_writes_a_plan_cell_beginning_with_a_formula_as_text(client, leo, north, plans):
    CareTeam.objects.filter(pk=north.pk).update(name=FORMULA)
    (jane,) = exported(client, leo, PLANS, {"team": str(north.pk)})
    assert jane["Care team"] == "'" + FORMULA


def test_it_reads_every_plan_to_decide_in_the_same_number_of_queries_for_5_and_50(client, north, alice, priya, leo):
    w = world(north, alice, priya, leo)
    client.force_login(leo)
    data.submitted_plans(w, FEW)
    few, rows = queries_for(client, PLANS)
    assert rows == FEW
    data.submitted_plans(w, MANY)
    many, rows = queries_for(client, PLANS)
    assert rows == MANY
    assert few == many <= 8


# The reviews due


@pytest.fixture
def reviews_due(north, south, alice, charlie, priya, leo, jane, sam):
    """Jane's and Sam's plans, agreed from 1 April 2026 (their first reviews overdue), and a review of Jane's
    asked for since because her health changed."""
    active = data.approve(world(north, alice, priya, leo), data.draft_plan(world(north, alice, priya, leo), jane))
    data.approve(world(south, charlie, priya, leo), data.draft_plan(world(south, charlie, priya, leo), sam))
    reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)


def test_it_exports_the_reviews_due_filtered_as_their_page_with_labels_not_codes(client, leo, north, reviews_due):
    rows = exported(client, leo, REVIEWS, {"team": str(north.pk)})
    assert {(row["Family name"], row["Kind"]) for row in rows} == {
        ("Smith", "Scheduled review"),
        ("Smith", "Unscheduled review"),
    }
    asked = next(row for row in rows if row["Kind"] == "Unscheduled review")
    assert asked["Reason"] == "Their health has changed significantly"
    assert asked["Care team"] == "North Leeds community team"
    assert asked["Lead coordinator"] == "Alice Adams"
    scheduled = next(row for row in rows if row["Kind"] == "Scheduled review")
    assert scheduled["When"].endswith("days overdue")
    assert scheduled["Reason"] == ""
    assert "health_changed" not in text_of(rows) and "unscheduled" not in text_of(rows)


def test_it_exports_only_the_overdue_reviews_when_asked(client, leo, reviews_due):
    rows = exported(client, leo, REVIEWS, {"when": "overdue"})
    assert sorted(row["Family name"] for row in rows) == ["Smith", "Taylor"]  # both teams: the lead sees everyone
    assert {row["Kind"] for row in rows} == {"Scheduled review"}


def test_it_records_one_export_event_with_the_reviews_filters_in_words(client, leo, north, reviews_due):
    exported(client, leo, REVIEWS, {"team": str(north.pk), "sort": "-due"})
    (event,) = export_events()
    assert event.summary == (
        "Exported the reviews due as CSV (showing: overdue or due within 28 days; "
        "care team: North Leeds community team; sorted by: due date, latest first)"
    )


def test_it_writes_a_review_cell_beginning_with_a_formula_as_text(client, leo, north, reviews_due):
    CareTeam.objects.filter(pk=north.pk).update(name=FORMULA)
    rows = exported(client, leo, REVIEWS, {"team": str(north.pk)})
    assert {row["Care team"] for row in rows} == {"'" + FORMULA}


def test_it_reads_every_review_due_in_the_same_number_of_queries_for_5_and_50(client, north, alice, priya, leo):
    w = world(north, alice, priya, leo)
    client.force_login(leo)
    data.reviews_due(w, FEW)
    few, rows = queries_for(client, REVIEWS, {"when": "all"})
    assert rows == FEW
    data.reviews_due(w, MANY)
    many, rows = queries_for(client, REVIEWS, {"when": "all"})
    assert rows == MANY
    assert few == many <= 8


# The link on each list


@pytest.mark.parametrize(
    ("page", "export", "query", "rows"),
    [
        ("casework:caseload", CASELOAD, "stage=screened", "caseload"),
        ("careplans:queue", PLANS, "sort=name", "plans"),
        ("careplans:reviews_due", REVIEWS, "when=all", "reviews_due"),
    ],
)
def test_each_list_offers_its_download_to_the_lead_alone_keeping_its_query_string(
    client, request, leo, priya, page, export, query, rows
):
    request.getfixturevalue(rows)
    client.force_login(leo)
    html = client.get(f"{reverse(page)}?{query}").content.decode()
    assert f'href="{export}?{query}" download' in html
    client.force_login(priya)
    html = client.get(f"{reverse(page)}?{query}").content.decode()
    assert export not in html


# The cells


def test_text_is_made_safe_and_numbers_stay_numbers():
    assert [exports.cell(value) for value in ("=1+1", "+44", "-3", "@SUM(A1)", "North")] == [
        "'=1+1",
        "'+44",
        "'-3",
        "'@SUM(A1)",
        "North",
    ]
    assert exports.cell(Decimal("12.50")) == Decimal("12.50")
    assert exports.cell(7) == 7
    assert exports.cell(None) == ""


def test_a_review_due_is_said_in_days_as_its_page_says_it():
    today = datetime.date(2026, 12, 1)
    assert exports.due_in_words(datetime.date(2026, 11, 28), today) == "3 days overdue"
    assert exports.due_in_words(datetime.date(2026, 11, 30), today) == "1 day overdue"
    assert exports.due_in_words(today, today) == "Due today"
    assert exports.due_in_words(datetime.date(2026, 12, 2), today) == "In 1 day"
