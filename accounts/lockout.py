"""Slowing down anyone who guesses passwords (django-axes, wired in settings as AXES_*).

The rule: 5 failed sign-ins for one e-mail address from one network address, or 20 from any
addresses, and that address is refused for 30 minutes (settings.LOCKOUT_*). Axes counts one limit
only, so the handler below asks both questions and tells Axes "at the limit" when either is met.

A refused sign-in shows exactly the page a wrong password shows, whether the account exists or not:
a guesser learns nothing, and someone who forgot their password is pointed to the reset link.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect


def is_locked(*, failures_from_this_address: int, failures_from_anywhere: int) -> bool:
    return (
        failures_from_this_address >= settings.LOCKOUT_FAILURES_FROM_ONE_ADDRESS
        or failures_from_anywhere >= settings.LOCKOUT_FAILURES_FROM_ANY_ADDRESS
    )


def normalised_username(request, credentials) -> str | None:
    """Axes keys attempts on the typed e-mail address, as the backend matches it: trimmed, any case."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return str(typed).strip().lower()[:255] or None if typed is not None else None


def client_ip(request) -> str | None:
    """The caller's address. Behind our proxy it is the last X-Forwarded-For entry (the one the proxy
    added; earlier entries are whatever the client sent); otherwise the connection's address."""
    if settings.SECURE_PROXY_SSL_HEADER:  # set exactly when BEHIND_PROXY is on
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request), username=username)
        here = _failures(recent.filter(ip_address=request.axes_ip_address))
        if here >= settings.LOCKOUT_FAILURES_FROM_ONE_ADDRESS:
            return settings.AXES_FAILURE_LIMIT
        anywhere = _failures(recent)
        if is_locked(failures_from_this_address=here, failures_from_anywhere=anywhere):
            return settings.AXES_FAILURE_LIMIT
        return min(here, settings.AXES_FAILURE_LIMIT - 1)


def same_as_a_wrong_password(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page as it was answered, which for a refused sign-in is the
    form with its "not right" message, the same words and status as a wrong password."""
    if isinstance(original_response, HttpResponse):
        return original_response
    # Only Axes' async path comes here without the page; this service runs under WSGI.
    return redirect("login")
