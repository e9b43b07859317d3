"""The services refuse what the rules forbid, whoever calls them, and audit what they do."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from people import services
from people.models import Person
from phb.errors import ServiceError
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
