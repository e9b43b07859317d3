"""Every staff list filters, sorts and pages from the query string (phb.listing), issue 14 acceptance 3.

For each list: a filter narrows the rows, a sort reverses the order, the pagination links keep the filter
and the sort, a value that is not a choice is ignored (the page as if it were not given), and the page's
record in the audit trail says the filters and the sort in words.
"""

import datetime
import re

import pytest
from django.urls import reverse

from careplans import approval, emails
from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from phb import listing, pagination
from phb.models import AuditAction, AuditEvent
from phb.pagination import PAGE_SIZE
from tests import page_data as data

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr[^>]*class="nhsuk-table__row"[^>]*>(.*?)</tr>', re.S)


def rows(response, marker: str) -> list[str]:
    """Each row's text, in order, of the table whose data-testid is marker."""
    html = response.content.decode()
    assert response.status_code == 200
    if f'data-testid="{marker}"' not in html:
        return []
    table = html.split(f'data-testid="{marker}"', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in ROW.findall(table)]


def next_link(response) -> str:
    html = response.content.decode()
    found = re.search(r'class="nhsuk-pagination__link nhsuk-pagination__link--next" href="([^"]+)"', html)
    assert found, "no link to the next page"
    return found.group(1).replace("&amp;", "&")


def last_list_event(user) -> str:
    return AuditEvent.objects.filter(actor=user, action=AuditAction.VIEW_LIST).latest("at", "id").summary


# Referrals waiting for a decision (eligibility:queue).


@pytest.fixture
def referrals(alice, north, south, charlie):
    made = []
    for day, (name, team, coordinator) in enumerate(
        [("Adams", north, alice), ("Baker", south, charlie), ("Cole", north, alice)], start=1
    ):
        person = PersonFactory(given_name="Ann", family_name=name, care_team=team, lead_coordinator=coordinator)
        made.append(referral(person=person, coordinator=coordinator, on=datetime.date(2026, 1, day)))
    return made


def referral_names(response) -> list[str]:
    return [row.split(" ")[2] for row in rows(response, "queue")]


def test_referrals_filter_by_team_and_route(client, priya, referrals, north):
    client.force_login(priya)
    url = reverse("eligibility:queue")
    assert referral_names(client.get(url)) == ["Adams", "Baker", "Cole"]  # longest waiting first
    assert referral_names(client.get(url, {"team": north.pk})) == ["Adams", "Cole"]
    assert referral_names(client.get(url, {"route": "ipc"})) == []
    assert referral_names(client.get(url, {"route": "discretionary"})) == ["Adams", "Baker", "Cole"]


def test_referrals_sort_both_ways(client, priya, referrals):
    client.force_login(priya)
    url = reverse("eligibility:queue")
    assert referral_names(client.get(url, {"sort": "waiting"})) == ["Cole", "Baker", "Adams"]
    assert referral_names(client.get(url, {"sort": "-name"})) == ["Cole", "Baker", "Adams"]
    page = client.get(url, {"sort": "name"})
    assert referral_names(page) == ["Adams", "Baker", "Cole"]
    assert 'aria-sort="ascending"><a href="?sort=-name" data-testid="sort-name">' in page.content.decode()


@pytest.mark.parametrize("query", [{"team": "x"}, {"team": "99999"}, {"route": "none"}, {"sort": "password"}])
def test_referrals_ignore_a_value_that_is_not_a_choice(client, priya, referrals, query):
    client.force_login(priya)
    assert referral_names(client.get(reverse("eligibility:queue"), query)) == ["Adams", "Baker", "Cole"]


def test_referrals_pages_keep_the_filter_and_sort(client, priya, alice, north, referrals):
    for n in range(PAGE_SIZE):
        person = PersonFactory(family_name=f"Zed{n:03}", care_team=north, lead_coordinator=alice)
        referral(person=person, coordinator=alice, on=datetime.date(2026, 2, 1))
    client.force_login(priya)
    first = client.get(reverse("eligibility:queue"), {"team": north.pk, "sort": "-name", "route": "bogus"})
    link = next_link(first)
    assert f"team={north.pk}" in link and "sort=-name" in link and "route" not in link
    second = client.get(reverse("eligibility:queue") + link)
    assert referral_names(second)[-2:] == ["Cole", "Adams"]
    assert last_list_event(priya) == (
        "Viewed referrals waiting for a decision (care team: North Leeds community team; sorted by: name, last "
        f"first), page 2: 2 shown of {PAGE_SIZE + 2}"
    )


# The other lists, one table of cases: each builds its rows, then a filter must narrow them, a sort reverse
# them, and the pages (two rows a page here) keep both.


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch) -> data.World:
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


@pytest.fixture
def elsewhere(south, charlie, priya, leo) -> data.World:
    """The same builders in the South team."""
    return data.World(team=south, coordinator=charlie, approver=priya, lead=leo)


@pytest.fixture
def pages_of_two(monkeypatch):
    monkeypatch.setitem(pagination.page_of.__kwdefaults__, "size", 2)
    monkeypatch.setitem(listing.page_of_rows.__kwdefaults__, "size", 2)
    monkeypatch.setitem(emails.failed_messages.__kwdefaults__, "size", 2)


def _sign_offs(w, elsewhere, priya):
    data.awaiting_sign_off(w, 3)
    data.budget_from(elsewhere, data.assessment_with_services(elsewhere, data.person(elsewhere), 1), sign_off=True)
    return {"team": w.team.pk}


def _tariffs(w, elsewhere, priya):
    data.tariffs(w, 3)
    return None


def _plans(w, elsewhere, priya):
    data.submitted_plans(w, 4)
    from careplans.models import PlanVersion, Status

    approval.plan_assign(version=PlanVersion.objects.filter(status=Status.SUBMITTED).first(), acting_user=priya)
    return {"assigned": "nobody"}


def _endings(w, elsewhere, priya):
    data.endings(w, 3)
    someone = data.person(elsewhere)
    data.ask_to_end(elsewhere, data.approve(elsewhere, data.draft_plan(elsewhere, someone)))
    return {"team": w.team.pk}


def _reviews(w, elsewhere, priya):
    data.reviews_due(w, 6)  # three people: the first review of each (overdue) and one asked for since
    return {"when": "overdue"}


def _lockouts(w, elsewhere, priya):
    from axes.models import AccessAttempt
    from django.utils import timezone

    data.lockouts(w, 3)
    AccessAttempt.objects.create(
        username=w.coordinator.email,
        ip_address="192.0.2.9",
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/sign-in/",
        failures_since_start=6,
        attempt_time=timezone.now(),
    )
    return {"whose": "people"}


def _failed_messages(w, elsewhere, priya):
    data.failed_messages(w, 6)  # three decision emails, three review reminders
    return {"kind": "reminder"}


def _staff(w, elsewhere, priya):
    data.coordinators(w, 3)
    return {"role": "coordinator"}


def _events(action):
    def build(w, elsewhere, priya):
        from phb import audit

        for k in range(3):
            audit.record(actor=w.coordinator, action=action, summary=f"Something done {k}")
            audit.record(actor=w.coordinator, action=AuditAction.SIGN_IN, summary=f"Signed in {k}")
        return {"action": action.value}

    return build


def _history(w, elsewhere, priya):
    from phb import audit

    someone = data.person(w)
    data.record_changes(w, someone, 3)
    for k in range(50):  # the history shows 50 events a page
        audit.record(actor=w.coordinator, action=AuditAction.UPDATE, person_id=someone.pk, summary=f"Changed {k}")
    return None


CASES = {
    # name: (persona, the list's URL, its table's data-testid, a builder returning the filter that narrows,
    #        a sort whose other way is the exact reverse)
    "budgets:sign_off_queue": (
        "priya",
        lambda w: reverse("budgets:sign_off_queue"),
        "sign-off-queue",
        _sign_offs,
        "name",
    ),
    "budgets:tariffs": ("leo", lambda w: reverse("budgets:tariffs"), "tariffs", _tariffs, "starts"),
    "careplans:queue": ("priya", lambda w: reverse("careplans:queue"), "plan-queue", _plans, "name"),
    "careplans:endings": ("priya", lambda w: reverse("careplans:endings"), "endings-to-confirm", _endings, "waiting"),
    "careplans:reviews_due": ("alice", lambda w: reverse("careplans:reviews_due"), "reviews-due", _reviews, "due"),
    "careplans:failed_messages": (
        "leo",
        lambda w: reverse("careplans:failed_messages"),
        "failed-messages",
        _failed_messages,
        "failed",
    ),
    "accounts:lockouts": ("leo", lambda w: reverse("accounts:lockouts"), "lockouts", _lockouts, "tries"),
    "twofactor:staff": ("leo", lambda w: reverse("twofactor:staff"), "staff-factors", _staff, "name"),
    "audit:trail": ("leo", lambda w: reverse("audit:trail"), "audit-trail", _events(AuditAction.UPDATE), "when"),
    "audit:mine": ("alice", lambda w: reverse("audit:mine"), "my-activity", _events(AuditAction.UPDATE), "when"),
    "people:history": (
        "alice",
        lambda w: reverse(
            "people:history", kwargs={"pk": data.Person.objects.get(family_name__startswith=data.MARK).pk}
        ),
        "audit-trail",
        _history,
        "when",
    ),
}


# Lists with no filter that narrows them, and why.
NOT_NARROWED = {
    "budgets:tariffs": "tariffs are few",
    "people:history": "the history's ?views= adds rows rather than narrowing them",
}
# Lists not recorded as a list in the audit trail, and why.
NOT_RECORDED = {
    "budgets:tariffs": "names no one",
    "twofactor:staff": "names only staff",
    "audit:mine": "names only the user",
    "people:history": "recorded as a view of the record",
}


def _case(request, name, w, elsewhere, client):
    persona, url_of, marker, build, sort = CASES[name]
    narrowing = build(w, elsewhere, request.getfixturevalue("priya"))
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return name, user, url_of(w), marker, narrowing, sort


@pytest.fixture(params=list(CASES))
def case(request, w, elsewhere, client, pages_of_two):
    return _case(request, request.param, w, elsewhere, client)


@pytest.fixture(params=[name for name in CASES if name not in NOT_NARROWED])
def narrowable(request, w, elsewhere, client, pages_of_two):
    return _case(request, request.param, w, elsewhere, client)


@pytest.fixture(params=[name for name in CASES if name not in NOT_RECORDED])
def recorded(request, w, elsewhere, client, pages_of_two):
    return _case(request, request.param, w, elsewhere, client)


def _all_rows(client, url, marker, query) -> list[str]:
    """Every row of the list, following its next links (a page's links keep the query)."""
    found, page = [], client.get(url, query)
    while True:
        found += rows(page, marker)
        html = page.content.decode()
        if "nhsuk-pagination__link--next" not in html:
            return found
        page = client.get(url + next_link(page))


# What each narrowing filter must keep: words only the rows it keeps show, how many it keeps and how many of the
# unfiltered list it leaves out (the builders above make both kinds).
NARROWED = {
    "budgets:sign_off_queue": ("Care team North Leeds community team", 3, 1),  # South's budget left out
    "careplans:queue": ("Assign to me", 3, 1),  # the plan Priya is deciding left out
    "careplans:endings": ("North Leeds community team", 3, 1),  # South's ending left out
    "careplans:reviews_due": ("overdue", 3, 3),  # the reviews asked for since, due in 14 days, left out
    "careplans:failed_messages": ("Message Review reminder", 3, 3),  # the decision e-mails left out
    "accounts:lockouts": ("Account Locked " + data.MARK, 3, 1),  # Alice, staff, left out
    "twofactor:staff": ("Role Care coordinator", 4, 2),  # Priya and Leo left out
    "audit:trail": ("What Changed", 3, 4),  # Alice's three sign-ins and Leo's left out
    "audit:mine": ("What Changed", 3, 4),  # Alice's sign-ins left out
}
# The trail records each of its own pages as it is read, after the events the builder made (oldest first).
OWN_READING = "Details Viewed the audit trail"


def test_a_filter_keeps_exactly_the_rows_it_chooses(narrowable, client):
    name, user, url, marker, narrowing, sort = narrowable
    words, kept, left_out = NARROWED[name]
    query = {"sort": sort}  # the trail oldest first, so its own reading comes after every row built
    everything = [row for row in _all_rows(client, url, marker, query) if OWN_READING not in row]
    narrowed = _all_rows(client, url, marker, {**narrowing, **query})
    assert len(everything) == kept + left_out, everything
    assert narrowed == [row for row in everything if words in row], (everything, narrowed)
    assert len(narrowed) == kept, narrowed


def test_a_sort_reverses_the_order(case, client):
    name, user, url, marker, narrowing, sort = case
    query = narrowing or {}
    one_way = _all_rows(client, url, marker, {**query, "sort": sort})
    other_way = _all_rows(client, url, marker, {**query, "sort": f"-{sort}"})
    assert len(one_way) >= 2
    assert one_way == list(reversed(other_way))
    page = client.get(url, {**query, "sort": sort}).content.decode()
    header = re.search(r'aria-sort="ascending"[^>]*><a href="([^"]*)"', page)
    assert header, "the header says how the list is sorted"
    # Its link sorts the other way (with no sort at all when that is the list's default order).
    assert f"sort=-{sort}" in header.group(1) or "sort=" not in header.group(1), header.group(1)


def test_the_pages_keep_the_filter_and_the_sort(case, client):
    name, user, url, marker, narrowing, sort = case
    links = []
    for key in (sort, f"-{sort}"):
        first = client.get(url, {**(narrowing or {}), "sort": key})
        links.append(next_link(first))
        for name, value in (narrowing or {}).items():
            assert f"{name}={value}" in links[-1], (name, links[-1])
        if narrowing is not None:
            # The filter form carries the sort along when the filter changes (unless it is the default).
            html = first.content.decode()
            assert f'name="sort" value="{key}"' in html or f"sort={key}" not in links[-1]
    # One of the two orders is not the default, and the links keep it.
    assert f"sort={sort}&" in links[0] + "&" or f"sort=-{sort}" in links[1], links


@pytest.mark.parametrize("bad", ["nonsense", "<script>", "-", "99999"])
def test_a_value_that_is_not_a_choice_is_ignored(case, client, bad):
    name, user, url, marker, narrowing, sort = case
    if name == "audit:trail":
        # The trail's filter is a form that says what is wrong with a date or an NHS number typed into it
        # (a page, never an error page); only its sort is tried here. Filtered, so its own events stay out.
        base, asked = narrowing, narrowing
    else:
        base, asked = {}, dict.fromkeys(narrowing or {}, bad)
    everything = rows(client.get(url, base), marker)
    response = client.get(url, {**asked, "sort": bad})
    assert response.status_code == 200
    assert rows(response, marker) == everything


# What the trail says of each list, filtered as its case narrows it and sorted each way by its column: the
# filter's label and chosen value as the page shows them, and the sort unless it is the list's default.
NORTH = "North Leeds community team"
IN_WORDS = {
    "budgets:sign_off_queue": (
        f"Viewed budgets to sign off (care team: {NORTH}; sorted by: name): 2 shown of 3",
        f"Viewed budgets to sign off (care team: {NORTH}; sorted by: name, last first): 2 shown of 3",
    ),
    "careplans:queue": (
        "Viewed plans to decide (deciding: Not assigned yet; sorted by: name): 2 shown of 3",
        "Viewed plans to decide (deciding: Not assigned yet; sorted by: name, last first): 2 shown of 3",
    ),
    "careplans:endings": (
        f"Viewed endings to confirm (care team: {NORTH}; sorted by: days waiting, fewest first): 2 shown of 3",
        f"Viewed endings to confirm (care team: {NORTH}): 2 shown of 3",
    ),
    "careplans:reviews_due": (
        "Viewed reviews due (showing: overdue): 2 shown of 3",
        "Viewed reviews due (showing: overdue; sorted by: due date, latest first): 2 shown of 3",
    ),
    "careplans:failed_messages": (
        "Viewed messages not sent (kind: Review reminders; sorted by: last tried, oldest first): 2 shown of 3",
        "Viewed messages not sent (kind: Review reminders): 2 shown of 3",
    ),
    "accounts:lockouts": (
        "Viewed the locked sign-ins (whose sign-in: Patients or representatives; sorted by: failed tries, fewest "
        "first): 2 shown of 3",
        "Viewed the locked sign-ins (whose sign-in: Patients or representatives; sorted by: failed tries, most "
        "first): 2 shown of 3",
    ),
    "audit:trail": (
        "Viewed the audit trail (what: Changed; sorted by: time, oldest first): 2 shown of 3",
        "Viewed the audit trail (what: Changed): 2 shown of 3",
    ),
}


def test_the_list_is_recorded_with_its_filter_and_sort_in_words(recorded, client):
    name, user, url, marker, narrowing, sort = recorded
    summaries = []
    for key in (sort, f"-{sort}"):  # one of them is not the list's default order
        client.get(url, {**(narrowing or {}), "sort": key})
        summaries.append(last_list_event(user))
    assert tuple(summaries) == IN_WORDS[name]


def test_a_filter_form_sent_by_get_carries_no_security_token(narrowable, client):
    """A form sent by GET puts every field in the address (the bar, the logs, the Referer header): the security
    token belongs to forms sent by POST only."""
    name, user, url, marker, narrowing, sort = narrowable
    html = client.get(url, narrowing or {}).content.decode()
    forms = re.findall(r'<form method="get".*?</form>', html, re.S)
    assert forms, "the list has a filter form"
    assert not [form for form in forms if "csrfmiddlewaretoken" in form]
