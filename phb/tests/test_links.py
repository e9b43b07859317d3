"""phb.links.id_link: the same text reverse() gives, for ids as the database hands them over."""

import uuid

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, resolve, reverse, set_script_prefix
from django.utils import timezone

from casework import trays
from phb.links import id_link

ID = uuid.UUID("d18e7240-a679-45fc-a62d-a1078a71688d")


@pytest.mark.parametrize("given", [ID, str(ID), ID.hex], ids=["uuid", "text", "sqlite-text"])
def test_a_uuid_link_is_what_reverse_gives_whatever_form_the_id_came_in(given):
    # SQLite (make run) gives a UUID cast to text without hyphens; PostgreSQL with them; a model the UUID itself.
    assert id_link("people:detail", "pk", given) == reverse("people:detail", kwargs={"pk": ID})
    assert id_link("portal:staff_messages", "person_pk", given) == reverse(
        "portal:staff_messages", kwargs={"person_pk": ID}
    )


@pytest.mark.parametrize("given", [42, "42"])
def test_a_whole_number_link_is_what_reverse_gives(given):
    assert id_link("payments:run", "pk", given) == reverse("payments:run", kwargs={"pk": 42})


def test_an_id_that_is_not_of_the_urls_kind_is_refused_not_written_in():
    with pytest.raises(ValueError):
        id_link("people:detail", "pk", "../admin/")
    with pytest.raises(ValueError):
        id_link("payments:run", "pk", str(ID))


def test_a_name_without_one_id_of_that_key_is_refused():
    with pytest.raises(NoReverseMatch):
        id_link("casework:home", "pk", ID)
    with pytest.raises(NoReverseMatch):
        id_link("people:detail", "person_pk", ID)


def test_the_link_follows_the_script_prefix_as_reverse_does():
    set_script_prefix("/phb/")
    try:
        assert id_link("people:detail", "pk", ID) == reverse("people:detail", kwargs={"pk": ID})
        assert id_link("people:detail", "pk", ID).startswith("/phb/people/")
    finally:
        clear_script_prefix()
    assert id_link("people:detail", "pk", ID).startswith("/people/")


def test_every_tray_sources_link_is_what_reverse_gives_for_its_page():
    today = timezone.localdate()
    at = timezone.now()
    for source in trays.SOURCES:
        for given in (ID.hex, "42"):
            row = trays.Row(source, given, given, "Ann Archer", today, at, "1", today)
            try:
                link = source.link(row)
            except ValueError:  # the other kind of id
                continue
            match = resolve(link)
            assert reverse(match.view_name, kwargs=match.kwargs) == link, source.key
            break
        else:
            pytest.fail(f"{source.key} links to nothing")
