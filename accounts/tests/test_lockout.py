"""Lockout (issue 13, acceptance 2): five wrong passwords from one address, or twenty from any, and that
e-mail address cannot sign in for 30 minutes, even with the right password; the page says exactly what
a wrong password says, whether the account exists or not; a PHB team lead unlocks; all audited."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.lockout import is_locked
from people.forms_auth import NOT_RIGHT
from people.tests.factories import PASSWORD
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def sign_in(client, email, password, ip="192.0.2.10"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def refused_text(response) -> str:
    assert response.status_code == 200
    return response.context["form"].non_field_errors()[0]


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.mark.parametrize(
    ("here", "anywhere", "locked"),
    [(0, 0, False), (4, 4, False), (5, 5, True), (4, 19, False), (1, 20, True), (3, 25, True)],
)
def test_it_locks_at_five_from_one_address_or_twenty_from_any(here, anywhere, locked):
    assert is_locked(failures_from_this_address=here, failures_from_anywhere=anywhere) is locked


def test_the_sixth_try_is_refused_even_with_the_right_password(client, alice):
    wrong = [refused_text(sign_in(client, alice.email, f"wrong password {n}")) for n in range(5)]
    right = sign_in(client, alice.email, PASSWORD)

    assert wrong == [NOT_RIGHT] * 5
    assert refused_text(right) == NOT_RIGHT
    assert "_auth_user_id" not in client.session
    [locked] = events(AuditAction.LOCKED_OUT)
    assert (locked.object_id, locked.summary) == (
        str(alice.pk),
        "Sign-in locked for 30 minutes for 'alice' after too many failed attempts",
    )
    assert not events(AuditAction.SIGN_IN)


def test_the_lock_is_per_address_so_alice_signs_in_from_elsewhere(client, alice):
    for n in range(5):
        sign_in(client, alice.email, f"wrong {n}", ip="192.0.2.66")
    assert sign_in(client, alice.email, PASSWORD, ip="198.51.100.7").status_code == 302


def test_twenty_failures_from_many_addresses_lock_the_account_everywhere(client, alice):
    for n in range(20):
        sign_in(client, alice.email, "wrong", ip=f"203.0.113.{n + 1}")
    assert refused_text(sign_in(client, alice.email, PASSWORD, ip="198.51.100.7")) == NOT_RIGHT
    assert len(events(AuditAction.LOCKED_OUT)) == 1


def test_an_address_that_is_not_an_account_gets_the_same_page_and_the_trail_never_shows_it(client, alice):
    typed = "MySecretPassw0rd@example.com"
    pages = [sign_in(client, typed, "whatever") for _ in range(6)]
    theirs = [sign_in(client, alice.email, "wrong") for _ in range(6)]

    assert [refused_text(p) for p in pages] == [refused_text(p) for p in theirs] == [NOT_RIGHT] * 6
    assert [p.status_code for p in pages] == [p.status_code for p in theirs]
    nobody, _ = events(AuditAction.LOCKED_OUT)
    assert nobody.summary == (
        "Sign-in locked for 30 minutes for an address that is not an account after too many failed attempts"
    )
    assert not AuditEvent.objects.filter(summary__icontains="MySecretPassw0rd").exists()


def test_the_address_is_counted_in_any_case(client, alice):
    for n in range(5):
        sign_in(client, alice.email.upper() if n % 2 else alice.email, "wrong")
    assert refused_text(sign_in(client, f"  {alice.email.title()} ", PASSWORD)) == NOT_RIGHT


def test_a_lead_sees_the_lock_and_unlocks_it(client, alice, leo):
    for _ in range(5):
        sign_in(client, alice.email, "wrong")
    for _ in range(5):
        sign_in(client, "not-an-account@example.com", "wrong")
    lead = client.__class__()
    lead.force_login(leo)

    page = lead.get(reverse("accounts:lockouts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alice Adams" in html and alice.email in html
    assert "An email address that is not an account" in html and "not-an-account@example.com" not in html
    [mine] = [lockout for lockout in page.context["page"] if lockout.account == alice]
    [viewed] = events(AuditAction.VIEW_LIST)
    assert (viewed.actor, viewed.summary) == (leo, "Viewed the locked sign-ins: 2 shown of 2")

    answer = lead.post(reverse("accounts:lockout_unlock", kwargs={"attempt_id": mine.attempt_id}), follow=True)
    assert "Unlocked. They can sign in again now." in answer.content.decode()
    [unlocked] = events(AuditAction.UNLOCK)
    assert (unlocked.actor, unlocked.object_id, unlocked.summary) == (
        leo,
        str(alice.pk),
        "Unlocked sign-in for 'alice'",
    )
    assert sign_in(client, alice.email, PASSWORD).status_code == 302
    assert [lockout.account for lockout in services.lockouts_current()] == [None]


def test_unlocking_twice_says_so_and_audits_once(client, alice, leo):
    for _ in range(5):
        sign_in(client, alice.email, "wrong")
    attempt = AccessAttempt.objects.get()
    client.force_login(leo)
    url = reverse("accounts:lockout_unlock", kwargs={"attempt_id": attempt.pk})
    client.post(url)
    again = client.post(url, follow=True)
    assert "This sign-in was already unlocked." in again.content.decode()
    assert len(events(AuditAction.UNLOCK)) == 1


@pytest.mark.parametrize("persona", ["alice", "priya", "pat", "ada"])
def test_only_a_lead_sees_or_unlocks_locks(client, request, alice, persona):
    for _ in range(5):
        sign_in(client, alice.email, "wrong")
    attempt = AccessAttempt.objects.get()
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("accounts:lockouts")).status_code == 404
    assert client.post(reverse("accounts:lockout_unlock", kwargs={"attempt_id": attempt.pk})).status_code == 404
    assert AccessAttempt.objects.exists()
    with pytest.raises(ServiceError):
        services.lockout_release(attempt_id=attempt.pk, acting_user=request.getfixturevalue(persona))


def test_a_lock_ends_after_thirty_minutes(client, alice):
    for _ in range(5):
        sign_in(client, alice.email, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    assert services.lockouts_current() == []
    assert sign_in(client, alice.email, PASSWORD).status_code == 302


def test_the_lockouts_page_lists_six_locks_in_at_most_8_queries(client, leo, django_assert_max_num_queries):
    from people.tests.factories import UserFactory

    for n in range(6):
        user = UserFactory()
        for _ in range(5):
            sign_in(client, user.email, "wrong", ip=f"192.0.2.{n + 1}")
    client.force_login(leo)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("accounts:lockouts"))
    assert len(page.context["page"]) == 6


@pytest.mark.parametrize("typed", ["alice\x00@example.nhs.uk", "\u202eku.shn.elpmaxe@ecila", "x" * 300])
def test_hostile_addresses_get_a_plain_answer_never_an_error(client, alice, typed):
    response = sign_in(client, typed, "wrong\x00password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
