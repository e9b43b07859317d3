"""RefusedAccessMiddleware: a refusal (AccessRefused, a 404, or PermissionDenied, a 403) leaves exactly one
ACCESS_REFUSED event; any other 404 leaves none. (The access matrix, tests/test_access_matrix.py, checks
every real page.)"""

import sys
import types

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.urls import path

from people.models import Person
from phb.models import AuditAction, AuditEvent
from phb.refusals import refuse, refuse_role

pytestmark = pytest.mark.django_db


def _forbidden(request, pk):
    raise PermissionDenied


def _not_a_refusal(request, pk):
    raise Http404("No such page")


def _refused_person(request, pk):
    refuse(Person, pk, person="pk")


def _refused_role(request, pk):
    refuse_role()


@pytest.fixture
def urls(monkeypatch):
    import phb.urls

    urlconf = types.ModuleType("phb.tests.urls_for_refusals")
    urlconf.urlpatterns = [
        *phb.urls.urlpatterns,  # the error pages link to them
        path("forbidden/<uuid:pk>/", _forbidden, name="forbidden"),
        path("missing/<uuid:pk>/", _not_a_refusal, name="missing"),
        path("person/<uuid:pk>/", _refused_person, name="person"),
        path("role/<uuid:pk>/", _refused_role, name="role"),
    ]
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    with override_settings(ROOT_URLCONF=urlconf.__name__):
        yield


def refusals():
    return list(AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED))


def test_a_403_is_a_refusal(client, urls, alice, jane):
    client.force_login(alice)
    assert client.get(f"/forbidden/{jane.pk}/").status_code == 403
    [event] = refusals()
    assert event.actor == alice
    assert event.summary == f"Refused access: forbidden (pk {jane.pk})"
    assert (event.object_type, event.person_id) == ("", None)


def test_a_404_that_is_not_a_refusal_is_not_recorded(client, urls, alice, jane):
    client.force_login(alice)
    assert client.get(f"/missing/{jane.pk}/").status_code == 404
    assert refusals() == []


def test_a_refused_record_names_its_type_id_and_person_but_no_name(client, urls, charlie, jane):
    client.force_login(charlie)
    assert client.get(f"/person/{jane.pk}/").status_code == 404
    [event] = refusals()
    assert (event.object_type, event.object_id, event.person_id) == ("people.person", str(jane.pk), jane.pk)
    assert "Jane" not in event.summary and "Smith" not in event.summary


def test_a_role_refusal_names_the_ids_in_the_address(client, urls, pat, jane):
    client.force_login(pat)
    assert client.get(f"/role/{jane.pk}/").status_code == 404
    [event] = refusals()
    assert event.summary == f"Refused access: role (pk {jane.pk})"
    assert event.actor == pat
