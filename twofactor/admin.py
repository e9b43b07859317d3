"""django-otp registers its device pages in the admin; they would let an administrator read or set
a staff member's TOTP key (and so pass their second factor). Factors are managed on the factor pages
only: each user their own, and a PHB team lead's reset of someone else's (twofactor.views.reset)."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential, WebAuthnUserHandle

# Passkeys likewise: an administrator must not add, read or move someone's credential.
for model in (TOTPDevice, WebAuthnCredential, WebAuthnAttestation, WebAuthnUserHandle):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
