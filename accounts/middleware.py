"""Signs a user out after a spell without activity (30 minutes for staff, 60 for people) or 12 hours
after they signed in, whatever they do. Runs after the message middleware; LoginRequiredMiddleware
then sends the (now anonymous) request to the sign-in page, which says why."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser

from accounts import services
from accounts.timeouts import SEEN_AT, SEEN_EVERY_SECONDS, SIGNED_IN_AT, idle_limit_seconds, why_it_ends

SIGNED_OUT = {
    "idle": "For your security, we signed you out because you had not used the service for {minutes} minutes. "
    "Sign in again to carry on.",
    "absolute": "For your security, we signed you out because you signed in more than {hours} hours ago. "
    "Sign in again to carry on.",
}


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        now = time.time()
        session = request.session
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        seen_at = session.setdefault(SEEN_AT, now)
        why = why_it_ends(role=user.role, now=now, signed_in_at=signed_in_at, seen_at=seen_at)
        if why:
            services.session_timed_out(user=user, idle=why == "idle")
            session.flush()
            request.user = AnonymousUser()
            text = SIGNED_OUT[why].format(
                minutes=idle_limit_seconds(user.role) // 60, hours=settings.SESSION_ABSOLUTE_HOURS
            )
            messages.info(request, text)
            return
        if now - seen_at >= SEEN_EVERY_SECONDS:
            session[SEEN_AT] = seen_at = now
        # For the warning (templates/accounts/session_timeout.html and static/js/session-timeout.js).
        idle = idle_limit_seconds(user.role)
        request.session_timeout = {
            "left": int(idle - (now - seen_at)),
            "idle": idle,
            "warn": settings.SESSION_TIMEOUT_WARNING_SECONDS,
        }
