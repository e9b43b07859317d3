"""What every page's header needs to know about the second factor."""

from twofactor.rules import needs_second_factor


def second_factor(request) -> dict:
    """`second_factor_pending`: signed in with a password, the factor not yet given. The header then offers
    only signing out, since every other page would send them back to the factor step."""
    user = getattr(request, "user", None)
    pending = user is not None and needs_second_factor(user) and not user.is_verified()
    return {"second_factor_pending": pending}
