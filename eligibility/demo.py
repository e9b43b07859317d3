"""Demo screenings: a few outcomes of each kind, referrals waiting for the PHB team and one decided.

Everyone screened longer ago has come further along the journey (budgets/demo.py, careplans/demo.py)."""

import datetime

from eligibility import services
from eligibility.models import IPCCohort
from people.demo import demo_person
from people.models import User

CHC = {"funding": "chc"}
PACKAGE = {
    "commissioned_package": True,
    "package_description": "Complex mental health package with supported housing",
    "block_contract_services": ["Community mental health team (block contract)"],
}

# serial of the demo person, coordinator, days ago, answers
SCREENINGS = [
    (0, "alice", 7, CHC),  # Jane: assessed, a plan being written
    (1, "alice", 7, {"cohorts": ["long-term-conditions"]}),  # Mohammed: an IPC offer, a plan submitted
    (3, "bob", 7, PACKAGE),  # Tomasz: a referral waiting for the PHB team
    (7, "charlie", 7, {**CHC, "hospital_inpatient": True}),  # Ruth: not eligible while in hospital
    (
        8,
        "charlie",
        7,
        {
            "commissioned_package": True,
            "package_description": "Learning disability package: day support and respite",
            "block_contract_services": ["Day centre", "Respite unit"],
        },
    ),  # Kwame: a referral waiting for the PHB team
    (5, "alice", 20, PACKAGE),  # Priyanka: referred, approved by the PHB team, waiting for an assessment
    (6, "bob", 30, {"funding": "cc"}),  # Sam: children's continuing care, assessed
    (9, "charlie", 40, CHC),  # Lily: a budget waiting for sign-off
    (10, "alice", 45, {"cohorts": ["long-term-conditions"]}),  # Aisha: a budget signed off, ready to tell
    (11, "bob", 60, CHC),  # Peter: a plan returned
    (12, "alice", 70, {"section_117": "aftercare"}),  # Margaret: a plan approved, starting later
    (17, "bob", 80, CHC),  # Oliver: active
    (18, "bob", 120, CHC),  # Kevin: active, an ending asked for that waits for the PHB team
    (13, "alice", 100, CHC),  # David: a review due soon
    (14, "charlie", 150, CHC),  # Fatima: a review overdue
    (4, "alice", 240, CHC),  # Eileen: active, a review done
    (15, "bob", 200, CHC),  # George: ending
    (16, "charlie", 300, CHC),  # Helen: ended
]

# serial: the PHB team's decision on the referral (approve, reason)
DECISIONS = {5: (True, "The package can be offered as a personal health budget: Priyanka wants to choose her support.")}


def seed(users: dict[str, User]) -> None:
    today = datetime.date.today()
    for serial, username, days_ago, answers in SCREENINGS:
        person = demo_person(serial)
        if person.screenings.exists():
            continue
        answers = dict(answers)
        cohorts = list(IPCCohort.objects.filter(code__in=answers.pop("cohorts", [])))
        screening = services.screening_create(
            person=person,
            screened_on=today - datetime.timedelta(days=days_ago),
            funding=answers.pop("funding", "none"),
            hospital_inpatient=answers.pop("hospital_inpatient", False),
            section_117=answers.pop("section_117", "none"),
            wheelchair=False,
            commissioned_package=answers.pop("commissioned_package", False),
            cohorts=cohorts,
            acting_user=users[username],
            **answers,
        )
        if serial in DECISIONS:
            approve, reason = DECISIONS[serial]
            services.screening_decide(screening=screening, approve=approve, reason=reason, acting_user=users["priya"])
