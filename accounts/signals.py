"""What happens around signing in: session clocks start, lockouts are audited, and a user whose
role changes or whose account is switched off is signed out everywhere."""

import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts import services
from accounts.lockout import normalised_username
from accounts.timeouts import SEEN_AT, SIGNED_IN_AT
from phb.roles import Role
from phb.words import lower_first

WATCHED = ("role", "is_active")


@receiver(user_logged_in)
def _start_the_clocks(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    # Axes sends this again for each refused try while locked; those leave the failure count unset.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    services.lockout_recorded(address=normalised_username(request, getattr(request, "axes_credentials", None)))


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _remember_role(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and not set(WATCHED) & set(update_fields)):
        return
    instance._phb_before = sender._default_manager.filter(pk=instance.pk).values(*WATCHED).first()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _sign_out_when_role_changes(sender, instance, created, **kwargs):
    before = getattr(instance, "_phb_before", None)
    instance._phb_before = None
    if created or not before:
        return
    if before["is_active"] and not instance.is_active:
        why = "the account was switched off"
    elif before["role"] != instance.role:
        roles = {role: lower_first(label) for role, label in Role.choices}  # names, never stored codes
        why = f"their role changed from {roles[before['role']]} to {roles[instance.role]}"
    else:
        return
    services.sessions_end(user=instance, acting_user=None, why=why)
