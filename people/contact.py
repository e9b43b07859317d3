"""How a reminder reaches a person: the way they chose (Person.contact_by) and the address for it, written once.
Every reminder the service sends a person asks here (careplans.reminders, payments.reminders), and so do the
sweeps that decide whom to remind (`reachable`), the person form (`missing_address`) and the person page.

Consent is Person.wants_review_reminders; "no" is "do not contact" for every reminder. Text messages go through
GOV.UK Notify (phb.notify), to a UK mobile number.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q

from people.models import ContactChannel, Person
from phb import outbox
from phb.notify import TextMessage

# A UK mobile number as people write it: 07700 900982, +44 7700 900982, (07700) 900 982.
_MOBILE = re.compile(r"^(?:\+?44|0)7\d{9}$")


def is_mobile(phone: str) -> bool:
    return bool(_MOBILE.match(re.sub(r"[\s()-]", "", phone or "")))


@dataclass(frozen=True)
class Address:
    channel: ContactChannel
    to: str  # an e-mail address or a mobile number


def reminder_address(person: Person) -> Address | None:
    """Where the person's reminders go, or None: they said no, or there is no address for the way they chose."""
    if not person.wants_review_reminders:
        return None
    if person.contact_by == ContactChannel.TEXT:
        phone = person.phone.strip()
        return Address(ContactChannel.TEXT, phone) if is_mobile(phone) else None
    email = person.email.strip()
    return Address(ContactChannel.EMAIL, email) if email else None


def reachable(path: str = "") -> Q:
    """The people reminder_address gives an address, as a filter through `path` ("plan__person__"). A phone
    number that is not a mobile passes here and fails in reminder_address, so the message waits, with its reason,
    on the lead's "Messages not sent" rather than being dropped without a word."""
    wants = Q(**{f"{path}wants_review_reminders": True})
    by_email = Q(**{f"{path}contact_by": ContactChannel.EMAIL}) & ~Q(**{f"{path}email": ""})
    by_text = Q(**{f"{path}contact_by": ContactChannel.TEXT}) & ~Q(**{f"{path}phone": ""})
    return wants & (by_email | by_text)


def missing_address(channel: ContactChannel, email: str, phone: str) -> tuple[str, str] | None:
    """(field, message) when reminders the way chosen have nowhere to go; None when they have."""
    if channel == ContactChannel.TEXT:
        if not (phone or "").strip():
            return "phone", "Enter a mobile phone number to send them text messages, or choose email"
        if not is_mobile(phone):
            return "phone", "Enter a mobile phone number, like 07700 900982, to send them text messages"
        return None
    if not (email or "").strip():
        return "email", "Enter an email address to send them emails, or choose text message"
    return None


# A reminder by text message fills in its GOV.UK Notify template's ((body)) (settings.NOTIFY_TEMPLATES).
TEXT_KIND = "reminder-text"


def message_to(person: Person, *, subject: str, body: str, text: str) -> EmailMessage | TextMessage | None:
    """A reminder to the person the way they chose: the e-mail (subject, body) or the text message (`text`, short).
    None when they have said no (since the sweep); outbox.NoRecipient when the way they chose has no address."""
    if not person.wants_review_reminders:
        return None
    address = reminder_address(person)
    if address is None:
        missing = "mobile phone number" if person.contact_by == ContactChannel.TEXT else "email address"
        raise outbox.NoRecipient(f"There is no {missing} for the person. Add one, then choose Try again")
    if address.channel == ContactChannel.TEXT:
        return TextMessage(address.to, kind=TEXT_KIND, personalisation={"body": text})
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address.to])
