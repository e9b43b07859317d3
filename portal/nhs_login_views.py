"""Signing in with NHS login (portal.nhs_login): starting it, alone or from an invitation, and NHS login's return.

The start is a link (GET), not a form: the browser goes on to NHS login, another site, which the service's
Content-Security-Policy (form-action 'self') would stop a form from reaching. Starting a sign-in writes nothing
but this session's state, nonce and PKCE verifier (accounts.oidc).
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import oidc, oidc_pages
from accounts.signin import NHS_LOGIN
from portal import nhs_login, selectors
from portal.views import invitation_invalid

BACKEND = "people.backends.UserWithTeamsBackend"


def _provider(request) -> oidc.Provider:
    return oidc_pages.provider_or_404(request, NHS_LOGIN, what="NHS login")


def _problem(request, message: str, *, status: int):
    return oidc_pages.problem(request, message, who_helps="your care coordinator", status=status)


def _begin(request, keep: dict):
    provider = _provider(request)
    callback = request.build_absolute_uri(reverse("portal:nhs_login_callback"))
    try:
        url = oidc.begin(request, provider, redirect_uri=callback, keep=keep)
    except oidc.Refused as error:
        nhs_login.refused(reason=error.reason)
        return _problem(request, "NHS login is not available at the moment. Try again later.", status=503)
    return HttpResponseRedirect(url)


@login_not_required
@require_GET
def start(request):
    """ "Continue to NHS login" on the sign-in page."""
    return _begin(request, keep={})


@login_not_required
@require_GET
def start_with_invitation(request, token):
    """ "Continue to NHS login" on an invitation: NHS login's return links the account to the invited person."""
    _provider(request)
    if selectors.usable_invitation(token, now=timezone.now()) is None:
        return invitation_invalid(request)
    return _begin(request, keep={"invitation": token})


@login_not_required
@require_GET
def callback(request):
    """NHS login sends the browser back here: sign in, or say plainly why not (and record it)."""
    provider = _provider(request)
    try:
        signed = oidc.complete(request, provider)
        user, invitation = nhs_login.sign_in(signed=signed)
    except oidc.Refused as error:
        nhs_login.refused(reason=error.reason)
        return _problem(request, nhs_login.TRY_AGAIN, status=400)
    except nhs_login.ProofTooLow as error:
        nhs_login.refused(reason=error.reason)
        return render(request, "portal/nhs_login_prove_identity.html", status=403)
    except nhs_login.Refused as error:
        nhs_login.refused(reason=error.reason, person_id=error.person_id)
        return _problem(request, str(error), status=403)
    login(request, user, backend=BACKEND)
    if invitation is not None:
        messages.success(request, f"You can now see {invitation.person.full_name}'s records.")
        return redirect("portal:person", pk=invitation.person_id)
    return redirect("portal:home")
