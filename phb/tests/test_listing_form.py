"""phb.listing.ListFilter.rendered_form: a filter form whose choices are all written in code is rendered once for
a query string and kept; one with choices from the database (care teams) is rendered every time."""

import pytest
from crispy_forms.utils import render_crispy_form
from django.utils import timezone
from django.utils.safestring import SafeString

from careplans.filters import ReviewsDueFilter
from casework.filters import CaseloadFilter
from people.models import Person
from phb import listing

pytestmark = pytest.mark.django_db


def caseload_filter(data, everyone=False):
    return CaseloadFilter(data, queryset=Person.objects.all(), today=timezone.localdate(), everyone=everyone)


def test_the_kept_html_is_the_forms_own_for_each_query_string(monkeypatch):
    listing._RENDERED.clear()
    for data in ({}, {"stage": "active"}, {"stage": "nonsense", "sort": "-name"}):
        assert caseload_filter(data).rendered_form == render_crispy_form(caseload_filter(data).form)
    assert 'value="active" selected' in caseload_filter({"stage": "active"}).rendered_form


def test_a_query_string_seen_before_is_not_rendered_again(monkeypatch):
    listing._RENDERED.clear()
    assert caseload_filter({"route": "right_to_have"}).rendered_form
    monkeypatch.setattr(listing, "render_crispy_form", lambda form: pytest.fail("rendered again"))
    assert caseload_filter({"route": "right_to_have"}).rendered_form
    with pytest.raises(pytest.fail.Exception):
        assert caseload_filter({"route": "ipc"}).rendered_form


def test_the_same_query_string_on_lists_sorted_differently_is_kept_apart():
    listing._RENDERED.clear()
    mine, everyone = caseload_filter({"sort": "stage"}), caseload_filter({"sort": "stage"}, everyone=True)
    assert mine.rendered_form == render_crispy_form(caseload_filter({"sort": "stage"}).form)
    assert everyone.rendered_form == render_crispy_form(caseload_filter({"sort": "stage"}, everyone=True).form)


def test_choices_from_the_database_are_read_every_time(alice, north):
    listing._RENDERED.clear()
    today = timezone.localdate()
    first = ReviewsDueFilter({}, queryset=Person.objects.none(), user=alice, today=today).rendered_form
    assert north.name in first
    north.name = "Riverside East"
    north.save()
    again = ReviewsDueFilter({}, queryset=Person.objects.none(), user=alice, today=today).rendered_form
    assert "Riverside East" in again
    assert not listing._RENDERED


def test_the_kept_forms_are_bounded(monkeypatch):
    listing._RENDERED.clear()
    monkeypatch.setattr(listing, "RENDERED_KEPT", 2)
    for route in ("right_to_have", "ipc", "discretionary"):
        assert caseload_filter({"route": route}).rendered_form
    assert len(listing._RENDERED) <= 2


# phb.listing.crispy_once: a list's search box as the list opens is rendered once and kept; one with a search
# or an error is rendered afresh.


def search(data):
    from django.http import QueryDict

    from people.forms import CaseloadSearchForm

    return CaseloadSearchForm(QueryDict(data))


def test_an_empty_search_box_is_rendered_once_and_kept_whatever_else_the_address_says(monkeypatch):
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    listing._RENDERED.clear()
    first = listing.crispy_once(search(""))
    assert first == as_crispy_form(search("")) and 'name="q"' in first
    monkeypatch.setattr(listing, "as_crispy_form", lambda form: pytest.fail("rendered again"))
    assert listing.crispy_once(search("show=team&stage=active&q=")) == first


def test_a_search_box_with_words_or_an_error_is_rendered_with_them():
    listing._RENDERED.clear()
    assert listing.crispy_once(search("")) and 'value="smith"' in listing.crispy_once(search("q=smith"))
    too_long = listing.crispy_once(search("q=" + "x" * 101))
    assert "Search must be 100 characters or fewer" in too_long
    assert 'value="smith"' not in listing.crispy_once(search(""))


@pytest.mark.parametrize("typed", ["smith", "O'Brien", 'say "hi" & <b>bye</b>', "  padded  ", "50%", "Zoë"])
def test_a_search_box_with_words_is_the_box_crispy_renders_with_them_and_rendered_once(monkeypatch, typed):
    from urllib.parse import urlencode

    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    listing._RENDERED.clear()
    data, other = urlencode({"q": typed}), urlencode({"q": "jones"})
    expected = as_crispy_form(search(other))
    first = listing.crispy_once(search(data))
    assert first == as_crispy_form(search(data)) and isinstance(first, SafeString)  # shown as HTML, not escaped
    monkeypatch.setattr(listing, "as_crispy_form", lambda form: pytest.fail("rendered again"))
    again = listing.crispy_once(search(other))
    assert again == expected and isinstance(again, SafeString)
