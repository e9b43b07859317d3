"""The portal's part of a coordinator's "Needs you" tray (casework.trays): messages from people not yet read,
and invitations that ran out before anyone used them. Registered when Django starts (portal.apps), since
casework sits below the portal and may not read its models.
"""

import datetime

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Now

from casework.trays import COORDINATORS, Ask, Row, Source, Tray, as_rows, days_words, register, url
from people.models import Person
from portal.models import Invitation, Message
from portal.services import INVITATION_LIFETIME

# A cancelled invitation "expires" when it is cancelled (portal.services.invitation_cancel), well before its
# lifetime is up; one that ran out lived all of it. The minute allows for the moment between working out
# expires_at and saving created_at.
CANCELLED_BEFORE = INVITATION_LIFETIME - datetime.timedelta(minutes=1)


def unread_from_person() -> QuerySet[Message]:
    """Messages from the person (or their representative) that nobody in the care team has read yet
    (replying or opening the thread marks them read: portal.services)."""
    return Message.objects.filter(from_patient=True, read_at__isnull=True)


def unread_messages(ask: Ask) -> QuerySet:
    """One row a person with messages not read, waiting from the oldest of them; the note is how many."""
    unread = unread_from_person().filter(person=OuterRef("pk")).order_by()
    people = Person.objects.filter(ask.people("", write=True)).filter(Exists(unread))
    people = people.annotate(
        first_unread=Subquery(unread.order_by("created_at").values("created_at")[:1]),
        unread=Subquery(unread.values("person").annotate(n=Count("pk")).values("n")),
    )
    return as_rows(people, person="", since_moment="first_unread", note=F("unread"))


def messages_say(row: Row) -> str:
    count = int(row.note or 0)
    return f"{count} message{'' if count == 1 else 's'} from them not read yet. Read and reply."


def expired_invitations(ask: Ask) -> QuerySet:
    """Invitations that ran out unused (not cancelled), with no newer invitation to the same address for the
    person since: invite them again. Waiting from when the link stopped working. (The database's clock, so the
    header's counts, compiled once a day, stay right all day.)"""
    newer = Invitation.objects.filter(
        person=OuterRef("person"), email__iexact=OuterRef("email"), created_at__gt=OuterRef("created_at")
    )
    invitations = (
        Invitation.objects.filter(used_at__isnull=True, expires_at__lte=Now())
        .filter(expires_at__gte=F("created_at") + CANCELLED_BEFORE)
        .exclude(Exists(newer))
        .filter(ask.people("person__", write=True))
    )
    return as_rows(invitations, person="person__", since_moment="expires_at", note=F("email"))


def invitations_say(row: Row) -> str:
    return f"The invitation to {row.note} ran out before it was used. Invite them again."


def expired_when(row: Row) -> str:
    return "Ran out today" if row.days <= 0 else f"Ran out {days_words(row.days)} ago"


def register_sources() -> None:
    register(
        Source(
            "unread_messages",
            Tray.NEEDS_YOU,
            "Messages from people",
            unread_messages,
            url("portal:staff_messages", person_pk="person_pk"),
            messages_say,
            roles=COORDINATORS,
        )
    )
    register(
        Source(
            "expired_invitations",
            Tray.NEEDS_YOU,
            "Invitations that ran out",
            expired_invitations,
            url("portal:invite", person_pk="person_pk"),
            invitations_say,
            roles=COORDINATORS,
            waiting=expired_when,
        )
    )
