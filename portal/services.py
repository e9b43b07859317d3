"""Writes for the patient portal: invitations, access, messages. Each audited, in one transaction."""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from people.access import persons_writable_by
from people.models import Person, PortalAccess, User
from people.portal import persons_for_patient
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role
from portal.models import Invitation, Message

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = datetime.timedelta(hours=72)
MESSAGE_LIMIT = 2000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _after_commit_mail(subject: str, body: str, to: list[str]) -> None:
    def send():
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
        except Exception:  # the record is saved either way; staff can resend
            logger.warning("Could not send e-mail %r", subject, exc_info=True)

    transaction.on_commit(send)


@transaction.atomic
def invitation_create(*, person: Person, email: str, relationship: str, link_base: str, acting_user) -> Invitation:
    """Invites the person, or their representative, to see the person's records online.

    link_base is the site's address for the link (the view passes the request's).
    """
    if not persons_writable_by(acting_user).filter(pk=person.pk).exists():
        raise ServiceError("Only a care coordinator in the person's care team can invite someone.")
    email = (email or "").strip().lower()
    existing = User.objects.filter(username=email).exclude(role=Role.PATIENT).exists()
    if existing:
        raise ValidationError({"email": "This email address belongs to a staff account. Use the person's own email"})
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        person=person,
        email=email,
        relationship=relationship,
        token_hash=_hash(token),
        expires_at=timezone.now() + INVITATION_LIFETIME,
        created_by=acting_user,
    )
    invitation.full_clean()
    invitation.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=invitation,
        person_id=person.pk,
        summary=f"Invited {email} to see the record online ({invitation.get_relationship_display().lower()})",
    )
    link = f"{link_base.rstrip('/')}/my/invitation/{token}/"
    whose = "your" if relationship == "self" else f"{person.full_name}'s"
    _after_commit_mail(
        "See your personal health budget online",
        f"Hello,\n\n{acting_user.display_name} has invited you to see {whose} personal health budget and plan "
        f"online.\n\nSet your password here within 72 hours:\n{link}\n\nThe link works once. If it has expired, "
        "ask your care coordinator for a new one.\n\nThe personal health budget team",
        [email],
    )
    invitation.token = token  # only for the caller (tests, the e-mail); never stored
    return invitation


class InvitationInvalid(ServiceError):
    pass


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Uses an invitation once: sets the password and gives access to the person's records."""
    invitation = Invitation.objects.select_for_update().select_related("person").filter(token_hash=_hash(token)).first()
    if invitation is None or invitation.used_at or invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This link has expired or has already been used.")
    user = User.objects.filter(username=invitation.email).first()
    if user is not None and user.role != Role.PATIENT:
        raise InvitationInvalid("This link cannot be used. Ask your care coordinator for a new one.")
    if user is None:
        user = User(username=invitation.email, email=invitation.email, role=Role.PATIENT)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None
    user.set_password(password)
    user.save()
    updated = Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(
        used_at=timezone.now(), user=user
    )
    if not updated:
        raise InvitationInvalid("This link has already been used.")
    PortalAccess.objects.get_or_create(
        user=user,
        person=invitation.person,
        revoked_at=None,
        defaults={"relationship": invitation.get_relationship_display(), "granted_by": invitation.created_by},
    )
    audit.record(
        actor=user,
        action=AuditAction.CREATE,
        obj=invitation,
        person_id=invitation.person_id,
        summary="Accepted an invitation and set a password",
    )
    return user


def _end_sessions(user: User) -> int:
    """Deletes every session of the user. Sessions are not indexed by user, so this reads them all;
    fine for the size of a PHB service, and it only runs when access is revoked."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def access_revoke(*, access: PortalAccess, acting_user) -> None:
    """Stops someone seeing a person's records online; if that was their last access, signs them out everywhere."""
    if not persons_writable_by(acting_user).filter(pk=access.person_id).exists():
        raise ServiceError("Only a care coordinator in the person's care team can stop online access.")
    updated = PortalAccess.objects.filter(pk=access.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated:
        return
    if not PortalAccess.objects.filter(user=access.user, revoked_at__isnull=True).exists():
        _end_sessions(access.user)
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=access,
        person_id=access.person_id,
        summary=f"Stopped online access for {access.user.get_username()}",
        changes={"revoked_at": [None, "now"]},
    )


@transaction.atomic
def message_send(*, person: Person, body: str, acting_user) -> Message:
    """A message in the person's thread: from the person (or representative), or a reply from their care team."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Enter your message"})
    if len(body) > MESSAGE_LIMIT:
        raise ValidationError({"body": f"Message must be {MESSAGE_LIMIT:,} characters or fewer"})
    from_patient = has_role(acting_user, Role.PATIENT)
    if from_patient:
        allowed = persons_for_patient(acting_user).filter(pk=person.pk).exists()
    else:
        allowed = persons_writable_by(acting_user).filter(pk=person.pk).exists()
    if not allowed:
        raise ServiceError("You cannot send a message about this person.")
    message = Message.objects.create(person=person, sender=acting_user, from_patient=from_patient, body=body)
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=message,
        person_id=person.pk,
        summary="Sent a message" + (" to the care coordinator" if from_patient else " to the person"),
    )
    coordinator = person.lead_coordinator
    if from_patient and coordinator and coordinator.email:
        # A nudge only: the message itself stays in the service, not in the e-mail.
        _after_commit_mail(
            f"New message about {person.full_name}",
            f"There is a new message about {person.full_name} in the personal health budget service. "
            "Sign in to read it and reply.",
            [coordinator.email],
        )
    return message


def portal_view(*, person: Person, acting_user, page: str) -> None:
    """Every page and document the person opens is written to the audit trail."""
    audit.record(
        actor=acting_user, action=AuditAction.VIEW, obj=person, person_id=person.pk, summary=f"Portal: viewed {page}"
    )
