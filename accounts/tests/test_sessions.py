"""Sessions: stored by user; signed out after 30 idle minutes (staff) or 60 (people), and 12 hours after
signing in whatever they do; a role change or a switched-off account signs the user out everywhere."""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import UserSession
from accounts.timeouts import SEEN_AT, SIGNED_IN_AT, idle_limit_seconds, why_it_ends
from people.tests.factories import PASSWORD
from phb.models import AuditAction, AuditEvent
from phb.roles import Role

pytestmark = pytest.mark.django_db

MINUTE = 60


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def backdate(client, **seconds_ago):
    """Moves the session's clocks back, as if time had passed."""
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"seen": SEEN_AT, "signed_in": SIGNED_IN_AT}[key]] = time.time() - ago
    session.save()


def audited(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.mark.parametrize(
    ("role", "idle_minutes", "ends"),
    [
        (Role.COORDINATOR, 29, ""),
        (Role.COORDINATOR, 31, "idle"),
        (Role.LEAD, 31, "idle"),
        (Role.ADMIN, 31, "idle"),
        (Role.PATIENT, 31, ""),
        (Role.PATIENT, 59, ""),
        (Role.PATIENT, 61, "idle"),
    ],
)
def test_the_idle_limit_is_30_minutes_for_staff_and_60_for_people(role, idle_minutes, ends):
    now = time.time()
    assert why_it_ends(role=role, now=now, signed_in_at=now - 3600, seen_at=now - idle_minutes * MINUTE) == ends


def test_twelve_hours_after_signing_in_the_session_ends_however_busy():
    now = time.time()
    assert why_it_ends(role=Role.PATIENT, now=now, signed_in_at=now - 11.9 * 3600, seen_at=now) == ""
    assert why_it_ends(role=Role.PATIENT, now=now, signed_in_at=now - 12.1 * 3600, seen_at=now) == "absolute"


def test_the_session_row_carries_the_user(client, alice):
    client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    [row] = UserSession.objects.all()
    assert row.user_id == alice.pk
    assert row.session_key == client.session.session_key
    client.post(reverse("logout"))
    assert not UserSession.objects.exists()


def test_a_new_session_id_at_sign_in(client, alice):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session[SIGNED_IN_AT] == pytest.approx(time.time(), abs=5)


def test_a_coordinator_idle_for_31_minutes_is_signed_out_with_the_reason(alice):
    client = signed_in(alice)
    backdate(client, seen=31 * MINUTE)

    page = client.get(reverse("casework:caseload"), follow=True)

    assert page.redirect_chain[0][0].startswith(reverse("login"))
    assert "you had not used the service for 30 minutes" in page.content.decode()
    assert not UserSession.objects.filter(user=alice).exists()
    [timed_out] = audited(AuditAction.TIMED_OUT)
    assert (timed_out.actor, timed_out.summary) == (alice, "Signed out: no activity for too long")


def test_a_patient_idle_for_31_minutes_carries_on(pat, jane):
    client = signed_in(pat)
    backdate(client, seen=31 * MINUTE)
    assert client.get(reverse("portal:person", kwargs={"pk": jane.pk})).status_code == 200
    assert client.session[SEEN_AT] == pytest.approx(time.time(), abs=5)
    assert not audited(AuditAction.TIMED_OUT)


def test_activity_keeps_a_session_going_until_twelve_hours(alice):
    client = signed_in(alice)
    backdate(client, seen=2 * MINUTE, signed_in=12 * 3600 + MINUTE)
    page = client.get(reverse("casework:caseload"), follow=True)
    assert "you signed in more than 12 hours ago" in page.content.decode()
    [timed_out] = audited(AuditAction.TIMED_OUT)
    assert timed_out.summary == "Signed out: signed in for more than 12 hours"


def test_most_pages_do_not_rewrite_the_session(alice):
    client = signed_in(alice)
    client.get(reverse("casework:caseload"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("casework:caseload"))
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [sql for sql in writes if "usersession" in sql]


def test_pages_carry_the_warning_with_the_time_left(alice):
    client = signed_in(alice)
    backdate(client, seen=30)  # under a minute: the page does not count as new activity yet
    html = client.get(reverse("casework:caseload")).content.decode()
    assert 'id="session-timeout"' in html and "js/session-timeout.js" in html
    assert 'data-full-seconds="1800"' in html and 'data-warn-seconds="120"' in html
    left = int(html.split('data-seconds-left="')[1].split('"')[0])
    assert 1800 - 35 <= left <= 1800 - 30


def test_pages_for_someone_signed_out_have_no_warning(client):
    assert 'id="session-timeout"' not in client.get(reverse("login")).content.decode()


def test_stay_signed_in_starts_the_idle_clock_again(alice):
    client = signed_in(alice)
    backdate(client, seen=28 * MINUTE)
    answer = client.post(reverse("accounts:stay_signed_in"), HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 204
    assert client.session[SEEN_AT] == pytest.approx(time.time(), abs=5)
    back = client.post(reverse("accounts:stay_signed_in"), {"next": "https://evil.example/"})
    assert back["Location"] == reverse("home")
    assert client.post(reverse("accounts:stay_signed_in"), {"next": "/reviews/"})["Location"] == "/reviews/"


@pytest.mark.parametrize("back", ["name with a NUL\x00", "casework:caseload", "home", "x"])
def test_stay_signed_in_goes_home_for_a_next_that_is_not_a_path(alice, back):
    """A bare word in `next` is not taken for a URL pattern's name (it was a 500, NoReverseMatch)."""
    client = signed_in(alice)
    answer = client.post(reverse("accounts:stay_signed_in"), {"next": back})
    assert answer.status_code == 302 and answer["Location"] == reverse("home")


def test_stay_signed_in_is_too_late_once_the_session_ended(alice):
    client = signed_in(alice)
    backdate(client, seen=31 * MINUTE)
    answer = client.post(reverse("accounts:stay_signed_in"), HTTP_X_REQUESTED_WITH="fetch")
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_a_role_change_signs_the_user_out_everywhere(alice, bob):
    phone, desk, bobs = signed_in(alice), signed_in(alice), signed_in(bob)
    alice.role = Role.APPROVER
    alice.save()

    assert not UserSession.objects.filter(user=alice).exists()
    assert phone.get(reverse("casework:caseload")).status_code == 302
    assert desk.get(reverse("casework:caseload")).status_code == 302
    assert bobs.get(reverse("casework:caseload")).status_code == 200
    [ended] = audited(AuditAction.END_SESSIONS)
    assert ended.summary == "Ended 2 sessions of alice: their role changed from care coordinator to PHB team member"
    assert ended.object_id == str(alice.pk)


def test_switching_an_account_off_signs_it_out(alice):
    client = signed_in(alice)
    alice.is_active = False
    alice.save()
    assert client.get(reverse("casework:caseload")).status_code == 302
    [ended] = audited(AuditAction.END_SESSIONS)
    assert ended.summary == "Ended 1 session of alice: the account was switched off"


def test_other_changes_leave_sessions_alone(alice, django_assert_num_queries):
    client = signed_in(alice)
    alice.first_name = "Alicia"
    alice.save()
    with django_assert_num_queries(1):  # signing in writes last_login only: no look-up of the old role
        alice.save(update_fields=["last_login"])
    assert client.get(reverse("casework:caseload")).status_code == 200
    assert not audited(AuditAction.END_SESSIONS)


def test_ending_a_users_sessions_reads_only_theirs(alice, bob, django_assert_num_queries):
    for _ in range(3):
        signed_in(bob)
    signed_in(alice)
    with django_assert_num_queries(4):  # savepoint, the delete (with its cascade select), the audit row
        assert services.sessions_end(user=alice, acting_user=None, why="a test") == 1
    assert UserSession.objects.filter(user=bob).count() == 3


def test_idle_limits_come_from_settings(settings):
    settings.SESSION_IDLE_MINUTES_STAFF = 15
    assert idle_limit_seconds(Role.COORDINATOR) == 900
    assert idle_limit_seconds(Role.PATIENT) == 3600


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"role": Role.APPROVER}, "their role changed from care coordinator to PHB team member"),
        ({"is_active": False}, "the account was switched off"),
    ],
)
def test_a_change_in_the_admin_signs_the_user_out(client, ada, alice, change, why):
    desk = signed_in(alice)
    client.force_login(ada)
    data = {
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Adams",
        "email": alice.email,
        "is_active": "on",
        "role": Role.COORDINATOR,
        "teams": [team.pk for team in alice.teams.all()],
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
    }
    for name, value in change.items():
        if value is False:
            data.pop(name)
        else:
            data[name] = value
    answer = client.post(reverse("admin:people_user_change", args=[alice.pk]), data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    assert desk.get(reverse("casework:caseload")).status_code == 302
    [ended] = audited(AuditAction.END_SESSIONS)
    assert ended.summary == f"Ended 1 session of alice: {why}"
