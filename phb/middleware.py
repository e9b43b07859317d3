"""Request ids, security headers, and the audit of refused access.

- RequestIdMiddleware: every request gets an id, and audit events record it. An id sent by the client
  (X-Request-ID) is believed only behind our own proxy (settings.BEHIND_PROXY), which sets it; otherwise
  anyone could write any text they like into the audit trail.
- SecurityHeadersMiddleware: a Permissions-Policy that turns off every browser feature the service never
  uses, and no caching of any page or document (they show people's records).
- RefusedAccessMiddleware: the one place a refused access (phb.refusals.AccessRefused, raised by the
  access functions in each app's access.py) becomes an audit event.
"""

import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.utils.cache import add_never_cache_headers

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_for(incoming: str) -> str:
    """The proxy's id when we are behind our proxy and it looks safe (letters, digits, . _ -, at most 64),
    otherwise a new one."""
    if settings.BEHIND_PROXY and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Takes X-Request-ID from our proxy when it looks safe, otherwise makes one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.headers.get("X-Request-ID", ""))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


# Browser features the service never uses, each allowed to no origin at all. Passkeys
# (publickey-credentials-*) are left to their default, this site only. Only features Chromium knows are
# named: it reports each unknown one as an error on every page.
UNUSED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in UNUSED_FEATURES)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and no-store on every response Django makes.

    Static files never reach this middleware (WhiteNoise answers them first), so they stay cacheable.
    Every other response may show someone's record or a document about them, or (the sign-in and
    invitation pages) an e-mail address: none may be kept by the browser or a proxy. The simplest honest
    rule is all of them, signed in or not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"  # for HTTP/1.0 caches, which ignore Cache-Control
        return response


class RefusedAccessMiddleware:
    """Writes one ACCESS_REFUSED audit event for each refused access: the access functions raise
    phb.refusals.AccessRefused (a 404); a view that answers 403 raises PermissionDenied. The event names
    the user, the URL pattern, the object (its type and id, or the ids in the URL when a role check
    refused before any object was looked up) and the person when known; never a name or anything the
    user typed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied

        from phb.refusals import AccessRefused, record_refusal

        if isinstance(exception, (AccessRefused, PermissionDenied)):
            record_refusal(request, exception)
        return None  # Django answers with its 404 or 403 page as before
