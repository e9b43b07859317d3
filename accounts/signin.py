"""Which ways of signing in this installation offers. One answer, asked by the password backend, the sign-in page,
the invitation page and the NHS login and CIS2 views, so a way that is off is off everywhere at once.

- NHS login (portal.nhs_login) is on when settings.OIDC_PROVIDERS["nhs_login"] is configured; people and their
  representatives then sign in with it, and their passwords are refused unless PORTAL_PASSWORDS says otherwise.
- CIS2 (accounts.cis2) is on when settings.OIDC_PROVIDERS["cis2"] is configured; staff then sign in with it only,
  and no staff password is accepted.
- With neither configured (`make run`, tests that do not switch them on), everyone signs in with a password, staff
  with their second factor.
"""

from django.conf import settings

from accounts import oidc
from phb.roles import Role, has_role

NHS_LOGIN = "nhs_login"
CIS2 = "cis2"


def nhs_login_on() -> bool:
    return oidc.provider(NHS_LOGIN) is not None


def cis2_on() -> bool:
    return oidc.provider(CIS2) is not None


def people_use_passwords() -> bool:
    """Whether people and representatives may sign in, and accept an invitation, with a password. Unless the
    installation says (PORTAL_PASSWORDS), only where NHS login is not configured."""
    chosen = getattr(settings, "PORTAL_PASSWORDS", None)
    return (not nhs_login_on()) if chosen is None else bool(chosen)


def staff_use_passwords() -> bool:
    return not cis2_on()


def password_allowed(user) -> bool:
    """Whether this account may sign in with its password here."""
    return people_use_passwords() if has_role(user, Role.PATIENT) else staff_use_passwords()


def ways(request) -> dict:
    """Context processor: what the sign-in page and the invitation pages offer."""
    return {
        "nhs_login_on": nhs_login_on(),
        "cis2_on": cis2_on(),
        "people_use_passwords": people_use_passwords(),
        "staff_use_passwords": staff_use_passwords(),
    }
