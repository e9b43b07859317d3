"""make run's demo staff: a published demo-only authenticator key, given only when DEBUG is on."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from people import demo as people_demo
from twofactor import demo
from twofactor.rules import secret_in_groups

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_demo_staff_get_the_demo_authenticator_once_and_people_do_not():
    users = people_demo.seed()
    assert demo.seed(users) == 6
    assert demo.seed(users) == 0
    with_app = dict(TOTPDevice.objects.values_list("user__username", "key"))
    assert with_app == dict.fromkeys(("alice", "bob", "charlie", "priya", "leo", "ada"), demo.DEMO_TOTP_KEY)
    assert secret_in_groups(demo.DEMO_TOTP_KEY) in "\n".join(demo.sign_in_lines())


@override_settings(DEBUG=False)
def test_without_debug_demo_staff_get_no_published_key_and_it_is_never_printed():
    users = people_demo.seed()
    assert demo.seed(users) == 0
    assert not TOTPDevice.objects.exists()
    assert secret_in_groups(demo.DEMO_TOTP_KEY) not in "\n".join(demo.sign_in_lines())
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("demo_code")


@override_settings(DEBUG=True)
def test_a_demo_coordinator_signs_in_with_the_demo_password_and_the_printed_code(client):
    demo.seed(people_demo.seed())
    out = io.StringIO()
    call_command("demo_code", stdout=out)
    code = out.getvalue().split("Code now: ")[1][:6]
    client.post("/sign-in/", {"username": "alice@example.nhs.uk", "password": people_demo.DEMO_PASSWORD})
    assert client.post("/account/second-factor/", {"code": code})["Location"] == "/"
    assert client.get("/people/").status_code == 200
