"""Notices to the person: when something happens to their budget, plan or messages, they are told, once, the way
they chose (people.contact: e-mail or text message; nothing when they said no to being contacted).

- The services where it happens call `notice_write` in their own transaction: the indicative budget the person
  may now be told (budgets.services), a plan approved or not approved and a plan starting (careplans.approval),
  a reply from the care team in the person's messages (portal.services.message_send: one until they have
  read their messages, however many replies come meanwhile). A plan returned to the
  coordinator is not a decision about the person's money, so it tells the person nothing.
- Each is one PersonNotice row (an outbox row, phb.outbox) for each (kind, event): a decision made twice or a
  request sent again writes nothing more. After the transaction commits the row is handed to the worker; the
  sweep (`queue_due`, from Celery beat) hands over any whose task was lost.
- The words of each kind are written once, in WORDING, in plain English for the person. They never carry a
  message's own words or anything more about the person's health than the kind of event.
- Nobody to send to (the way they chose has no address): the row fails at once and waits on the PHB team lead's
  "Messages not sent" page with the reason (careplans.emails lists PersonNotice there).
"""

from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction

from people import contact
from people.models import ContactChannel, NoticeKind, Person, PersonNotice, PortalAccess
from phb import outbox
from phb.errors import ServiceError
from phb.notify import TextMessage

SERVICE = "the personal health budget service"
SIGNED = "The personal health budget team"
TEXT_SIGNED = "From the personal health budget team"


@dataclass(frozen=True)
class Wording:
    """What a kind of notice says. `{starts}` and the like come from the row's details; `sign_in` is added (in
    the e-mail and the text) when someone has online access to the person's records."""

    subject: str
    body: str
    text: str
    sign_in: str = ""
    always_sign_in: bool = False  # only someone with online access is ever told of it


WORDING: dict[str, Wording] = {
    NoticeKind.BUDGET_TOLD: Wording(
        subject="Your indicative personal health budget",
        body="We have worked out your indicative personal health budget. This is the amount of money we think you "
        "need to meet your health and wellbeing needs. It is a starting figure to help you plan, not the final "
        "amount.\n\nYour care coordinator will talk to you about it and help you write your care and support plan.",
        text="We have worked out your indicative personal health budget. Your care coordinator will talk to you "
        "about it.",
        sign_in=f"You can see it when you sign in to {SERVICE}.",
    ),
    NoticeKind.PLAN_APPROVED: Wording(
        subject="Your care and support plan has been approved",
        body="We have approved your personalised care and support plan. Your personal health budget pays for the "
        "support in it from {starts}.\n\nYour care coordinator will tell you what happens next.",
        text="We have approved your personal health budget plan. Your budget pays for your support from {starts}.",
        sign_in=f"You can see your plan when you sign in to {SERVICE}.",
    ),
    NoticeKind.PLAN_DECLINED: Wording(
        subject="A decision about your care and support plan",
        body="We have not been able to approve your personalised care and support plan as it is.\n\nYour care "
        "coordinator will contact you to explain why, and to talk about what you can do next.",
        text="We have not been able to approve your personal health budget plan as it is. Your care coordinator "
        "will contact you to explain why.",
    ),
    NoticeKind.PLAN_STARTING: Wording(
        subject="Your care and support plan has started",
        body="Your personalised care and support plan is now in place. Your personal health budget pays for the "
        "support in it from {starts}.\n\nIf anything changes, or you have questions, contact your care coordinator.",
        text="Your personal health budget plan is now in place. Your budget pays for your support from {starts}.",
        sign_in=f"You can see your plan when you sign in to {SERVICE}.",
    ),
    NoticeKind.TEAM_REPLIED: Wording(
        subject="You have a new message from your care team",
        body="Your care team has sent you a message about your personal health budget.",
        text="Your care team has sent you a message about your personal health budget.",
        sign_in=f"Sign in to {SERVICE} to read it and reply.",
        always_sign_in=True,
    ),
}


def notice_write(
    *, person: Person, kind: NoticeKind, about, details: dict | None = None, link: str = ""
) -> PersonNotice | None:
    """Writes the notice for one event in the caller's transaction, and hands it to the worker once that commits.

    `about` is the id of what happened (the plan version, budget version or message). Returns None, writing
    nothing, when this event already has its notice (the same decision, or a request sent twice)."""
    if not transaction.get_connection().in_atomic_block:
        raise ServiceError("A notice is written in the transaction of what it tells the person about.")
    about = str(about)
    if PersonNotice.objects.filter(kind=kind, about=about).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a notice written at the same moment elsewhere wins
            notice = PersonNotice.objects.create(
                person=person, kind=kind, about=about, details=details or {}, link=link
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: notice_queue(notice.pk))
    return notice


def _has_online_access(person: Person) -> bool:
    return PortalAccess.objects.filter(person=person, revoked_at__isnull=True).exists()


def words(notice: PersonNotice) -> tuple[str, str, str]:
    """The notice's subject, e-mail body and text message, filled in. The e-mail's sign-in sentence links to the
    page when the row has its address."""
    wording = WORDING[notice.kind]
    body, text = wording.body.format(**notice.details), wording.text.format(**notice.details)
    if wording.sign_in and (wording.always_sign_in or _has_online_access(notice.person)):
        text = f"{text} {wording.sign_in}"
        body += "\n\n" + (f"{wording.sign_in.removesuffix('.')}: {notice.link}" if notice.link else wording.sign_in)
    return wording.subject, f"Dear {notice.person.full_name},\n\n{body}\n\n{SIGNED}", f"{text} {TEXT_SIGNED}"


def notice_message(notice: PersonNotice) -> EmailMessage | TextMessage | None:
    """The e-mail or text message for one notice, or None when the person has said no to being contacted.
    Raises outbox.NoRecipient when the way they chose has no address."""
    subject, body, text = words(notice)
    return contact.message_to(notice.person, subject=subject, body=body, text=text)


def with_details():
    """Notices with what building their message, or listing them, needs."""
    return PersonNotice.objects.select_related("person")


def notice_send(notice_id: int) -> bool:
    """Sends one notice, once. False if it was already sent, is being sent, is not due, failed this time (the
    outbox keeps the error and tries again later), or the person said no to being contacted."""
    return outbox.send(with_details(), notice_id, build=notice_message)


def notices_send(notice_ids: list[int], *, queued_at: str) -> int:
    """Sends a batch the sweep queued, each once (see phb.outbox.send_batch). Returns how many went."""
    return outbox.send_batch(with_details(), notice_ids, queued_at=queued_at, build=notice_message)


def notice_queue(notice_id: int) -> bool:
    """Hands one notice to the worker; if Redis is down it waits for the sweep."""
    from people import tasks

    return outbox.queue(PersonNotice, notice_id, tasks.send_person_notice)


def queue_due() -> outbox.Queued:
    """The notices' sweep (see phb.outbox.queue_due)."""
    from people import tasks

    return outbox.queue_due(PersonNotice, tasks.send_person_notices)


def describe(notice: PersonNotice) -> tuple[str, str, object]:
    """A notice as the PHB team lead's page of messages not sent shows it (careplans.emails.OutboxKind): what it
    was, where it goes, and the person it is about."""
    person = notice.person
    address = contact.reminder_address(person)
    if address is not None:
        to = address.to
    elif not person.wants_review_reminders:
        to = "They said no to being contacted"
    else:
        to = "No mobile phone number" if person.contact_by == ContactChannel.TEXT else "No e-mail address"
    return f"Notice to the person: {NoticeKind(notice.kind).label}", to, person
