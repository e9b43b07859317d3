"""The dashboard's figures against a hand-built data set with known answers, who sees what, the filters, and the
number of queries whatever the number of people.

Everyone is fictional. The plans are built through the services (careplans.tests.factories: active from 1 April
2026, first review due 15 June 2026, £7,593.57 a year: a personal assistant paid by direct payment, £6,257.14; a
taxi, £1,251.43, and a shower seat, £85.00, notional); the days a wait or a stage began are then set on the records.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.models import BudgetVersion
from careplans import reviews
from careplans.models import PlanVersion, Review, ReviewKind, ReviewStatus
from careplans.tests.factories import approved_plan
from casework.stages import Stage
from eligibility.rules import Route
from eligibility.tests.factories import referral
from payments import services as payment_services
from payments.balance import FlagCode, TransactionKind
from payments.models import Invoice, MoneyFlag, ScheduleLine, Statement, Transaction
from people.models import Person
from people.tests.factories import PersonFactory
from phb import freshness
from reports.dashboard import (
    COUNTED,
    Percentiles,
    dashboard,
    financial_year_start,
    kept_dashboard,
    twelve_months_to,
)
from tests import page_data as data

D = datetime.date
FIRST_REVIEW = D(2026, 6, 15)
ANNUAL = Decimal("7593.57")
DIRECT_PAYMENT = Decimal("6257.14")
NOTIONAL = Decimal("1251.43") + Decimal("85.00")


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def complete(review: Review, *, on: datetime.date, by) -> None:
    plan = review.plan_version
    reviews.review_complete(
        review=review,
        completed_on=on,
        outcome_progress={str(o.key): ("partly", "Getting there") for o in plan.outcomes.all()},
        domain_ratings={o.domain: "better" for o in plan.outcomes.all()},
        money_enough=True,
        money_notes="",
        used_as_planned=True,
        use_notes="",
        safety_notes="",
        satisfaction="satisfied",
        decision="continue",
        acting_user=by,
    )


def scheduled(version: PlanVersion) -> Review:
    return version.plan.reviews.get(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE)


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


@pytest.fixture
def built(w, south, bob, charlie, priya, leo):
    """Nine people in the North team (Alice leads all but one, whom Bob leads) and two in the South (Charlie's).

    North: two not screened yet (added 10 and 20 days ago, Bob leads the second); a referral screened 30 days ago;
    a budget waiting for sign-off, worked out 7 days ago; a plan with the PHB team, submitted 3 days ago; and four
    plans in force: one with its first review overdue (due 15 June, not done); one whose review was done late, 40
    days ago; one whose review was done early, on 10 June; and one whose review was done on its due day, 15 June,
    with an unscheduled review asked for, due in 14 days. South: a referral screened 50 days ago, and someone not
    screened yet, added 5 days ago."""
    made = {}

    def north_person(key, *, lead=w.coordinator):
        made[key] = PersonFactory(given_name=key.title(), family_name="North", care_team=w.team, lead_coordinator=lead)
        return made[key]

    def south_person(key):
        made[key] = PersonFactory(
            given_name=key.title(), family_name="South", care_team=south, lead_coordinator=charlie
        )
        return made[key]

    Person.objects.filter(pk=north_person("new_a").pk).update(created_at=noon(ago(10)))
    Person.objects.filter(pk=north_person("new_b", lead=bob).pk).update(created_at=noon(ago(20)))
    referral(person=north_person("referred"), coordinator=w.coordinator, on=ago(30))
    waiting = data.budget_from(w, data.assessment_with_services(w, north_person("waiting"), 1), sign_off=True)
    BudgetVersion.objects.filter(pk=waiting.pk).update(created_at=noon(ago(7)))
    submitted = data.submit(w, data.draft_plan(w, north_person("submitted")))
    PlanVersion.objects.filter(pk=submitted.pk).update(submitted_at=noon(ago(3)))

    def in_force(key):
        made[f"{key}_plan"] = approved_plan(person=north_person(key), coordinator=w.coordinator, approver=priya)
        return made[f"{key}_plan"]

    in_force("overdue")
    complete(scheduled(in_force("late")), on=ago(40), by=w.coordinator)
    complete(scheduled(in_force("early")), on=D(2026, 6, 10), by=w.coordinator)
    due = in_force("due")
    complete(scheduled(due), on=FIRST_REVIEW, by=w.coordinator)
    reviews.review_request(plan=due.plan, reason="health_changed", due_on=ago(-14), acting_user=w.coordinator)
    # The council pays £1,000.00 a year of one budget (a joint budget).
    BudgetVersion.objects.filter(pk=made["due_plan"].budget_version_id).update(council_share=Decimal("1000.00"))

    referral(person=south_person("south_referred"), coordinator=charlie, on=ago(50))
    Person.objects.filter(pk=south_person("south_new").pk).update(created_at=noon(ago(5)))
    return made


def days_since(day: datetime.date) -> float:
    return float((timezone.localdate() - day).days)


# The stages


def test_it_counts_everyone_at_each_stage_with_the_median_and_90th_percentile_days(built, priya):
    figures = dashboard(user=priya)
    assert figures.people == 11
    expected = {
        # Added 5, 10 and 20 days ago: the middle is 10; the 90th percentile lies 0.8 of the way from 10 to 20.
        Stage.NEW: (3, 10.0, 18.0),
        Stage.REFERRED: (2, 40.0, 48.0),
        Stage.BUDGET_WAITING: (1, 7.0, 7.0),
        Stage.PLAN_SUBMITTED: (1, 3.0, 3.0),
        Stage.REVIEW_OVERDUE: (1, days_since(FIRST_REVIEW), days_since(FIRST_REVIEW)),
        # People stay at Active rather than wait there: no days.
        Stage.ACTIVE: (2, None, None),
        # Due in 14 days: due soon for the last 14 days (from 28 days before the due date).
        Stage.REVIEW_DUE: (1, 14.0, 14.0),
    }
    for stage in Stage:
        figure = figures.at(stage)
        assert (figure.people, figure.median_days, figure.p90_days) == expected.get(stage, (0, None, None)), stage


def test_it_lists_every_stage_in_journey_order_even_with_nobody_at_it(db, priya):
    figures = dashboard(user=priya)
    assert [figure.stage for figure in figures.stages] == list(Stage)
    assert figures.people == 0
    assert all(figure.people == 0 and figure.median_days is None for figure in figures.stages)


def test_the_stage_counts_agree_with_the_caseloads_stage_rule(built, priya):
    from casework.selectors import with_stage

    today = timezone.localdate()
    by_rule = {}
    for person in with_stage(Person.objects.all(), today=today):
        by_rule[person.stage] = by_rule.get(person.stage, 0) + 1
    figures = dashboard(user=priya)
    assert {int(f.stage): f.people for f in figures.stages if f.people} == by_rule


def test_the_percentile_aggregate_refuses_a_fraction_outside_0_to_1():
    with pytest.raises(ValueError, match="fraction from 0 to 1"):
        Percentiles("days", (0.5, 1.5))


# What waits for the PHB team


def test_it_counts_what_waits_for_the_phb_team_with_the_oldest_days(built, priya):
    figures = dashboard(user=priya)
    assert (figures.referrals.count, figures.referrals.oldest_days) == (2, 50)
    assert (figures.sign_offs.count, figures.sign_offs.oldest_days) == (1, 7)
    assert (figures.plans.count, figures.plans.oldest_days) == (1, 3)


def test_nothing_waiting_has_no_oldest(db, priya):
    figures = dashboard(user=priya)
    assert (figures.referrals.count, figures.referrals.oldest_days) == (0, None)
    assert (figures.plans.count, figures.plans.oldest_days) == (0, None)


# Reviews


def test_it_counts_reviews_due_soon_and_overdue(built, priya):
    figures = dashboard(user=priya)
    assert (figures.reviews.due_soon, figures.reviews.overdue) == (1, 1)


def test_reviews_on_time_are_the_share_done_by_their_due_date_of_those_due_in_the_last_12_months(built, priya):
    reviews_figures = dashboard(user=priya).reviews
    # Due 15 June: one not done (late), one done late, one done early, one done on the day.
    assert (reviews_figures.counted, reviews_figures.on_time, reviews_figures.on_time_percent) == (4, 2, 50)
    assert reviews_figures.start == twelve_months_to(timezone.localdate())
    assert reviews_figures.end == timezone.localdate()


def test_reviews_on_time_follow_the_date_range(built, priya):
    june = dashboard(user=priya, start=D(2026, 6, 1), end=D(2026, 6, 30)).reviews
    assert (june.counted, june.on_time) == (4, 2)
    later = dashboard(user=priya, start=D(2026, 7, 1), end=timezone.localdate()).reviews
    assert (later.counted, later.on_time, later.on_time_percent) == (0, 0, None)


def test_a_cancelled_review_is_not_counted(built, priya):
    Review.objects.filter(plan=built["overdue_plan"].plan, status=ReviewStatus.DUE).update(
        status=ReviewStatus.CANCELLED
    )
    figures = dashboard(user=priya).reviews
    assert (figures.counted, figures.on_time, figures.on_time_percent) == (3, 2, 67)


def test_twelve_months_and_the_financial_year_end_on_the_day():
    assert twelve_months_to(D(2026, 11, 30)) == D(2025, 12, 1)
    assert twelve_months_to(D(2028, 2, 29)) == D(2027, 3, 1)
    assert financial_year_start(D(2026, 12, 1)) == D(2026, 4, 1)
    assert financial_year_start(D(2027, 3, 31)) == D(2026, 4, 1)
    assert financial_year_start(D(2027, 4, 1)) == D(2027, 4, 1)


# Budgets committed


def test_budgets_committed_are_the_plans_in_force_by_money_option_and_nhs_and_council_share(built, priya):
    committed = dashboard(user=priya).committed
    assert committed.plans == 4
    assert committed.nhs == 4 * ANNUAL
    assert committed.council == Decimal("1000.00")
    assert committed.total == 4 * ANNUAL + Decimal("1000.00")
    assert {o.option.value: o.amount for o in committed.by_option} == {
        "direct_payment": 4 * DIRECT_PAYMENT,
        "notional": 4 * NOTIONAL,
        "third_party": Decimal("0.00"),
    }
    # The options add up to the plans' agreed annual amounts.
    assert sum(o.amount for o in committed.by_option) == committed.nhs


def test_a_plan_not_yet_in_force_commits_nothing(built, priya):
    # The plan with the PHB team is not in force: four plans, whatever it costs.
    assert PlanVersion.objects.filter(plan__person=built["submitted"]).exists()
    assert dashboard(user=priya).committed.plans == 4


# Money


@pytest.fixture
def money(built, w, priya, leo):
    """A confirmed payment run today; spend matched and not; an invoice; the flags kept today."""
    maker, checker = data.finance(priya), data.finance(leo)
    run = payment_services.run_create(due_by=timezone.localdate(), acting_user=maker)
    run = payment_services.run_confirm(run=run, acting_user=checker)
    plan = built["late_plan"].plan
    statement = Statement.objects.create(
        plan=plan,
        file_format="typed",
        covers_from=D(2026, 3, 1),
        covers_to=timezone.localdate(),
        received_on=timezone.localdate(),
        added_by=w.coordinator,
    )
    item = built["late_plan"].items.get(money_option="direct_payment")
    for n, (on, amount, matched) in enumerate(
        (
            (D(2026, 5, 1), "40.00", True),
            (D(2026, 5, 2), "15.00", False),  # not matched to an item
            (D(2026, 3, 31), "7.50", True),  # before the financial year
        )
    ):
        Transaction.objects.create(
            plan=plan,
            statement=statement,
            on=on,
            amount=Decimal(amount),
            kind=TransactionKind.SPEND,
            description="Personal assistant",
            fingerprint=f"fingerprint-{n}",
            item_key=item.key if matched else None,
            added_by=w.coordinator,
        )
    Invoice.objects.create(
        plan=built["overdue_plan"].plan,
        provider="Fictional Mobility Ltd",
        period_start=D(2026, 5, 1),
        period_end=D(2026, 5, 31),
        amount=Decimal("85.00"),
        approved_by=priya,
    )
    MoneyFlag.objects.all().delete()
    for version, code in (
        (built["late_plan"], FlagCode.SURPLUS),
        (built["overdue_plan"], FlagCode.RUNS_OUT),
        (built["overdue_plan"], FlagCode.STATEMENT_OVERDUE),
    ):
        MoneyFlag.objects.create(
            plan=version.plan, person=version.plan.person, code=code, sentence="A flag.", raised_on=ago(2)
        )
    return run


def test_money_is_paid_invoiced_spent_and_flagged_this_financial_year(money, priya):
    figures = dashboard(user=priya).money
    assert money.paid_total > 0
    assert figures.paid == money.paid_total
    assert figures.invoiced == Decimal("85.00")
    assert figures.spent == Decimal("40.00")
    assert (figures.surplus_flags, figures.other_flags) == (1, 2)
    assert figures.flags == {
        FlagCode.SURPLUS: 1,
        FlagCode.RUNS_OUT: 1,
        FlagCode.NOT_IN_PLAN: 0,
        FlagCode.STATEMENT_OVERDUE: 1,
    }
    assert (figures.start, figures.end) == (financial_year_start(timezone.localdate()), timezone.localdate())


def test_money_follows_the_date_range(money, priya):
    before = dashboard(user=priya, start=D(2026, 3, 1), end=D(2026, 3, 31)).money
    # Paid and invoiced today, so not in March; the spend of 31 March is.
    assert (before.paid, before.invoiced, before.spent) == (Decimal("0.00"), Decimal("0.00"), Decimal("7.50"))
    # Flags are those raised today, whatever the range.
    assert before.surplus_flags == 1


def test_only_lines_paid_by_a_confirmed_run_count_as_paid(money, priya):
    paid = ScheduleLine.objects.filter(paid_in=money).count()
    assert paid == money.paid_count > 0
    assert ScheduleLine.objects.exclude(paid_in=money).exists()  # lines still to pay, and notional commitments


# Who sees what, and the filters


def test_a_coordinator_sees_only_their_own_care_teams(money, alice, charlie):
    north = dashboard(user=alice)
    assert north.people == 9
    assert (north.referrals.count, north.referrals.oldest_days) == (1, 30)
    assert north.at(Stage.NEW).people == 2
    south = dashboard(user=charlie)
    assert south.people == 2
    assert (south.referrals.count, south.referrals.oldest_days) == (1, 50)
    assert (south.sign_offs.count, south.plans.count) == (0, 0)
    assert (south.reviews.due_soon, south.reviews.overdue, south.reviews.counted) == (0, 0, 0)
    assert (south.committed.plans, south.committed.nhs) == (0, Decimal("0.00"))
    assert (south.money.paid, south.money.spent, south.money.surplus_flags) == (Decimal("0.00"), Decimal("0.00"), 0)


def test_a_coordinator_asking_for_another_team_sees_nobody(built, charlie, north):
    figures = dashboard(user=charlie, teams=[north])
    assert figures.people == 0
    assert figures.referrals.count == 0


def test_a_patient_and_an_administrator_see_nobody(built, jane, pat, ada):
    for user in (pat, ada):
        figures = dashboard(user=user)
        assert figures.people == 0
        assert figures.referrals.count == 0
        assert figures.committed.plans == 0


def test_the_team_filter_narrows_every_figure(money, priya, south):
    figures = dashboard(user=priya, teams=[south])
    assert figures.people == 2
    assert (figures.referrals.count, figures.referrals.oldest_days) == (1, 50)
    assert figures.committed.plans == 0
    assert figures.money.paid == Decimal("0.00")
    assert figures.money.surplus_flags == 0
    # Team ids work as well as teams.
    assert dashboard(user=priya, teams=[south.pk]).people == 2


def test_the_coordinator_filter_counts_the_people_they_lead(built, priya, bob, alice):
    assert dashboard(user=priya, coordinator=bob).people == 1
    assert dashboard(user=priya, coordinator=bob).at(Stage.NEW).people == 1
    led_by_alice = dashboard(user=priya, coordinator=alice.pk)
    assert led_by_alice.people == 8
    assert led_by_alice.committed.plans == 4


def test_the_route_filter_reads_the_latest_screenings_route(built, priya):
    # The referrals (an individually commissioned package) are discretionary; the plans' people have NHS
    # Continuing Healthcare, a right to have a budget.
    discretionary = dashboard(user=priya, route=Route.DISCRETIONARY)
    assert (discretionary.people, discretionary.referrals.count, discretionary.committed.plans) == (2, 2, 0)
    right = dashboard(user=priya, route=Route.RIGHT_TO_HAVE)
    assert right.referrals.count == 0
    assert right.committed.plans == 4
    assert right.at(Stage.NEW).people == 0  # never screened: no route


def test_the_note_says_how_every_figure_is_counted():
    assert set(COUNTED) == {"stages", "days", "waits", "reviews_due", "on_time", "committed", "money"}
    assert "median" in COUNTED["days"]
    assert "council" in COUNTED["committed"]


# Queries


def test_the_dashboard_is_four_queries_for_11_people_and_for_66(built, w, priya):
    with CaptureQueriesContext(connection) as few:
        small = dashboard(user=priya)
    data.people(w, 50)
    for someone in data.people(w, 5):
        referral(person=someone, coordinator=w.coordinator, on=ago(2))
    with CaptureQueriesContext(connection) as many:
        large = dashboard(user=priya)
    assert (small.people, large.people) == (11, 66)
    assert large.referrals.count == 7
    assert len(few) == len(many) == 4


def test_a_coordinators_dashboard_is_the_same_number_of_queries(built, w, alice):
    dashboard(user=alice)  # the user's care teams, read once and kept on the user
    with CaptureQueriesContext(connection) as few:
        dashboard(user=alice)
    data.people(w, 50)
    with CaptureQueriesContext(connection) as many:
        dashboard(user=alice)
    assert len(few) == len(many) == 4


def test_days_at_ending_count_from_the_day_the_ending_was_recorded(w, priya):
    from careplans import approval
    from careplans.models import PlanEvent, Status

    someone = PersonFactory(given_name="Eli", family_name="Ending", care_team=w.team, lead_coordinator=w.coordinator)
    version = approved_plan(person=someone, coordinator=w.coordinator, approver=priya)
    approval.plan_end(
        version=version,
        reason="consent_withdrawn",
        ended_on=ago(-20),
        note="",
        unspent_to_repay=None,
        acting_user=w.coordinator,
    )
    PlanEvent.objects.filter(plan_version=version, to_status=Status.ENDING).update(at=noon(ago(6)))
    ending = dashboard(user=priya).at(Stage.ENDING)
    assert (ending.people, ending.median_days, ending.p90_days) == (1, 6.0, 6.0)


# Kept until the next change


def test_the_kept_dashboard_gives_the_same_figures_and_then_asks_the_database_nothing(money, priya):
    fresh = dashboard(user=priya)
    assert kept_dashboard(user=priya) == fresh
    with CaptureQueriesContext(connection) as queries:
        again = kept_dashboard(user=priya)
    assert again == fresh
    assert len(queries) == 0


def test_the_kept_dashboard_is_worked_out_again_after_a_change(built, w, priya):
    before = kept_dashboard(user=priya)
    data.people(w, 3)
    assert kept_dashboard(user=priya).people == before.people  # nothing committed yet: still kept
    freshness.stale_now()  # as a committed change does (phb.freshness.changed)
    assert kept_dashboard(user=priya).people == before.people + 3


def test_the_kept_dashboard_is_never_shared_between_users_who_see_different_people(built, priya, alice, charlie):
    assert kept_dashboard(user=priya).people == 11
    assert kept_dashboard(user=alice).people == 9
    assert kept_dashboard(user=charlie).people == 2
    assert kept_dashboard(user=priya, teams=[charlie.teams.get()]).people == 2


def test_the_phb_teams_dashboard_is_kept_warm_so_no_one_waits_for_it_even_the_first_time(built, w, priya, monkeypatch):
    from reports.dashboard import keep_warm

    monkeypatch.setattr(freshness, "SLOW_MS", 0)  # every dashboard counts as slow to work out
    assert keep_warm() is True
    data.people(w, 3)
    freshness.stale_now()  # a change since beat worked it out
    with CaptureQueriesContext(connection) as queries:
        shown = kept_dashboard(user=priya)
    assert shown.newer_coming and shown.people == 11  # the copy beat kept, not worked out for this page
    assert not [query for query in queries if "people_person" in query["sql"]]


def test_the_dashboard_is_kept_warm_more_often_than_a_copy_may_be_shown():
    from django.conf import settings

    from reports.tasks import KEEP_WARM_EVERY

    assert settings.CELERY_BEAT_SCHEDULE["keep-dashboard-warm"]["task"] == "reports.tasks.keep_dashboard_warm"
    assert KEEP_WARM_EVERY < freshness.STALE_FOR


def test_nothing_is_kept_warm_without_anyone_in_the_phb_team(db):
    from reports.dashboard import keep_warm

    assert keep_warm() is False
