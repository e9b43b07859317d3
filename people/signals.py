"""Sign-ins and sign-outs go to the audit trail, as every access to health data must."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from phb import audit, freshness
from phb.models import AuditAction


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    audit.record(actor=user, action=AuditAction.SIGN_IN, summary="Signed in")


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action=AuditAction.SIGN_OUT, summary="Signed out")


@receiver(user_login_failed)
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    """Names the account only when the typed e-mail address is one: a password typed into the address
    box, or a mistyped address, is never kept in the trail."""
    from people.models import User

    typed = str(credentials.get("username") or credentials.get("email") or "").strip()[:254]
    account = User.objects.filter(email__iexact=typed).values_list("username", flat=True).first() if typed else None
    who = repr(account) if account else "an unknown email address"
    audit.record(actor=None, action=AuditAction.SIGN_IN_FAILED, summary=f"Failed sign-in as {who}")


def _roles_or_teams_changed(sender, instance=None, update_fields=None, **kwargs):
    """A user's role or care teams decide what their header counts (casework.trays): a change to either marks
    every kept figure stale, as an audited change does (phb.freshness). Signing in (the last sign-in time) is
    no such change."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    freshness.changed()


def connect_freshness():
    from django.db.models.signals import m2m_changed, post_save

    from people.models import User

    post_save.connect(_roles_or_teams_changed, sender=User, dispatch_uid="people-user-freshness")
    m2m_changed.connect(_roles_or_teams_changed, sender=User.teams.through, dispatch_uid="people-teams-freshness")
