"""Online access: invitations, the patients and representatives who accepted them, and their messages.

As portal.services does it: the care team invites an e-mail address, the link is used once to set a
password (the user's username is the address), access is granted, and the thread between the person and
their care team grows; now and then access is stopped, and a few invitations are still waiting or expired.
"""

from phb.models import AuditAction
from phb.roles import Role
from phb.words import lower_first
from portal.models import Relationship
from scale import fiction
from scale.batch import DAY, Batch, World, stamp
from scale.copy import random_uuid
from scale.journey import token_hash
from scale.staff import Member

ONLINE_SHARE = 0.18
WAITING_SHARE = 0.01
LIFETIME = 72 * 3600  # portal.services.INVITATION_LIFETIME


def _patient(world: World, batch: Batch, life, *, bench: bool, joined: int) -> tuple[Member, str, str]:
    """The user who accepts: the person, or whoever speaks for them. Returns (user, relationship, e-mail)."""
    rng = life.rng
    if life.child:
        relationship, given = Relationship.PARENT, life.representative[1].split()[0]
    elif life.representative:
        relationship = rng.choice((Relationship.DEPUTY, Relationship.ATTORNEY, Relationship.OTHER))
        given = life.representative[1].split()[0]
    else:
        relationship, given = Relationship.SELF, life.given
    if bench:
        username, email = "bench-patient", "bench-patient@example.com"
    else:
        username = email = f"{given}.{life.family}.p{life.index}@example.com".lower().replace("'", "")
    user_id = world.counters.user
    world.counters.user += 1
    batch.users.add(
        user_id,
        world.password_hash,
        None,
        False,
        username,
        given,
        life.family,
        email,
        False,
        True,
        stamp(joined),
        Role.PATIENT,
    )
    return Member(user_id, username, f"{given} {life.family}", email, Role.PATIENT), relationship, email


def write(world: World, batch: Batch, life, plan, *, bench: bool = False) -> None:
    """Online access for some of the people with an agreed plan (always for bench-patient's person)."""
    rng = life.rng
    if plan is None or not plan.agreed:
        return
    chance = rng.random()
    if not bench and chance >= ONLINE_SHARE + WAITING_SHARE:
        return
    today = world.anchor
    coordinator = plan.coordinator
    first = plan.since // DAY + 1
    if first >= today - 3:
        return
    if not bench and chance >= ONLINE_SHARE:
        # An invitation not used (yet): waiting for the next 72 hours, or expired.
        invited = (today - 1) * DAY + 9 * 3600 if rng.random() < 0.5 else rng.randint(first, today - 4) * DAY + 36000
        relationship = Relationship.SELF if not life.representative else Relationship.OTHER
        email = f"{life.given}.{life.family}.i{life.index}@example.com".lower().replace("'", "")
        _invite(batch, life, coordinator, invited, email, relationship, rng, used=None, user=None)
        return
    invited = rng.randint(first, today - 3) * DAY + rng.randint(9 * 3600, 16 * 3600)
    used = invited + rng.randint(600, 48 * 3600)
    user, relationship, email = _patient(world, batch, life, bench=bench, joined=used)
    _invite(batch, life, coordinator, invited, email, relationship, rng, used=used, user=user)
    revoked = None
    if not bench and rng.random() < 0.03:
        revoked = rng.randint(used // DAY + 30, max(used // DAY + 31, today - 1)) * DAY + 11 * 3600
        if revoked >= today * DAY:
            revoked = None
    batch.accesses.add(
        user.id,
        life.id,
        Relationship(relationship).label,
        stamp(used),
        coordinator.id,
        stamp(revoked) if revoked else None,
    )
    if revoked:
        batch.record(
            revoked,
            coordinator,
            AuditAction.REVOKE,
            "people.portalaccess",
            "",
            life.id,
            f"Stopped online access for {user.username}",
            {"revoked_at": [None, stamp(revoked)]},
        )
    _messages(world, batch, life, user, coordinator, used, revoked or today * DAY, 8 if bench else rng.randint(0, 6))


def _invite(batch: Batch, life, coordinator: Member, invited: int, email, relationship, rng, *, used, user) -> None:
    invitation_id = random_uuid(rng)
    batch.invitations.add(
        invitation_id,
        life.id,
        email,
        relationship,
        token_hash(rng),
        stamp(invited + LIFETIME),
        stamp(used) if used else None,
        user.id if user else None,
        coordinator.id,
        stamp(invited),
    )
    label = lower_first(Relationship(relationship).label)
    batch.record(
        invited,
        coordinator,
        AuditAction.INVITE,
        "portal.invitation",
        invitation_id,
        life.id,
        f"Invited {email} to see the record online ({label})",
    )
    if used:
        batch.record(
            used,
            user,
            AuditAction.ACCEPT_INVITATION,
            "portal.invitation",
            invitation_id,
            life.id,
            "Accepted an invitation and set a password",
        )


def _messages(world: World, batch: Batch, life, user: Member, coordinator: Member, since: int, until: int, count):
    """A thread that alternates, the person first; each side's messages are read when the other replies."""
    rng = life.rng
    if count == 0 or until - since < 4 * DAY:
        return
    times = sorted(rng.randint(since + 3600, until - 3600) for _ in range(count))
    rows = []
    for n, moment in enumerate(times):
        from_patient = n % 2 == 0
        sender = user if from_patient else coordinator
        body = rng.choice(fiction.MESSAGES_FROM_PERSON if from_patient else fiction.MESSAGES_FROM_TEAM)
        rows.append([random_uuid(rng), sender, from_patient, body, moment, None])
    for n, row in enumerate(rows):
        later = next((other[4] for other in rows[n + 1 :] if other[2] != row[2]), None)
        if later is None and not row[2] and rng.random() < 0.7 and row[4] + DAY < until:
            later = row[4] + rng.randint(3600, DAY)
        row[5] = later
    for message_id, sender, from_patient, body, moment, read in rows:
        batch.messages.add(
            message_id, life.id, sender.id, from_patient, body, stamp(moment), stamp(read) if read else None
        )
        summary = "Sent a message" + (" to the care coordinator" if from_patient else " to the person")
        batch.record(moment, sender, AuditAction.SEND_MESSAGE, "portal.message", message_id, life.id, summary)
