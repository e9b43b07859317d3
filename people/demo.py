"""Demo users, care teams and people (fictional; NHS numbers from the 999 test range).

Called by the seed_demo command; safe to run again: nothing is duplicated."""

import datetime

from people import services
from people.models import CareTeam, Person, RepresentativeRole, User
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

# given, family, date of birth, team, lead coordinator, address, postcode. How far each has come in the
# journey is in the later apps' demo.py, by serial (the position here): every stage has someone.
PEOPLE = [
    ("Jane", "Smith", datetime.date(1958, 3, 14), 0, "alice", "12 Chapel Street", "LS6 3BW"),
    ("Mohammed", "Hussain", datetime.date(1946, 11, 2), 0, "alice", "4 Victoria Road", "LS6 1DL"),
    ("Grace", "Okafor", datetime.date(2012, 6, 30), 0, "bob", "88 Kirkstall Lane", "LS5 3AQ"),
    ("Tomasz", "Nowak", datetime.date(1979, 1, 21), 0, "bob", "Flat 3, 19 Otley Road", "LS6 2AA"),
    ("Eileen", "Walsh", datetime.date(1937, 9, 8), 0, "alice", "7 Meadow View", "LS16 6PA"),
    ("Priyanka", "Shah", datetime.date(1990, 4, 17), 0, None, "23 Harehills Lane", "LS8 4HW"),
    ("Sam", "Taylor", datetime.date(2009, 12, 1), 0, "bob", "5 Headingley Lane", "LS6 1BL"),
    ("Ruth", "Ellis", datetime.date(1951, 7, 26), 1, "charlie", "31 Dewsbury Road", "LS11 5LH"),
    ("Kwame", "Mensah", datetime.date(1968, 2, 11), 1, "charlie", "2 Middleton Park Road", "LS10 4LU"),
    ("Lily", "Evans", datetime.date(2006, 8, 19), 1, None, "60 Cross Flatts Avenue", "LS11 7BN"),
    ("Aisha", "Begum", datetime.date(1972, 5, 3), 0, "alice", "15 Spencer Place", "LS7 4DQ"),
    ("Peter", "Robinson", datetime.date(1955, 10, 12), 0, "bob", "9 Cardigan Road", "LS6 1LF"),
    ("Margaret", "Hughes", datetime.date(1949, 1, 30), 0, "alice", "41 Shaw Lane", "LS6 4DH"),
    ("David", "Chen", datetime.date(1983, 7, 7), 0, "alice", "Flat 12, 3 Woodhouse Square", "LS3 1AD"),
    ("Fatima", "Ali", datetime.date(1965, 12, 24), 1, "charlie", "27 Tempest Road", "LS11 6RD"),
    ("George", "Wright", datetime.date(1941, 4, 16), 0, "bob", "3 Stainbeck Gardens", "LS7 2RF"),
    ("Helen", "Baker", datetime.date(1960, 3, 2), 1, "charlie", "18 Lady Pit Lane", "LS11 6BL"),
    ("Oliver", "Green", datetime.date(1999, 9, 9), 0, "bob", "6 Grosvenor Road", "LS6 2DZ"),
    ("Kevin", "Doyle", datetime.date(1975, 6, 21), 0, "bob", "22 Cliff Road", "LS6 2EZ"),
]

# serial: who represents them (role, name, relationship, contact); they are invited online in portal/demo.py.
REPRESENTATIVES = {
    4: (RepresentativeRole.REPRESENTATIVE, "Michael Walsh", "Son", "michael.walsh@example.com"),
}


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

    for serial, (role, name, relationship, contact) in REPRESENTATIVES.items():
        person = demo_person(serial)
        if not person.representative_role:
            services.person_update(
                person=person,
                expected_version=person.version,
                acting_user=users["alice"] if person.care_team == teams[0] else users["charlie"],
                representative_role=role,
                representative_name=name,
                representative_relationship=relationship,
                representative_contact=contact,
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
