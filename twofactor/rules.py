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
