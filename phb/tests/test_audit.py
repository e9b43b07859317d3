"""The audit trail is append-only: in the model, in the admin and in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from phb import audit
from phb.models import AppendOnlyError, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(alice):
    return audit.record(actor=alice, action=AuditAction.VIEW, summary="Viewed record")


def test_it_records_who_what_and_role(event, alice):
    assert event.actor == alice
    assert event.actor_username == "alice"
    assert event.actor_role == "coordinator"
    assert event.at.tzinfo is not None


def test_it_refuses_changes_through_the_model(event):
    event.summary = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE phb_auditevent SET summary = 'tampered' WHERE id = %s", "DELETE FROM phb_auditevent WHERE id = %s"],
)
def test_it_refuses_update_and_delete_in_the_database(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "Viewed record"


def test_it_refuses_bulk_update_and_delete_through_querysets(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_admin_shows_the_trail_but_cannot_change_it(client, ada, event):
    client.force_login(ada)
    assert client.get("/admin/phb/auditevent/").status_code == 200
    assert client.get(f"/admin/phb/auditevent/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/phb/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_clinical_staff_cannot_reach_the_admin(client, alice):
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_sign_in_and_out_are_audited(client, alice):
    from people.tests.factories import PASSWORD

    client.post("/sign-in/", {"username": alice.email, "password": "wrong password"})
    client.post("/sign-in/", {"username": alice.email, "password": PASSWORD})
    client.post("/sign-out/")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.SIGN_IN_FAILED, AuditAction.SIGN_IN, AuditAction.SIGN_OUT]


def test_administrators_do_not_see_events_about_peoples_records(client, ada, alice, jane):
    from people import services

    services.person_record_view(person=jane, acting_user=alice)
    client.force_login(ada)
    page = client.get("/admin/phb/auditevent/").content.decode()
    assert "Viewed record" not in page
    person_event = AuditEvent.objects.get(person_id=jane.pk)
    assert client.get(f"/admin/phb/auditevent/{person_event.pk}/change/").status_code == 302


def test_a_failed_sign_in_names_the_account_only_when_the_email_address_is_one(client, alice):
    client.post("/sign-in/", {"username": "MySecretPassw0rd!", "password": "alice's password"})
    client.post("/sign-in/", {"username": alice.email.upper(), "password": "wrong password"})
    summaries = list(
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).order_by("id").values_list("summary", flat=True)
    )
    assert summaries == ["Failed sign-in as an unknown email address", "Failed sign-in as 'alice'"]
    assert not AuditEvent.objects.filter(summary__contains="MySecretPassw0rd").exists()
