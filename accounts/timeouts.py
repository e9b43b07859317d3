"""How long a session may last: the rules, as plain functions over numbers."""

from django.conf import settings

from phb.roles import Role

# Session keys: when the user signed in and when they were last seen, as Unix seconds.
SIGNED_IN_AT = "phb_signed_in_at"
SEEN_AT = "phb_seen_at"
# Seen-at is rewritten at most this often, so most pages do not write the session.
SEEN_EVERY_SECONDS = 60


def idle_limit_seconds(role: str) -> int:
    """Staff see many people's records on shared machines: 30 minutes. People see their own: 60."""
    if role == Role.PATIENT:
        return settings.SESSION_IDLE_MINUTES_PEOPLE * 60
    return settings.SESSION_IDLE_MINUTES_STAFF * 60


def why_it_ends(*, role: str, now: float, signed_in_at: float, seen_at: float) -> str:
    """ "idle", "absolute", or "" while the session may go on."""
    if now - seen_at > idle_limit_seconds(role):
        return "idle"
    if now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
        return "absolute"
    return ""
