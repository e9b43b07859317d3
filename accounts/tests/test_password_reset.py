"""Forgotten password: Django's views in NHS.UK words. The same answer whether or not the address is an
account; links that work once, for an hour; limits counted in the database; every ask and every reset
audited; a reset signs the user out everywhere else."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from people.tests.factories import PASSWORD
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "walrus-kettle-orbit-47"


def ask(client, address, ip="192.0.2.10"):
    return client.post(reverse("accounts:password_reset"), {"email": address}, REMOTE_ADDR=ip, follow=True)


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/sign-in/new-password/\S+/)", message.body)[1]


def choose(client, link, password=NEW_PASSWORD):
    page = client.get(link, follow=True)  # Django swaps the token for a session value, then shows the form
    if page.context.get("validlink") is not True:
        return page
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(form_url, {"new_password1": password, "new_password2": password}, follow=True)


def audited(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_the_answer_is_the_same_whether_or_not_the_address_is_an_account(client, alice):
    known = ask(client, alice.email.upper())
    unknown = ask(client, "nobody@example.nhs.uk")

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert known.content == unknown.content
    [message] = mail.outbox
    assert message.to == [alice.email]
    asks = audited(AuditAction.ASK_PASSWORD_RESET)
    assert [event.summary for event in asks] == ["Someone asked for a password reset link"] * 2
    assert all(event.actor is None and event.object_id == "" for event in asks)
    assert not AuditEvent.objects.filter(summary__icontains="nobody@").exists()
    assert "nobody@" not in str([event.changes for event in asks])


def test_a_bad_address_says_what_to_do(client):
    form = client.post(reverse("accounts:password_reset"), {"email": "not an address"}).context["form"]
    assert form.errors == {"email": ["Enter an email address in the correct format, like name@example.com"]}
    assert not audited(AuditAction.ASK_PASSWORD_RESET)


def test_a_link_sets_a_new_password_once_and_is_audited(client, alice):
    ask(client, alice.email)
    link = link_in(mail.outbox[0])

    done = choose(client, link)
    assert done.redirect_chain[-1][0] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    [reset] = audited(AuditAction.RESET_PASSWORD)
    assert (reset.actor, reset.object_id) == (alice, str(alice.pk))

    again = choose(Client(), link, password="another-long-phrase-99")
    assert again.context["validlink"] is False
    assert "This link does not work" in again.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_a_link_lasts_one_hour(client, alice, settings, monkeypatch):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    ask(client, alice.email)
    link = link_in(mail.outbox[0])
    assert "for 1 hour" in mail.outbox[0].body
    later = datetime.datetime.now() + datetime.timedelta(hours=1, minutes=1)
    monkeypatch.setattr(
        "django.contrib.auth.tokens.PasswordResetTokenGenerator._now", lambda self: later.replace(microsecond=0)
    )
    assert choose(client, link).context["validlink"] is False


def test_the_new_password_must_pass_the_checks(client, alice):
    ask(client, alice.email)
    page = choose(client, link_in(mail.outbox[0]), password="cheeseburger")
    assert "This password is too common." in page.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_reset_signs_the_user_out_everywhere_else(client, alice, bob):
    elsewhere, bobs = Client(), Client()
    elsewhere.force_login(alice)
    bobs.force_login(bob)
    assert UserSession.objects.filter(user=alice).count() == 1

    ask(client, alice.email)
    choose(client, link_in(mail.outbox[0]))

    assert not UserSession.objects.filter(user=alice).exists()
    assert UserSession.objects.filter(user=bob).count() == 1
    assert elsewhere.get(reverse("casework:caseload")).status_code == 302
    [ended] = audited(AuditAction.END_SESSIONS)
    assert ended.summary == "Ended 1 session of alice: the password was reset"


def test_asks_are_limited_per_address_and_per_network_address(client, alice, bob, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 3
    settings.PASSWORD_RESETS_PER_IP_PER_HOUR = 5
    answers = [ask(client, alice.email.upper() if n % 2 else alice.email, ip=f"192.0.2.{n}") for n in range(5)]
    assert len(mail.outbox) == 3
    assert len({answer.content for answer in answers}) == 1  # the limit shows nothing different

    for n in range(5):
        ask(client, f"someone{n}@example.nhs.uk", ip="198.51.100.9")
    ask(client, bob.email, ip="198.51.100.9")
    assert [message.to for message in mail.outbox[3:]] == []
    assert ask(client, bob.email, ip="198.51.100.10").status_code == 200
    assert [message.to for message in mail.outbox[3:]] == [[bob.email]]
    refused = AuditEvent.objects.filter(summary__endswith="(not sent: too many requests)").count()
    assert refused == 3  # two for Alice's address, one for the busy network address


def test_the_pages_are_public_and_in_nhs_words(client):
    assert "Reset your password" in client.get(reverse("accounts:password_reset")).content.decode()
    assert "Check your email" in client.get(reverse("accounts:password_reset_done")).content.decode()
    assert "Your password has been changed" in client.get(reverse("accounts:password_reset_complete")).content.decode()


def test_a_reset_lifts_a_lock_on_the_address(client, alice):
    for n in range(5):
        client.post(reverse("login"), {"username": alice.email, "password": f"wrong {n}"})
    assert client.post(reverse("login"), {"username": alice.email, "password": PASSWORD}).status_code == 200

    ask(client, alice.email)
    choose(client, link_in(mail.outbox[0]))

    assert client.post(reverse("login"), {"username": alice.email, "password": NEW_PASSWORD}).status_code == 302
    [reset] = audited(AuditAction.RESET_PASSWORD)
    assert reset.summary == "Set a new password from a reset link (its sign-in was unlocked)"


@pytest.mark.parametrize("typed", ["alice\x00@example.nhs.uk", "a" * 100_000 + "@example.nhs.uk", "<script>@x.uk"])
def test_hostile_addresses_get_a_plain_answer_and_nothing_is_sent(client, alice, typed):
    response = client.post(reverse("accounts:password_reset"), {"email": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert mail.outbox == []
    assert not audited(AuditAction.ASK_PASSWORD_RESET)
