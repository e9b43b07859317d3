"""The outcomes report against a hand-built data set with known answers, built once for the module through the
real services (plans approved, reviews recorded) and rolled back at its end.

Everyone is fictional (NHS numbers from the 999 test range). The period is summer 2026, 1 June to 31 August.
Everyone's plan has an outcome in social participation and one in daily living; Ann, Ash and Amir have a
third in mental health. Counted in the period (each person's latest review):

| person | team  | support     | social (progress, rating) | daily living            | satisfaction   |
|--------|-------|-------------|---------------------------|-------------------------|----------------|
| Ann    | North | independent | achieved, better          | partly, better          | very satisfied |
| Ash    | North | independent | achieved, better          | partly, same            | very satisfied |
| Amir   | North | independent | achieved, better          | partly, same            | very satisfied |
| Alma   | North | independent | achieved, better          | partly, same            | very satisfied |
| Abel   | North | independent | achieved, better          | partly, same            | very satisfied |
| Aida   | North | independent | achieved, better          | partly, same            | very satisfied |
| Beth   | North | some        | achieved, better (2nd)    | partly, same            | satisfied      |
| Bram   | North | some        | achieved, better          | partly, same            | very satisfied |
| Bea    | North | some        | achieved, better          | partly, same            | very satisfied |
| Cole   | North | substantial | not yet, worse            | partly, same            | very satisfied |
| Bo     | South | some        | achieved, same            | no longer relevant, same| satisfied      |
| Cy     | South | substantial | achieved, better          | partly, not rated       | satisfied      |

Mental health: Ann achieved, Ash and Amir partly; all three better.
Not counted: Dot's review on 31 May and Dov's on 1 September (outside the period), and Beth's first review on
10 June (her second, on 1 August, is her latest). Cole's support is "substantial" from his assessment of
1 February; the one of 15 September, after his review, says "independent" and does not count.
"""

import csv
import datetime
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from budgets.models import Assessment
from budgets.tests.factories import make_assessment
from careplans import approval, reviews, services
from careplans.models import Review, ReviewStatus
from careplans.tests.factories import add_outcome, complete_plan
from people.models import CareTeam, Person
from people.tests.factories import CareTeamFactory, PersonFactory, UserFactory
from phb.roles import Role
from reports.outcomes import DOMAINS, NOT_RATED, outcomes_csv, outcomes_report, shown_tables
from reports.suppression import MARKER, RULE, CountTable, Why, figures
from reports.tests.test_suppression import fixed_by_what_is_shown

D = datetime.date
START, END = D(2026, 6, 1), D(2026, 8, 31)

ACHIEVED, PARTLY, NOT_YET, GONE = "achieved", "partly", "not_yet", "no_longer_relevant"
BETTER, SAME, WORSE = "better", "same", "worse"
VERY, CONTENT, UNHAPPY, VERY_UNHAPPY = "very_satisfied", "satisfied", "dissatisfied", "very_dissatisfied"


def seen(on, social, daily_living, satisfaction, *, mental_health=None):
    """A review: the day, (progress, rating or None) for each part of life, and satisfaction."""
    found = {"social": social, "daily_living": daily_living}
    if mental_health:
        found["mental_health"] = mental_health
    return on, found, satisfaction


# name: team, engagement support at the review, reviews (the table in the module's docstring)
# fmt: off
PEOPLE = {
    "Ann": ("north", "independent", [
        seen(D(2026, 6, 1), (ACHIEVED, BETTER), (PARTLY, BETTER), VERY, mental_health=(ACHIEVED, BETTER))]),
    "Ash": ("north", "independent", [
        seen(D(2026, 8, 31), (ACHIEVED, BETTER), (PARTLY, SAME), VERY, mental_health=(PARTLY, BETTER))]),
    "Amir": ("north", "independent", [
        seen(D(2026, 7, 1), (ACHIEVED, BETTER), (PARTLY, SAME), VERY, mental_health=(PARTLY, BETTER))]),
    "Alma": ("north", "independent", [seen(D(2026, 7, 2), (ACHIEVED, BETTER), (PARTLY, SAME), VERY)]),
    "Abel": ("north", "independent", [seen(D(2026, 7, 3), (ACHIEVED, BETTER), (PARTLY, SAME), VERY)]),
    "Aida": ("north", "independent", [seen(D(2026, 7, 4), (ACHIEVED, BETTER), (PARTLY, SAME), VERY)]),
    "Beth": ("north", "some", [
        seen(D(2026, 6, 10), (NOT_YET, WORSE), (NOT_YET, WORSE), VERY_UNHAPPY),
        seen(D(2026, 8, 1), (ACHIEVED, BETTER), (PARTLY, SAME), CONTENT)]),
    "Bram": ("north", "some", [seen(D(2026, 7, 5), (ACHIEVED, BETTER), (PARTLY, SAME), VERY)]),
    "Bea": ("north", "some", [seen(D(2026, 7, 6), (ACHIEVED, BETTER), (PARTLY, SAME), VERY)]),
    "Cole": ("north", "substantial", [seen(D(2026, 7, 7), (NOT_YET, WORSE), (PARTLY, SAME), VERY)]),
    "Bo": ("south", "some", [seen(D(2026, 7, 8), (ACHIEVED, SAME), (GONE, SAME), CONTENT)]),
    "Cy": ("south", "substantial", [seen(D(2026, 7, 9), (ACHIEVED, BETTER), (PARTLY, None), CONTENT)]),
    "Dot": ("north", "some", [seen(D(2026, 5, 31), (NOT_YET, WORSE), (NOT_YET, WORSE), UNHAPPY)]),
    "Dov": ("north", "some", [seen(D(2026, 9, 1), (NOT_YET, WORSE), (NOT_YET, WORSE), UNHAPPY)]),
}
# fmt: on


def plan_for(person, coordinator, approver, *, mental_health: bool):
    """An approved plan in force from 1 April 2026: social and daily living outcomes, and mental health if asked."""
    draft = complete_plan(person=person, coordinator=coordinator)
    if mental_health:
        add_outcome(draft, coordinator, domain="mental_health", goal="Feel less low in winter")
        draft.refresh_from_db()
    submitted = services.plan_submit(version=draft, acting_user=coordinator)
    return approval.plan_approve(
        version=submitted, financially_appropriate=True, clinically_appropriate=True, acting_user=approver
    )


def record(version, coordinator, *, on, found, satisfaction):
    """Records the plan's review now due with what was found: {domain: (progress, rating or None)}."""
    due = Review.objects.get(plan=version.plan, status=ReviewStatus.DUE, kind="scheduled")
    outcomes = {o.domain: o for o in version.outcomes.all()}
    reviews.review_complete(
        review=due,
        completed_on=on,
        outcome_progress={str(outcomes[d].key): (progress, "In my words") for d, (progress, _) in found.items()},
        domain_ratings={d: rating for d, (_, rating) in found.items() if rating},
        money_enough=True,
        money_notes="",
        used_as_planned=True,
        use_notes="",
        safety_notes="",
        satisfaction=satisfaction,
        decision="continue",
        acting_user=coordinator,
    )


def add_person(name, *, team, coordinator, approver, support, found_on):
    person = PersonFactory(given_name=name, family_name="Testperson", care_team=team)
    version = plan_for(person, coordinator, approver, mental_health=name in {"Ann", "Ash", "Amir"})
    # The plan's budget rests on an assessment of 10 January ("some support"); this one, later, is in force.
    make_assessment(person=person, coordinator=coordinator, engagement=support, on=D(2026, 2, 1))
    for on, found, satisfaction in found_on:
        record(version, coordinator, on=on, found=found, satisfaction=satisfaction)
    return person


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            north = CareTeamFactory(name="North Leeds outcomes team")
            south = CareTeamFactory(name="South Leeds outcomes team")
            teams = {"north": north, "south": south}
            coordinators = {
                "north": UserFactory(username="olive", first_name="Olive", teams=[north]),
                "south": UserFactory(username="oscar", first_name="Oscar", teams=[south]),
            }
            approver = UserFactory(username="petra", first_name="Petra", role=Role.APPROVER)
            people = {}
            for name, (team, support, found_on) in PEOPLE.items():
                people[name] = add_person(
                    name,
                    team=teams[team],
                    coordinator=coordinators[team],
                    approver=approver,
                    support=support,
                    found_on=found_on,
                )
            make_assessment(
                person=people["Cole"], coordinator=coordinators["north"], engagement="independent", on=D(2026, 9, 15)
            )
            yield {"north": north, "south": south, "people": people}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def report(world, db):
    return outcomes_report(start=START, end=END)


def grid(figures) -> list[list[str]]:
    """A shown table as rows of text: each row's label, cells and total; then the totals row."""
    table = figures.table
    rows = [
        [label, *map(str, table.cells[r])] + ([str(table.row_totals[r])] if table.row_totals else [])
        for r, label in enumerate(figures.rows)
    ]
    if table.column_totals:
        rows.append(
            [figures.totals_label, *map(str, table.column_totals)]
            + ([str(table.grand_total)] if table.grand_total else [])
        )
    return rows


# The counts


def test_it_counts_each_person_once_from_their_latest_review_in_the_period(report):
    assert report.people == 12
    assert report.satisfaction == {"very_satisfied": 9, "satisfied": 3}


def test_reviews_on_the_first_and_last_day_of_the_period_count_and_those_a_day_outside_do_not(world, db):
    assert outcomes_report(start=D(2026, 6, 1), end=D(2026, 6, 1)).people == 1  # Ann
    assert outcomes_report(start=D(2026, 8, 31), end=D(2026, 8, 31)).people == 1  # Ash
    assert outcomes_report(start=D(2026, 5, 31), end=D(2026, 5, 31)).satisfaction == {"dissatisfied": 1}  # Dot
    assert outcomes_report(start=D(2026, 9, 1), end=D(2026, 9, 1)).satisfaction == {"dissatisfied": 1}  # Dov
    assert outcomes_report(start=D(2026, 9, 2), end=D(2026, 12, 1)).people == 0


def test_a_person_with_two_reviews_in_the_period_counts_from_the_later_one_only(world, db):
    whole = outcomes_report(start=START, end=END)
    # Beth's first review (worse, very dissatisfied) is not counted; her second (better, satisfied) is.
    assert ("social", "some") in whole.ratings
    assert whole.ratings[("social", "some")] == {"better": 3, "same": 1, "worse": 0, "": 0}
    assert "very_dissatisfied" not in whole.satisfaction
    # A period holding only the first counts it.
    june = outcomes_report(start=D(2026, 6, 2), end=D(2026, 6, 30))
    assert june.ratings[("social", "some")] == {"better": 0, "same": 0, "worse": 1, "": 0}
    assert june.satisfaction == {"very_dissatisfied": 1}


def test_people_with_an_outcome_in_each_part_of_life_say_better_same_or_worse_by_engagement_support(report):
    assert report.ratings == {
        ("social", "independent"): {"better": 6, "same": 0, "worse": 0, "": 0},
        ("social", "some"): {"better": 3, "same": 1, "worse": 0, "": 0},
        ("social", "substantial"): {"better": 1, "same": 0, "worse": 1, "": 0},
        ("daily_living", "independent"): {"better": 1, "same": 5, "worse": 0, "": 0},
        ("daily_living", "some"): {"better": 0, "same": 4, "worse": 0, "": 0},
        ("daily_living", "substantial"): {"better": 0, "same": 1, "worse": 0, "": 1},
        ("mental_health", "independent"): {"better": 3, "same": 0, "worse": 0, "": 0},
    }


def test_engagement_support_is_the_assessment_in_force_on_the_day_of_the_review(world, db):
    cole = world["people"]["Cole"]
    assert Person.objects.get(pk=cole.pk).engagement_support == "independent"  # from 15 September, after it
    cole_only = outcomes_report(start=D(2026, 7, 7), end=D(2026, 7, 7))
    assert set(cole_only.ratings) == {("social", "substantial"), ("daily_living", "substantial")}


def test_a_review_with_no_assessment_on_or_before_its_day_counts_as_not_assessed_yet(world, db):
    ann = world["people"]["Ann"]
    Assessment.objects.filter(person=ann).update(assessed_on=D(2026, 6, 2))  # the day after her review
    ann_only = outcomes_report(start=D(2026, 6, 1), end=D(2026, 6, 1))
    assert set(ann_only.ratings) == {("social", ""), ("daily_living", ""), ("mental_health", "")}
    assert shown_tables(ann_only).by_support[0].rows[-1] == "Not assessed yet"


def test_progress_counts_outcomes_by_part_of_life_and_engagement_support(report):
    progress = {key: {k: n for k, n in counts.items() if n} for key, counts in report.progress.items()}
    assert progress == {
        ("social", "independent"): {ACHIEVED: 6},
        ("social", "some"): {ACHIEVED: 4},
        ("social", "substantial"): {ACHIEVED: 1, NOT_YET: 1},
        ("daily_living", "independent"): {PARTLY: 6},
        ("daily_living", "some"): {PARTLY: 3, GONE: 1},
        ("daily_living", "substantial"): {PARTLY: 2},
        ("mental_health", "independent"): {ACHIEVED: 1, PARTLY: 2},
    }


def test_the_teams_filter_counts_only_people_in_those_teams(world, db):
    north = outcomes_report(start=START, end=END, teams=[world["north"]])
    assert north.people == 10
    assert north.satisfaction == {"very_satisfied": 9, "satisfied": 1}
    assert north.team_names == ("North Leeds outcomes team",)
    south = outcomes_report(start=START, end=END, teams=[world["south"].pk])
    assert south.satisfaction == {"satisfied": 2}
    assert ("daily_living", "substantial") in south.ratings
    assert outcomes_report(start=START, end=END, teams=[]).people == 0
    assert outcomes_report(start=START, end=END).team_names is None


def test_a_period_that_ends_before_it_starts_is_refused(db):
    with pytest.raises(ValueError, match="end on or after"):
        outcomes_report(start=END, end=START)


def test_every_figure_is_counted_in_the_database_in_the_same_number_of_queries_for_1_person_as_for_12(world, db):
    def queries(**period):
        with CaptureQueriesContext(connection) as captured:
            outcomes_csv(outcomes_report(**period))
        return len(captured)

    one = queries(start=D(2026, 6, 1), end=D(2026, 6, 1))
    twelve = queries(start=START, end=END)
    fourteen = queries(start=D(2026, 4, 1), end=D(2026, 12, 1))
    assert one == twelve == fourteen == 2
    assert queries(start=START, end=END, teams=[world["north"], world["south"]]) == 3


# The tables as shown


def test_the_satisfaction_table_hides_the_3_and_the_9_that_would_give_it_away(report):
    shown = shown_tables(report).satisfaction
    assert grid(shown) == [
        ["Very satisfied", MARKER],
        ["Satisfied", MARKER],
        ["Neither satisfied nor dissatisfied", "0"],
        ["Dissatisfied", "0"],
        ["Very dissatisfied", "0"],
        ["All people reviewed", "12"],
    ]
    assert shown.table.cells[1][0].why == Why.SMALL
    assert shown.table.cells[0][0].why == Why.SECONDARY


def test_a_small_count_in_a_part_of_life_hides_the_count_beside_it_that_its_total_would_give_away(report):
    daily = next(f for f in shown_tables(report).by_support if f.title.startswith("Daily living"))
    # Independent: 1 better and 5 the same, 6 in all: the 1 is hidden, and the 5 beside it with it.
    assert grid(daily)[0] == ["Independent", MARKER, MARKER, "0", "0", "6"]
    assert daily.table.cells[0][0].why == Why.SMALL
    assert daily.table.cells[0][1].why == Why.SECONDARY


def test_hidden_counts_adding_up_to_less_than_5_under_a_shown_total_hide_more(report):
    social = next(f for f in shown_tables(report).by_support if f.title.startswith("Social"))
    # Better: 6 independent, 3 some support, 1 substantial, 10 in all. The 3 and the 1 add up to 4, so the 6 is
    # hidden too, then the independent row's total (its only other figures are 0), and the 10 (the 1 and the 1
    # beside it in the totals row add up to 2).
    assert grid(social) == [
        ["Independent", MARKER, "0", "0", "0", MARKER],
        ["Some support", MARKER, MARKER, "0", "0", MARKER],
        ["Substantial support", MARKER, "0", MARKER, "0", MARKER],
        ["All people", MARKER, MARKER, MARKER, "0", "12"],
    ]
    assert social.table.secondary == {("cell", 0, 0), ("row total", 0), ("column total", 0)}


def test_the_tables_have_the_apps_own_labels_and_not_rated_only_when_someone_was_not_rated(world, report, db):
    shown = shown_tables(report)
    assert shown.by_domain.columns == ("Got better", "Stayed the same", "Got worse", NOT_RATED)
    assert shown.by_support[0].rows == ("Independent", "Some support", "Substantial support")
    assert shown.by_domain.rows[0] == "Mental health and wellbeing"
    assert shown.progress.columns == ("Achieved", "Partly achieved", "Not yet", "No longer relevant")
    # Cy, in the South team, is the one person with an outcome in a part of life they did not rate.
    north = shown_tables(outcomes_report(start=START, end=END, teams=[world["north"]]))
    assert north.by_domain.columns == ("Got better", "Stayed the same", "Got worse")


def test_the_overview_of_parts_of_life_is_the_totals_row_of_each_by_support_table(report):
    shown = shown_tables(report)
    assert len(shown.by_support) == len(shown.by_domain.rows) == 8
    for r, each in enumerate(shown.by_support):
        assert each.title == f"{shown.by_domain.rows[r]}: by engagement support"
        assert shown.by_domain.table.cells[r] == each.table.column_totals
        assert shown.by_domain.table.row_totals[r] == each.table.grand_total
    assert grid(shown.by_domain)[2] == ["Daily living and personal care", MARKER, MARKER, "0", MARKER, "12"]
    assert grid(shown.by_domain)[1] == ["Physical health", "0", "0", "0", "0", "0"]


def test_no_hidden_count_in_a_shown_table_can_be_worked_out_from_what_it_shows(report):
    shown = shown_tables(report)
    supports = ("independent", "some", "substantial")
    ratings = ("better", "same", "worse", "")
    progress = (ACHIEVED, PARTLY, NOT_YET, GONE)
    satisfaction = (VERY, CONTENT, "neither", UNHAPPY, VERY_UNHAPPY)
    tables = [
        (CountTable([[report.ratings.get((d, s), {}).get(r, 0) for r in ratings] for s in supports], True, True), f)
        for d, f in zip(DOMAINS, shown.by_support, strict=True)
    ]
    outcomes = [[sum(report.progress.get((d, s), {}).get(p, 0) for s in supports) for p in progress] for d in DOMAINS]
    tables.append((CountTable(outcomes, True, True), shown.progress))
    tables.append(
        (CountTable([[report.satisfaction.get(s, 0)] for s in satisfaction], False, True), shown.satisfaction)
    )
    for table, each in tables:
        assert fixed_by_what_is_shown(table, each.table) == [], each.title
        values, sums = figures(table)
        places = each.table.places()
        assert {p: c.value for p, c in places.items() if not c.hidden} == {
            p: v for p, v in values.items() if not places[p].hidden
        }
        for total, parts in sums:
            hidden = [p for p in parts if places[p].hidden]
            if not places[total].hidden and hidden:
                assert len(hidden) >= 2, each.title
                assert sum(values[p] for p in hidden) >= 5, each.title


def test_progress_shows_the_share_of_outcomes_only_from_counts_it_shows(report):
    shown = shown_tables(report)
    # Achieved 12 (hidden beside the small ones), partly 13, not yet 1, no longer relevant 1: 27 outcomes.
    assert [(s.label, str(s.outcomes), s.per_cent) for s in shown.shares] == [
        ("Achieved", MARKER, None),
        ("Partly achieved", "13", 48),
        ("Not yet", MARKER, None),
        ("No longer relevant", MARKER, None),
    ]
    assert str(shown.progress.table.grand_total) == "27"


def test_the_csv_shows_the_tables_with_small_numbers_hidden_and_how_they_were_counted(report):
    rows = list(csv.reader(io.StringIO(outcomes_csv(report))))
    assert rows[0] == ["Outcomes report"]
    assert rows[1] == ["Period", "1 June 2026 to 31 August 2026"]
    assert rows[2] == ["Care teams", "All care teams"]
    assert ["Small numbers", RULE] in rows
    assert ["Satisfied", MARKER] in rows
    assert ["All people reviewed", "12"] in rows
    assert ["Partly achieved", "13", "48%"] in rows
    assert ["Achieved", MARKER, ""] in rows
    assert ["Independent", MARKER, MARKER, "0", "0", "6"] in rows  # daily living
    # Every table is there with its headings, and no count from 1 to 4 anywhere.
    headings = ["Engagement support", "Got better", "Stayed the same", "Got worse", NOT_RATED]
    assert rows.count([*headings, "People with an outcome in it"]) == 8
    assert not {"1", "2", "3", "4"} & {cell for row in rows for cell in row}


def test_the_csv_neutralises_text_a_spreadsheet_would_read_as_a_formula(world, db):
    CareTeam.objects.filter(pk=world["north"].pk).update(name="=HYPERLINK(1)")
    rows = list(csv.reader(io.StringIO(outcomes_csv(outcomes_report(start=START, end=END, teams=[world["north"]])))))
    assert rows[2] == ["Care teams", "'=HYPERLINK(1)"]
