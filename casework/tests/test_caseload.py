"""The caseload: my people and my team, each person's stage and next action, filters, sorting and pages, all
from the query string; the person page shows the same stage under the name."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from budgets.tests.factories import make_assessment, make_eligible
from careplans.tests.factories import approved_plan
from casework.stages import Stage
from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from phb.models import AuditAction, AuditEvent
from phb.pagination import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = reverse("casework:caseload")


def names(response) -> list[str]:
    return [person.family_name for person in response.context["page"].object_list]


def stages(response) -> list[Stage]:
    return [Stage(person.stage) for person in response.context["page"].object_list]


@pytest.fixture
def team(north, alice, bob):
    """Alice leads Adams (referred) and Baker (assessed, substantial support); Bob leads Carter (not screened)."""
    adams = PersonFactory(family_name="Adams", care_team=north, lead_coordinator=alice)
    referral(person=adams, coordinator=alice)
    baker = PersonFactory(family_name="Baker", care_team=north, lead_coordinator=alice)
    make_eligible(person=baker, coordinator=alice)
    make_assessment(person=baker, coordinator=alice, engagement="substantial")
    carter = PersonFactory(family_name="Carter", care_team=north, lead_coordinator=bob)
    return adams, baker, carter


def test_my_people_are_those_i_lead_and_my_team_is_everyone_in_my_care_teams(client, alice, team, sam):
    client.force_login(alice)
    mine = client.get(URL)
    assert names(mine) == ["Adams", "Baker"]
    html = mine.content.decode()
    assert "Your caseload" not in html
    assert re.search(r'aria-current="page">My people<', html)
    assert names(client.get(URL, {"show": "team"})) == ["Adams", "Baker", "Carter"]


def test_the_phb_team_sees_everyone_without_tabs(client, priya, team, sam):
    client.force_login(priya)
    response = client.get(URL)
    assert names(response) == ["Adams", "Baker", "Carter", "Taylor"]
    assert "My people" not in response.content.decode()


def test_each_row_shows_the_stage_tag_and_the_next_action_with_who_holds_it(client, alice, team):
    client.force_login(alice)
    html = client.get(URL, {"show": "team"}).content.decode()
    assert '<strong class="nhsuk-tag nhsuk-tag--blue" data-testid="stage">Referred to the PHB team</strong>' in html
    assert "Decide on the referral <span" in html and "(PHB team)" in html
    assert "Work out their indicative budget" in html
    assert '<strong class="nhsuk-tag nhsuk-tag--grey" data-testid="stage">Not screened yet</strong>' in html


def test_each_row_shows_every_column_with_its_text_escaped(client, alice, north, team):
    """The rows are drawn in Python (casework.templatetags.casework.caseload_rows): each column's heading for the
    stacked table at 320 px, the person's link, their details, "Not yet chosen" with no lead, substantial support
    as a tag, and any text from the records escaped."""
    adams, baker, carter = team
    odd = PersonFactory(family_name="O'Brien<b>", given_name="Ann & Co", care_team=north, lead_coordinator=None)
    client.force_login(alice)
    html = client.get(URL, {"show": "team"}).content.decode()
    rows = re.findall(r'<tr role="row" class="nhsuk-table__row">(.*?)</tr>', html, re.S)
    assert len(rows) == 4
    for row in rows:
        headings = re.findall(r'aria-hidden="true">([^<]*) </span>', row)
        assert headings == [
            "Name",
            "NHS number",
            "Date of birth",
            "Care team",
            "Lead coordinator",
            "Engagement support",
            "Stage",
            "Next action",
        ]
    odd_row = next(row for row in rows if "BRIEN" in row)
    assert (
        f'<a href="{reverse("people:detail", kwargs={"pk": odd.pk})}">O&#x27;BRIEN&lt;B&gt;, Ann &amp; Co</a>'
        in odd_row
    )
    assert odd.nhs_number_display in odd_row and north.name in odd_row and "Not yet chosen" in odd_row
    assert "<b>" not in html.split("<tbody")[1].split("</tbody>")[0]
    baker_row = next(row for row in rows if "BAKER" in row)
    assert '<strong class="nhsuk-tag nhsuk-tag--orange">Substantial support</strong>' in baker_row
    assert alice.display_name in baker_row
    assert 'data-testid="next-action"' in baker_row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"stage": "referred"}, ["Adams"]),
        ({"stage": "assessed"}, ["Baker"]),
        ({"stage": "new"}, ["Carter"]),
        ({"support": "substantial"}, ["Baker"]),
        ({"support": "not_assessed"}, ["Adams", "Carter"]),
        ({"route": "discretionary"}, ["Adams"]),
        ({"route": "right_to_have"}, ["Baker"]),
        ({"review": "overdue"}, []),
        ({"stage": "assessed", "support": "substantial", "route": "right_to_have"}, ["Baker"]),
    ],
)
def test_each_filter_works_from_the_query_string(client, alice, team, query, expected):
    client.force_login(alice)
    assert names(client.get(URL, {"show": "team", **query})) == expected


def test_the_review_filter_finds_reviews_overdue_and_due_soon(client, alice, priya, team):
    active = approved_plan(person=team[2], coordinator=alice, approver=priya)  # first review 15 June 2026: overdue
    client.force_login(alice)
    assert names(client.get(URL, {"show": "team", "review": "overdue"})) == ["Carter"]
    assert names(client.get(URL, {"show": "team", "review": "soon"})) == []
    from careplans import reviews

    reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    active.plan.reviews.filter(kind="scheduled").update(status="cancelled")
    assert names(client.get(URL, {"show": "team", "review": "soon"})) == ["Carter"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Adams", "Baker", "Carter"]),
        ("-name", ["Carter", "Baker", "Adams"]),
        ("stage", ["Carter", "Adams", "Baker"]),
        ("-stage", ["Baker", "Adams", "Carter"]),
    ],
)
def test_each_sort_works_from_the_query_string(client, alice, team, sort, expected):
    client.force_login(alice)
    assert names(client.get(URL, {"show": "team", "sort": sort})) == expected


def test_sorting_by_next_action_puts_the_earliest_date_first_and_people_with_none_last(client, alice, priya, team):
    approved_plan(person=team[1], coordinator=alice, approver=priya)
    client.force_login(alice)
    assert names(client.get(URL, {"show": "team", "sort": "next"})) == ["Baker", "Adams", "Carter"]
    assert names(client.get(URL, {"show": "team", "sort": "-next"})) == ["Baker", "Adams", "Carter"]


def test_the_column_headers_link_to_each_sort_and_say_which_is_current(client, alice, team):
    client.force_login(alice)
    html = client.get(URL, {"show": "team", "stage": "new", "sort": "stage"}).content.decode()
    assert (
        '<th role="columnheader" scope="col" aria-sort="ascending"><a href="?show=team&amp;stage=new&amp;sort=-stage"'
        in html
    )
    assert 'aria-sort="none"><a href="?show=team&amp;stage=new&amp;sort=next"' in html
    assert 'aria-sort="none"><a href="?show=team&amp;stage=new" data-testid="sort-name"' in html


def test_pages_keep_every_filter_and_the_sort(client, alice, north):
    for number in range(PAGE_SIZE + 2):
        PersonFactory(family_name=f"Person{number:03d}", care_team=north, lead_coordinator=alice)
    client.force_login(alice)
    first = client.get(URL, {"show": "team", "stage": "new", "support": "not_assessed", "sort": "-name"})
    assert first.context["page"].has_next
    link = first.context["page"].next_link
    assert link == "?show=team&stage=new&support=not_assessed&sort=-name&page=2"
    second = client.get(URL + link)
    assert names(second) == ["Person001", "Person000"]


@pytest.mark.parametrize(
    "query",
    [
        {"stage": "nonsense"},
        {"stage": "10"},
        {"support": "<script>"},
        {"route": "none"},
        {"review": "yesterday"},
        {"sort": "password"},
        {"sort": "-"},
        {"show": "everyone"},
        {"page": "-1"},
    ],
)
def test_a_value_that_is_not_a_choice_is_ignored_not_an_error(client, alice, team, query):
    client.force_login(alice)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert names(response) == ["Adams", "Baker"]


def test_the_list_is_audited_with_its_filters_in_words(client, alice, team):
    client.force_login(alice)
    client.get(URL, {"show": "team", "stage": "assessed", "support": "substantial", "sort": "-next"})
    event = AuditEvent.objects.filter(actor=alice, action=AuditAction.VIEW_LIST).get()
    assert event.summary == (
        "Viewed the caseload (showing: everyone in your care teams; stage: Assessed; engagement support: "
        "Substantial support; sorted by: next action's date, last first): 1 shown of 1"
    )


def test_the_person_page_shows_the_stage_and_next_action_under_the_name(client, alice, team):
    client.force_login(alice)
    html = client.get(reverse("people:detail", kwargs={"pk": team[1].pk})).content.decode()
    heading, after = html.split("</h1>", 1)
    assert after.index('data-testid="person-stage"') < after.index("<h2")
    assert '<strong class="nhsuk-tag nhsuk-tag--blue" data-testid="stage">Assessed</strong>' in after
    assert "Work out their indicative budget" in after


def test_the_portal_shows_the_person_their_stage_in_the_colour_staff_see(client, alice, pat, jane):
    referral(person=jane, coordinator=alice)
    tag = re.compile(r'<strong class="nhsuk-tag nhsuk-tag--(\w+)" data-testid="stage">([^<]*)</strong>')
    client.force_login(alice)
    [(staff_colour, staff_words)] = tag.findall(client.get(URL).content.decode())
    client.force_login(pat)
    [(portal_colour, portal_words)] = tag.findall(
        client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()
    )
    assert portal_colour == staff_colour == "blue"
    assert (staff_words, portal_words) == ("Referred to the PHB team", "Waiting for a decision")


def test_everyone_is_sorted_by_name_only_and_a_stage_filter_over_everyone_is_not_counted(
    client, priya, alice, team, sam
):
    """The PHB team's caseload is everyone the service holds: sorting it by stage or next action, or counting a
    stage filter's matches, would work out the stage of everyone (seconds at national scale)."""
    client.force_login(priya)
    html = client.get(URL).content.decode()
    assert 'data-testid="sort-name"' in html
    assert 'data-testid="sort-stage"' not in html and 'data-testid="sort-next"' not in html
    assert names(client.get(URL, {"sort": "stage"})) == ["Adams", "Baker", "Carter", "Taylor"]  # ignored
    filtered = client.get(URL, {"stage": "referred"})
    assert names(filtered) == ["Adams"]
    assert "People 1 to 1 at this stage" in filtered.content.decode()
    assert not filtered.context["counted"]
    # A coordinator's lists are short: every sort, and counted.
    client.force_login(alice)
    mine = client.get(URL, {"show": "team", "stage": "referred"})
    assert mine.context["counted"] and 'data-testid="sort-stage"' in mine.content.decode()


def test_coordinators_asking_the_same_shape_of_list_each_see_their_own_people(client, alice, charlie, south, team):
    """The list's query is compiled once for everyone of a role with as many care teams, choosing the same filters
    and sort (phb.pagination.page_compiled): each coordinator's own ids are what it runs with."""
    PersonFactory(family_name="Evans", care_team=south, lead_coordinator=charlie)  # not screened: new
    for query in ({}, {"show": "team"}, {"show": "team", "sort": "stage"}, {"show": "team", "stage": "new"}):
        client.force_login(alice)
        alices = names(client.get(URL, query))
        client.force_login(charlie)
        assert names(client.get(URL, query)) == ["Evans"], query
        assert alices and "Evans" not in alices, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("smi", ["Smith", "Smithson"]),
        ("SMITHSON", ["Smithson"]),
        ("smi son", ["Smithson"]),  # every word, in any of the names
        ("c_r", ["Mac_Rae"]),  # the ORM's pattern escapes _ and %: never a wildcard
        ("50%", ["Fifty50%"]),
        ("ty5", ["Fifty50%", "Fifty500"]),
        ("o'b", ["O'Brien"]),
        ("ab\\", ["Slash\\ab\\"]),
        ("jo", ["Jo", "Jones"]),  # a word too short for the trigram indexes: read through the ORM, as before
        ("nobody", []),
    ],
)
def test_a_name_search_compiled_with_stand_in_words_finds_what_the_words_say(client, alice, north, query, expected):
    """A name search's query is compiled once for its number of words, each word a stand-in the search's own
    replaces (casework.filters.caseload_page): what it finds is what the words say, whatever they hold."""
    for family in (
        "Smith",
        "Smithson",
        "Mac_Rae",
        "MacxRae",
        "Fifty50%",
        "Fifty500",
        "O'Brien",
        "Slash\\ab\\",
        "Jones",
    ):
        PersonFactory(family_name=family, given_name="Sam", care_team=north, lead_coordinator=alice)
    PersonFactory(family_name="Jo", given_name="Kim", care_team=north, lead_coordinator=alice)
    client.force_login(alice)
    response = client.get(URL, {"q": query})
    assert sorted(names(response)) == expected
    assert response.context["page"].count == len(expected)


def test_coordinators_searching_with_as_many_words_each_see_their_own_people(client, alice, charlie, north, south):
    PersonFactory(family_name="Smith", given_name="Alice's", care_team=north, lead_coordinator=alice)
    PersonFactory(family_name="Smithers", given_name="Charlie's", care_team=south, lead_coordinator=charlie)
    client.force_login(alice)
    assert names(client.get(URL, {"q": "smith"})) == ["Smith"]
    client.force_login(charlie)
    assert names(client.get(URL, {"q": "smith"})) == ["Smithers"]
    assert names(client.get(URL, {"q": "smithers"})) == ["Smithers"]


def run_sql(client, query) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, query).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize(
    ("who", "query", "prepared"),
    [
        ("priya", {}, True),  # everyone's list as it opens
        ("priya", {"stage": "referred"}, True),  # everyone's, filtered: it names no one, so one plan fits all
        ("priya", {"support": "substantial"}, True),
        ("priya", {"q": "adams"}, False),  # a search is planned for its words
        ("alice", {}, True),  # a coordinator's list as it opens
        ("alice", {"show": "team", "sort": "stage"}, False),  # planned for the coordinator's own team
        ("alice", {"show": "team", "stage": "referred"}, False),
    ],
)
def test_lists_that_name_no_one_are_planned_once_and_the_rest_for_their_own_values(
    client, request, team, who, query, prepared
):
    client.force_login(request.getfixturevalue(who))
    ran = run_sql(client, query)
    assert any(" EXECUTE phb_" in sql for sql in ran) == prepared, ran


@pytest.mark.parametrize("typed", ["adams", "O'Brien & <b>co</b>", "12"])
def test_the_search_box_shows_the_words_searched_for_as_a_box_not_as_text(client, alice, team, typed):
    client.force_login(alice)
    html = client.get(URL, {"q": typed}).content.decode()
    box = re.search(r'<input class="nhsuk-input" id="id_q" name="q" [^>]*>', html)
    assert box is not None and "&lt;input" not in html
    assert f'value="{escape(typed)}"' in box.group(0)
