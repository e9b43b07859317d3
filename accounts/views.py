"""Forgotten password (Django's own views with our forms and limits), locked sign-ins for the PHB team
lead, and "stay signed in" for the session timeout warning."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.filters import LockoutFilter
from accounts.forms import ForgottenPasswordForm, NewPasswordForm
from accounts.lockout import client_ip
from accounts.timeouts import SEEN_AT
from phb import audit
from phb.listing import page_of_rows
from phb.refusals import refuse_role
from phb.roles import Role, has_role


class ForgottenPasswordView(auth_views.PasswordResetView):
    form_class = ForgottenPasswordForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        allowed = services.password_reset_asked(address=form.cleaned_data["email"], from_ip=client_ip(self.request))
        if not allowed:
            # The same page as a sent link: the limit must not tell anyone whether the address is an account.
            return redirect(self.success_url)
        self.extra_email_context = {
            "service_name": settings.SERVICE_NAME,
            "hours": _link_hours(),
        }
        return super().form_valid(form)


def _link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


class ForgottenPasswordSentView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "link_hours": _link_hours()}


class NewPasswordView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "link_hours": _link_hours()}

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_reset_done(user=form.user, keep_session_key=self.request.session.session_key)
        return response


class NewPasswordSetView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


def _require_lead(user) -> None:
    """Only a PHB team lead: a 404 for everyone else (audited), so the page does not reveal that it exists."""
    if not has_role(user, Role.LEAD):
        refuse_role()


@require_GET
def lockouts(request):
    _require_lead(request.user)
    listing = LockoutFilter(request.GET)
    page = page_of_rows(listing.arranged(services.lockouts_current()), request.GET.get("page"), params=listing.kept())
    # It names account holders, patients among them: one event for the page, as every such list.
    audit.record_list(request, "the locked sign-ins", listing.in_words(), page)
    context = {
        "page": page,
        "minutes": settings.LOCKOUT_COOL_OFF_MINUTES,
        "listing": listing,
        "sorts": listing.sort_links(page.params),
    }
    return render(request, "accounts/lockouts.html", context)


@require_POST
def lockout_unlock(request, attempt_id: int):
    _require_lead(request.user)
    if services.lockout_release(attempt_id=attempt_id, acting_user=request.user):
        messages.success(request, "Unlocked. They can sign in again now.")
    else:
        messages.info(request, "This sign-in was already unlocked.")
    return redirect("accounts:lockouts")


@require_POST
def stay_signed_in(request):
    """The warning's "Stay signed in" button: counts as activity, so the idle clock starts again."""
    request.session[SEEN_AT] = time.time()
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    back = request.POST.get("next", "")
    # A path on this site only: anything else (a bare word) redirect() would take for a URL pattern's name.
    safe = back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(back if safe else "home")
