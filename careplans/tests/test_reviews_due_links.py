"""The reviews-due page's controls each keep the others: the link to every review, the filter form (each
choice of Show), the sortable header, the pages and "Clear filters" carry the team, the choice of Show and
the sort they do not change, and go back to the first page (only the pages' own links name a page)."""

import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans.models import Review, ReviewKind
from careplans.tests.factories import approved_plan
from people.tests.factories import PersonFactory
from phb import pagination

pytestmark = pytest.mark.django_db

URL = reverse("careplans:reviews_due")
# What the list reads from the query string: its filters, its sort and the page.
READ = ("when", "team", "sort", "page")


@pytest.fixture
def due(north, south, alice, charlie, priya, monkeypatch):
    """Each person's scheduled review, due on a day of its own; pages of two. North: Adams overdue, Cole due
    soon, Baker due later (only in every review); South: Dale overdue."""
    monkeypatch.setitem(pagination.page_of.__kwdefaults__, "size", 2)
    today = timezone.localdate()
    for name, team, coordinator, days in [
        ("Adams", north, alice, -20),
        ("Baker", north, alice, 90),
        ("Cole", north, alice, 10),
        ("Dale", south, charlie, -5),
    ]:
        person = PersonFactory(given_name="Ann", family_name=name, care_team=team, lead_coordinator=coordinator)
        plan = approved_plan(person=person, coordinator=coordinator, approver=priya).plan
        Review.objects.filter(plan=plan, kind=ReviewKind.SCHEDULED).update(due_on=today + datetime.timedelta(days=days))
    assert Review.objects.count() == 4


class _Controls(HTMLParser):
    """The page's links (by data-testid or text) and its filter form's fields as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.links, self.fields, self._in_form, self._select, self._link = {}, {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("data-testid") == "list-filters":
            self._in_form = True
        elif tag == "a" and "href" in attrs:
            self._link = [attrs["href"], attrs.get("data-testid") or attrs.get("class") or "", ""]
        elif self._in_form and tag == "input" and attrs.get("type") in ("hidden", "text", "search"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif self._in_form and tag == "select":
            self._select = attrs["name"]
            self.fields[self._select] = None
        elif self._select and tag == "option" and (self.fields[self._select] is None or "selected" in attrs):
            self.fields[self._select] = attrs["value"]  # the selected option, or else the first

    def handle_data(self, data):
        if self._link:
            self._link[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "a" and self._link:
            href, testid, text = self._link
            self.links[testid or " ".join(text.split())] = href
            self._link = None


def controls(response) -> _Controls:
    assert response.status_code == 200
    parsed = _Controls()
    parsed.feed(response.content.decode())
    return parsed


def query(href: str) -> dict:
    """What the list reads from a link's query string (the href is relative to the list's own address)."""
    return {name: values[-1] for name, values in parse_qs(urlsplit(href).query).items() if name in READ}


def names(response) -> list[str]:
    return [row["review"].plan.person.family_name for row in response.context["rows"]]


def follow(client, href: str):
    return client.get(URL + "?" + urlsplit(href).query)


@pytest.mark.parametrize("when", ["", "overdue"])
def test_the_link_to_every_review_keeps_the_team_and_the_sort(client, priya, north, due, when):
    client.force_login(priya)
    start = client.get(URL, {"when": when, "team": north.pk, "sort": "-due", "page": "2"})
    href = controls(start).links["show-all"]
    assert query(href) == {"when": "all", "team": str(north.pk), "sort": "-due"}
    assert names(follow(client, href)) == ["Baker", "Cole"]  # North only, latest first, page 1 of 2


@pytest.mark.parametrize(
    "when, expected",
    [("", ["Cole", "Adams"]), ("overdue", ["Adams"]), ("all", ["Baker", "Cole"])],
)
def test_each_choice_of_show_in_the_form_keeps_the_team_and_the_sort(client, priya, north, due, when, expected):
    client.force_login(priya)
    start = client.get(URL, {"when": "all", "team": north.pk, "sort": "-due", "page": "2"})
    sent = {**controls(start).fields, "when": when}  # the browser sends every field of the form
    assert {name: value for name, value in sent.items() if name in READ} == {
        "when": when,
        "team": str(north.pk),
        "sort": "-due",
    }
    assert names(client.get(URL, sent)) == expected


def test_the_sortable_header_keeps_the_filters_and_goes_back_to_the_first_page(client, priya, north, due):
    client.force_login(priya)
    start = client.get(URL, {"when": "all", "team": north.pk, "sort": "-due", "page": "2"})
    assert names(start) == ["Adams"]
    href = controls(start).links["sort-due"]
    assert query(href) == {"when": "all", "team": str(north.pk)}  # the due date, earliest first, is the default
    assert names(follow(client, href)) == ["Adams", "Cole"]


def test_the_pages_keep_the_filters_and_the_sort(client, priya, north, due):
    client.force_login(priya)
    first = client.get(URL, {"when": "all", "team": north.pk, "sort": "-due"})
    href = controls(first).links["nhsuk-pagination__link nhsuk-pagination__link--next"]
    assert query(href) == {"when": "all", "team": str(north.pk), "sort": "-due", "page": "2"}
    second = follow(client, href)
    assert names(second) == ["Adams"]
    back = controls(second).links["nhsuk-pagination__link nhsuk-pagination__link--prev"]
    assert query(back) == {"when": "all", "team": str(north.pk), "sort": "-due", "page": "1"}


def test_clearing_the_filters_keeps_the_sort(client, priya, north, due):
    client.force_login(priya)
    start = client.get(URL, {"when": "all", "team": north.pk, "sort": "-due", "page": "2"})
    href = controls(start).links["Clear filters"]
    assert query(href) == {"sort": "-due"}
    assert names(follow(client, href)) == ["Cole", "Dale"]  # overdue or due soon, any team, latest first
