"""What the session remembers about the second factor.

The device that verified this session, under django-otp's own key (DEVICE_ID_SESSION_KEY, its
persistent id, written by django_otp.login), and when (FACTOR_AT). The session is believed without
loading the device (twofactor.middleware.SessionFactorMiddleware): a session is verified from the moment
a device accepted a code in it until it ends or withdraws its factor, and every removal or replacement
of a user's devices ends their other sessions. Also here: when the password was last given, for
re-authentication, and the two things shown once (a new key being set up, new recovery codes).
"""

import time

import django_otp
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

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


def factor_given_in(request, user) -> bool:
    """Whether this session gave its second factor (django-otp's `user.is_verified()`); no query."""
    return bool(user.is_authenticated and request.session.get(DEVICE_ID_SESSION_KEY))


def factor_withdrawn(request) -> None:
    """This session no longer counts as having given a factor (its devices were just removed)."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(FACTOR_AT, None)
    request.user.otp_device = None


def verified_device(request):
    """The device that verified this session, loaded from the database (for code that needs the device
    itself); None when there is none, or it is no longer the user's confirmed device."""
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if isinstance(persistent_id, str) else None
    if device is None or device.user_id != request.user.pk or not device.confirmed:
        return None
    return device


def _recent(request, key) -> bool:
    at = request.session.get(key)
    return isinstance(at, (int, float)) and 0 <= time.time() - at <= REAUTH_WINDOW.total_seconds()


def password_recently_given(request) -> bool:
    return _recent(request, PASSWORD_AT)


def recently_authenticated(request) -> bool:
    """Password and second factor both given within REAUTH_WINDOW, in this session."""
    return _recent(request, PASSWORD_AT) and _recent(request, FACTOR_AT) and request.user.is_verified()
