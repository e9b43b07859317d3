"""What the NHS login and CIS2 views share (portal.nhs_login_views, accounts.cis2_views): the provider or a 404 where
it is off, and the one refusal page."""

from django.http import Http404
from django.shortcuts import render

from accounts import oidc
from phb.refusals import refuse_role


def provider_or_404(request, name: str, *, what: str) -> oidc.Provider:
    """The provider's settings, or a 404 where it is not used (recorded, as any refused address, for someone
    signed in)."""
    found = oidc.provider(name)
    if found is None:
        if request.user.is_authenticated:
            refuse_role(f"{what} is not used here.")
        raise Http404(f"{what} is not used here.")
    return found


def problem(request, message: str, *, who_helps: str, status: int):
    """Why the sign-in did not go through, and whom to ask if it keeps happening."""
    context = {"message": message, "who_helps": who_helps}
    return render(request, "registration/sign_in_problem.html", context, status=status)
