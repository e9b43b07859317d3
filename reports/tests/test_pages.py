"""The reports' pages: the NHS England return (page, CSV, marking it submitted) and the outcomes report (page
and CSV). Who may see and do what, what each page says, and that each view and download is audited."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from phb.models import AuditAction, AuditEvent
from reports.models import SubmittedReturn
from reports.quarters import Quarter
from reports.returns import quarterly_return
from reports.tests.conftest import person, phb, screen

D = datetime.date
Q2 = Quarter(2026, 2)  # 1 July to 30 September 2026: over by today (1 December 2026)
RETURN = reverse("reports:return")


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def two_budgets(north, south, alice, charlie, priya):
    """A direct payment in the North team from 1 July 2026 and a notional budget in the South team from April."""
    ben = person("Ben Baker", north, alice)
    screen(ben, alice, funding="chc")
    phb(ben, coordinator=alice, approver=priya, start=D(2026, 7, 1), options=("direct_payment",))
    sam = person("Sam Shah", south, charlie)
    screen(sam, charlie, funding="chc")
    phb(sam, coordinator=charlie, approver=priya, start=D(2026, 4, 1), options=("notional",))


def test_the_return_page_shows_the_quarters_figures_and_how_each_is_counted(client, leo, two_budgets):
    response = page(client, leo, RETURN, quarter=Q2.code)
    assert response.status_code == 200
    html = text(response)
    assert "Personal health budgets, Q2 2026-27: July to September 2026" in html
    result = quarterly_return(Q2)
    live = response.context["tables"][2]
    assert live["measure"] == "live"
    assert [cell["value"] for cell in live["rows"][-1]["cells"]] == list(result.total.live.cells) == [1, 0, 1, 0, 2]
    assert "How each figure is counted" in html and "Fast track" in html
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=leo, summary="Viewed the NHS England return for Q2 2026-27"
    ).exists()


def test_the_return_opens_at_the_last_quarter_finished(client, priya, two_budgets):
    response = page(client, priya, RETURN)
    assert response.context["quarter"] == Quarter(2026, 2)


def test_a_quarter_typed_into_the_address_that_is_not_offered_is_refused_in_words_and_the_last_finished_shown(
    client, leo
):
    response = page(client, leo, RETURN, quarter="2026-q9")
    assert response.status_code == 200
    assert "Select one of the options shown" in text(response)
    assert response.context["quarter"] == Quarter(2026, 2)


@pytest.mark.parametrize("who", ["alice", "pat", "ada"])
def test_the_return_its_csv_and_submitting_are_refused_to_coordinators_patients_and_administrators(
    client, request, who
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(RETURN).status_code == 404
    assert client.get(reverse("reports:return_csv")).status_code == 404
    assert client.post(reverse("reports:return_submit"), {"quarter": Q2.code}).status_code == 404
    assert not SubmittedReturn.objects.exists()


def test_the_return_downloads_as_csv_in_its_layout_and_the_download_is_recorded(client, priya, two_budgets):
    response = page(client, priya, reverse("reports:return_csv"), quarter=Q2.code)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="phb-return-2026-27-q2.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Category" and rows[-1][0] == "Total" and len(rows) == 7
    assert [int(cell) for cell in rows[-1][1:]] == list(quarterly_return(Q2).total.cells)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=priya).count() == 1


def test_a_lead_marks_a_finished_quarter_submitted_and_its_figures_are_kept(client, leo, two_budgets):
    html = text(page(client, leo, RETURN, quarter=Q2.code))
    assert "Mark the return for Q2 2026-27 submitted" in html
    response = client.post(reverse("reports:return_submit"), {"quarter": Q2.code}, follow=True)
    assert "The return for Q2 2026-27 is marked submitted." in text(response)
    kept = SubmittedReturn.objects.get(quarter=Q2.code)
    assert kept.submitted_by == leo and kept.figures["total"] == list(quarterly_return(Q2).total.cells)
    assert AuditEvent.objects.filter(action=AuditAction.SUBMIT, actor=leo, object_id=str(kept.pk)).exists()
    html = text(response)
    assert "Marked submitted to NHS England on" in html and "No figure has changed since." in html
    assert "Mark the return for Q2 2026-27 submitted" not in html


def test_a_quarter_already_submitted_cannot_be_submitted_again(client, leo, two_budgets):
    client.force_login(leo)
    client.post(reverse("reports:return_submit"), {"quarter": Q2.code})
    kept = SubmittedReturn.objects.get()
    response = client.post(reverse("reports:return_submit"), {"quarter": Q2.code}, follow=True)
    assert "was marked submitted on" in text(response)
    assert SubmittedReturn.objects.get() == kept


def test_a_figure_that_changed_after_submission_shows_what_was_submitted_beside_it(client, leo, two_budgets):
    client.force_login(leo)
    client.post(reverse("reports:return_submit"), {"quarter": Q2.code})
    kept = SubmittedReturn.objects.get()
    kept.figures["total"][-1] = 3  # as if a budget live at the quarter's end had since been corrected away
    kept.save()
    html = text(client.get(RETURN, {"quarter": Q2.code}))
    assert "Some figures have changed since" in html and "submitted: 3" in html


def test_a_quarter_not_yet_over_cannot_be_submitted_and_the_page_says_when_it_can(client, leo):
    quarter = Quarter(2026, 3)  # October to December 2026: today is in it
    html = text(page(client, leo, RETURN, quarter=quarter.code))
    assert "Q3 2026-27 ends on 31 December 2026. You can mark its return submitted from the day after." in html
    assert "has not ended yet" in html
    response = client.post(reverse("reports:return_submit"), {"quarter": quarter.code}, follow=True)
    assert "ends on 31 December 2026" in text(response) and not SubmittedReturn.objects.exists()


def test_a_phb_team_member_sees_the_return_but_only_a_lead_may_mark_it_submitted(client, priya, two_budgets):
    html = text(page(client, priya, RETURN, quarter=Q2.code))
    assert "Only a PHB team lead can mark a return as submitted." in html
    client.post(reverse("reports:return_submit"), {"quarter": Q2.code})
    assert not SubmittedReturn.objects.exists()


def test_a_quarter_sent_to_submit_that_is_not_a_quarter_is_refused_in_words(client, leo):
    client.force_login(leo)
    response = client.post(reverse("reports:return_submit"), {"quarter": "next-week"}, follow=True)
    assert "is not a quarter" in text(response) and not SubmittedReturn.objects.exists()


# The outcomes report


def test_the_outcomes_report_is_for_the_period_chosen_and_recorded_in_words(client, priya):
    response = page(
        client,
        priya,
        reverse("reports:outcomes"),
        start_day="1",
        start_month="4",
        start_year="2026",
        end_day="30",
        end_month="9",
        end_year="2026",
    )
    assert response.status_code == 200
    html = text(response)
    assert "reviews completed from 1 April 2026 to 30 September 2026, in every care team: 0 people." in html
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=priya, summary__contains="from 1 April 2026, to 30 September 2026"
    ).exists()


def test_a_coordinator_sees_the_outcomes_of_their_own_care_teams_only(client, alice, north, south):
    response = page(client, alice, reverse("reports:outcomes"))
    assert response.context["report"].team_names == (north.name,)
    choices = dict(response.context["form"].fields["team"].choices)
    assert str(north.pk) in choices and str(south.pk) not in choices
    response = page(client, alice, reverse("reports:outcomes"), team=str(south.pk))
    assert response.context["form"].errors and response.context["report"].team_names == (north.name,)


def test_the_outcomes_report_downloads_as_csv_and_the_download_is_recorded(client, leo):
    response = page(client, leo, reverse("reports:outcomes_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="outcomes-')
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=leo).count() == 1


@pytest.mark.parametrize("who", ["pat", "ada"])
def test_the_outcomes_report_is_refused_to_patients_and_administrators(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reports:outcomes")).status_code == 404
    assert client.get(reverse("reports:outcomes_csv")).status_code == 404


def test_an_outcomes_period_that_ends_before_it_starts_is_refused_in_words(client, leo):
    response = page(
        client,
        leo,
        reverse("reports:outcomes"),
        start_day="1",
        start_month="6",
        start_year="2026",
        end_day="1",
        end_month="5",
        end_year="2026",
    )
    assert response.status_code == 200
    assert "The &#x27;To&#x27; date must be the same as or after the &#x27;From&#x27; date" in text(response)


def test_the_return_page_runs_the_same_queries_for_two_people_as_for_two_hundred_more(
    client, leo, north, alice, two_budgets
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careplans.models import PlanVersion
    from reports.tests.test_returns import _many_more_people

    client.force_login(leo)
    client.get(RETURN, {"quarter": Q2.code})  # the session and the user's teams are read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(RETURN, {"quarter": Q2.code}).status_code == 200
    ben = PlanVersion.objects.get(plan__person__given_name="Ben")
    _many_more_people(200, team=north, budget_version=ben.budget_version, user=alice)
    with CaptureQueriesContext(connection) as many:
        response = client.get(RETURN, {"quarter": Q2.code})
    assert response.context["result"].total.in_quarter.total == 202
    assert len(few) == len(many) <= 8


# The dashboard

DASHBOARD = reverse("reports:dashboard")


def test_the_dashboard_shows_the_phb_team_everyone_with_the_stage_chart_and_its_table(client, priya, two_budgets):
    response = page(client, priya, DASHBOARD)
    assert response.status_code == 200
    html = text(response)
    assert "Everyone you can see: 2 people" in html
    assert 'data-testid="dashboard-stages-table"' in html and "<svg" in html
    assert "NHS England quarterly return" in html  # the PHB team's link to the return
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=priya, summary="Viewed the dashboard").exists()


def test_a_coordinator_sees_the_dashboard_for_their_own_care_teams_and_no_link_to_the_return(
    client, alice, north, south, two_budgets
):
    response = page(client, alice, DASHBOARD)
    assert "Everyone you can see: 1 person" in text(response)
    assert "NHS England quarterly return" not in text(response)
    choices = dict(response.context["form"].fields["team"].choices)
    assert str(north.pk) in choices and str(south.pk) not in choices
    refused = page(client, alice, DASHBOARD, team=str(south.pk))
    assert "Select one of the options shown" in text(refused)
    assert refused.context["figures"].people == 1  # still only her own team's


def test_the_dashboard_filters_by_care_team_and_records_the_filter_in_words(client, leo, south, two_budgets):
    response = page(client, leo, DASHBOARD, team=str(south.pk))
    assert response.context["figures"].people == 1
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=leo, summary=f"Viewed the dashboard: care team {south.name}"
    ).exists()


@pytest.mark.parametrize("who", ["pat", "ada"])
def test_the_dashboard_is_refused_to_patients_and_administrators(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(DASHBOARD).status_code == 404


def test_changed_since_names_each_figure_that_differs_from_what_was_submitted(leo, two_budgets):
    from reports import services

    assert services.changed_since(quarterly_return(Q2), None) == {}
    kept = services.submit_return(quarter=Q2, acting_user=leo)
    assert services.changed_since(quarterly_return(Q2), kept) == {}
    kept.figures["total"][-1] = 3
    kept.figures["rows"]["chc"][0] = 9
    assert services.changed_since(quarterly_return(Q2), kept) == {(None, 14): 3, ("chc", 0): 9}


@pytest.mark.parametrize("name", ["reports:dashboard", "reports:outcomes", "reports:outcomes_csv"])
def test_on_a_database_that_cannot_work_the_figures_out_the_page_says_so_instead_of_failing(
    client, priya, monkeypatch, name
):
    monkeypatch.setattr("reports.views.works_out_figures", lambda: False)  # as on make run's SQLite
    response = page(client, priya, reverse(name))
    assert response.status_code == 200
    words = text(response)
    assert "These figures are worked out by PostgreSQL" in words
    assert "to a PostgreSQL database, then run" in words


def test_the_figures_are_worked_out_on_postgresql():
    from reports.views import works_out_figures

    assert works_out_figures() is True
