"""phb.prepared: a query written out with its literals, prepared once on a connection, run with its stand-ins
swapped for the user's values; run plain when prepared statements are turned off."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from people.models import Person, User
from people.tests.factories import PersonFactory
from phb import prepared
from phb.prepared import Compiled, Statement

pytestmark = pytest.mark.django_db

STAND_IN = -7_340_001


def users_named():
    """The ORM's SQL for users with a given id and a username, its parameters as it gave them."""
    query = User.objects.filter(pk=STAND_IN, username="o'brien 100%").values_list("username", flat=True).query
    return query.sql_with_params()


def prepared_here() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_writes_every_parameter_as_a_literal_but_the_stand_ins():
    sql, params = users_named()
    statement = Statement.of(sql, params, {STAND_IN})
    assert statement.stand_ins == (STAND_IN,)
    assert "= $1" in statement.text
    # psycopg2's own quoting: the quote doubled, and the % left as it is for a statement sent without parameters.
    assert "'o''brien 100%'" in statement.text


def test_it_finds_the_same_rows_as_the_orm_with_the_users_values():
    user = User.objects.create(username="o'brien 100%")
    User.objects.create(username="someone else")
    statement = Statement.of(*users_named(), {STAND_IN})
    assert statement.rows({STAND_IN: user.pk}) == [("o'brien 100%",)]
    assert statement.rows({STAND_IN: user.pk + 1000}) == []


@pytest.mark.parametrize("prepared_statements", [True, False])
def test_a_text_stand_in_is_a_placeholder_swapped_for_the_users_text_prepared_or_plain(settings, prepared_statements):
    settings.DB_PREPARED_STATEMENTS = prepared_statements
    User.objects.create(username="o'brien 100%")
    User.objects.create(username="someone else")
    stand_in = "phb-stand-in-name"
    query = User.objects.filter(username=stand_in).values_list("username", flat=True).query
    statement = Statement.of(*query.sql_with_params(), {stand_in})
    assert statement.stand_ins == (stand_in,) and "= $1" in statement.text and stand_in not in statement.text
    assert statement.rows({stand_in: "o'brien 100%"}) == [("o'brien 100%",)]
    assert statement.rows({stand_in: "nobody"}) == []


def test_it_is_prepared_once_on_a_connection_and_run_with_the_generic_plan():
    user = User.objects.create(username="o'brien 100%")
    statement = Statement.of(*users_named(), {STAND_IN})
    with CaptureQueriesContext(connection) as first:
        statement.rows({STAND_IN: user.pk})
    with CaptureQueriesContext(connection) as second:
        statement.rows({STAND_IN: user.pk})
    assert [q["sql"].split()[0] for q in first.captured_queries] == ["PREPARE", "SET", "RESET"]
    assert [q["sql"].split()[0] for q in second.captured_queries] == ["SET", "RESET"]
    assert sum(statement.text in text for text in prepared_here()) == 1
    with connection.cursor() as cursor:  # the choice of plan is set back after each run
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_forget_deallocates_so_the_next_run_prepares_again():
    statement = Statement.of(*users_named(), {STAND_IN})
    statement.rows({STAND_IN: 1})
    prepared.forget()
    assert not any(statement.text in text for text in prepared_here())
    with CaptureQueriesContext(connection) as again:
        assert statement.rows({STAND_IN: 1}) == []
    assert again.captured_queries[0]["sql"].startswith("PREPARE")


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    statement = Statement.of(*users_named(), {STAND_IN})
    statement.rows({STAND_IN: 1})
    connection.close()
    with CaptureQueriesContext(connection) as again:
        statement.rows({STAND_IN: 1})
    assert again.captured_queries[0]["sql"].startswith("PREPARE")


def test_turned_off_it_runs_the_orms_sql_plain(settings):
    settings.DB_PREPARED_STATEMENTS = False
    user = User.objects.create(username="o'brien 100%")
    statement = Statement.of(*users_named(), {STAND_IN})
    with CaptureQueriesContext(connection) as plain:
        assert statement.rows({STAND_IN: user.pk}) == [("o'brien 100%",)]
    assert len(plain.captured_queries) == 1
    assert plain.captured_queries[0]["sql"].startswith("SELECT")
    assert not any(statement.text in text for text in prepared_here())


def test_a_failed_run_in_a_transaction_leaves_the_plan_choice_as_it_was():
    statement = Statement.of("SELECT 1 / (%s - %s)", [STAND_IN, 1], {STAND_IN})
    with pytest.raises(DatabaseError), transaction.atomic():
        statement.rows({STAND_IN: 1})  # division by zero
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "auto"


def test_placeholders_and_parameters_must_match():
    with pytest.raises(ValueError, match="do not match"):
        Statement.of("SELECT %s", [1, 2], set())


def test_a_stand_in_that_is_also_a_number_the_orm_wrote_still_finds_the_rows():
    """A user whose id is 1 has it stand both for their id and, in EXISTS, for the ORM's own "SELECT 1"."""
    User.objects.create(username="someone")
    ones = User.objects.filter(pk=1).filter(Exists(User.objects.filter(pk=OuterRef("pk")))).values_list("pk", flat=True)
    expected = [(pk,) for pk in ones]
    assert Statement.of(*ones.query.sql_with_params(), {1}).rows({1: 1}) == expected


def test_statements_past_the_limit_are_let_go(monkeypatch):
    monkeypatch.setattr(prepared, "KEPT_UP_TO", 2)
    user = User.objects.create(username="someone")
    with CaptureQueriesContext(connection) as captured:
        for name in ("a", "b", "c"):
            query = User.objects.filter(pk=STAND_IN, username__gt=name).values_list("username", flat=True).query
            assert Statement.of(*query.sql_with_params(), {STAND_IN}).rows({STAND_IN: user.pk})
    assert [q["sql"] for q in captured.captured_queries].count("DEALLOCATE ALL") == 1
    assert len(prepared_here()) <= 2


def test_prepared_statements_turned_off_run_the_orms_sql(settings, north):
    settings.DB_PREPARED_STATEMENTS = False
    PersonFactory(care_team=north)
    compiled = Compiled.of(people_of_team(), {TEAM})
    with CaptureQueriesContext(connection) as captured:
        assert len(compiled.objects({TEAM: north.pk}, prepare=True)) == 1
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]


# Querysets compiled once a process (prepared.compiled, Compiled): the SQL built and compiled for stand-in ids, the
# rows read into the queryset's own objects with each user's values.

TEAM = -7_340_100


def people_of_team(team_id=TEAM):
    """People of a care team with their team and lead coordinator joined, and an annotation: what a list reads."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    return (
        Person.objects.filter(care_team_id=team_id)
        .select_related("care_team", "lead_coordinator")
        .annotate(shown=Concat("family_name", Value("!")))
        .order_by("family_name", "id")
    )


@pytest.fixture
def two_teams(north, south, alice):
    ours = [PersonFactory(care_team=north, lead_coordinator=alice, family_name=f"North{n}") for n in range(3)]
    theirs = [PersonFactory(care_team=south, family_name=f"South{n}") for n in range(2)]
    return ours, theirs


@pytest.mark.parametrize("prepare", [True, False])
def test_a_compiled_queryset_reads_each_users_rows_into_the_querysets_own_objects(two_teams, north, south, prepare):
    compiled = Compiled.of(people_of_team(), {TEAM})
    for team in (north, south):
        expected = list(people_of_team(team.pk))
        with CaptureQueriesContext(connection) as queries:
            found = compiled.objects({TEAM: team.pk}, prepare=prepare)
            shown = [
                (p.pk, p.shown, p.care_team.name, p.lead_coordinator_id and p.lead_coordinator.username) for p in found
            ]
        assert shown == [
            (p.pk, p.shown, p.care_team.name, p.lead_coordinator_id and p.lead_coordinator.username) for p in expected
        ]
        assert all(isinstance(p, Person) for p in found)
        # Prepared: the SET and EXECUTE, then the RESET; plain: the ORM's own SQL. Related rows cost nothing more.
        if not prepare:
            expected_kinds = ["SELECT"]
        else:  # prepared on the connection the first time only
            expected_kinds = ["PREPARE", "SET", "RESET"] if team == north else ["SET", "RESET"]
        assert [q["sql"].split()[0] for q in queries.captured_queries] == expected_kinds


def test_a_queryset_that_can_match_nothing_compiles_to_none():
    assert Compiled.of(Person.objects.filter(pk__in=[]), {TEAM}) is None


def test_it_is_built_once_a_process_for_each_key(two_teams, north, south):
    built = []

    def build():
        built.append(1)
        return {"rows": people_of_team(), "count": prepared.counted(people_of_team(), 3)}

    first = prepared.compiled(("people", 1), build, {TEAM})
    again = prepared.compiled(("people", 1), build, {TEAM})
    assert first is again and len(built) == 1
    prepared.compiled(("people", 2), build, {TEAM})
    assert len(built) == 2
    assert first["count"].value({TEAM: north.pk}) == 3  # counted up to 3 of north's 3
    assert first["count"].value({TEAM: south.pk}) == 2


def test_it_keeps_at_most_compiled_up_to_shapes_letting_the_least_used_go(monkeypatch):
    monkeypatch.setattr(prepared, "COMPILED_UP_TO", 2)
    built = []

    def build():
        built.append(1)
        return {"rows": people_of_team()}

    prepared.compiled("a", build, {TEAM})
    prepared.compiled("b", build, {TEAM})
    prepared.compiled("a", build, {TEAM})  # used again: "b" is now the least used
    prepared.compiled("c", build, {TEAM})
    prepared.compiled("a", build, {TEAM})
    assert len(built) == 3
    prepared.compiled("b", build, {TEAM})
    assert len(built) == 4


def test_forget_compiled_builds_again():
    built = []

    def build():
        built.append(1)
        return {"rows": people_of_team()}

    prepared.compiled("a", build, {TEAM})
    prepared.forget_compiled()
    prepared.compiled("a", build, {TEAM})
    assert len(built) == 2
