"""What the session remembers about the second factor.

django-otp keeps the device that verified this session (DEVICE_ID_SESSION_KEY; OTPMiddleware checks on
every request that it still exists, is confirmed and belongs to the user). Here: when the password and
the factor were last given, for re-authentication, and the two things shown once (a new key being set
up, new recovery codes).
"""

import time

import django_otp
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from twofactor.rules import REAUTH_WINDOW

PASSWORD_AT = "twofactor_password_at"
FACTOR_AT = "twofactor_factor_at"
PENDING_KEY = "twofactor_pending_key"
NEW_CODES = "twofactor_new_codes"


@receiver(user_logged_in, dispatch_uid="twofactor_password_given")
def _password_given_at_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[PASSWORD_AT] = time.time()


def password_given(request) -> None:
    request.session[PASSWORD_AT] = time.time()


def factor_given(request, device) -> None:
    """The session is verified by this device from now on; a new session id, as at sign-in."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[FACTOR_AT] = time.time()


def _recent(request, key) -> bool:
    at = request.session.get(key)
    return isinstance(at, (int, float)) and 0 <= time.time() - at <= REAUTH_WINDOW.total_seconds()


def password_recently_given(request) -> bool:
    return _recent(request, PASSWORD_AT)


def recently_authenticated(request) -> bool:
    """Password and second factor both given within REAUTH_WINDOW, in this session."""
    return _recent(request, PASSWORD_AT) and _recent(request, FACTOR_AT) and request.user.is_verified()
