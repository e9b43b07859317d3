"""phb.pagination: a page of any list in two queries, a count that stops at COUNT_UP_TO, links that keep
the list's filters."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people.models import Person
from people.tests.factories import PersonFactory
from phb import pagination
from phb.pagination import page_compiled, page_number, page_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(north):
    return [PersonFactory(care_team=north, family_name=f"Person{n:03d}") for n in range(12)]


def ordered():
    return Person.objects.order_by("family_name", "id")


def test_a_page_shows_its_rows_and_knows_there_is_another(people):
    page = page_of(ordered(), "2", size=5)
    assert [person.family_name for person in page] == [f"Person{n:03d}" for n in range(5, 10)]
    assert (page.number, page.has_previous, page.has_next, page.count, page.count_capped) == (2, True, True, 12, False)
    assert (page.num_pages, page.start_index, page.end_index) == (3, 6, 10)


def test_the_last_page_has_no_next(people):
    page = page_of(ordered(), 3, size=5)
    assert len(page) == 2
    assert not page.has_next
    assert page.has_previous


def test_a_page_past_the_end_shows_the_first_page(people):
    page = page_of(ordered(), "99", size=5)
    assert page.number == 1
    assert len(page) == 5


@pytest.mark.parametrize("value", [None, "", "0", "-1", "two", "1e3", "999999999999"])
def test_anything_that_is_not_a_page_number_is_page_1(value):
    assert page_number(value) == 1


def test_it_counts_only_up_to_the_cap_and_says_so(people, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_UP_TO", 10)
    page = page_of(ordered(), 1, size=5)
    assert page.count_capped
    assert page.count == 10
    assert page.num_pages is None


def test_a_page_is_two_queries_at_any_length(people, north):
    with CaptureQueriesContext(connection) as few:
        page_of(ordered(), 1, size=5)
    PersonFactory.create_batch(40, care_team=north)
    with CaptureQueriesContext(connection) as many:
        page_of(ordered(), 3, size=5)
    assert len(few.captured_queries) == len(many.captured_queries) == 2


def test_ids_first_reads_the_same_rows_in_the_same_order_in_a_query_more(people):
    with CaptureQueriesContext(connection) as queries:
        page = page_of(ordered(), "2", size=5, ids_first=True)
    assert [person.family_name for person in page] == [f"Person{n:03d}" for n in range(5, 10)]
    assert (page.has_next, page.count) == (True, 12)
    assert len(queries.captured_queries) == 3
    assert "LIMIT 6 OFFSET 5" in queries.captured_queries[0]["sql"] and "SELECT" in queries.captured_queries[1]["sql"]
    assert '"people_person"."id" IN' in queries.captured_queries[1]["sql"]


def test_ids_first_past_the_end_shows_the_first_page(people):
    page = page_of(ordered(), "99", size=5, ids_first=True)
    assert page.number == 1 and [person.family_name for person in page][0] == "Person000"


def test_links_keep_the_filters_and_drop_empty_ones(people):
    page = page_of(ordered(), 2, size=5, params={"q": "smith & co", "team": "", "page": "7"})
    assert page.next_link == "?q=smith+%26+co&page=3"
    assert page.previous_link == "?q=smith+%26+co&page=1"


def test_an_empty_list_is_one_page_with_nothing_on_it(db):
    page = page_of(Person.objects.none(), 1)
    assert not page
    assert (page.count, page.has_other_pages, page.start_index, page.num_pages) == (0, False, 0, 1)


def test_a_list_that_is_not_counted_runs_one_query_and_still_knows_its_neighbours(people):
    with CaptureQueriesContext(connection) as queries:
        page = page_of(ordered(), 2, size=5, counted=False)
    assert len(queries.captured_queries) == 1
    assert (page.has_previous, page.has_next, page.count) == (True, True, 0)


# page_compiled: the same page, its queryset built and compiled once a process for each shape.

TEAM = -7_340_100


def team_list(team_id=TEAM):
    return Person.objects.filter(care_team_id=team_id).order_by("family_name", "id")


def compiled_page(team, number, *, built=None, counted=True, key="team list", narrow=False, with_rows=False):
    def build():
        if built is not None:
            built.append(1)
        return team_list()

    return page_compiled(
        key,
        build,
        number,
        stand_ins={TEAM},
        values={TEAM: team.pk},
        size=5,
        params={"q": ""},
        counted=counted,
        narrow=narrow,
        count_with_rows=with_rows,
    )


def assert_same_page(page, expected):
    assert [p.pk for p in page] == [p.pk for p in expected]
    assert (page.number, page.has_next, page.count, page.count_capped) == (
        expected.number,
        expected.has_next,
        expected.count,
        expected.count_capped,
    )


def test_a_compiled_page_is_the_same_page_as_page_of_for_each_user(people, north, south):
    PersonFactory(care_team=south, family_name="Elsewhere")
    for number in ("1", "2", "3", "99"):
        page, expected = compiled_page(north, number), page_of(team_list(north.pk), number, size=5)
        assert_same_page(page, expected)
    page = compiled_page(south, 1)
    assert [p.family_name for p in page] == ["Elsewhere"] and page.count == 1


def test_a_narrowed_page_finds_its_ids_first_and_is_the_same_page_in_one_query(people, north, south):
    PersonFactory(care_team=south, family_name="Elsewhere")
    for number in ("1", "2", "3", "99"):
        with CaptureQueriesContext(connection) as queries:
            page = compiled_page(north, number, key="narrowed", narrow=True, counted=False)
        expected = page_of(team_list(north.pk), number, size=5, counted=False)
        assert [p.pk for p in page] == [p.pk for p in expected]
        assert (page.number, page.has_next) == (expected.number, expected.has_next)
        # The page past the end reads again for page 1, as page_of does; any other page is one query.
        assert len(queries.captured_queries) == (2 if number == "99" else 1)
        rows_sql = queries.captured_queries[0]["sql"]
        assert rows_sql.count("SELECT") == 2 and " IN (SELECT " in rows_sql and rows_sql.rstrip().endswith("ASC")


def test_a_page_counted_with_its_rows_is_the_same_page_and_count_in_one_query(people, north, south):
    PersonFactory(care_team=south, family_name="Elsewhere")
    for number in ("1", "2", "3", "99"):
        with CaptureQueriesContext(connection) as queries:
            page = compiled_page(north, number, key="with rows", narrow=True, with_rows=True)
        expected = page_of(team_list(north.pk), number, size=5)
        assert_same_page(page, expected)
        assert len(queries.captured_queries) == (2 if number == "99" else 1)
        assert queries.captured_queries[0]["sql"].startswith("WITH phb_page AS MATERIALIZED (")
    assert compiled_page(south, 1, key="with rows", narrow=True, with_rows=True).count == 1


def test_a_list_with_no_rows_counted_with_its_rows_counts_none(db, north):
    page = compiled_page(north, 1, key="with rows", narrow=True, with_rows=True)
    assert not page and (page.count, page.has_next) == (0, False)


def test_a_compiled_page_is_built_once_for_its_shape_and_page(people, north, south):
    built = []
    compiled_page(north, 1, built=built)
    compiled_page(south, 1, built=built)
    assert len(built) == 1
    compiled_page(north, 2, built=built)  # another page: its own LIMIT and OFFSET
    assert len(built) == 2


def test_a_compiled_page_is_two_queries_or_one_not_counted(people, north):
    with CaptureQueriesContext(connection) as counted:
        compiled_page(north, 1)
    with CaptureQueriesContext(connection) as not_counted:
        page = compiled_page(north, 1, counted=False, key="not counted")
    assert (len(counted.captured_queries), len(not_counted.captured_queries)) == (2, 1)
    assert (page.count, page.has_next) == (0, True)


def test_a_compiled_page_of_a_list_that_can_match_nothing_is_empty(db):
    page = page_compiled("nothing", Person.objects.none, 1, stand_ins=set(), values={})
    assert not page and page.count == 0
