"""People sign in with their e-mail address, in any case; usernames stay an internal detail, and no two
accounts share an address."""

import gzip
from importlib import import_module
from pathlib import Path

import django.contrib.auth.password_validation as django_validation
import pytest
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from people.forms_auth import NOT_RIGHT
from people.models import User
from people.tests.factories import PASSWORD, UserFactory
from phb.models import AuditAction, AuditEvent
from phb.roles import Role

pytestmark = pytest.mark.django_db


def sign_in(client, typed, password=PASSWORD):
    return client.post(reverse("login"), {"username": typed, "password": password})


def test_the_sign_in_page_asks_for_an_email_address_and_links_to_a_forgotten_password(client):
    html = client.get(reverse("login")).content.decode()
    assert '<label class="nhsuk-label" for="id_username">' in html and "Email address" in html
    assert 'type="email"' in html and 'autocomplete="email"' in html
    assert "Username" not in html
    assert f'href="{reverse("accounts:password_reset")}">Forgotten your password?</a>' in html


@pytest.mark.parametrize("typed", ["alice@example.nhs.uk", "ALICE@Example.NHS.uk", "  alice@example.nhs.uk  "])
def test_it_signs_in_with_the_email_address_in_any_case(client, alice, typed):
    assert alice.email == "alice@example.nhs.uk"
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_the_username_no_longer_signs_in(client, alice):
    response = sign_in(client, "alice")
    assert response.context["form"].non_field_errors() == [NOT_RIGHT]
    assert "_auth_user_id" not in client.session


def test_a_switched_off_account_gets_the_same_message_as_a_wrong_password(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert sign_in(client, alice.email).context["form"].non_field_errors() == [NOT_RIGHT]


def test_an_empty_form_says_what_to_enter(client):
    form = client.post(reverse("login"), {"username": "", "password": ""}).context["form"]
    assert form.errors == {"username": ["Enter your email address"], "password": ["Enter your password"]}


def test_no_two_accounts_share_an_address_in_any_case(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="alice2", email="Alice@Example.NHS.UK")
    twin = User(username="alice3", email="ALICE@example.nhs.uk", role=Role.COORDINATOR)
    with pytest.raises(ValidationError, match="Another account already uses this email address."):
        twin.full_clean(exclude=["password"])


def test_accounts_without_an_address_do_not_clash(db):
    UserFactory(username="nobody1", email="")
    UserFactory(username="nobody2", email="")
    assert User.objects.filter(email="").count() == 2


def test_the_factory_gives_every_user_their_own_address(db):
    users = UserFactory.create_batch(30)
    assert len({user.email.lower() for user in users}) == 30


def test_the_migration_stops_with_the_clashing_accounts_named(alice):
    migration = import_module("people.migrations.0005_user_email_unique_any_case")
    constraint = next(c for c in User._meta.constraints if c.name == "user_email_unique_any_case")
    with transaction.atomic():
        with connection.schema_editor() as editor:
            editor.remove_constraint(User, constraint)
        UserFactory(username="alice-twin", email="ALICE@example.nhs.uk")
        with pytest.raises(RuntimeError) as stopped:
            migration.refuse_if_addresses_are_shared(apps, None)
        transaction.set_rollback(True)
    assert "Some accounts share an email address" in str(stopped.value)
    assert "alice@example.nhs.uk: alice, alice-twin" in str(stopped.value)


# Passwords


def common_passwords(path) -> set[str]:
    with gzip.open(path, "rt") as lines:
        return {line.strip() for line in lines if line.strip()}


def test_the_shipped_list_holds_every_password_on_djangos_list_and_more():
    ours = common_passwords(Path(__file__).resolve().parents[1] / "common-passwords.txt.gz")
    djangos = common_passwords(Path(django_validation.__file__).parent / "common-passwords.txt.gz")
    assert djangos <= ours
    assert len(ours) > 50_000


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-one", "This password is too short. It must contain at least 12 characters."),
        ("123456789012", "This password is entirely numeric."),
        ("Qwertyuiop123", "This password is too common."),  # on Django's list
        # On zxcvbn's breached list, not on Django's.
        ("Cheeseburger", "This password is too common."),
        ("passwordpassword", "This password is too common."),
    ],
)
def test_passwords_are_checked_against_length_and_the_shipped_list(alice, password, why):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, alice)
    assert why in refused.value.messages


def test_a_long_uncommon_password_passes(alice):
    validate_password("walrus-kettle-orbit-47", alice)


def test_a_long_address_of_up_to_254_characters_signs_in(client):
    address = f"{'a' * 60}@{'b' * 60}.{'c' * 60}.{'d' * 60}.nhs.uk"
    assert 150 < len(address) <= 254
    UserFactory(username="long", email=address)
    assert sign_in(client, address).status_code == 302


def test_an_address_too_long_to_be_one_says_so_and_is_not_tried(client):
    form = sign_in(client, "x" * 100_000).context["form"]
    assert form.errors["username"] == ["Enter an email address of 254 characters or fewer"]
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).exists()
