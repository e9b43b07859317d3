"""NHS login for people and their representatives: who a sign-in through NHS login is, in this service.

accounts.oidc checks what NHS login vouches for; this module decides what it means here:
- Only high proof of identity (P9: NHS login checked photo ID, or the NHS App did) sees health records. A lower
  level is refused with a page that says how to prove one's identity (ProofTooLow).
- The first sign-in links the NHS login account to a person through an invitation from their care coordinator,
  still usable (not used, not expired, not cancelled):
  - an invitation to the person themselves links only if NHS login's NHS number and date of birth are the
    person's own;
  - an invitation to a representative links only if the e-mail address NHS login has checked is the address the
    invitation was sent to (a representative's NHS number is their own, not the person's).
- From then on the NHS login subject (its own id for the account, which never changes) signs them in; a later
  invitation, used the same way, adds another person to what the account sees.
- Anything else is refused, with the reason written to the audit trail (`refused`).
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from accounts import oidc
from accounts.signin import NHS_LOGIN
from people.models import User
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role
from portal import selectors, services
from portal.models import Invitation, NhsLoginIdentity, Relationship

logger = logging.getLogger(__name__)

HIGH_PROOF = "P9"


def provider() -> oidc.Provider | None:
    return oidc.provider(NHS_LOGIN)


class Refused(ServiceError):
    """The sign-in cannot go on. `reason` is for the audit trail; the message is what the person reads."""

    def __init__(self, message: str, *, reason: str, person_id=None):
        super().__init__(message)
        self.reason = reason
        self.person_id = person_id


class ProofTooLow(Refused):
    """NHS login has not checked who they are closely enough (below P9) to show health records."""


TRY_AGAIN = "We could not sign you in with NHS login. Try again."
NOT_INVITED = (
    "Your NHS login is not linked to a personal health budget yet. Ask your care coordinator to invite you "
    "to see your records online, then use the link in their email."
)
NOT_YOU = (
    "The details in your NHS login do not match the person this invitation is for, so we cannot link it. "
    "Ask your care coordinator to check the invitation."
)
OTHER_ADDRESS = (
    "This invitation was sent to a different email address from the one in your NHS login. Ask the care "
    "coordinator to send the invitation to the email address you use for NHS login."
)
INVITATION_GONE = "This invitation has expired or has already been used. Ask your care coordinator for a new one."


def proof_level(signed: oidc.SignedIn) -> str:
    """The level of identity proof NHS login vouches for: "P9" (high), "P5" (medium), "P0" (none). NHS login
    gives it as `identity_proofing_level`; the `vot` claim ("P9.Cp.Cd") says the same first."""
    level = str(signed.get("identity_proofing_level") or "")
    if not level:
        level = str(signed.claims.get("vot") or "").split(".")[0]
    return level


def _birth_date(signed: oidc.SignedIn) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(signed.get("birthdate") or ""))
    except ValueError:
        return None


def _may_link(invitation: Invitation, signed: oidc.SignedIn) -> None:
    """Refuses unless this NHS login is the one the invitation names (see the module's docstring)."""
    if invitation.relationship == Relationship.SELF:
        nhs_number = "".join(str(signed.get("nhs_number") or "").split())
        person = invitation.person
        if nhs_number != person.nhs_number or _birth_date(signed) != person.date_of_birth:
            which = "NHS number" if nhs_number != person.nhs_number else "date of birth"
            raise Refused(
                NOT_YOU,
                reason=f"the {which} in NHS login is not the invited person's",
                person_id=invitation.person_id,
            )
        return
    address = str(signed.get("email") or "").strip().lower()
    if not address or signed.get("email_verified") is False or address != invitation.email.lower():
        raise Refused(
            OTHER_ADDRESS,
            reason="the email address in NHS login is not the one the invitation was sent to",
            person_id=invitation.person_id,
        )


def _account_for(invitation: Invitation, signed: oidc.SignedIn) -> User:
    """The account a first NHS login joins: the patient account already at the invitation's address (one that
    signed in with a password before NHS login), or a new one with no password."""
    holder = services.account_for_address(invitation.email)
    if holder is not None:
        if holder.role != Role.PATIENT or not holder.is_active:
            raise Refused(TRY_AGAIN, reason="the invitation's address belongs to a staff or closed account")
        if NhsLoginIdentity.objects.filter(user=holder).exists():
            raise Refused(
                "Another NHS login is already linked to this invitation's account. Sign in with that NHS login.",
                reason="another NHS login is linked to the account at the invitation's address",
                person_id=invitation.person_id,
            )
        return holder
    user = User(
        username=invitation.email,
        email=invitation.email,
        role=Role.PATIENT,
        first_name=str(signed.get("given_name") or "")[:150],
        last_name=str(signed.get("family_name") or "")[:150],
    )
    if not (user.first_name or user.last_name):
        offered = selectors.name_offered(invitation)
        user.first_name, user.last_name = offered.get("first_name", ""), offered.get("last_name", "")
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def sign_in(*, signed: oidc.SignedIn) -> tuple[User, Invitation | None]:
    """The account this NHS login signs in to, and the invitation it used on the way (None when it used none).

    Raises Refused (ProofTooLow below P9) and writes nothing then; the caller records the refusal (`refused`).
    """
    level = proof_level(signed)
    if level != HIGH_PROOF:
        raise ProofTooLow(
            "You need to prove who you are in NHS login to see your records.",
            reason=f"identity proof {level or 'not given'}, {HIGH_PROOF} needed",
        )
    identity = (
        NhsLoginIdentity.objects.select_for_update().select_related("user").filter(subject=signed.subject).first()
    )
    if identity is not None and (not identity.user.is_active or identity.user.role != Role.PATIENT):
        raise Refused(TRY_AGAIN, reason="the linked account is closed")
    token = signed.kept.get("invitation")
    invitation = None
    if token:
        try:
            invitation = services.usable_invitation_locked(token)
        except services.InvitationInvalid:
            raise Refused(INVITATION_GONE, reason="the invitation was used, expired or cancelled") from None
        _may_link(invitation, signed)
        user = identity.user if identity is not None else _account_for(invitation, signed)
        services.invitation_use(invitation, user, summary="Accepted an invitation, signed in with NHS login")
    elif identity is None:
        raise Refused(NOT_INVITED, reason="no account is linked to this NHS login and no invitation was used")
    else:
        user = identity.user
    now = timezone.now()
    if identity is None:
        NhsLoginIdentity.objects.create(user=user, subject=signed.subject, last_signed_in_at=now)
        audit.record(actor=user, action=AuditAction.UPDATE, obj=user, summary="Linked an NHS login to the account")
    else:
        NhsLoginIdentity.objects.filter(pk=identity.pk).update(last_signed_in_at=now)
    return user, invitation


def refused(*, reason: str, person_id=None) -> None:
    """A sign-in through NHS login that did not go through, in the audit trail (no one is signed in to name)."""
    audit.record(
        actor=None, action=AuditAction.SIGN_IN_FAILED, person_id=person_id, summary=f"NHS login refused: {reason}"
    )
