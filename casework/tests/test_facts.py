"""Each person's journey facts, kept by triggers: the function in the database is today's facts query, every
write through any path leaves the kept facts equal to the facts worked out afresh, and the stage moves with
the date over facts that do not."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from careplans.models import ReviewStatus
from casework import facts
from casework.models import JourneyFacts
from casework.selectors import with_stage
from casework.stages import Stage
from casework.tests.test_stages import build_every_stage, someone, starting_later
from eligibility.models import Screening
from eligibility.tests.factories import referral
from people.models import Person
from tests import page_data as data

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def words(sql: str) -> str:
    return " ".join(sql.split())


def test_the_function_in_the_database_works_out_the_facts_as_the_query_does_today():
    # A change to a rule the facts read (a status set, the latest screening, in force) changes the query: a
    # migration must then write the function again (casework/migrations/0002_journey_facts_kept.py says how).
    with connection.cursor() as cursor:
        in_database, today = facts.function_in_database(cursor), facts.select_sql(cursor)
    assert words(today) in words(in_database)
    assert "ON CONFLICT (person_id) DO UPDATE" in in_database


def test_the_kept_facts_equal_the_facts_worked_out_afresh_after_every_kind_of_write(w):
    # Screenings made and decided, assessments, budgets worked out, signed off and returned, plans written,
    # submitted, returned, declined, approved, changed, ended, reviews booked, requested and completed.
    build_every_stage(w)
    fresh = {row["pk"]: row for row in facts.facts_query().values("pk", *facts.FACTS)}
    kept = {row["person_id"]: row for row in JourneyFacts.objects.values("person_id", *facts.FACTS)}
    screened_or_more = {pk for pk, row in fresh.items() if row["screened"] is not None}
    assert screened_or_more and set(kept) == screened_or_more
    for pk, row in kept.items():
        assert {fact: row[fact] for fact in facts.FACTS} == {fact: fresh[pk][fact] for fact in facts.FACTS}


def test_someone_with_no_records_has_no_kept_facts_and_is_not_screened_yet(w):
    person = someone(w, "Nobody")
    assert not JourneyFacts.objects.filter(person=person).exists()
    assert with_stage(Person.objects.filter(pk=person.pk), today=timezone.localdate()).get().stage == Stage.NEW


def test_a_write_outside_the_services_is_kept_too(w):
    # A factory, the admin or seed_scale's COPY writes straight to the table: the trigger keeps the facts.
    person = someone(w, "Referred")
    screening = referral(person=person, coordinator=w.coordinator)
    assert JourneyFacts.objects.get(person=person).screened == "referred"
    Screening.objects.filter(pk=screening.pk).update(
        decision="approved", decided_by=w.approver, decided_at=timezone.now(), decision_reason="Agreed at panel"
    )
    assert JourneyFacts.objects.get(person=person).screened == "eligible"


def test_deleting_a_persons_records_and_then_the_person_leaves_no_kept_facts(w):
    person = someone(w, "Gone")
    referral(person=person, coordinator=w.coordinator)
    Screening.objects.filter(person=person).delete()
    assert JourneyFacts.objects.get(person=person).screened is None
    Person.objects.filter(pk=person.pk).delete()
    assert not JourneyFacts.objects.filter(person_id=person.pk).exists()


def test_the_stage_moves_with_the_date_over_facts_that_do_not(w):
    # Approved to start in 40 days with its first review 30 days after: nothing is written as the days pass,
    # yet the stage is approved, then active once it starts, review due 28 days before the review, then overdue.
    person = someone(w, "Later")
    version = data.approve(w, starting_later(w, data.draft_plan(w, person)))
    start = version.start_date
    review_on = version.plan.reviews.get(status=ReviewStatus.DUE).due_on
    assert review_on == start + 30 * DAY

    def stage_on(day):
        staged = with_stage(Person.objects.filter(pk=person.pk), today=day)
        by_the_rule = staged.get()
        in_sql = (
            staged.annotate(sql_stage=F("stage"), sql_on=F("next_action_on")).values_list("sql_stage", "sql_on").get()
        )
        assert (by_the_rule.stage, by_the_rule.next_action_on) == in_sql, day
        return Stage(by_the_rule.stage), by_the_rule.next_action_on

    assert stage_on(start - DAY) == (Stage.APPROVED, start)
    assert stage_on(start) == (Stage.ACTIVE, review_on)
    assert stage_on(review_on - 28 * DAY) == (Stage.REVIEW_DUE, review_on)
    assert stage_on(review_on + DAY) == (Stage.REVIEW_OVERDUE, review_on)


def test_an_approved_version_starting_later_is_found_after_one_whose_start_has_come():
    # A change approved to start later while an earlier approved version's start has come (before the job
    # that activates it): the next start is the later one, the first of the kept starts after the day.
    today = datetime.date(2026, 11, 30)
    starts = [today - 2 * DAY, today + 10 * DAY, today + 20 * DAY]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {facts.FIRST_AFTER_FUNCTION}(%s::date[], %s)", [starts, today])
        assert cursor.fetchone()[0] == today + 10 * DAY
        cursor.execute(f"SELECT {facts.FIRST_AFTER_FUNCTION}(%s::date[], %s)", [starts, today + 20 * DAY])
        assert cursor.fetchone()[0] is None


def test_the_watched_columns_are_the_columns_the_facts_read():
    # PostgreSQL records which columns a view reads: the facts' SELECT as a view names exactly the columns an
    # UPDATE must change before the trigger works the facts out again (facts.WATCHED).
    with connection.cursor() as cursor:
        select = facts.select_sql(cursor).replace(f"unnest({facts.PEOPLE_ARGUMENT})", "unnest(ARRAY[]::uuid[])")
        cursor.execute(f"CREATE TEMPORARY VIEW casework_facts_probe AS {select}")  # noqa: S608 (no input)
        cursor.execute(
            """SELECT source.relname, attribute.attname FROM pg_depend dependency
            JOIN pg_rewrite rule ON rule.oid = dependency.objid
            JOIN pg_class source ON source.oid = dependency.refobjid
            JOIN pg_attribute attribute
                ON attribute.attrelid = dependency.refobjid AND attribute.attnum = dependency.refobjsubid
            WHERE rule.ev_class = 'casework_facts_probe'::regclass AND dependency.refobjsubid > 0"""
        )
        read = {}
        for table, column in cursor.fetchall():
            read.setdefault(table, set()).add(column)
        cursor.execute("DROP VIEW casework_facts_probe")
    assert set(facts.SOURCES) <= set(read)
    for table in facts.SOURCES:
        assert read[table] - {"id"} == set(facts.WATCHED[table]), table


def test_an_update_that_changes_no_watched_column_works_nothing_out_and_one_that_does_works_them_out(w):
    person = someone(w, "Watched")
    screening = referral(person=person, coordinator=w.coordinator)
    # Spoil the kept row, so working the facts out again shows.
    JourneyFacts.objects.filter(person=person).update(screened=None)
    Screening.objects.filter(pk=screening.pk).update(next_steps="Ring on Tuesday")
    assert JourneyFacts.objects.get(person=person).screened is None
    Screening.objects.filter(pk=screening.pk).update(
        decision="approved", decided_by=w.approver, decided_at=timezone.now(), decision_reason="Agreed at panel"
    )
    assert JourneyFacts.objects.get(person=person).screened == "eligible"
