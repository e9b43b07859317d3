"""Staff complete a second factor before any page.

Installed after django_otp.middleware.OTPMiddleware (which tells whether this session's factor is
verified). A signed-in user who needs a factor (twofactor.rules.needs_second_factor) and has not given
it this session is sent to set one up if they have none, otherwise to give it; the page they asked for
is kept in `next`. Open to them meanwhile: signing in and out, /health/, and the factor pages themselves
(views marked with @second_factor_not_required). Static files never reach here (WhiteNoise, or the
static handler of runserver and the test server).
"""

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from twofactor.rules import needs_second_factor
from twofactor.selectors import has_confirmed_factor

OPEN_URL_NAMES = frozenset({"login", "logout", "health", "admin:login", "admin:logout"})


def second_factor_not_required(view):
    view.second_factor_required = False
    return view


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
