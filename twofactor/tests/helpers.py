"""Signing in as a person would in the factor tests: the real sign-in POST, codes worked out from keys."""

import binascii
import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.tests.factories import PASSWORD


def code_for(key_hex: str, *, at: float | None = None) -> str:
    """The 6-digit code an authenticator app with this key shows now (or at the Unix time `at`)."""
    generator = TOTP(binascii.unhexlify(key_hex), step=30, digits=6)
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"


def authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client, user, password: str = PASSWORD):
    """The sign-in form's POST (e-mail address and password); returns where it sent them."""
    return client.post("/sign-in/", {"username": user.email, "password": password})
