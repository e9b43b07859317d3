"""The NHS England quarterly return, against a hand-built data set with known answers (conftest.build_dataset).

Columns in the expected figures are (notional, third party, direct payment, mixed).

The data set takes seconds to build through the real services, so it is built once for the module (`_built`), in
a transaction open across its tests and rolled back after the last; each test runs in a savepoint inside it
(pytest-django's `db`), so what one test changes is gone before the next. Tests that build their own people
without it are in test_returns_versions.py.
"""

import copy
import csv
import io
import sys

import pytest
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplans.models import PlanEvent, PlanVersion, Status, SupportItem, SupportPlan
from eligibility.models import Screening
from eligibility.rules import Outcome, Route
from people.models import CareTeam, Person
from people.tests import personas
from people.tests.factories import PersonFactory
from reports import returns
from reports.quarters import Quarter
from reports.returns import Category, Counts, QuarterlyReturn, Row, quarterly_return, return_csv

from .conftest import D, a_cohort, build_dataset, person, phb, screen

Q1, Q2, Q3 = Quarter(2026, 1), Quarter(2026, 2), Quarter(2026, 3)
TODAY = D(2026, 12, 1)
NONE = (0, 0, 0, 0)


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker):
    """The personas and the data set, built once for the module: set up before any test's own transaction
    (a module's fixtures come before a test's), rolled back after the module's last test."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=personas.FAST_PASSWORD_HASHERS):
                north, south = personas.north(), personas.south()
                built = {"north": north, "south": south, "alice": personas.alice(north)}
                built |= {"charlie": personas.charlie(south), "priya": personas.priya(), "cohort": a_cohort()}
                built["dataset"] = build_dataset(**built)
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    yield built
    with django_db_blocker.unblock():
        assert len(connection.atomic_blocks) == 1, "the data set's transaction is the only one open"
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def _shared(name):
    @pytest.fixture(name=name)
    def fixture(_built, db):
        """The module's own, each test its own copy of the objects (one a test changes in memory is as built for
        the next)."""
        return copy.deepcopy(_built[name])

    return fixture


dataset, north, south, alice, charlie, priya, cohort = (
    _shared(name) for name in ("dataset", "north", "south", "alice", "charlie", "priya", "cohort")
)


def figures(result: QuarterlyReturn, category: Category) -> dict:
    row = next(row for row in result.rows if row.category == category)
    return {measure.value: row[measure].cells[:4] for measure in returns.MEASURES}


def totals(result: QuarterlyReturn) -> tuple[int, int, int]:
    return tuple(result.total[measure].total for measure in returns.MEASURES)


# --- quarter boundaries ---------------------------------------------------------------------------------


def test_a_budget_starting_on_the_quarters_first_day_counts_in_it_and_one_starting_the_day_after_it_ends_does_not(
    dataset,
):
    q2 = quarterly_return(Q2, today=TODAY)
    # Continuing Healthcare in Q2: Ann, Eve and Jon notional; Ben's direct payment from 1 July; Lee mixed.
    # Cal's third-party budget starts on 1 October, the day after Q2 ends: not in Q2 at all.
    assert figures(q2, Category.CHC) == {
        "in_quarter": (3, 0, 1, 1),
        "year_to_date": (3, 0, 1, 1),
        "live": (2, 0, 1, 1),
    }
    q3 = quarterly_return(Q3, today=TODAY)
    assert figures(q3, Category.CHC)["in_quarter"][1] == 2  # Cal, and Hal screened as an adult in October


def test_a_budget_that_ended_the_day_before_the_quarter_counts_only_in_the_year_to_date(dataset):
    # Dee (section 117) ended from 1 July: her last day was 30 June, so she was live at Q1's end, and in Q2
    # counts only in the year to date. Kim is the section 117 budget still going.
    q1 = quarterly_return(Q1, today=TODAY)
    assert figures(q1, Category.AFTERCARE) == {
        "in_quarter": (2, 0, 0, 0),
        "year_to_date": (2, 0, 0, 0),
        "live": (2, 0, 0, 0),
    }
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.AFTERCARE) == {
        "in_quarter": (1, 0, 0, 0),
        "year_to_date": (2, 0, 0, 0),
        "live": (1, 0, 0, 0),
    }


def test_a_budget_that_ended_mid_quarter_counts_in_the_quarter_but_not_as_live_at_its_end(dataset):
    eve = dataset["ended_in_q2"]
    assert eve.status == Status.ENDED and eve.ended_on == D(2026, 8, 15)
    q2 = quarterly_return(Q2, today=TODAY)
    chc = figures(q2, Category.CHC)
    # Ann, Eve and Jon notional in the quarter; at its end only Ann and Jon.
    assert (chc["in_quarter"][0], chc["live"][0]) == (3, 2)
    assert totals(q2) == (9, 11, 8)


def test_the_quarter_totals_add_up_each_measure_across_categories_and_columns(dataset):
    q2 = quarterly_return(Q2, today=TODAY)
    for measure in returns.MEASURES:
        assert q2.total[measure] == sum((row[measure] for row in q2.rows), Counts())
        assert q2.total[measure].total == sum(q2.total[measure].cells[:4])
    assert [row.category for row in q2.rows] == list(returns.ROWS)


# --- one-off wheelchair budgets, children turning 18, categories ---------------------------------------


def test_a_one_off_wheelchair_budget_counts_in_its_quarter_and_the_year_to_date_after_it(dataset):
    # Fay's chair was bought once in May and her plan ended from 1 June.
    q1 = quarterly_return(Q1, today=TODAY)
    assert figures(q1, Category.WHEELCHAIR) == {
        "in_quarter": (1, 0, 0, 0),
        "year_to_date": (1, 0, 0, 0),
        "live": NONE,
    }
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.WHEELCHAIR) == {"in_quarter": NONE, "year_to_date": (1, 0, 0, 0), "live": NONE}


def test_a_one_off_wheelchair_budget_still_in_force_is_live(dataset, north, alice, priya):
    rhys = person("Rhys Rowe", north, alice)
    screen(rhys, alice, wheelchair=True)
    phb(rhys, coordinator=alice, approver=priya, start=D(2026, 7, 20), options=(), one_off_chair=True)
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.WHEELCHAIR) == {
        "in_quarter": (1, 0, 0, 0),
        "year_to_date": (2, 0, 0, 0),
        "live": (1, 0, 0, 0),
    }


def test_a_child_who_turned_18_in_the_quarter_counts_under_childrens_care_until_screened_as_an_adult(dataset):
    hal = dataset["turned_18"].plan.person
    assert hal.date_of_birth == D(2008, 8, 20)  # 18 on 20 August 2026, in Q2
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.CHILDREN) == {
        "in_quarter": (0, 1, 0, 0),
        "year_to_date": (0, 1, 0, 0),
        "live": (0, 1, 0, 0),
    }
    # Screened again on 5 October with adult Continuing Healthcare: Q3 counts him there, and only there.
    q3 = quarterly_return(Q3, today=TODAY)
    assert figures(q3, Category.CHILDREN) == {"in_quarter": NONE, "year_to_date": NONE, "live": NONE}
    assert figures(q3, Category.CHC)["year_to_date"] == (3, 2, 1, 1)


def test_a_person_in_more_than_one_category_counts_once_in_the_first_that_applies(dataset):
    # Jon: Continuing Healthcare, section 117 and a wheelchair (counted under Continuing Healthcare, from 15 July);
    # Kim: section 117 and a wheelchair (under section 117). Nobody else in Q2 has a wheelchair still going.
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.WHEELCHAIR)["in_quarter"] == NONE
    assert figures(q2, Category.AFTERCARE)["live"] == (1, 0, 0, 0)
    q1 = quarterly_return(Q1, today=TODAY)
    assert figures(q1, Category.CHC)["in_quarter"] == (3, 0, 0, 0)  # Ann, Eve, Lee: Jon starts in July
    assert totals(q2)[1] == Person.objects.filter(support_plans__isnull=False).distinct().count() - 1  # not Cal


def test_ipc_cohorts_and_individually_commissioned_packages_count_as_other(dataset):
    q2 = quarterly_return(Q2, today=TODAY)
    # Ivy (IPC cohort, mixed) and Sam (a package the PHB team approved, notional).
    assert figures(q2, Category.OTHER) == {
        "in_quarter": (1, 0, 0, 1),
        "year_to_date": (1, 0, 0, 1),
        "live": (1, 0, 0, 1),
    }


# --- how the money is managed ------------------------------------------------------------------------------


def test_a_budget_managed_in_more_than_one_way_counts_once_as_mixed(dataset):
    ivy = dataset["mixed"]
    assert set(ivy.items.values_list("money_option", flat=True)) == {"direct_payment", "notional"}
    q2 = quarterly_return(Q2, today=TODAY)
    other = figures(q2, Category.OTHER)["in_quarter"]
    assert other == (1, 0, 0, 1)  # not once as notional and again as a direct payment
    assert q2.total.in_quarter.total == 9


def test_a_plan_changed_in_the_quarter_counts_once_as_its_latest_version_manages_the_money(dataset):
    # Lee: notional from April; from 1 August a new version adds a direct payment (mixed).
    lee = dataset["changed_in_q2"]
    assert lee.status == Status.ACTIVE and lee.plan.versions.get(number=1).status == Status.SUPERSEDED
    q1 = quarterly_return(Q1, today=TODAY)
    assert figures(q1, Category.CHC)["live"] == (3, 0, 0, 0)  # Ann, Eve and Lee, all notional
    q2 = quarterly_return(Q2, today=TODAY)
    assert figures(q2, Category.CHC)["in_quarter"][3] == 1  # Lee, mixed, once


# --- year to date, teams, today ---------------------------------------------------------------------------


def test_the_year_to_date_counts_everyone_since_1_april_across_quarters(dataset):
    q3 = quarterly_return(Q3, today=TODAY)
    # Q3: nine budgets in force; the year to date adds Dee (ended June), Eve (ended August), Fay (ended May).
    assert totals(q3) == (9, 12, 9)
    assert figures(q3, Category.AFTERCARE)["year_to_date"] == (2, 0, 0, 0)
    assert figures(q3, Category.WHEELCHAIR)["year_to_date"] == (1, 0, 0, 0)
    # The year to date never counts fewer people than the quarter, cell by cell.
    for row in q3.rows:
        assert all(y >= q for y, q in zip(row.year_to_date.cells, row.in_quarter.cells, strict=True))


def test_the_teams_filter_counts_only_the_people_in_those_teams(dataset, north, south, django_assert_num_queries):
    with django_assert_num_queries(1):  # a queryset of teams is a subquery of the one query
        south_only = quarterly_return(Q2, teams=CareTeam.objects.filter(pk=south.pk), today=TODAY)
    assert totals(south_only) == (1, 1, 1)
    assert figures(south_only, Category.OTHER)["in_quarter"] == (1, 0, 0, 0)  # Sam
    north_only = quarterly_return(Q2, teams=[north.pk], today=TODAY)
    assert totals(north_only) == (8, 10, 7)
    assert quarterly_return(Q2, teams=[north, south], today=TODAY) == quarterly_return(Q2, today=TODAY)


def test_a_quarter_not_yet_over_runs_to_today_and_live_agrees_with_the_plans_in_force_today(dataset):
    today = timezone.localdate()
    result = quarterly_return(Quarter.containing(today))
    assert result.as_at == today and not result.complete
    assert "has not ended yet" in result.note
    in_force = PlanVersion.objects.in_force(on=today).filter(plan__person=OuterRef("pk"))
    assert result.total.live.total == Person.objects.filter(Exists(in_force)).count()
    assert quarterly_return(Q2, today=TODAY).complete and quarterly_return(Q2, today=TODAY).note == ""


def test_people_without_an_agreed_plan_in_force_are_not_counted(dataset):
    nia = dataset["no_plan"]
    assert not SupportPlan.objects.filter(person=nia).exists()
    assert totals(quarterly_return(Q2, today=TODAY)) == (9, 11, 8)


# --- the CSV ------------------------------------------------------------------------------------------------


def test_the_csv_has_a_header_a_row_for_each_category_then_the_totals(dataset):
    result = quarterly_return(Q2, today=TODAY)
    rows = list(csv.reader(io.StringIO(return_csv(result))))
    assert len(rows) == 1 + 5 + 1
    assert rows[0][:2] == ["Category", "In the quarter: Notional budget"]
    assert rows[0][5] == "In the quarter: All" and rows[0][-1] == "Live at the quarter's end: All"
    assert len(rows[0]) == 1 + 3 * 5 and all(len(row) == len(rows[0]) for row in rows)
    assert [row[0] for row in rows[1:]] == [returns.CATEGORY_LABELS[c] for c in returns.ROWS] + ["Total"]
    assert rows[-1][1:] == [str(cell) for cell in result.total.cells]
    assert rows[1][1:6] == ["3", "0", "1", "1", "5"]  # Continuing Healthcare in the quarter
    assert returns.file_name(result) == "phb-return-2026-27-q2.csv"


@pytest.mark.parametrize("label", ['=HYPERLINK("http://example.com")', "+1", "-1", "@SUM(A1)"])
def test_the_csv_never_starts_a_text_cell_with_a_formula(label):
    row = Row(category=None, label=label)
    result = QuarterlyReturn(quarter=Q2, as_at=Q2.end, rows=(row,), total=Row(category=None, label="Total"))
    rows = list(csv.reader(io.StringIO(return_csv(result))))
    assert rows[1][0] == "'" + label
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_definitions_for_the_page_say_how_each_case_is_counted():
    words = " ".join(returns.DEFINITIONS)
    for phrase in ("at least one day of the quarter", "ended during the quarter", "turned 18", "mixed", "fast"):
        assert phrase in words
    assert all("\n" not in paragraph for paragraph in returns.DEFINITIONS)


# --- a constant number of queries ---------------------------------------------------------------------------


def _versions(plans, *, number, start, budget_version, user, money_option):
    """A version of each plan with one item, written as a draft (items may only be added to a draft) and then
    made active, with the change of status in its timeline."""
    versions = PlanVersion.objects.bulk_create(
        PlanVersion(
            plan=plan,
            number=number,
            budget_version=budget_version,
            start_date=start,
            created_by=user,
            updated_by=user,
            status=Status.DRAFT,
        )
        for plan in plans
    )
    SupportItem.objects.bulk_create(
        SupportItem(
            plan_version=version,
            description="Personal assistant",
            category="personal_care",
            unit_cost=15,
            quantity=8,
            frequency="week",
            money_option=money_option,
        )
        for version in versions
    )
    PlanVersion.objects.filter(pk__in=[v.pk for v in versions]).update(status=Status.ACTIVE)
    PlanEvent.objects.bulk_create(
        PlanEvent(plan_version=version, from_status=Status.APPROVED, to_status=Status.ACTIVE) for version in versions
    )
    return versions


def _many_more_people(count, *, team, budget_version, user):
    """`count` people with Continuing Healthcare added straight to the tables, each with a notional budget
    from April: a third still going, a third ended from 10 July, and a third changed on 1 August to a direct
    payment (the first version replaced)."""
    people = Person.objects.bulk_create(PersonFactory.build_batch(count, care_team=team))
    Screening.objects.bulk_create(
        Screening(
            person=someone,
            screened_on=D(2026, 1, 5),
            funding="chc",
            section_117="none",
            outcome=Outcome.ELIGIBLE,
            route=Route.RIGHT_TO_HAVE,
            reasons=["Has NHS Continuing Healthcare funding and lives in the community."],
            created_by=user,
        )
        for someone in people
    )
    plans = SupportPlan.objects.bulk_create(SupportPlan(person=someone, created_by=user) for someone in people)
    made = dict(budget_version=budget_version, user=user)
    first = _versions(plans, number=1, start=D(2026, 4, 1), money_option="notional", **made)
    ended = [version.pk for version in first[1::3]]
    PlanVersion.objects.filter(pk__in=ended).update(status=Status.ENDED, ended_on=D(2026, 7, 10))
    changed = first[2::3]
    PlanVersion.objects.filter(pk__in=[v.pk for v in changed]).update(status=Status.SUPERSEDED)
    _versions([v.plan for v in changed], number=2, start=D(2026, 8, 1), money_option="direct_payment", **made)


def test_the_return_is_one_query_for_a_few_people_and_for_a_thousand(dataset, north, alice):
    with CaptureQueriesContext(connection) as few:
        small = quarterly_return(Q2, today=TODAY)
    ann = dataset["from_q1"]
    _many_more_people(1000, team=north, budget_version=ann.budget_version, user=alice)
    with CaptureQueriesContext(connection) as many:
        large = quarterly_return(Q2, today=TODAY)
    assert len(few) == len(many) == 1
    # 334 still going, 333 ended in July (in the quarter, not live), 333 changed to a direct payment.
    assert large.total.in_quarter.total == small.total.in_quarter.total + 1000
    assert large.total.live.total == small.total.live.total + 667
    assert figures(large, Category.CHC)["live"][2] == figures(small, Category.CHC)["live"][2] + 333
