"""Demo users, care teams and people (fictional; NHS numbers from the 999 test range).

Called by the seed_demo command; safe to run again: nothing is duplicated."""

import datetime

from people import services
from people.models import CareTeam, Person, PortalAccess, User
from people.nhs_number import formatted, test_range_number
from phb.roles import Role

DEMO_PASSWORD = "demo-password-2026"

TEAMS = ["North Leeds community team", "South Leeds community team"]

# username, first, last, role, teams
USERS = [
    ("alice", "Alice", "Adams", Role.COORDINATOR, [0]),
    ("bob", "Bob", "Brown", Role.COORDINATOR, [0]),
    ("charlie", "Charlie", "Clark", Role.COORDINATOR, [1]),
    ("priya", "Priya", "Patel", Role.APPROVER, []),
    ("leo", "Leo", "Lewis", Role.LEAD, []),
    ("pat", "Jane", "Smith", Role.PATIENT, []),
    ("ada", "Ada", "Admin", Role.ADMIN, []),
]

# given, family, date of birth, team, lead coordinator, address, postcode
PEOPLE = [
    ("Jane", "Smith", datetime.date(1958, 3, 14), 0, "alice", "12 Chapel Street", "LS6 3BW"),
    ("Mohammed", "Hussain", datetime.date(1946, 11, 2), 0, "alice", "4 Victoria Road", "LS6 1DL"),
    ("Grace", "Okafor", datetime.date(2012, 6, 30), 0, "bob", "88 Kirkstall Lane", "LS5 3AQ"),
    ("Tomasz", "Nowak", datetime.date(1979, 1, 21), 0, "bob", "Flat 3, 19 Otley Road", "LS6 2AA"),
    ("Eileen", "Walsh", datetime.date(1937, 9, 8), 0, "alice", "7 Meadow View", "LS16 6PA"),
    ("Priyanka", "Shah", datetime.date(1990, 4, 17), 0, None, "23 Harehills Lane", "LS8 4HW"),
    ("Sam", "Taylor", datetime.date(2009, 12, 1), 1, "charlie", "5 Beeston Road", "LS11 6AA"),
    ("Ruth", "Ellis", datetime.date(1951, 7, 26), 1, "charlie", "31 Dewsbury Road", "LS11 5LH"),
    ("Kwame", "Mensah", datetime.date(1968, 2, 11), 1, "charlie", "2 Middleton Park Road", "LS10 4LU"),
    ("Lily", "Evans", datetime.date(2006, 8, 19), 1, None, "60 Cross Flatts Avenue", "LS11 7BN"),
]


def seed() -> dict[str, User]:
    """Creates what is missing and returns the demo users by username."""
    teams = [CareTeam.objects.get_or_create(name=name)[0] for name in TEAMS]
    users = {}
    for username, first, last, role, team_indexes in USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "role": role, "email": f"{username}@example.nhs.uk"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.save()
            user.teams.set([teams[i] for i in team_indexes])
        users[username] = user

    for serial, (given, family, born, team, lead, address, postcode) in enumerate(PEOPLE):
        number = test_range_number(serial)
        if Person.objects.filter(nhs_number=number).exists():
            continue
        coordinator = users["alice"] if team == 0 else users["charlie"]
        services.person_create(
            acting_user=coordinator,
            nhs_number=number,
            given_name=given,
            family_name=family,
            date_of_birth=born,
            address_line_1=address,
            town="Leeds",
            postcode=postcode,
            care_team=teams[team],
            lead_coordinator=users[lead] if lead else None,
            gp_practice="Demo Medical Practice",
        )

    PortalAccess.objects.get_or_create(
        user=users["pat"], person=demo_person(0), revoked_at=None, defaults={"granted_by": users["alice"]}
    )
    return users


def demo_person(serial: int) -> Person:
    return Person.objects.get(nhs_number=test_range_number(serial))


def sign_in_lines() -> list[str]:
    lines = [f"Sign in at http://127.0.0.1:8000/sign-in/ with password {DEMO_PASSWORD!r} and the email address of:"]
    lines += [
        f"  {username}@example.nhs.uk  {Role(role).label} ({first} {last})" for username, first, last, role, _ in USERS
    ]
    lines.append(f"  Patient 'pat' sees Jane Smith, NHS number {formatted(test_range_number(0))}.")
    return lines
