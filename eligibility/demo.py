"""Demo screenings: a few outcomes of each kind, and referrals waiting for the PHB team."""

import datetime

from eligibility import services
from eligibility.models import IPCCohort
from people.demo import demo_person
from people.models import User

# serial of the demo person, coordinator, answers
SCREENINGS = [
    (0, "alice", {"funding": "chc"}),
    (1, "alice", {"cohorts": ["long-term-conditions"]}),
    (
        3,
        "bob",
        {
            "commissioned_package": True,
            "package_description": "Complex mental health package with supported housing",
            "block_contract_services": ["Community mental health team (block contract)"],
        },
    ),
    (7, "charlie", {"funding": "chc", "hospital_inpatient": True}),
    (
        8,
        "charlie",
        {
            "commissioned_package": True,
            "package_description": "Learning disability package: day support and respite",
            "block_contract_services": ["Day centre", "Respite unit"],
        },
    ),
]


def seed(users: dict[str, User]) -> None:
    screened_on = datetime.date.today() - datetime.timedelta(days=7)
    for serial, username, answers in SCREENINGS:
        person = demo_person(serial)
        if person.screenings.exists():
            continue
        answers = dict(answers)
        cohorts = list(IPCCohort.objects.filter(code__in=answers.pop("cohorts", [])))
        services.screening_create(
            person=person,
            screened_on=screened_on,
            funding=answers.pop("funding", "none"),
            hospital_inpatient=answers.pop("hospital_inpatient", False),
            section_117="none",
            wheelchair=False,
            commissioned_package=answers.pop("commissioned_package", False),
            cohorts=cohorts,
            acting_user=users[username],
            **answers,
        )
