"""Who needs a second factor, and the plain values the factor pages show. No ORM, no request."""

import base64
import binascii
import datetime
import re

from phb.roles import STAFF_ROLES, Role

# Staff confirm who they are again (password and second factor) this recently before changing
# their password or their factors.
REAUTH_WINDOW = datetime.timedelta(minutes=15)
RECOVERY_CODE_COUNT = 10
# A recovery code is 10 letters and digits from the base32 alphabet (50 bits), shown as two groups
# of five. Only a salted hash of each is stored (twofactor.models.RecoveryCode).
RECOVERY_CODE_LENGTH = 10
TOTP_DIGITS = 6

SECOND_FACTOR_ROLES = STAFF_ROLES | {Role.ADMIN}


def needs_second_factor(user) -> bool:
    """Everyone who can see people's records or administer accounts: staff, administrators and anyone
    Django lets into its admin site. People and their representatives sign in with a password only
    (NHS login replaces that in the integrations issue)."""
    if user is None or not user.is_authenticated:
        return False
    return user.role in SECOND_FACTOR_ROLES or user.is_staff or user.is_superuser


def secret_in_groups(key_hex: str) -> str:
    """The TOTP key as an authenticator app's 'enter a key' box wants it: base32, in groups of 4."""
    text = base64.b32encode(binascii.unhexlify(key_hex)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_code(text: str) -> str:
    """What a person typed as a code, without the spaces and hyphens they may have copied with it."""
    return re.sub(r"[\s\-]", "", text or "").lower()


def looks_like_totp(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


def recovery_code_for_display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def next_code(
    key_hex: str, *, now: float, last_t: int, drift: int = 0, tolerance: int = 1, step: int = 30
) -> str | None:
    """The code an authenticator app with this key would give that the device accepts now, or None when
    the next one it accepts is more than `tolerance` steps away (wait for the next step).

    Each code is accepted once (a device remembers the step of the last one, last_t), so a script or a test
    that signs the same account in twice within 30 seconds types the next step's code the second time,
    as someone whose phone clock runs a little fast would. Used by the browser tests, the HTTP bench and
    the demo; never by the sign-in itself.
    """
    from django_otp.oath import TOTP

    current = int(now // step)
    # The device accepts the steps within `tolerance` of its own clock (current + drift), later than the last.
    # Of those, the one nearest the real time: the device then learns a drift nearer nought (django-otp keeps the
    # step it matched as its drift), so a device that quick sign-ins pushed ahead comes back as time passes,
    # rather than being asked forever for a step it no longer accepts.
    earliest = max(current + drift - tolerance, last_t + 1)
    latest = current + drift + tolerance
    if earliest > latest:
        return None
    wanted = min(max(current, earliest), latest)
    generator = TOTP(binascii.unhexlify(key_hex), step=step, digits=TOTP_DIGITS)
    generator.time = wanted * step
    return f"{generator.token():0{TOTP_DIGITS}d}"
