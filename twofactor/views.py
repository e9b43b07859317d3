"""The second-factor pages: set up, give the factor, confirm it is you, your account, and a lead's
reset of someone else's factors. Each view: access, form, one service call, redirect or render."""

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from phb.errors import ServiceError
from phb.pagination import page_of
from phb.refusals import AccessRefused, refuse_role
from phb.roles import Role, has_role
from twofactor import passkeys, selectors, services, session
from twofactor.filters import StaffFactorsFilter
from twofactor.forms import AuthenticatorCodeForm, ReauthForm, RecoveryCodeForm
from twofactor.middleware import second_factor_not_required
from twofactor.qr import qr_svg
from twofactor.rules import needs_second_factor, recovery_code_for_display, secret_in_groups

# Wrong passwords on "confirm it is you" before the session is ended (the sign-in page's lockout
# then applies to the next try).
REAUTH_PASSWORD_TRIES = 5
_REAUTH_FAILURES = "twofactor_reauth_failures"


def _next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: anything else (a bare word) redirect() would take for a URL pattern's name.
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if target.startswith("/") and allowed:
        return target
    return reverse(default)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _require_factor_user(user) -> None:
    """The factor pages are for staff; anyone else is refused as on any page not theirs (a 404, audited)."""
    if not needs_second_factor(user):
        refuse_role()


def _reauth(request) -> HttpResponseRedirect:
    return redirect(_with_next("twofactor:reauth", request.get_full_path()))


@never_cache
@second_factor_not_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """Set up an authenticator app: on first sign-in, after a reset, or to replace the old one."""
    user = request.user
    _require_factor_user(user)
    replacing = selectors.has_confirmed_factor(user)
    if replacing and not session.recently_authenticated(request):
        return _reauth(request)
    if not replacing and not session.password_recently_given(request):
        return _reauth(request)
    key = request.session.get(session.PENDING_KEY) or services.new_authenticator_key()
    request.session[session.PENDING_KEY] = key
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.authenticator_enrol(
            user=user, key=key, token=form.cleaned_data["code"], keep_session_key=request.session.session_key
        )
        if outcome.ok:
            del request.session[session.PENDING_KEY]
            session.factor_given(request, outcome.device)
            if selectors.recovery_codes_left(user) is None:
                request.session[session.NEW_CODES] = services.recovery_codes_issue(
                    user=user, keep_session_key=request.session.session_key
                )
                return redirect(_with_next("twofactor:recovery_codes", _next(request)))
            messages.success(request, "Your new authenticator app is set up. The old one no longer works.")
            return redirect(_next(request, "twofactor:account"))
        form.add_error("code", outcome.error)
    device = TOTPDevice(user=user, key=key, name=services.AUTHENTICATOR_NAME)
    context = {
        "form": form,
        "replacing": replacing,
        "qr": qr_svg(device.config_url, title="QR code to scan with your authenticator app"),
        "secret": secret_in_groups(key),
        "next": _next(request),
    }
    return render(request, "twofactor/enrol.html", context)


@never_cache
@require_GET
def recovery_codes(request):
    """The new recovery codes, shown once: they are taken out of the session as they are shown."""
    _require_factor_user(request.user)
    codes = request.session.pop(session.NEW_CODES, None)
    if not codes:
        messages.info(request, "Recovery codes are shown only once. If you have lost yours, get new ones here.")
        return redirect("twofactor:account")
    context = {"codes": [recovery_code_for_display(code) for code in codes], "next": _next(request)}
    return render(request, "twofactor/recovery_codes.html", context)


def _give_factor(request, form, use, template, *, recovery: bool):
    user = request.user
    _require_factor_user(user)
    if user.is_verified():
        return redirect(_next(request))
    if not selectors.has_confirmed_factor(user):
        return redirect(_with_next("twofactor:enrol", _next(request)))
    if request.method == "POST" and form.is_valid():
        outcome = use(user=user, code=form.cleaned_data["code"])
        if outcome.ok:
            session.factor_given(request, outcome.device)
            if recovery:
                left = selectors.recovery_codes_left(user) or 0
                messages.info(
                    request,
                    f"You have {left} recovery code{'' if left == 1 else 's'} left. "
                    "If you have lost your phone, set up a new authenticator app on the Your account page.",
                )
            return redirect(_next(request))
        form.add_error("code", outcome.error)
    context = {"form": form, "next": _next(request)}
    if not recovery and passkeys.passkeys_of(user).exists():
        context["passkey_config"] = passkeys.configuration(request)
    return render(request, template, context)


@never_cache
@second_factor_not_required
@require_http_methods(["GET", "POST"])
def verify(request):
    return _give_factor(
        request,
        AuthenticatorCodeForm(request.POST or None),
        lambda user, code: services.authenticator_verify(user=user, token=code),
        "twofactor/verify.html",
        recovery=False,
    )


@never_cache
@second_factor_not_required
@require_http_methods(["GET", "POST"])
def verify_recovery(request):
    return _give_factor(
        request,
        RecoveryCodeForm(request.POST or None),
        lambda user, code: services.recovery_code_use(user=user, code=code),
        "twofactor/verify_recovery.html",
        recovery=True,
    )


@never_cache
@second_factor_not_required
@require_http_methods(["GET", "POST"])
def reauth(request):
    """Confirm it is you: the password, and the second factor when there is one, before changing the
    password or the factors. Good for REAUTH_WINDOW."""
    user = request.user
    _require_factor_user(user)
    with_code = selectors.has_confirmed_factor(user)
    if with_code and not user.is_verified():
        return redirect(_with_next("twofactor:verify", _next(request)))
    form = ReauthForm(request.POST or None, with_code=with_code)
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["password"]):
            services.reauth_password_failed(user=user)
            failures = request.session.get(_REAUTH_FAILURES, 0) + 1
            if failures >= REAUTH_PASSWORD_TRIES:
                logout(request)
                messages.error(request, "You entered a wrong password too many times. Sign in again.")
                return redirect("login")
            request.session[_REAUTH_FAILURES] = failures
            form.add_error("password", "The password is not right. Enter the password you sign in with.")
        else:
            request.session.pop(_REAUTH_FAILURES, None)
            if not with_code:
                session.password_given(request)
                return redirect(_next(request, "twofactor:account"))
            outcome = services.any_code_verify(
                user=user, code=form.cleaned_data["code"], purpose="Confirmed it was them"
            )
            if outcome.ok:
                session.factor_given(request, outcome.device)
                session.password_given(request)
                return redirect(_next(request, "twofactor:account"))
            form.add_error("code", outcome.error)
    return render(
        request,
        "twofactor/reauth.html",
        {"form": form, "with_code": with_code, "next": _next(request, "twofactor:account")},
    )


@never_cache
@require_GET
def account(request):
    user = request.user
    _require_factor_user(user)
    context = {
        "passkeys": passkeys.passkeys_of(user),
        "authenticator": selectors.authenticator_of(user),
        "codes_left": selectors.recovery_codes_left(user),
        "may_reset_others": has_role(user, Role.LEAD),
    }
    return render(request, "twofactor/account.html", context)


def _confirm(request, *, title, body, button, warning=False):
    return render(
        request, "twofactor/confirm.html", {"title": title, "body": body, "button": button, "warning": warning}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def new_recovery_codes(request):
    _require_factor_user(request.user)
    if not session.recently_authenticated(request):
        return _reauth(request)
    if request.method == "POST":
        request.session[session.NEW_CODES] = services.recovery_codes_issue(
            user=request.user, keep_session_key=request.session.session_key
        )
        return redirect(_with_next("twofactor:recovery_codes", reverse("twofactor:account")))
    return _confirm(
        request,
        title="Get new recovery codes",
        body=[
            "You will get 10 new recovery codes. Your old codes will stop working, including any you have not used.",
            "You will be signed out on every other device or browser.",
        ],
        button="Get new recovery codes",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def remove(request):
    _require_factor_user(request.user)
    if not session.recently_authenticated(request):
        return _reauth(request)
    if request.method == "POST":
        services.factors_remove(user=request.user, keep_session_key=request.session.session_key)
        session.factor_withdrawn(request)
        messages.info(
            request, "Your authenticator app and recovery codes have been removed. Set up a new authenticator app now."
        )
        return redirect("twofactor:enrol")
    return _confirm(
        request,
        title="Remove your second factor",
        body=[
            "Your authenticator app, passkeys and recovery codes will stop working.",
            "You will need to set up a new authenticator app straight away, before you can use the service again.",
            "You will be signed out on every other device or browser.",
        ],
        button="Remove my second factor",
        warning=True,
    )


@never_cache
@require_GET
def passkey_add(request):
    """Add a passkey or security key: the page with the button; the browser does the rest through the
    two JSON views in twofactor.passkeys, then comes back to Your account."""
    _require_factor_user(request.user)
    if not session.recently_authenticated(request):
        return _reauth(request)
    return render(request, "twofactor/passkey_add.html", {"passkey_config": passkeys.configuration(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def passkey_remove(request, pk: int):
    _require_factor_user(request.user)
    if not passkeys.passkeys_of(request.user).filter(pk=pk).exists():
        raise AccessRefused(model=passkeys.credential_model(), pk=pk)  # someone else's, or none: a 404
    if not session.recently_authenticated(request):
        return _reauth(request)
    if request.method == "POST":
        verified_this_session = passkeys.verified_by(request, pk)
        passkeys.passkey_remove(user=request.user, pk=pk, keep_session_key=request.session.session_key)
        if verified_this_session:
            # No session outlives the device that verified it: give another factor now.
            session.factor_withdrawn(request)
            messages.info(request, "The passkey has been removed. Enter a code from your authenticator app to go on.")
            return redirect(_with_next("twofactor:verify", reverse("twofactor:account")))
        messages.success(request, "The passkey has been removed. You have been signed out everywhere else.")
        return redirect("twofactor:account")
    return _confirm(
        request,
        title="Remove this passkey",
        body=[
            "You will not be able to use this passkey or security key to sign in any more.",
            "You can still sign in with your authenticator app or a recovery code.",
            "You will be signed out on every other device or browser.",
        ],
        button="Remove the passkey",
        warning=True,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "twofactor/password_change.html"

    def dispatch(self, request, *args, **kwargs):
        _require_factor_user(request.user)
        if not session.recently_authenticated(request):
            return _reauth(request)
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["old_password"].label = "Your current password"
        form.fields["new_password1"].label = "New password"
        form.fields["new_password2"].label = "Enter the new password again"
        form.fields["old_password"].error_messages["required"] = "Enter your current password"
        form.fields["new_password1"].error_messages["required"] = "Enter a new password"
        form.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        form.error_messages["password_incorrect"] = "Your current password is not right. Enter it again."
        form.error_messages["password_mismatch"] = "The two new passwords are different. Enter the same password twice."
        return form

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session signed in, under a new id
        services.password_changed(user=self.request.user, keep_session_key=self.request.session.session_key)
        messages.success(self.request, "Your password has been changed. You have been signed out everywhere else.")
        return response

    def get_success_url(self):
        return reverse("twofactor:account")


def _require_lead(user) -> None:
    if not has_role(user, Role.LEAD):
        refuse_role()


@never_cache
@require_GET
def staff(request):
    """A lead's list of staff accounts and their second factors, with a reset for each but their own."""
    _require_lead(request.user)
    listing = StaffFactorsFilter(request.GET, queryset=selectors.staff_with_factors())
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    return render(
        request, "twofactor/staff.html", {"page": page, "listing": listing, "sorts": listing.sort_links(page.params)}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reset(request, pk: int):
    _require_lead(request.user)
    member = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if request.method == "POST":
        try:
            services.factors_reset(user=member, acting_user=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"{member.display_name}'s second factor has been reset. "
                "They will set up a new one when they next sign in.",
            )
        return redirect("twofactor:staff")
    if member.pk == request.user.pk or not needs_second_factor(member):
        messages.error(
            request,
            "You cannot reset your own second factor. Ask another PHB team lead."
            if member.pk == request.user.pk
            else "This account does not use a second factor.",
        )
        return redirect("twofactor:staff")
    return _confirm(
        request,
        title=f"Reset {member.display_name}'s second factor",
        body=[
            f"Their authenticator app and recovery codes will stop working. Do this only when you have checked it is "
            f"really {member.display_name} asking, for example by calling them on a number you already have.",
            "They will be signed out straight away, wherever they are signed in. When they next sign in with "
            "their password, they will set up a new authenticator app.",
        ],
        button="Reset their second factor",
        warning=True,
    )
