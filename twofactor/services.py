"""Every change to a user's second factors, and every attempt to use one, with its audit row.

Failed attempts are written too (FACTOR_FAILED), in the same transaction as django-otp's throttle
count, so a wrong code is never rolled back: services here return an outcome rather than raising on
a wrong code.
"""

import binascii
import secrets
import time
from dataclasses import dataclass

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn.utils import get_credential_model

from accounts.services import sessions_end
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role
from twofactor.models import RecoveryCode, RecoveryCodeDevice, code_digest, new_recovery_code
from twofactor.rules import RECOVERY_CODE_COUNT, looks_like_totp, needs_second_factor, normalise_code

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
WRONG_CODE = "The code is not right. Enter the 6-digit code your authenticator app shows now."
WRONG_RECOVERY_CODE = "That recovery code is not right. Check it and enter it again, or try another one."
USED_RECOVERY_CODE = "That recovery code has already been used. Each code works only once. Enter one you have not used."


@dataclass(frozen=True)
class Outcome:
    device: object | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.device is not None


def new_authenticator_key() -> str:
    return random_hex(20)


def _totp_for(key_hex: str) -> TOTP:
    totp = TOTP(binascii.unhexlify(key_hex), step=30, digits=6)
    totp.time = time.time()
    return totp


def _wait_message(data: dict | None) -> str:
    """How long to wait after too many wrong codes (django-otp's throttle doubles it each time)."""
    from django.utils import timezone

    until = (data or {}).get("locked_until")
    seconds = max(1, round((until - timezone.now()).total_seconds())) if until else 60
    return f"You entered too many wrong codes. Wait {seconds} second{'' if seconds == 1 else 's'}, then try again."


@transaction.atomic
def authenticator_enrol(*, user, key: str, token: str, keep_session_key: str | None = None) -> Outcome:
    """Sets up the authenticator app whose key the user was shown, once they type a code it shows.

    Replaces any authenticator they had, and then their other sessions end (the one named is kept): a
    session verified by the old app must not outlive it. The code just used cannot be used again to sign
    in."""
    totp = _totp_for(key)
    code = normalise_code(token)
    if not looks_like_totp(code) or not totp.verify(int(code), tolerance=1):
        audit.record(
            actor=user,
            action=AuditAction.FACTOR_FAILED,
            obj=user,
            summary="Setting up an authenticator app: the code did not match",
        )
        return Outcome(error=WRONG_CODE)
    replaced = TOTPDevice.objects.filter(user=user).delete()[0] > 0
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=totp.t())
    audit.record(
        actor=user,
        action=AuditAction.ENROL_FACTOR,
        obj=user,
        summary="Set up a new authenticator app, replacing the old one" if replaced else "Set up an authenticator app",
        changes={"device": device.persistent_id},
    )
    if replaced:
        sessions_end(
            user=user, acting_user=user, why="they set up a new authenticator app", keep_session_key=keep_session_key
        )
    return Outcome(device=device)


@transaction.atomic
def recovery_codes_issue(*, user, keep_session_key: str | None = None) -> list[str]:
    """A new set of RECOVERY_CODE_COUNT single-use codes, replacing any earlier set (and then the user's
    other sessions end, the one named kept, as when an authenticator is replaced). The codes are
    returned to be shown once; only their salted hashes are kept."""
    replaced = RecoveryCodeDevice.objects.filter(user=user).delete()[0] > 0
    device = RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(16)
        rows.append(RecoveryCode(device=device, salt=salt, digest=code_digest(salt, code)))
    RecoveryCode.objects.bulk_create(rows)
    audit.record(
        actor=user, action=AuditAction.ENROL_FACTOR, obj=user, summary=f"Made {RECOVERY_CODE_COUNT} new recovery codes"
    )
    if replaced:
        sessions_end(user=user, acting_user=user, why="they made new recovery codes", keep_session_key=keep_session_key)
    return codes


@transaction.atomic
def authenticator_verify(*, user, token: str, purpose: str = "Signed in") -> Outcome:
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return Outcome(error="You have no authenticator app set up. Use a recovery code.")
    allowed, data = device.verify_is_allowed()
    if not allowed:
        audit.record(
            actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: refused, too many wrong codes"
        )
        return Outcome(error=_wait_message(data))
    code = normalise_code(token)
    if looks_like_totp(code) and device.verify_token(code):
        audit.record(
            actor=user, action=AuditAction.VERIFY_FACTOR, obj=user, summary=f"{purpose} with their authenticator app"
        )
        return Outcome(device=device)
    if not looks_like_totp(code):
        device.throttle_increment(commit=True)
    audit.record(actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: wrong authenticator code")
    return Outcome(error=WRONG_CODE)


@transaction.atomic
def recovery_code_use(*, user, code: str, purpose: str = "Signed in") -> Outcome:
    device = RecoveryCodeDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        audit.record(actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: no recovery codes")
        return Outcome(error="You have no recovery codes. Ask your PHB team lead to reset your second factor.")
    allowed, data = device.verify_is_allowed()
    if not allowed:
        audit.record(
            actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: refused, too many wrong codes"
        )
        return Outcome(error=_wait_message(data))
    row = device.match(code)
    if row is not None and row.used_at is not None:
        device.throttle_increment(commit=True)
        audit.record(
            actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: a recovery code used again"
        )
        return Outcome(error=USED_RECOVERY_CODE)
    if row is None or not device.verify_token(code):
        audit.record(actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose}: wrong recovery code")
        return Outcome(error=WRONG_RECOVERY_CODE)
    left = device.codes.filter(used_at__isnull=True).count()
    audit.record(
        actor=user,
        action=AuditAction.USE_RECOVERY_CODE,
        obj=user,
        summary=f"{purpose} with a recovery code; {left} left",
        changes={"recovery_codes_left": left},
    )
    return Outcome(device=device)


def any_code_verify(*, user, code: str, purpose: str) -> Outcome:
    """A 6-digit code is checked against the authenticator app, anything else as a recovery code."""
    if looks_like_totp(code):
        return authenticator_verify(user=user, token=code, purpose=purpose)
    return recovery_code_use(user=user, code=code, purpose=purpose)


@transaction.atomic
def factors_remove(*, user, keep_session_key: str | None) -> int:
    """The user removes every second factor of their own; they must set one up again at once. Their other
    sessions end (the one named is kept, to set up a new factor in)."""
    removed = _remove_all(user)
    audit.record(actor=user, action=AuditAction.REMOVE_FACTOR, obj=user, summary="Removed their own second factors")
    sessions_end(user=user, acting_user=user, why="they removed their second factor", keep_session_key=keep_session_key)
    return removed


@transaction.atomic
def factors_reset(*, user, acting_user) -> int:
    """A PHB team lead clears another staff member's factors (a lost phone); every session of theirs ends
    at once, and they set up again at their next sign-in. Never one's own: four eyes."""
    if not has_role(acting_user, Role.LEAD):
        raise ServiceError("Only a PHB team lead can reset someone's second factor.")
    if user.pk == acting_user.pk:
        raise ServiceError("You cannot reset your own second factor. Ask another PHB team lead.")
    if not needs_second_factor(user):
        raise ServiceError("This account does not use a second factor.")
    removed = _remove_all(user)
    audit.record(
        actor=acting_user,
        action=AuditAction.RESET_FACTORS,
        obj=user,
        summary=f"Reset the second factor of {user.get_username()}",
        changes={"devices_removed": removed},
    )
    sessions_end(user=user, acting_user=acting_user, why="their second factor was reset")
    return removed


def _remove_all(user) -> int:
    """Deletes the user's devices; returns how many there were (not counting each recovery code)."""
    removed = 0
    for model in (TOTPDevice, RecoveryCodeDevice, get_credential_model()):
        devices = model.objects.filter(user=user)
        removed += devices.count()
        devices.delete()
    return removed


@transaction.atomic
def password_changed(*, user, keep_session_key: str | None) -> None:
    """After the user changed their own password: audited, and every other session of theirs ends."""
    audit.record(actor=user, action=AuditAction.CHANGE_PASSWORD, obj=user, summary="Changed their password")
    sessions_end(user=user, acting_user=user, why="the password was changed", keep_session_key=keep_session_key)


def reauth_password_failed(*, user) -> None:
    audit.record(
        actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary="Confirming it was them: wrong password"
    )
