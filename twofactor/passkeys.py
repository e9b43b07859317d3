"""Passkeys and security keys (WebAuthn, through django-otp-webauthn) as a second factor for staff.

A passkey is added from "Your account" after confirming it is you, as every factor change is; it is a
second factor only (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off: the password is always asked first).
The relying party is the host the page was served from, so one installation works under whatever name
the ICB gives it. The library's four JSON views are subclassed here so that each ceremony is refused to
anyone the factor pages would refuse, audited, and, when it verifies a session, renews the session id
like every other factor (twofactor.session.factor_given).
"""

import contextlib

from django.db import transaction
from django.http import JsonResponse
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.utils import get_credential_model, rewrite_exceptions

from accounts.services import sessions_end
from phb import audit
from phb.models import AuditAction
from phb.refusals import refuse_role
from twofactor import session
from twofactor.middleware import second_factor_not_required
from twofactor.rules import needs_second_factor

PASSKEY_NAME = "Passkey"


def credential_model():
    return get_credential_model()


def rp_id(request) -> str:
    """The relying party id: the host name the browser asked for (ALLOWED_HOSTS vouched for it), no port."""
    domain, _port = split_domain_port(request.get_host())
    return domain


class Helper(WebAuthnHelper):
    """The origin a browser reports must be the one this page was served from."""

    def get_allowed_origins(self) -> list[str]:
        return [f"{self.request.scheme}://{self.request.get_host()}"]

    def get_credential_display_name(self, user) -> str:
        return user.display_name if hasattr(user, "display_name") else user.get_username()


class ConfirmFirst(exceptions.OTPWebAuthnApiError):
    status_code = 428  # Precondition Required: the page behind the button asks for it first
    default_code = "confirm_first"
    default_detail = "Confirm it is you again before you add a passkey, then try again."


def configuration(request) -> dict:
    """What the library's JavaScript reads from the page (json_script): our URLs, not its own."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": _csrf(request),
        "beginAuthenticationUrl": reverse("twofactor:passkey_verify_begin"),
        "completeAuthenticationUrl": reverse("twofactor:passkey_verify_complete"),
        "beginRegistrationUrl": reverse("twofactor:passkey_add_begin"),
        "completeRegistrationUrl": reverse("twofactor:passkey_add_complete"),
    }


def _csrf(request) -> str:
    from django.middleware.csrf import get_token

    return get_token(request)


def verified_by(request, pk: int) -> bool:
    """Whether this session's second factor was given with the user's passkey `pk`."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = credential_model().objects.filter(user=request.user, pk=pk).first()
    return device is not None and request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id


def passkeys_of(user):
    return credential_model().objects.filter(user=user, confirmed=True).order_by("created_at")


# ---------------------------------------------------------------- services


@transaction.atomic
def passkey_added(*, user, device, keep_session_key: str | None) -> None:
    """A new passkey: audited, and the user's other sessions end, as after every change of factors."""
    device.name = PASSKEY_NAME
    device.save(update_fields=["name"])
    audit.record(
        actor=user,
        action=AuditAction.ENROL_FACTOR,
        obj=user,
        summary="Added a passkey",
        changes={"device": device.persistent_id},
    )
    sessions_end(user=user, acting_user=user, why="they added a passkey", keep_session_key=keep_session_key)


@transaction.atomic
def passkey_remove(*, user, pk: int, keep_session_key: str | None) -> bool:
    """Removes one of the user's own passkeys; False when it is not theirs (or already gone)."""
    removed = credential_model().objects.filter(user=user, pk=pk).delete()[0] > 0
    if removed:
        audit.record(actor=user, action=AuditAction.REMOVE_FACTOR, obj=user, summary="Removed a passkey")
        sessions_end(user=user, acting_user=user, why="they removed a passkey", keep_session_key=keep_session_key)
    return removed


def passkey_failed(*, user, purpose: str, why: str) -> None:
    audit.record(actor=user, action=AuditAction.FACTOR_FAILED, obj=user, summary=f"{purpose} with a passkey: {why}")


def passkey_verified(*, user, purpose: str) -> None:
    audit.record(actor=user, action=AuditAction.VERIFY_FACTOR, obj=user, summary=f"{purpose} with a passkey")


# ---------------------------------------------------------------- the ceremonies


@contextlib.contextmanager
def _malformed_is_unprocessable():
    """An answer the library cannot read (missing keys, wrong types, bad base64) is the client's fault: a
    422 in the library's own JSON error shape, never a 500."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise exceptions.UnprocessableEntity(detail="The passkey's answer could not be read.") from error


class _StaffOnly:
    """Anyone but staff is refused as on every staff page (a 404 and an ACCESS_REFUSED event); a GET is
    a 405 before any check (the library would check first)."""

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            super().initial(request, *args, **kwargs)

    def _require_staff(self):
        user = self.request.user
        if not (user.is_authenticated and user.is_active and needs_second_factor(user)):
            refuse_role()


class _Registration(_StaffOnly):
    def check_can_register(self):
        self._require_staff()
        if not session.recently_authenticated(self.request):
            raise ConfirmFirst()


@method_decorator(never_cache, name="dispatch")
class AddBegin(_Registration, webauthn_views.BeginCredentialRegistrationView):
    pass


@method_decorator(never_cache, name="dispatch")
class AddComplete(_Registration, webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        state = self.get_state()
        try:
            with _malformed_is_unprocessable(), rewrite_exceptions(logger=None):
                device = self.get_helper().register_complete(user=user, state=state, data=self.request.data)
        except exceptions.OTPWebAuthnApiError:
            passkey_failed(user=user, purpose="Adding a passkey", why="the browser's answer did not check out")
            raise
        passkey_added(user=user, device=device, keep_session_key=self.request.session.session_key)
        return JsonResponse({"id": device.pk})


@method_decorator(never_cache, name="dispatch")
class VerifyBegin(_StaffOnly, webauthn_views.BeginCredentialAuthenticationView):
    def check_can_authenticate(self):
        self._require_staff()


@method_decorator(never_cache, name="dispatch")
class VerifyComplete(_StaffOnly, webauthn_views.CompleteCredentialAuthenticationView):
    def check_can_authenticate(self):
        self._require_staff()

    def post(self, *args, **kwargs):
        user = self.get_user()
        state = self.get_state()
        try:
            with _malformed_is_unprocessable(), rewrite_exceptions(logger=None):
                device = self.get_helper().authenticate_complete(user=user, state=state, data=self.request.data)
            self.check_device_usable(device)
            if device.user_id != user.pk:
                raise exceptions.CredentialNotFound()
        except exceptions.OTPWebAuthnApiError:
            passkey_failed(user=user, purpose="Signing in", why="it was not accepted")
            raise
        session.factor_given(self.request, device)
        passkey_verified(user=user, purpose="Signed in")
        return JsonResponse({"id": device.pk, "redirect_url": self.get_success_url()})

    def get_success_url(self):
        target = self.request.GET.get("next") or ""
        if target.startswith("/") and not target.startswith("//") and self.get_redirect_url():
            return target
        return reverse("home")


add_begin = AddBegin.as_view()
add_complete = AddComplete.as_view()
verify_begin = second_factor_not_required(VerifyBegin.as_view())
verify_complete = second_factor_not_required(VerifyComplete.as_view())
