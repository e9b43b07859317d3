"""Ending sessions, and releasing a locked sign-in. Each writes the audit trail."""

from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.lockout import is_locked
from accounts.models import UserSession
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent
from phb.roles import Role, has_role


@transaction.atomic
def sessions_end(*, user, acting_user, why: str, keep_session_key: str | None = None) -> int:
    """Signs the user out everywhere (but in the session kept, if one is named). Returns how many ended."""
    sessions = UserSession.objects.filter(user_id=user.pk)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended, _ = sessions.delete()
    if ended:
        audit.record(
            actor=acting_user,
            action=AuditAction.END_SESSIONS,
            obj=user,
            summary=f"Ended {ended} session{'s' if ended != 1 else ''} of {user.get_username()}: {why}",
        )
    return ended


def session_timed_out(*, user, idle: bool) -> None:
    why = "no activity for too long" if idle else f"signed in for more than {settings.SESSION_ABSOLUTE_HOURS} hours"
    audit.record(actor=user, action=AuditAction.TIMED_OUT, obj=user, summary=f"Signed out: {why}")


def account_named_by(address: str | None):
    """The account an e-mail address names (any case), or None. E-mail addresses are unique."""
    address = (address or "").strip()
    if not address:
        return None
    return get_user_model()._default_manager.filter(email__iexact=address).first()


def lockout_recorded(*, address: str | None) -> None:
    """The audit event for a new lockout. It names the account only when the typed address is one:
    whatever else was typed (a password in the wrong box, say) is never kept."""
    account = account_named_by(address)
    who = repr(account.get_username()) if account else "an address that is not an account"
    minutes = settings.LOCKOUT_COOL_OFF_MINUTES
    audit.record(
        actor=None,
        action=AuditAction.LOCKED_OUT,
        obj=account,
        summary=f"Sign-in locked for {minutes} minutes for {who} after too many failed attempts",
    )


@dataclass(frozen=True)
class Lockout:
    attempt_id: int  # stands for the typed address in the unlock form, which never shows it
    account: object  # the User, or None when the typed address is not an account
    failures: int
    addresses: int
    locked_until: object


def lockouts_current(*, now=None) -> list[Lockout]:
    """Every sign-in locked now, newest first (one row per typed address)."""
    now = now or timezone.now()
    since = now - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"), first_id=Min("id"))
    )
    by_address: dict[str, list[dict]] = {}
    for row in rows:
        by_address.setdefault(row["username"] or "", []).append(row)
    locked = {
        username: group
        for username, group in by_address.items()
        if is_locked(
            failures_from_this_address=max(row["failures"] for row in group),
            failures_from_anywhere=sum(row["failures"] for row in group),
        )
    }
    users = get_user_model()._default_manager.annotate(address=Lower("email"))
    accounts = {user.address: user for user in users.filter(address__in=[u for u in locked if u])}
    lockouts = [
        Lockout(
            attempt_id=min(row["first_id"] for row in group),
            account=accounts.get(username),
            failures=sum(row["failures"] for row in group),
            addresses=len({row["ip_address"] for row in group}),
            locked_until=max(row["last"] for row in group) + settings.AXES_COOLOFF_TIME,
        )
        for username, group in locked.items()
    ]
    return sorted(lockouts, key=lambda lockout: lockout.locked_until, reverse=True)


@transaction.atomic
def lockout_release(*, attempt_id: int, acting_user) -> bool:
    """A PHB team lead lets an address try again at once. False if it was no longer locked."""
    if not has_role(acting_user, Role.LEAD):
        raise ServiceError("Only a PHB team lead can unlock a sign-in.")
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        return False
    account = account_named_by(attempt.username)
    AccessAttempt.objects.filter(username=attempt.username).delete()
    who = repr(account.get_username()) if account else "an address that is not an account"
    audit.record(actor=acting_user, action=AuditAction.UNLOCK, obj=account, summary=f"Unlocked sign-in for {who}")
    return True


def _fingerprint(value: str) -> str:
    """A keyed hash, so the trail can count requests for one address without storing the address."""
    return salted_hmac("accounts.password-reset", value.strip().lower()).hexdigest()[:32]


@transaction.atomic
def password_reset_asked(*, address: str, from_ip: str | None) -> bool:
    """Records a request for a reset link, and says whether to send it (False past the limits).

    The audit row never says whether the address is an account, and keeps only keyed hashes of the
    address and the network address: they are what the limits count (in the database, so every web
    worker sees the same count).
    """
    address_hash, ip_hash = _fingerprint(address), _fingerprint(from_ip or "")
    since = timezone.now() - timedelta(hours=1)
    recent = AuditEvent.objects.filter(action=AuditAction.ASK_PASSWORD_RESET, at__gte=since)
    allowed = (
        recent.filter(changes__address=address_hash).count() < settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR
        and recent.filter(changes__from=ip_hash).count() < settings.PASSWORD_RESETS_PER_IP_PER_HOUR
    )
    audit.record(
        actor=None,
        action=AuditAction.ASK_PASSWORD_RESET,
        summary="Someone asked for a password reset link" + ("" if allowed else " (not sent: too many requests)"),
        changes={"address": address_hash, "from": ip_hash},
    )
    return allowed


@transaction.atomic
def password_reset_done(*, user, keep_session_key: str | None) -> None:
    """After a new password is set from a reset link: audited, and every other session ends. A lock on the
    address ends too: whoever used the link controls the mailbox, which is what the lock was protecting."""
    released = AccessAttempt.objects.filter(username=user.email.strip().lower()).delete()[0]
    audit.record(
        actor=user,
        action=AuditAction.RESET_PASSWORD,
        obj=user,
        summary="Set a new password from a reset link" + (" (its sign-in was unlocked)" if released else ""),
    )
    sessions_end(user=user, acting_user=user, why="the password was reset", keep_session_key=keep_session_key)
