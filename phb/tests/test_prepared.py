"""phb.prepared: a query written out with its literals, prepared once on a connection, run with its stand-ins
swapped for the user's values; run plain when prepared statements are turned off."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from people.models import User
from phb import prepared
from phb.prepared import Statement

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


def staff_in(user):
    """A query with the user's id in it and a number the ORM writes itself (EXISTS' SELECT 1)."""
    return (
        User.objects.filter(pk=user.pk)
        .filter(Exists(User.objects.filter(pk=OuterRef("pk"))))
        .values_list("username", flat=True)
    )


def test_inside_planned_once_the_orms_rows_come_from_one_statement_for_every_user():
    first, second = User.objects.create(username="first"), User.objects.create(username="second")
    with CaptureQueriesContext(connection) as captured:
        for user in (first, second, first):
            with prepared.planned_once({user.pk}):
                assert list(staff_in(user)) == [user.username]
    sent = [q["sql"].split()[0] for q in captured.captured_queries]
    # One statement for both users (their ids are its parameter), prepared once, each run setting the plan back.
    assert sent.count("PREPARE") == 1 and sent.count("SET") == 3 and sent.count("RESET") == 3
    assert sent.count("SELECT") == 0


def test_a_stand_in_that_is_also_a_number_the_orm_wrote_still_finds_the_rows():
    """A user whose id is 1 has it stand both for their id and, in EXISTS, for the ORM's own "SELECT 1"."""
    User.objects.create(username="someone")
    ones = User.objects.filter(pk=1).filter(Exists(User.objects.filter(pk=OuterRef("pk")))).values_list("pk", flat=True)
    expected = list(ones)
    with prepared.planned_once({1}):
        assert list(ones.all()) == expected


def test_statements_past_the_limit_are_let_go(monkeypatch):
    monkeypatch.setattr(prepared, "KEPT_UP_TO", 2)
    user = User.objects.create(username="someone")
    with CaptureQueriesContext(connection) as captured, prepared.planned_once({user.pk}):
        for name in ("a", "b", "c"):
            assert list(User.objects.filter(pk=user.pk, username__gt=name).values_list("username", flat=True))
    assert [q["sql"] for q in captured.captured_queries].count("DEALLOCATE ALL") == 1
    assert len(prepared_here()) <= 2


def test_planned_once_turned_off_runs_the_orms_sql(settings):
    settings.DB_PREPARED_STATEMENTS = False
    user = User.objects.create(username="someone")
    with CaptureQueriesContext(connection) as captured, prepared.planned_once({user.pk}):
        assert list(staff_in(user)) == ["someone"]
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]
