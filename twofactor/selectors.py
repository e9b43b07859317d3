"""Reading a user's second factors."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model

from twofactor.models import RecoveryCode, RecoveryCodeDevice
from twofactor.rules import SECOND_FACTOR_ROLES


def has_confirmed_factor(user) -> bool:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or RecoveryCodeDevice.objects.filter(user=user, confirmed=True).exists()
        or get_credential_model().objects.filter(user=user, confirmed=True).exists()
    )


def authenticator_of(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int | None:
    """How many unused recovery codes the user has, or None when they have no set."""
    device = (
        RecoveryCodeDevice.objects.filter(user=user, confirmed=True)
        .annotate(left=Count("codes", filter=Q(codes__used_at__isnull=True)))
        .first()
    )
    return None if device is None else device.left


def staff_with_factors():
    """Every active account that needs a second factor, with whether it has an authenticator and how
    many recovery codes it has left, in one query."""
    unused = (
        RecoveryCode.objects.filter(device__user=OuterRef("pk"), used_at__isnull=True)
        .order_by()
        .values("device__user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        get_user_model()
        .objects.filter(Q(role__in=SECOND_FACTOR_ROLES) | Q(is_staff=True), is_active=True)
        .annotate(
            has_authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            has_recovery_codes=Exists(RecoveryCodeDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            recovery_codes_left=Subquery(unused[:1]),
        )
        .order_by("last_name", "first_name", "username")
    )
