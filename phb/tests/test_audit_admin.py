"""Finding "admin reading people's data": administrators manage staff accounts, so the admin shows no
patient or representative account, no search text and no event about a person; and everything they do to
an account (add, change, remove, set a password) is in the audit trail like any other change."""

import importlib

import pytest
from django.urls import reverse

from people.models import User
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

redaction = importlib.import_module("phb.migrations.0007_search_terms_not_kept")
NEW_PASSWORD = "a long new admin-set passphrase 42"


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


# What administrators see


def test_the_admin_lists_no_patient_or_representative_accounts(admin_client, pat, alice):
    page = admin_client.get(reverse("admin:people_user_changelist")).content.decode()
    assert "alice" in page
    assert ">pat<" not in page and "Smith" not in page
    found = admin_client.get(reverse("admin:people_user_changelist"), {"q": "pat"}).content.decode()
    assert ">pat<" not in found
    for route in ("admin:people_user_change", "admin:auth_user_password_change", "admin:people_user_delete"):
        response = admin_client.get(reverse(route, args=[pat.pk]))
        assert response.status_code in (302, 404), f"{route} showed a patient's account"


def test_the_admin_cannot_make_a_patient_account(admin_client):
    page = admin_client.get(reverse("admin:people_user_add")).content.decode()
    assert 'value="patient"' not in page
    assert 'value="coordinator"' in page


def test_the_admin_audit_shows_no_search_text(client, admin_client, alice, jane):
    searcher = client.__class__()
    searcher.force_login(alice)
    searcher.get(reverse("casework:caseload"), {"q": "Jane Smith"})
    searcher.get(reverse("casework:caseload"), {"q": jane.nhs_number})
    page = admin_client.get(reverse("admin:phb_auditevent_changelist")).content.decode()
    assert "Searched by name in the caseload: 1 found" in page
    assert "Searched by NHS number in the caseload: 1 found" in page
    assert "Jane" not in page and "Smith" not in page and jane.nhs_number not in page
    searched = admin_client.get(reverse("admin:phb_auditevent_changelist"), {"q": "Smith"}).content.decode()
    assert "Searched by" not in searched


def test_the_admin_audit_shows_nothing_a_patient_did(admin_client, pat, alice):
    from phb import audit

    audit.record(actor=pat, action=AuditAction.SIGN_IN, summary="Signed in")
    audit.record(actor=alice, action=AuditAction.SIGN_IN, summary="Signed in")
    audit.record(actor=alice, action=AuditAction.END_SESSIONS, obj=pat, summary="Ended sessions of pat")
    page = admin_client.get(reverse("admin:phb_auditevent_changelist")).content.decode()
    assert "alice" in page
    assert ">pat<" not in page and "Ended sessions of pat" not in page


def test_the_admin_audit_does_not_name_a_patient_whose_sign_in_failed(client, admin_client, pat, alice):
    pat.email, alice.email = "jane.smith@example.org", "alice@example.nhs.uk"
    pat.save()
    alice.save()
    stranger = client.__class__()  # not signed in (admin_client is the same client, signed in as Ada)
    for address in (pat.email, alice.email):
        stranger.post(reverse("login"), {"username": address, "password": "not the password"})
    failed = list(AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).values_list("summary", flat=True))
    assert len(failed) == 2 and any(pat.username in summary for summary in failed)
    page = admin_client.get(reverse("admin:phb_auditevent_changelist")).content.decode()
    assert "Failed sign-in as &#x27;alice&#x27;" in page
    assert f"Failed sign-in as &#x27;{pat.username}&#x27;" not in page


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Searched people for 'Jane Smith' (3 found)", "Searched by name in the caseload: 3 found"),
        ('Searched people for "O\'Brien" (1 found)', "Searched by name in the caseload: 1 found"),
        ("Searched people for '943 476 5919' (1 found)", "Searched by NHS number in the caseload: 1 found"),
        (
            "Searched people for '943' (more than 1000 found)",
            "Searched by NHS number in the caseload: more than 1000 found",
        ),
        ("Searched people for 'x (2 found)' (0 found)", "Searched by name in the caseload: 0 found"),
        ("Searched people for '" + "Smith " * 40, "Searched by name in the caseload: an unknown number found"),
        ("Signed in", None),
    ],
)
def test_old_search_events_lose_what_was_typed(old, new):
    assert redaction.without_search_text(old[:200]) == new


# What administrators do is audited


def event(action, user):
    return AuditEvent.objects.get(action=action, object_type="people.user", object_id=str(user.pk))


def test_adding_a_user_in_the_admin_is_audited(admin_client, ada, north):
    response = admin_client.post(
        reverse("admin:people_user_add"),
        {
            "username": "dora",
            "email": "Dora@Example.nhs.uk",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": "coordinator",
            "teams": [north.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    dora = User.objects.get(username="dora")
    assert dora.email == "Dora@example.nhs.uk"
    added = event(AuditAction.CREATE, dora)
    assert added.actor == ada
    assert "role" in added.changes and "password1" not in added.changes
    assert NEW_PASSWORD not in str(added.changes) + added.summary
    # The account the admin made signs in with the address it was given, in any case.
    admin_client.logout()
    signed_in = admin_client.post(reverse("login"), {"username": "dora@example.NHS.uk", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and admin_client.session["_auth_user_id"] == str(dora.pk)


def test_changing_a_user_in_the_admin_is_audited(admin_client, ada, alice, north):
    url = reverse("admin:people_user_change", args=[alice.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        first_name="Alicia",
        teams=[north.pk],
        groups=[],
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0="2026-01-01",
        date_joined_1="09:00:00",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = event(AuditAction.UPDATE, alice)
    assert changed.actor == ada
    assert changed.changes["first_name"] == ["Alice", "Alicia"]


def test_removing_a_user_in_the_admin_is_audited(admin_client, ada):
    from people.tests.factories import UserFactory

    leaver = UserFactory(username="leaver")
    response = admin_client.post(reverse("admin:people_user_delete", args=[leaver.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=leaver.pk).exists()
    removed = AuditEvent.objects.get(action=AuditAction.REMOVE, object_id=str(leaver.pk))
    assert removed.actor == ada and removed.object_type == "people.user"


def test_removing_users_with_the_admin_action_is_audited_for_each(admin_client, ada):
    from people.tests.factories import UserFactory

    leavers = [UserFactory(username=f"leaver{n}") for n in range(2)]
    admin_client.post(
        reverse("admin:people_user_changelist"),
        {"action": "delete_selected", "_selected_action": [u.pk for u in leavers], "post": "yes"},
    )
    assert not User.objects.filter(pk__in=[u.pk for u in leavers]).exists()
    removed = set(AuditEvent.objects.filter(action=AuditAction.REMOVE).values_list("object_id", flat=True))
    assert removed == {str(u.pk) for u in leavers}


def test_a_password_set_in_the_admin_is_audited(admin_client, ada, alice):
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = admin_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    changed = event(AuditAction.CHANGE_PASSWORD, alice)
    assert changed.actor == ada
    assert NEW_PASSWORD not in changed.summary + str(changed.changes)


def test_a_refused_password_in_the_admin_is_not_written_as_a_change(admin_client, alice):
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    admin_client.post(url, {"password1": NEW_PASSWORD, "password2": "something else", "usable_password": "true"})
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGE_PASSWORD).exists()
