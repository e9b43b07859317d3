"""Staff complete a second factor before any page.

SessionFactorMiddleware (in place of django-otp's OTPMiddleware) tells whether this session gave its
factor. SecondFactorMiddleware, after it, sends a signed-in user who needs a factor
(twofactor.rules.needs_second_factor) and has not given it this session to set one up if they have none,
otherwise to give it; the page they asked for is kept in `next`. Open to them meanwhile: signing in and
out, /health/, and the factor pages themselves (views marked with @second_factor_not_required). Static
files never reach here (WhiteNoise, or the static handler of runserver and the test server).

A session signed in through NHS CIS2 gives no second factor here: CIS2 is itself strong authentication (a
smartcard or an authenticator), so it counts as verified (accounts.cis2.signed_in_with_cis2). Password sign-ins
give theirs as before.
"""

import functools

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.functional import LazyObject, SimpleLazyObject, empty

from accounts.cis2 import signed_in_with_cis2
from twofactor import session
from twofactor.rules import needs_second_factor
from twofactor.selectors import has_confirmed_factor

OPEN_URL_NAMES = frozenset({"login", "logout", "health", "admin:login", "admin:logout"})


def second_factor_not_required(view):
    view.second_factor_required = False
    return view


class _UserWithFactor(SimpleLazyObject):
    """request.user, which also answers django-otp's `user.is_verified()` from the session alone and loads
    `user.otp_device` (the device that verified this session) only when some code asks for it."""

    def __getattr__(self, name):
        if name == "otp_device":
            if self._wrapped is empty:
                self._setup()
            user = self._wrapped
            if "otp_device" not in user.__dict__:
                user.otp_device = session.verified_device(self._request) if user.is_authenticated else None
            return user.otp_device
        return super().__getattr__(name)


class SessionFactorMiddleware:
    """Whether this session gave its second factor, without a database query on an ordinary page.

    django-otp's OTPMiddleware loads the verifying device on every request, so that a device removed
    since stops the session. Here the session's own record is believed (twofactor.session.factor_given
    writes it, only after a device accepted a code): every change that removes or replaces someone's
    devices ends their other sessions (twofactor.services), and a session that removes its own factors
    forgets it (session.factor_withdrawn), so no session outlives the device that verified it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            lazy = _UserWithFactor(functools.partial(self._user, request, user))
            lazy.__dict__["_request"] = request
            request.user = lazy
        return self.get_response(request)

    @staticmethod
    def _user(request, user):
        while isinstance(user, LazyObject):  # AuthenticationMiddleware's lazy user: the user itself
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        user.is_verified = functools.partial(_verified, request, user)
        return user


def _verified(request, user) -> bool:
    """A factor given in this session, or a sign-in through CIS2, which needs none; no query either way. Read by
    SecondFactorMiddleware and by the header (twofactor.context_processors), so neither asks CIS2 staff for a
    factor."""
    return session.factor_given_in(request, user) or signed_in_with_cis2(request, user)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not needs_second_factor(user) or user.is_verified():
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_URL_NAMES:
            return None
        step = "twofactor:verify" if has_confirmed_factor(user) else "twofactor:enrol"
        return redirect_to_login(request.get_full_path(), reverse(step))
