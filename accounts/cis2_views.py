"""Signing in with NHS CIS2 (accounts.cis2): starting it, and CIS2's return. Both answer 404 when CIS2 is off.

The start is a link (GET), not a form: the browser goes on to CIS2, another site, which the service's
Content-Security-Policy (form-action 'self') would stop a form from reaching. Starting a sign-in writes nothing
but this session's state, nonce and PKCE verifier (accounts.oidc).
"""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts import cis2, oidc, oidc_pages
from accounts.signin import CIS2

BACKEND = "people.backends.UserWithTeamsBackend"


def _provider(request) -> oidc.Provider:
    return oidc_pages.provider_or_404(request, CIS2, what="CIS2")


def _problem(request, message: str, *, status: int):
    return oidc_pages.problem(request, message, who_helps=cis2.WHO_HELPS, status=status)


@login_not_required
@require_GET
def start(request):
    """ "Sign in with NHS Care Identity" on the sign-in page."""
    provider = _provider(request)
    callback = request.build_absolute_uri(reverse("accounts:cis2_callback"))
    try:
        url = oidc.begin(request, provider, redirect_uri=callback)
    except oidc.Refused as error:
        cis2.refused(error.reason)
        return _problem(
            request, "NHS Care Identity sign-in is not available at the moment. Try again later.", status=503
        )
    return HttpResponseRedirect(url)


@login_not_required
@require_GET
def callback(request):
    """CIS2 sends the browser back here: sign in, or say plainly why not (and record it)."""
    provider = _provider(request)
    try:
        signed = oidc.complete(request, provider)
        user = cis2.sign_in(signed)
    except oidc.Refused as error:
        cis2.refused(error.reason)
        return _problem(request, cis2.TRY_AGAIN, status=400)
    except cis2.Refused as error:
        cis2.refused(error.reason)
        return _problem(request, str(error), status=403)
    login(request, user, backend=BACKEND)
    cis2.session_start(request, user=user, signed=signed)
    return redirect("home")
