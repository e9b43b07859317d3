"""Writes for the patient portal: invitations, access, messages, and the record of what the person opened.

Each runs in one transaction and writes its audit row (the specific `AuditAction`) in it.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts import signin
from accounts.services import sessions_end
from people.access import persons_writable_by
from people.models import NoticeKind, Person, PortalAccess, User
from people.notices import notice_write
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role
from phb.words import lower_first
from portal import access
from portal.access import persons_for
from portal.models import Invitation, Message, Relationship, hash_token
from portal.selectors import name_offered
from portal.wording import duration_in_words

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = datetime.timedelta(hours=72)
MESSAGE_LIMIT = 2000


def invitation_lifetime_in_words() -> str:
    """How long an invitation link works, as the e-mail, the pages and the messages say it ("72 hours")."""
    return duration_in_words(INVITATION_LIFETIME)


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
    holder = account_for_address(email)
    if holder is not None and holder.role != Role.PATIENT:
        raise ValidationError({"email": STAFF_ADDRESS})
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        person=person,
        email=email,
        relationship=relationship,
        token_hash=hash_token(token),
        expires_at=timezone.now() + INVITATION_LIFETIME,
        created_by=acting_user,
    )
    invitation.full_clean()
    invitation.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.INVITE,
        obj=invitation,
        person_id=person.pk,
        summary=f"Invited {email} to see the record online ({lower_first(invitation.get_relationship_display())})",
    )
    link = f"{link_base.rstrip('/')}/my/invitation/{token}/"
    whose = "your" if relationship == Relationship.SELF else f"{person.full_name}'s"
    _after_commit_mail(
        "See your personal health budget online",
        f"Hello,\n\n{acting_user.display_name} has invited you to see {whose} personal health budget and plan "
        f"online.\n\n{'Sign in to accept' if holder else 'Set your password'} here within "
        f"{invitation_lifetime_in_words()}:\n{link}\n\n"
        "The link works once. If it has expired, ask your care coordinator for a new one.\n\n"
        "The personal health budget team",
        [email],
    )
    invitation.token = token  # only for the caller (tests, the e-mail); never stored
    return invitation


STAFF_ADDRESS = "This email address belongs to a staff account. Use the person's own email"


def account_for_address(email: str) -> User | None:
    """The account an e-mail address names, whatever its case: by e-mail or by username (people sign in with
    their address; staff usernames may be addresses too). A staff account comes first, so an address shared
    with staff is always treated as staff."""
    email = (email or "").strip()
    if not email:
        return None
    accounts = list(User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).order_by("pk")[:5])
    staff = [account for account in accounts if account.role != Role.PATIENT]
    return (staff or accounts or [None])[0]


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, acting_user, why: str = "") -> bool:
    """Stops a pending invitation's link working (it expires now). Returns False, and writes nothing, when it
    was already used, expired or cancelled."""
    if not persons_writable_by(acting_user).filter(pk=invitation.person_id).exists():
        raise ServiceError("Only a care coordinator in the person's care team can cancel an invitation.")
    now = timezone.now()
    cancelled = Invitation.objects.usable(now=now).filter(pk=invitation.pk).update(expires_at=now)
    if cancelled:
        audit.record(
            actor=acting_user,
            action=AuditAction.CANCEL_INVITATION,
            obj=invitation,
            person_id=invitation.person_id,
            summary=f"Cancelled the invitation to {invitation.email}{why}",
            changes={"expires_at": [audit.json_safe(invitation.expires_at), audit.json_safe(now)]},
        )
    return bool(cancelled)


@transaction.atomic
def invitation_send_again(*, invitation: Invitation, link_base: str, acting_user) -> Invitation:
    """A fresh link to the same address for the same person; the old link stops working."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation_cancel(invitation=locked, acting_user=acting_user, why=" and sent a new link"):
        raise ServiceError(
            f"The invitation to {invitation.email} has already been accepted or cancelled. Send a new one if needed."
        )
    return invitation_create(
        person=invitation.person,
        email=invitation.email,
        relationship=invitation.relationship,
        link_base=link_base,
        acting_user=acting_user,
    )


class InvitationInvalid(ServiceError):
    pass


class AccountExists(ServiceError):
    """The invitation's address already has an account: its holder signs in to accept (the password is
    never set from a link)."""


def usable_invitation_locked(token: str) -> Invitation:
    """The usable invitation the link's token names, locked until the transaction ends; refused otherwise."""
    invitation = (
        Invitation.objects.usable(now=timezone.now())
        .select_for_update()
        .select_related("person")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid("This link has expired or has already been used.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Uses an invitation once: sets the password and gives access to the person's records. The account is
    named as given, or, for an invitation to the person themselves, after them (pages show the name).
    Where people sign in with NHS login instead of passwords (accounts.signin), nothing is set: they accept
    through NHS login (portal.nhs_login)."""
    if not signin.people_use_passwords():
        raise InvitationInvalid("Accept this invitation with NHS login.")
    invitation = usable_invitation_locked(token)
    holder = account_for_address(invitation.email)
    if holder is not None and holder.role != Role.PATIENT:
        raise InvitationInvalid("This link cannot be used. Ask your care coordinator for a new one.")
    if holder is not None:
        raise AccountExists(f"There is already an account for {invitation.email}. Sign in to it to accept.")
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not (first_name or last_name):
        offered = name_offered(invitation)
        first_name, last_name = offered.get("first_name", ""), offered.get("last_name", "")
    user = User(
        username=invitation.email,
        email=invitation.email,
        role=Role.PATIENT,
        first_name=first_name[:150],
        last_name=last_name[:150],
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None
    user.set_password(password)
    user.save()
    invitation_use(invitation, user, summary="Accepted an invitation and set a password")
    return user


@transaction.atomic
def invitation_accept_signed_in(*, token: str, acting_user) -> Invitation:
    """Uses an invitation for the account already at its address, its holder signed in: links the person to
    that account. Nothing about the account changes (its password least of all)."""
    invitation = usable_invitation_locked(token)
    holder = account_for_address(invitation.email)
    if holder is None or holder.role != Role.PATIENT or holder.pk != acting_user.pk:
        raise InvitationInvalid(
            f"This invitation was sent to another email address. Sign in as {invitation.email} to accept it."
        )
    invitation_use(
        invitation, acting_user, summary="Accepted an invitation, signed in to the account already at the address"
    )
    return invitation


def invitation_use(invitation: Invitation, user: User, *, summary: str) -> None:
    """Uses the invitation (locked by the caller) for this account: the account sees the person from now on."""
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
        action=AuditAction.ACCEPT_INVITATION,
        obj=invitation,
        person_id=invitation.person_id,
        summary=summary,
    )


def _end_sessions(user: User, acting_user) -> int:
    """Signs the user out everywhere (sessions are stored by user: accounts.sessions)."""
    return sessions_end(user=user, acting_user=acting_user, why="their online access was stopped")


@transaction.atomic
def access_revoke(*, access: PortalAccess, acting_user) -> int:
    """Stops someone seeing a person's records online; if that was their last access, signs them out everywhere.
    Every invitation still pending for the person is cancelled; returns how many.

    Doing it twice changes nothing the second time.
    """
    if not persons_writable_by(acting_user).filter(pk=access.person_id).exists():
        raise ServiceError("Only a care coordinator in the person's care team can stop online access.")
    now = timezone.now()
    updated = PortalAccess.objects.filter(pk=access.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not updated:
        return 0
    if not PortalAccess.objects.filter(user=access.user, revoked_at__isnull=True).exists():
        _end_sessions(access.user, acting_user)
    audit.record(
        actor=acting_user,
        action=AuditAction.REVOKE,
        obj=access,
        person_id=access.person_id,
        summary=f"Stopped online access for {access.user.get_username()}",
        changes={"revoked_at": [None, audit.json_safe(now)]},
    )
    # No link already sent may give access back: every invitation still pending for the person ends now,
    # whoever it was sent to (the person or a representative); the coordinator sends a new one if needed.
    pending = Invitation.objects.usable(now=now).filter(person_id=access.person_id).select_for_update()
    return sum(
        invitation_cancel(invitation=invitation, acting_user=acting_user, why=" when online access stopped")
        for invitation in pending
    )


def _may_write_in_thread(user, person: Person) -> bool:
    """The person (or a representative) with active access, or a coordinator in the person's care team.
    A person loaded in this request through the patient's own access (portal.access.get_person_for_patient
    marks it) needs no second look."""
    if has_role(user, Role.PATIENT) and access.loaded_for(person, user):
        return True
    scope = persons_for(user) if has_role(user, Role.PATIENT) else persons_writable_by(user)
    return scope.filter(pk=person.pk).exists()


@transaction.atomic
def message_send(*, person: Person, body: str, acting_user, link_base: str | None = None) -> Message:
    """A message in the person's thread: from the person (or representative), or a reply from their care team.

    Whoever writes has the thread in front of them, so what the other side wrote is marked read.
    link_base is the site's address (the view passes the request's): the coordinator's e-mail links to the
    person's messages page with it, and so does the notice that tells the person of a reply from their care team.
    """
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Enter your message"})
    if len(body) > MESSAGE_LIMIT:
        raise ValidationError({"body": f"Your message must be {MESSAGE_LIMIT:,} characters or fewer"})
    if not _may_write_in_thread(acting_user, person):
        raise ServiceError("You cannot send a message about this person.")
    from_patient = has_role(acting_user, Role.PATIENT)
    if not from_patient and not PortalAccess.objects.filter(person=person).exists():
        # Staff reply to a thread; with no one ever given online access there is no one to read it.
        raise ServiceError(
            f"No one has been given online access to {person.full_name}'s records, so no one would see a message."
        )
    message = Message(person=person, sender=acting_user, from_patient=from_patient, body=body)
    message.full_clean()
    message.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.SEND_MESSAGE,
        obj=message,
        person_id=person.pk,
        summary="Sent a message" + (" to the care coordinator" if from_patient else " to the person"),
    )
    messages_mark_read(person=person, acting_user=acting_user)
    coordinator = person.lead_coordinator
    if from_patient and coordinator and coordinator.email:
        # A nudge only: the message itself stays in the service, not in the e-mail.
        read_it = "Sign in to read it and reply"
        if link_base:
            page = reverse("portal:staff_messages", kwargs={"person_pk": person.pk})
            read_it += f": {link_base.rstrip('/')}{page}"
        _after_commit_mail(
            f"New message about {person.full_name}",
            f"There is a new message about {person.full_name} in the personal health budget service. {read_it}.",
            [coordinator.email],
        )
    if not from_patient and not _earlier_reply_unread(person, message):
        # Only that there is a new message, and where to read it: never its words (people.notices). One notice
        # until they read their messages: three replies in an afternoon are not three texts.
        page = reverse("portal:messages", kwargs={"pk": person.pk})
        link = f"{link_base.rstrip('/')}{page}" if link_base else ""
        notice_write(person=person, kind=NoticeKind.TEAM_REPLIED, about=message.pk, link=link)
    return message


def _earlier_reply_unread(person: Person, message: Message) -> bool:
    """Whether the care team wrote to the person before `message` and they have not read it yet: they were told
    of that one and have not been back since."""
    earlier = Message.objects.filter(person=person, from_patient=False, read_at__isnull=True).exclude(pk=message.pk)
    return earlier.exists()


@transaction.atomic
def messages_mark_read(*, person: Person, acting_user) -> int:
    """Marks read what the other side of the thread wrote: the care team's replies when the person reads them,
    the person's messages when their coordinator replies. Returns how many; nothing to mark writes nothing."""
    if not _may_write_in_thread(acting_user, person):
        raise ServiceError("You cannot read the messages about this person.")
    from_patient = not has_role(acting_user, Role.PATIENT)
    marked = Message.objects.filter(person=person, from_patient=from_patient, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        audit.record(
            actor=acting_user,
            action=AuditAction.READ_MESSAGES,
            obj=person,
            person_id=person.pk,
            summary=f"Read {marked} message{'' if marked == 1 else 's'} "
            + ("from the care team" if not from_patient else "from the person online"),
        )
    return marked


def portal_view(*, person: Person, acting_user, page: str) -> None:
    """Every page and document the person opens is written to the audit trail."""
    audit.record(
        actor=acting_user, action=AuditAction.VIEW, obj=person, person_id=person.pk, summary=f"Portal: viewed {page}"
    )


@transaction.atomic
def messages_open(*, person: Person, acting_user) -> int:
    """The person opens their messages: the care team's replies are marked read and the view recorded, in
    one audit row that says how many were read. The person must be one the user sees online now."""
    if not _may_write_in_thread(acting_user, person):
        raise ServiceError("You cannot read the messages about this person.")
    marked = Message.objects.filter(person=person, from_patient=False, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    read = f", and read {marked} message{'' if marked == 1 else 's'} from the care team" if marked else ""
    audit.record(
        actor=acting_user,
        action=AuditAction.READ_MESSAGES if marked else AuditAction.VIEW,
        obj=person,
        person_id=person.pk,
        summary=f"Portal: viewed messages{read}",
    )
    return marked
