"""The optimistic-lock update: refuses a stale form, writes nothing it should not, audits only what changed.

A person's record stands in for every model that uses it (people, assessments,
current services, tariffs): it has `version`, `updated_by` and `updated_at`.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from people.models import Person
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditAction, AuditEvent
from phb.services import audited_update, claim_current

pytestmark = pytest.mark.django_db

FIELDS = ["given_name", "family_name", "postcode", "nhs_number"]
LONDON = zoneinfo.ZoneInfo("Europe/London")


def update(person, user, *, expected_version, **values):
    return audited_update(
        queryset=Person.objects,
        pk=person.pk,
        expected_version=expected_version,
        values=values,
        fields=FIELDS,
        acting_user=user,
        person_id=person.pk,
        summary=lambda current, changes: f"Changed {', '.join(changes)}",
        noun="person",
    )


def test_it_saves_bumps_the_version_and_audits_only_the_changed_fields(alice, jane):
    saved = update(jane, alice, expected_version=1, given_name="Janet", family_name="Smith")
    assert (saved.given_name, saved.version, saved.updated_by) == ("Janet", 2, alice)
    jane.refresh_from_db()
    assert (jane.given_name, jane.version) == ("Janet", 2)
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.UPDATE
    assert (event.object_type, event.object_id, event.person_id) == ("people.person", str(jane.pk), jane.pk)
    assert event.changes == {"given_name": ["Jane", "Janet"]}
    assert event.summary == "Changed given_name"
    assert event.actor == alice


def test_it_refuses_a_stale_version_with_who_saved_and_when(alice, bob, jane):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 14, 5, tzinfo=LONDON), tick=False):
        update(jane, bob, expected_version=1, given_name="Janet")
    with pytest.raises(StaleRecordError) as error:
        update(jane, alice, expected_version=1, family_name="Jones")
    assert str(error.value).startswith("This person was changed by Bob Brown on 2 March 2026 at 2:05pm.")
    assert error.value.changed_by == "Bob Brown"
    jane.refresh_from_db()
    assert (jane.given_name, jane.family_name, jane.version) == ("Janet", "Smith", 2)
    assert AuditEvent.objects.count() == 1


def test_it_writes_nothing_when_full_clean_fails(alice, jane):
    with pytest.raises(ValidationError) as error:
        update(jane, alice, expected_version=1, given_name="Janet", postcode="LS1 5AB TOO LONG")
    assert "postcode" in error.value.message_dict
    jane.refresh_from_db()
    assert (jane.given_name, jane.version) == ("Jane", 1)
    assert not AuditEvent.objects.exists()


def test_it_writes_nothing_when_the_callers_check_refuses(alice, jane):
    def refuse(current):
        assert current.version == 1  # the check sees the locked row, before anything is set
        raise ServiceError("No.")

    with pytest.raises(ServiceError, match="No."):
        audited_update(
            queryset=Person.objects,
            pk=jane.pk,
            expected_version=1,
            values={"given_name": "Janet"},
            fields=FIELDS,
            acting_user=alice,
            summary="Changed",
            check=refuse,
        )
    jane.refresh_from_db()
    assert (jane.given_name, jane.version) == ("Jane", 1)
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_field_the_edit_may_not_set(alice, jane):
    with pytest.raises(ValueError, match="care_team"):
        update(jane, alice, expected_version=1, care_team=None)
    assert not AuditEvent.objects.exists()


def test_it_adds_the_changes_of_further_writes_to_the_same_audit_row(alice, jane):
    audited_update(
        queryset=Person.objects,
        pk=jane.pk,
        expected_version=1,
        values={"given_name": "Janet"},
        fields=FIELDS,
        acting_user=alice,
        summary="Changed",
        after_save=lambda saved: {"need.housing": ["low", "high"]},
    )
    assert AuditEvent.objects.get().changes == {"given_name": ["Jane", "Janet"], "need.housing": ["low", "high"]}


@pytest.mark.parametrize("skip", [True, False])
def test_an_unchanged_save_writes_nothing_only_when_asked(alice, jane, skip):
    audited_update(
        queryset=Person.objects,
        pk=jane.pk,
        expected_version=1,
        values={"given_name": "Jane"},
        fields=FIELDS,
        acting_user=alice,
        summary="Changed",
        skip_if_unchanged=skip,
    )
    jane.refresh_from_db()
    assert jane.version == (1 if skip else 2)
    assert AuditEvent.objects.count() == (0 if skip else 1)
    if not skip:
        assert AuditEvent.objects.get().changes == {}


def test_a_row_outside_the_queryset_is_refused_with_the_callers_message(alice, jane):
    with pytest.raises(ServiceError, match="not in your care teams"):
        audited_update(
            queryset=Person.objects.none(),
            pk=jane.pk,
            expected_version=1,
            values={"given_name": "Janet"},
            fields=FIELDS,
            acting_user=alice,
            summary="Changed",
            not_found="They are not in your care teams.",
        )
    jane.refresh_from_db()
    assert jane.given_name == "Jane"


def test_claim_current_names_someone_else_when_nobody_is_recorded(jane):
    Person.objects.filter(pk=jane.pk).update(version=3, updated_by=None)
    with pytest.raises(StaleRecordError, match="This record was changed by someone else"):
        claim_current(Person.objects, pk=jane.pk, expected_version=1)
