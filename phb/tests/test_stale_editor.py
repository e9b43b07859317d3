"""The stale-edit message names whoever saved last, even when the row lock made an editor wait for them.

Three editors: someone saved the record before (or nobody did), Bob saves and holds the row lock,
Alice saves from a form opened before Bob's save and waits for his lock. Once Bob commits, Alice is
refused, and the message must name Bob: the row she gets after the wait is his.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from people.models import Person
from phb import audit
from phb.errors import StaleRecordError
from phb.models import AuditAction
from phb.services import audited_update, claim_current

FIELDS = ["given_name", "family_name"]


def update(person_pk, user, *, expected_version, **values):
    return audited_update(
        queryset=Person.objects,
        pk=person_pk,
        expected_version=expected_version,
        values=values,
        fields=FIELDS,
        acting_user=user,
        person_id=person_pk,
        summary="Changed the name",
        noun="person",
    )


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def three_editors(person_pk, *, winner, loser) -> Exception | None:
    """The winner saves and holds the lock; the loser, from the same version, waits for it; the winner commits.
    Returns what the loser's save raised."""
    saved, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def win():
        try:
            with transaction.atomic():
                update(person_pk, winner, expected_version=1, given_name="Janet")
                saved.set()
                release.wait(20)
        finally:
            connections.close_all()

    def lose():
        try:
            saved.wait(20)
            update(person_pk, loser, expected_version=1, family_name="Jones")
        except Exception as error:  # noqa: BLE001 - the test inspects it
            outcome["error"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=win), threading.Thread(target=lose)]
    for thread in threads:
        thread.start()
    assert saved.wait(20), "the first editor never saved"
    from conftest import wait_for

    assert wait_for(waiting_for_a_lock, seconds=20, every=0.05), "the second editor never waited for the lock"
    release.set()
    for thread in threads:
        thread.join(30)
    return outcome.get("error")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("before", ["nobody", "priya"])
def test_it_names_the_editor_who_won_the_row_lock(before, alice, bob, priya, jane):
    Person.objects.filter(pk=jane.pk).update(version=1, updated_by=priya if before == "priya" else None)
    error = three_editors(jane.pk, winner=bob, loser=alice)
    assert isinstance(error, StaleRecordError), error
    assert error.changed_by == "Bob Brown"
    assert str(error).startswith("This person was changed by Bob Brown on ")
    jane.refresh_from_db()
    assert (jane.given_name, jane.family_name, jane.version, jane.updated_by) == ("Janet", "Smith", 2, bob)


@pytest.mark.django_db
def test_it_names_the_last_editor_on_the_audit_trail_when_the_row_names_nobody(alice, bob, jane):
    audit.record(actor=bob, action=AuditAction.UPDATE, obj=jane, person_id=jane.pk, summary="Changed the name")
    audit.record(actor=alice, action=AuditAction.VIEW, obj=jane, person_id=jane.pk, summary="Viewed")
    Person.objects.filter(pk=jane.pk).update(version=2, updated_by=None)
    with pytest.raises(StaleRecordError) as error:
        claim_current(Person.objects, pk=jane.pk, expected_version=1, noun="person")
    assert error.value.changed_by == "Bob Brown"  # the change, not Alice opening the record after it
