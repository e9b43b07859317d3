"""The services refuse what the rules forbid, whoever calls them, and audit what they do."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from people import services
from people.models import Person
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditEvent

pytestmark = pytest.mark.django_db


def new_person_values(team, **overrides):
    values = {
        "nhs_number": "9990000042",
        "given_name": "Nora",
        "family_name": "Quinn",
        "date_of_birth": datetime.date(1984, 3, 15),
        "address_line_1": "1 Park Row",
        "town": "Leeds",
        "postcode": "LS1 5AB",
        "care_team": team,
    }
    values.update(overrides)
    return values


def test_it_turns_a_duplicate_nhs_number_into_a_message_and_writes_nothing(alice, north, jane):
    with pytest.raises(ValidationError) as error:
        services.person_create(acting_user=alice, **new_person_values(north, nhs_number=jane.nhs_number))
    assert error.value.message_dict == {"nhs_number": [services.DUPLICATE_NHS_NUMBER]}
    assert Person.objects.count() == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("persona", ["priya", "leo", "pat", "ada"])
def test_it_lets_only_coordinators_add_people(request, north, persona):
    with pytest.raises(ServiceError):
        services.person_create(acting_user=request.getfixturevalue(persona), **new_person_values(north))
    assert not Person.objects.filter(given_name="Nora").exists()


def test_it_refuses_a_change_from_a_coordinator_outside_the_team(charlie, jane):
    with pytest.raises(ServiceError):
        services.person_update(person=jane, expected_version=jane.version, acting_user=charlie, family_name="X")
    jane.refresh_from_db()
    assert jane.family_name == "Smith"


def test_it_records_nothing_when_nothing_changed(alice, jane):
    services.person_update(person=jane, expected_version=1, acting_user=alice, family_name="Smith")
    jane.refresh_from_db()
    assert jane.version == 1
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_lead_coordinator_from_another_team(alice, charlie, north):
    with pytest.raises(ValidationError) as error:
        services.person_create(acting_user=alice, **new_person_values(north, lead_coordinator=charlie))
    assert "lead_coordinator" in error.value.message_dict


def test_it_refuses_changing_the_lead_to_someone_outside_the_team(alice, charlie, jane):
    with pytest.raises(ValidationError) as error:
        services.person_update(person=jane, expected_version=1, acting_user=alice, lead_coordinator=charlie)
    assert "lead_coordinator" in error.value.message_dict


@pytest.mark.parametrize("persona", ["priya", "leo", "pat", "ada"])
def test_it_lets_only_coordinators_change_a_person(request, jane, persona):
    with pytest.raises(ServiceError, match="Only care coordinators can change"):
        services.person_update(
            person=jane, expected_version=1, acting_user=request.getfixturevalue(persona), family_name="X"
        )
    jane.refresh_from_db()
    assert (jane.family_name, jane.version) == ("Smith", 1)
    assert not AuditEvent.objects.exists()


def test_it_audits_only_the_fields_that_changed(alice, jane):
    saved = services.person_update(
        person=jane, expected_version=1, acting_user=alice, family_name="Smythe", given_name="Jane", postcode="ls1 5ab"
    )
    assert (saved.family_name, saved.postcode, saved.version) == ("Smythe", "LS1 5AB", 2)
    event = AuditEvent.objects.get()
    assert event.summary == "Changed last name, postcode"
    assert event.changes == {"family_name": ["Smith", "Smythe"], "postcode": ["LS1 4AP", "LS1 5AB"]}


def test_a_stale_change_is_refused_with_who_made_the_other_and_nothing_is_written(alice, bob, jane):
    services.person_update(person=jane, expected_version=1, acting_user=bob, family_name="Brown")
    with pytest.raises(StaleRecordError, match="changed by Bob Brown"):
        services.person_update(person=jane, expected_version=1, acting_user=alice, given_name="Janet")
    jane.refresh_from_db()
    assert (jane.given_name, jane.family_name, jane.version) == ("Jane", "Brown", 2)
    assert AuditEvent.objects.count() == 1
