"""Care teams and staff in proportion to the number of people, and the known bench personas.

At 200,000 people: 40 care teams, 400 care coordinators, 40 PHB team members and 4 PHB team leads.
Two teams are sized for the benchmarks: the first has about 60 people (bench-coordinator-60's), the
second about 600 (bench-coordinator-600's); the others share the rest unevenly.
"""

import datetime
import random
from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import CareTeam, User
from phb.roles import Role
from scale import fiction
from scale.copy import Table, m2m_table, next_id

PERSONAS = {
    "bench-coordinator-60": Role.COORDINATOR,
    "bench-coordinator-600": Role.COORDINATOR,
    "bench-phb-team": Role.APPROVER,
    "bench-lead": Role.LEAD,
    "bench-patient": Role.PATIENT,
}
# The staff personas' authenticator app: one fixed key, for bench databases only (scripts/bench_http.py
# works out their codes from it to sign in as staff do). Never give it to an account anyone uses.
BENCH_TOTP_KEY = "62656e63682d6f6e6c792d746f74702d6b6579"  # "bench-only-totp-key"
SMALL_TEAM, LARGE_TEAM = 60, 600
PEOPLE_PER_TEAM = 5000
PEOPLE_PER_COORDINATOR = 500
PEOPLE_PER_APPROVER = 5000
PEOPLE_PER_LEAD = 50000

USER_FIELDS = [
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
    "role",
]


@dataclass(frozen=True)
class Member:
    """A staff user as the generator needs them: id, names for wording, e-mail for outbox rows."""

    id: int
    username: str
    name: str
    email: str
    role: str


@dataclass
class Staffing:
    teams: list[tuple[int, str]]
    coordinators: list[list[Member]]  # by team index
    approvers: list[Member]
    leads: list[Member]
    person_team: list[int]  # the team index of each generated person
    patient_person: int  # the index of the person bench-patient sees


def team_sizes(people: int, teams: int, rng: random.Random) -> list[int]:
    small = min(SMALL_TEAM, people // 5)
    large = min(LARGE_TEAM, people // 3)
    rest = people - small - large
    weights = [rng.uniform(0.6, 1.4) for _ in range(teams - 2)]
    sizes = [int(rest * w / sum(weights)) for w in weights]
    sizes[0] += rest - sum(sizes)
    return [small, large, *sizes]


def coordinator_counts(sizes: list[int], total: int) -> list[int]:
    """Two for each persona team; the rest shared by team size (largest remainders), at least one a team."""
    rest = sizes[2:]
    share = max(total - 4, len(rest))
    exact = [share * size / sum(rest) for size in rest]
    counts = [max(1, int(e)) for e in exact]
    by_remainder = sorted(range(len(rest)), key=lambda i: int(exact[i]) - exact[i])
    for i in by_remainder[: max(0, share - sum(counts))]:
        counts[i] += 1
    return [2, 2, *counts]


def _team_names(count: int) -> list[str]:
    taken = set(CareTeam.objects.values_list("name", flat=True))
    names = []
    for index in range(count):
        area = fiction.AREAS[index % len(fiction.AREAS)]
        round_ = index // len(fiction.AREAS)
        name = f"{area} community team" + (f" {round_ + 1}" if round_ else "")
        while name in taken:
            name += " (scale)"
        taken.add(name)
        names.append(name)
    return names


def build(*, people: int, seed: int, anchor: datetime.date, password_hash: str, covered: int, cursor) -> Staffing:
    """Writes the teams and staff, and decides which team each person is in."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    team_count = max(3, round(people / PEOPLE_PER_TEAM))
    sizes = team_sizes(people, team_count, rng)
    counts = coordinator_counts(sizes, max(team_count + 2, round(people / PEOPLE_PER_COORDINATOR)))
    joined = datetime.datetime.combine(anchor, datetime.time(9), tzinfo=datetime.UTC) - datetime.timedelta(days=4000)

    teams_table = Table(CareTeam, ["id", "name", "created_at"])
    first_team = next_id(CareTeam)
    teams = [(first_team + i, name) for i, name in enumerate(_team_names(team_count))]
    for team_id, name in teams:
        teams_table.add(team_id, name, joined)

    users = Table(User, USER_FIELDS)
    memberships = Table(m2m_table(User, "teams"), ["user", "careteam"], numbered=True)
    memberships.counter = [next_id(memberships.model)]
    next_user = [next_id(User)]
    used_names = set(User.objects.values_list("username", flat=True))

    def member(role: str, username: str | None = None) -> Member:
        first, last = rng.choice(fiction.GIVEN_NAMES), rng.choice(fiction.FAMILY_NAMES)
        if username is None:
            base = f"{first}.{last}".lower().replace("'", "")
            username, n = base, 1
            while username in used_names:
                n += 1
                username = f"{base}{n}"
        used_names.add(username)
        email = f"{username}@example.nhs.uk"
        user_id = next_user[0]
        next_user[0] += 1
        since = joined + datetime.timedelta(days=rng.randint(0, 900))
        users.add(user_id, password_hash, None, False, username, first, last, email, False, True, since, role)
        return Member(user_id, username, f"{first} {last}", email, role)

    coordinators = []
    for index, ((team_id, _), count) in enumerate(zip(teams, counts, strict=True)):
        persona = {0: "bench-coordinator-60", 1: "bench-coordinator-600"}.get(index)
        team = [member(Role.COORDINATOR, persona)] if persona else []
        team += [member(Role.COORDINATOR) for _ in range(count - len(team))]
        for one in team:
            memberships.add(one.id, team_id)
        coordinators.append(team)
    approvers = [member(Role.APPROVER, "bench-phb-team")]
    approvers += [member(Role.APPROVER) for _ in range(max(2, round(people / PEOPLE_PER_APPROVER)) - 1)]
    leads = [member(Role.LEAD, "bench-lead")]
    leads += [member(Role.LEAD) for _ in range(max(2, round(people / PEOPLE_PER_LEAD)) - 1)]

    for table in (teams_table, users, memberships):
        table.flush(cursor)
    for username, role in PERSONAS.items():
        if role != Role.PATIENT:
            bench_authenticator(User.objects.get(username=username))

    person_team = [team for team, size in enumerate(sizes) for _ in range(size)]
    rng.shuffle(person_team)
    patient_person = next(i for i in range(covered, people) if person_team[i] == 1)
    return Staffing(teams, coordinators, approvers, leads, person_team, patient_person)


def bench_authenticator(user) -> TOTPDevice:
    """The persona's authenticator app with BENCH_TOTP_KEY (made if missing, so a database seeded before
    staff had a second factor can still be benched)."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "Bench authenticator", "key": BENCH_TOTP_KEY}
    )
    return device
