"""Demo online access and messages: Jane sees her own record (pat), Eileen's son sees hers as her
representative, an invitation waits for Mohammed's son, and messages go both ways.

Access is given the way the service gives it: an invitation, accepted."""

from people.demo import DEMO_PASSWORD, demo_person
from people.models import PortalAccess, User
from portal import services
from portal.models import Relationship

LINK_BASE = "http://127.0.0.1:8000/"
REPRESENTATIVE = "michael.walsh@example.com"
WAITING = "imran.hussain@example.com"

# serial: the thread, oldest first (True: from the person or their representative)
MESSAGES = {
    0: [
        (False, "Hello Jane, your plan is nearly ready. I will visit on Tuesday to go through it with you and Sarah."),
        (True, "Thank you. Could the personal assistant come at 8 rather than 9? Choir is on Thursday mornings now."),
    ],
    4: [
        (True, "Mum had a fall last week. She is fine, but could we talk about more help in the evenings?"),
        (False, "I am sorry to hear that, Michael. I will call you tomorrow afternoon to talk it through."),
    ],
}


def seed(users: dict[str, User]) -> dict[str, User]:
    """Gives the demo's online accounts their access, sends the messages; returns the representative."""
    jane, eileen, mohammed = demo_person(0), demo_person(4), demo_person(1)
    alice, pat = users["alice"], users["pat"]
    if not PortalAccess.objects.filter(user=pat, person=jane).exists():
        invitation = _invite(jane, pat.email, Relationship.SELF, alice)
        services.invitation_accept_signed_in(token=invitation.token, acting_user=pat)
    michael = User.objects.filter(username=REPRESENTATIVE).first()
    if michael is None:
        invitation = _invite(eileen, REPRESENTATIVE, Relationship.ATTORNEY, alice)
        michael = services.invitation_accept(
            token=invitation.token, password=DEMO_PASSWORD, first_name="Michael", last_name="Walsh"
        )
    if not mohammed.invitations.exists():
        _invite(mohammed, WAITING, Relationship.OTHER, alice)
    writers = {0: (pat, alice), 4: (michael, alice)}
    for serial, thread in MESSAGES.items():
        person = demo_person(serial)
        if person.portal_messages.exists():
            continue
        for from_person, body in thread:
            sender = writers[serial][0 if from_person else 1]
            services.message_send(person=person, body=body, acting_user=sender)
    return {"representative": michael}


def _invite(person, email: str, relationship: str, coordinator: User):
    return services.invitation_create(
        person=person, email=email, relationship=relationship, link_base=LINK_BASE, acting_user=coordinator
    )


def sign_in_lines() -> list[str]:
    return [
        f"  {REPRESENTATIVE}  Representative of Eileen Walsh (her son, online), same password.",
        f"  An invitation waits for {WAITING} (Mohammed Hussain's son).",
    ]
