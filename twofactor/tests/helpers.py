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


def passkey(user):
    """A stored passkey of the user's (its public key is a stand-in: nothing here checks a signature)."""
    import secrets

    from django_otp_webauthn.utils import get_credential_model

    credential_id = secrets.token_bytes(16)
    model = get_credential_model()
    return model.objects.create(
        user=user,
        name="Passkey",
        confirmed=True,
        credential_id=credential_id,
        credential_id_sha256=model.get_credential_id_sha256(credential_id),
        public_key=secrets.token_bytes(64),
        aaguid="00000000-0000-0000-0000-000000000000",
    )
