"""NHS CIS2 (Care Identity Service 2) for staff: who a sign-in through CIS2 is in this service, and with what role.

accounts.oidc checks what CIS2 vouches for; this module decides what it means here:
- The app role comes from the CIS2 roles in `nhsid_nrbac_roles` through the mappings the service administrator
  edits (accounts.models.Cis2RoleMapping). When CIS2 says which role the person chose at sign-in
  (`selected_roleid`) only that role counts; otherwise all of them do.
- For each CIS2 role, a mapping of its own code (in full, "S8000:G8000:R8000", or its last part, "R8000") wins over
  mappings of the activities it carries ("B0360"). If what is left gives more than one app role, we cannot tell
  which they are working as, and refuse; if it gives none, the role does not give access here, and we refuse.
- The account is the one linked to the CIS2 subject (CIS2's own id for the person, which never changes); else the
  active staff account with CIS2's e-mail address, which is then linked; else a new account with no password and
  no care teams (a PHB team lead adds them). Its role is set to the mapped one each time.
- A patient account never signs in through CIS2, whatever its e-mail address.
- CIS2 is strong authentication (a smartcard or an authenticator, at the assurance level asked for), so a session
  signed in through it gives no second factor here (`signed_in_with_cis2`, read by twofactor.middleware).
- The session remembers the CIS2 roles it was signed in with (SESSION_KEY), and every request maps them again
  (accounts.cis2_middleware): an administrator's change to a mapping takes effect at the next page.

Refusals raise Refused and write nothing; the caller records them (`refused`).
"""

import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import oidc, services
from accounts.models import Cis2CodeKind, Cis2Identity, Cis2RoleMapping
from accounts.signin import CIS2, cis2_on
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role
from phb.words import lower_first

logger = logging.getLogger(__name__)

# What the session keeps of a CIS2 sign-in: {"user": the account's id, "roles": the CIS2 roles it was signed in
# with, as `roles_used` gives them}. Written here only (`session_start`); read by `signed_in_with_cis2` and
# `session_roles`.
SESSION_KEY = "cis2_sign_in"

# Whom the refusal page sends staff to.
WHO_HELPS = "the service administrator"
TRY_AGAIN = "We could not sign you in with your NHS Care Identity. Try again."
SIGN_IN_AGAIN = "You have been signed out. Sign in again to carry on."
NOT_MAPPED = (
    "Your NHS Care Identity role does not give you access to this service. "
    "Ask your PHB team lead or the service administrator."
)
AMBIGUOUS = (
    "Your NHS Care Identity roles give different kinds of access to this service, so we cannot tell which to use. "
    "Sign in again and choose the role you are working in, or ask the service administrator."
)
NOT_STAFF = (
    "This NHS Care Identity cannot be used to sign in to this service. "
    "Ask your PHB team lead or the service administrator."
)


def provider() -> oidc.Provider | None:
    return oidc.provider(CIS2)


class Refused(ServiceError):
    """The sign-in cannot go on. `reason` is for the audit trail; the message is what the person reads."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class NotMapped(Refused):
    """The CIS2 roles give no role here, or more than one (the person is refused access, not a failed flow)."""


# The rules: plain values in, plain values out.


@dataclass(frozen=True)
class Cis2Role:
    role_code: str  # "S8000:G8000:R8000"
    activity_codes: tuple[str, ...]  # ("B0360", ...)

    @property
    def role_codes(self) -> tuple[str, ...]:
        """The codes a mapping of this role may be written as: in full, and its last part."""
        last = self.role_code.rsplit(":", 1)[-1]
        return (self.role_code, last) if last != self.role_code else (self.role_code,)

    def as_session(self) -> dict:
        return {"role_code": self.role_code, "activity_codes": list(self.activity_codes)}


def _code(value) -> str:
    return "".join(str(value or "").split()).upper()


def roles_used(nrbac_roles, selected_roleid=None) -> list[Cis2Role]:
    """The CIS2 roles that decide the app role: the one the person chose at sign-in when CIS2 says which (none if
    it is not among their roles), else all of them. Anything that is not a role as CIS2 writes it is left out."""
    entries = [entry for entry in (nrbac_roles if isinstance(nrbac_roles, list) else []) if isinstance(entry, dict)]
    if selected_roleid:
        entries = [entry for entry in entries if str(entry.get("person_roleid") or "") == str(selected_roleid)]
    roles = []
    for entry in entries:
        activities = entry.get("activity_codes")
        activities = activities if isinstance(activities, list) else []
        role = Cis2Role(
            role_code=_code(entry.get("role_code")),
            activity_codes=tuple(code for code in (_code(a) for a in activities) if code),
        )
        if role.role_code or role.activity_codes:
            roles.append(role)
    return roles


def codes_of(roles: list[Cis2Role]) -> set[str]:
    """Every code a mapping might be written as for these roles."""
    return {code for role in roles for code in role.role_codes + role.activity_codes if code}


def app_roles(roles: list[Cis2Role], mappings: dict[str, tuple[str, str]]) -> set[str]:
    """The app roles these CIS2 roles give, under `mappings` ({code: (kind, app role)}). Per CIS2 role: its full
    code's mapping, else its last part's, else its activities' (all of them); the app roles of every CIS2 role
    counted, together."""
    found = set()
    for role in roles:
        by_role = [mappings[code][1] for code in role.role_codes if mappings.get(code, ("",))[0] == Cis2CodeKind.ROLE]
        if by_role:
            found.add(by_role[0])  # the full code first (role_codes' order): the more exact mapping
            continue
        found |= {
            mappings[code][1] for code in role.activity_codes if mappings.get(code, ("",))[0] == Cis2CodeKind.ACTIVITY
        }
    return found


def one_role(found: set[str]) -> str:
    """The one app role, or NotMapped."""
    found = found - {Role.PATIENT, ""}  # the table refuses these; never believed if one got there
    if not found:
        raise NotMapped(NOT_MAPPED, reason="no CIS2 role used maps to a role in this service")
    if len(found) > 1:
        raise NotMapped(AMBIGUOUS, reason=f"the CIS2 roles used map to {len(found)} roles in this service")
    return found.pop()


# Reads


def mappings_for(roles: list[Cis2Role]) -> dict[str, tuple[str, str]]:
    """The mappings of these roles' codes, {code: (kind, app role)}: one query."""
    codes = codes_of(roles)
    if not codes:
        return {}
    rows = Cis2RoleMapping.objects.filter(code__in=codes).values_list("code", "kind", "role")
    return {code: (kind, role) for code, kind, role in rows}


def role_for(roles: list[Cis2Role]) -> str:
    """The app role these CIS2 roles give now, or NotMapped."""
    return one_role(app_roles(roles, mappings_for(roles)))


def roles_signed_in_with(signed: oidc.SignedIn) -> list[Cis2Role]:
    return roles_used(signed.get("nhsid_nrbac_roles"), signed.get("selected_roleid"))


# Writes


def _role_name(role: str) -> str:
    return lower_first(Role(role).label)


def _audit_role_change(user, before: str, after: str) -> None:
    audit.record(
        actor=user,
        action=AuditAction.UPDATE,
        obj=user,
        summary=f"Role set from CIS2: {_role_name(before)} to {_role_name(after)}",
        changes={"role": [before, after]},
    )


def _staff_account(signed: oidc.SignedIn, identity: Cis2Identity | None):
    """The account this CIS2 subject signs in to, if there is one yet (see the module's docstring)."""
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise Refused(NOT_STAFF, reason="the account linked to this CIS2 identity is switched off")
        if user.role == Role.PATIENT:
            raise Refused(NOT_STAFF, reason="the account linked to this CIS2 identity is a patient's")
        return user
    address = str(signed.get("email") or "").strip()
    holder = services.account_named_by(address)
    if holder is None:
        return None
    if holder.role == Role.PATIENT:
        raise Refused(NOT_STAFF, reason="CIS2's email address is a patient account's")
    if not holder.is_active:
        raise Refused(NOT_STAFF, reason="CIS2's email address is a switched-off account's")
    if Cis2Identity.objects.filter(user=holder).exists():
        raise Refused(NOT_STAFF, reason="the account at CIS2's email address is linked to another CIS2 identity")
    return holder


def admin_flags(role: str) -> dict:
    """The administrator role opens Django's admin (phb.admin asks for is_staff), as the demo's administrator has it;
    no other role does. Set with the role at every CIS2 sign-in and every change of mapping."""
    return {"is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN}


def _new_account(signed: oidc.SignedIn, role: str):
    User = get_user_model()
    address = str(signed.get("email") or "").strip()
    username = address[:150]
    if not username or User._default_manager.filter(username__iexact=username).exists():
        username = f"cis2-{signed.subject}"[:150]
    user = User(
        username=username,
        email=address,
        role=role,
        **admin_flags(role),
        first_name=str(signed.get("given_name") or "")[:150],
        last_name=str(signed.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as error:
        raise Refused(
            TRY_AGAIN, reason=f"a new account from CIS2 is not valid ({', '.join(error.message_dict)})"
        ) from None
    user.save()
    audit.record(
        actor=user,
        action=AuditAction.CREATE,
        obj=user,
        summary=f"Account made at first CIS2 sign-in, as {_role_name(role)}",
    )
    return user


@transaction.atomic
def sign_in(signed: oidc.SignedIn):
    """The staff account this CIS2 sign-in signs in to, with its role set to the one its CIS2 roles map to.

    Raises Refused (NotMapped when the roles give no role here, or more than one) and writes nothing then; the
    caller records the refusal (`refused`).
    """
    role = role_for(roles_signed_in_with(signed))
    identity = Cis2Identity.objects.select_for_update().select_related("user").filter(subject=signed.subject).first()
    user = _staff_account(signed, identity)
    if user is None:
        user = _new_account(signed, role)
    elif user.role != role or any(getattr(user, name) != value for name, value in admin_flags(role).items()):
        before = user.role
        user.role = role
        for name, value in admin_flags(role).items():
            setattr(user, name, value)
        # Saved, not updated: accounts.signals ends the account's other sessions, signed in with the old role.
        user.save(update_fields=["role", *admin_flags(role)])
        if before != role:
            _audit_role_change(user, before, role)
    now = timezone.now()
    if identity is None:
        Cis2Identity.objects.create(user=user, subject=signed.subject, last_signed_in_at=now)
        audit.record(actor=user, action=AuditAction.UPDATE, obj=user, summary="Linked a CIS2 identity to the account")
    else:
        Cis2Identity.objects.filter(pk=identity.pk).update(last_signed_in_at=now)
    return user


def refused(reason: str) -> None:
    """A sign-in through CIS2 that did not go through, in the audit trail (no one is signed in to name)."""
    audit.record(actor=None, action=AuditAction.SIGN_IN_FAILED, summary=f"CIS2 refused: {reason}")


# The session


def session_start(request, *, user, signed: oidc.SignedIn) -> None:
    """After `login`: this session was signed in through CIS2, with these CIS2 roles (mapped again on every
    request by accounts.cis2_middleware)."""
    roles = roles_signed_in_with(signed)
    request.session[SESSION_KEY] = {"user": user.pk, "roles": [role.as_session() for role in roles]}


def session_roles(session, user) -> list[Cis2Role] | None:
    """The CIS2 roles this session was signed in with, or None when it was not signed in through CIS2 (or not as
    this user). Looks at the session before the user, so a session without CIS2 asks nothing of the database."""
    kept = session.get(SESSION_KEY)
    if not isinstance(kept, dict) or not user.is_authenticated or kept.get("user") != user.pk:
        return None
    return roles_used(kept.get("roles"))


def signed_in_with_cis2(request, user) -> bool:
    """Whether this session is the user's, signed in through CIS2 (while CIS2 is on). No query."""
    kept = request.session.get(SESSION_KEY)
    return (
        isinstance(kept, dict)
        and user is not None
        and user.is_authenticated
        and kept.get("user") == user.pk
        and cis2_on()
    )


@transaction.atomic
def role_follow_mapping(*, user, role: str, keep_session_key: str | None) -> None:
    """A mapping changed since this session signed in: the account takes the role its CIS2 roles map to now.

    An UPDATE rather than a save: accounts.signals would end every session of the account on a role change,
    this one too, mid-request. This session has just been mapped again, so it stays; the account's other
    sessions end, as on any role change.
    """
    User = get_user_model()
    before = user.role
    if before == role:
        return
    User._default_manager.filter(pk=user.pk).update(role=role, **admin_flags(role))
    user.role = role
    for name, value in admin_flags(role).items():
        setattr(user, name, value)
    _audit_role_change(user, before, role)
    services.sessions_end(
        user=user,
        acting_user=None,
        why=f"their role changed from {_role_name(before)} to {_role_name(role)}",
        keep_session_key=keep_session_key,
    )


def access_ended(*, user, reason: str) -> None:
    """A CIS2 session whose roles no longer give access here (signed out by accounts.cis2_middleware)."""
    summary = f"Signed out, CIS2 no longer gives access: {reason}"
    audit.record(actor=user, action=AuditAction.ACCESS_REFUSED, obj=user, summary=summary)
