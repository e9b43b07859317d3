"""Recovery codes, as a django-otp device (the authenticator app is django-otp's own TOTPDevice).

django-otp's static device keeps its codes in plain text and deletes a code once used; here only a
salted SHA-256 of each code is stored (OWASP ASVS 2.6.2 for lookup secrets), and a used code keeps
its row with the time it was used, so a second use is refused with a message that says so.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from twofactor.rules import RECOVERY_CODE_LENGTH, normalise_code

_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_recovery_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def code_digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{normalise_code(code)}".encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A set of single-use recovery codes; one set per user at a time."""

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def match(self, code: str):
        """The stored code the typed one matches (used or not), or None."""
        for row in self.codes.all():
            if hmac.compare_digest(row.digest, code_digest(row.salt, code)):
                return row
        return None

    def verify_token(self, token):
        """django-otp's interface: True once for each unused code. Call inside a transaction, on a
        device loaded with select_for_update (twofactor.services.recovery_code_use does)."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        row = self.match(token)
        if row is None or row.used_at is not None:
            self.throttle_increment(commit=True)
            return False
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"Recovery code {self.pk} ({'used' if self.used_at else 'unused'})"
