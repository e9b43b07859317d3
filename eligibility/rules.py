"""Who can have a personal health budget: the screening policy as pure functions.

No Django models, no database: plain values in, a result out, so the policy
can be read here and tested by tables of cases (tests/test_rules.py).

The routes, strongest first:
1. Right to have: NHS Continuing Healthcare (adults, 18 and over) or
   children's continuing care (17 and under), living in the community;
   section 117 mental health aftercare; NHS wheelchair services (a personal
   wheelchair budget).
2. Integrated Personal Commissioning (IPC) cohorts the ICB has chosen. A cohort
   either brings an offer straight away or needs a PHB team decision.
3. Individually commissioned care packages: always a PHB team decision, and
   services paid through a block contract cannot be paid again from a budget.
"""

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

ADULT_AGE = 18


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    IPC_OFFER = "ipc_offer"
    REFERRED = "referred"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.ELIGIBLE: "Eligible: right to have",
    Outcome.IPC_OFFER: "Eligible: IPC offer",
    Outcome.REFERRED: "Referred for PHB team decision",
    Outcome.NOT_ELIGIBLE: "Not eligible",
}


class Route(StrEnum):
    RIGHT_TO_HAVE = "right_to_have"
    IPC = "ipc"
    DISCRETIONARY = "discretionary"
    NONE = "none"

    @property
    def label(self) -> str:
        return ROUTE_LABELS[self]


ROUTE_LABELS = {
    Route.RIGHT_TO_HAVE: "Right to have",
    Route.IPC: "Integrated Personal Commissioning (IPC)",
    Route.DISCRETIONARY: "Individually commissioned care package",
    Route.NONE: "None",
}


class Funding(StrEnum):
    NONE = "none"
    CHC = "chc"  # NHS Continuing Healthcare
    CC = "cc"  # children's continuing care
    BOTH = "both"  # never true of one person: refused by problems()


class Section117(StrEnum):
    NONE = "none"
    AFTERCARE = "aftercare"  # after detention under section 3, 37, 45A, 47 or 48
    SECTION_2_ONLY = "section_2_only"  # assessment only: no section 117 aftercare


@dataclass(frozen=True)
class Cohort:
    """An IPC cohort as the ICB has set it up at the time of screening."""

    code: str
    name: str
    needs_decision: bool = False
    retired: bool = False


@dataclass(frozen=True)
class Facts:
    date_of_birth: datetime.date
    funding: Funding = Funding.NONE
    hospital_inpatient: bool = False
    section_117: Section117 = Section117.NONE
    wheelchair: bool = False
    commissioned_package: bool = False
    block_contract_services: tuple[str, ...] = ()
    cohorts: tuple[Cohort, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One route that applies (or was looked at and did not), and why."""

    route: Route
    outcome: Outcome
    basis: str
    reason: str


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    route: Route
    reasons: tuple[str, ...]
    next_steps: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default=())
    block_contract_services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    """A reason or a next step in two voices, written side by side so they say the same thing: `staff`, about the
    person, kept on the screening and shown on staff pages; `letter`, to the person, in their outcome letter
    (eligibility.letters.to_letter finds a kept staff text's letter wording). Both take the same {placeholders}."""

    staff: str
    letter: str

    def __call__(self, **values: str) -> str:
        return self.staff.format(**values)


FUNDED_AT_HOME = Wording(
    "Has {funded} funding and lives in the community.",
    "You get {funded} funding and you live in the community, not in hospital. This gives you the right to have a "
    "personal health budget.",
)
FUNDED_IN_HOSPITAL = Wording(
    "Has {funded} funding but is a hospital inpatient. "
    "The right to have a budget applies to people living in the community.",
    "You get {funded} funding, but you are staying in hospital. The right to have a personal health budget is for "
    "people who live in the community.",
)
AFTERCARE = Wording(
    "Receives section 117 mental health aftercare.",
    "You get aftercare under section 117 of the Mental Health Act. This gives you the right to have a personal "
    "health budget.",
)
SECTION_2_ONLY = Wording(
    "Was detained under section 2 only. Section 117 aftercare follows detention for treatment "
    "(for example section 3), so it does not give a right to a budget.",
    "You were kept in hospital under section 2 of the Mental Health Act only. Section 2 is for an assessment, so it "
    "does not come with aftercare under section 117, which is what gives the right to a personal health budget.",
)
WHEELCHAIR = Wording(
    "Is eligible for NHS wheelchair services, so can have a personal wheelchair budget.",
    "You can have NHS wheelchair services, so you can have a personal wheelchair budget.",
)
COHORT_RETIRED = Wording(
    "The IPC cohort '{cohort}' is no longer offered.",
    "We no longer offer personal health budgets to the group of people you are in: {cohort}.",
)
COHORT_NEEDS_DECISION = Wording(
    "Is in the IPC cohort '{cohort}', which needs a PHB team decision.",
    "You are in a group of people we can offer personal health budgets to: {cohort}. For this group, our personal "
    "health budget team decides for each person.",
)
COHORT_OFFER = Wording(
    "Is in the IPC cohort '{cohort}'.",
    "You are in a group of people we offer personal health budgets to: {cohort}.",
)
PACKAGE = Wording(
    "Has an individually commissioned care package. The PHB team decides case by case.",
    "The NHS pays for care that was arranged just for you. For care like this, our personal health budget team "
    "decides for each person.",
)
PACKAGE_WITH_BLOCK = Wording(
    PACKAGE.staff + " Services paid through a block contract cannot be paid for again from a budget: {services}.",
    PACKAGE.letter + " Some of your services are already paid for through the NHS's contracts with the people who "
    "provide them, so they cannot be paid for again from a budget: {services}.",
)
NO_ROUTE = Wording(
    "Does not have Continuing Healthcare or children's continuing care funding, section 117 aftercare, "
    "an NHS wheelchair need, an individually commissioned care package, or an IPC cohort that applies.",
    "You do not get NHS Continuing Healthcare or children's continuing care funding, aftercare under section 117 of "
    "the Mental Health Act, NHS wheelchair services or care arranged just for you, and you are not in one of the "
    "groups of people we offer personal health budgets to.",
)
AFTER_DISCHARGE = Wording(
    "Screen again when they are discharged home.",
    "When you are home from hospital, ask your care coordinator to look again at whether you can have a personal "
    "health budget.",
)
COUNCIL_BUDGET = Wording(
    "They may be able to get a personal budget for social care from their local council.",
    "You may be able to get a personal budget for social care from your local council.",
)
IF_THINGS_CHANGE = Wording(
    "Screen again if their health or funding changes.",
    "If your health or your funding changes, ask your care coordinator to look again.",
)

# Every reason and next step the rules give, for the letter's look-up (and its test).
WORDINGS = (
    FUNDED_AT_HOME,
    FUNDED_IN_HOSPITAL,
    AFTERCARE,
    SECTION_2_ONLY,
    WHEELCHAIR,
    COHORT_RETIRED,
    COHORT_NEEDS_DECISION,
    COHORT_OFFER,
    PACKAGE,
    PACKAGE_WITH_BLOCK,
    NO_ROUTE,
    AFTER_DISCHARGE,
    COUNCIL_BUDGET,
    IF_THINGS_CHANGE,
)


class InvalidFacts(ValueError):
    """The answers contradict each other; problems maps each answer to what to change."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(problems.values()))


def age_on(date_of_birth: datetime.date, on: datetime.date) -> int:
    """Whole years on a date; a birthday counts from the day itself (29 February: 1 March)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def problems(facts: Facts, *, on: datetime.date, today: datetime.date | None = None) -> dict[str, str]:
    """Answers that cannot all be true, keyed by the answer to change."""
    found = {}
    if today is not None and on > today:
        found["screened_on"] = "Screening date must be today or in the past"
    if on < facts.date_of_birth:
        found["screened_on"] = "Screening date must be on or after the person's date of birth"
        return found
    age = age_on(facts.date_of_birth, on)
    if facts.funding == Funding.BOTH:
        found["funding"] = (
            "A person cannot have both Continuing Healthcare and children's continuing care. "
            "Choose the one they have now"
        )
    elif facts.funding == Funding.CC and age >= ADULT_AGE:
        found["funding"] = (
            f"Children's continuing care is for people aged 17 or under, and this person is {age} "
            "on the screening date. Change the funding answer to Continuing Healthcare, or check the screening date"
        )
    elif facts.funding == Funding.CHC and age < ADULT_AGE:
        found["funding"] = (
            f"NHS Continuing Healthcare is for adults, and this person is {age} on the screening date. "
            "Change the funding answer to children's continuing care, or check the screening date"
        )
    return found


def _right_to_have(facts: Facts) -> tuple[list[Finding], list[str]]:
    findings, next_steps = [], []
    funded = {
        Funding.CHC: "NHS Continuing Healthcare",
        Funding.CC: "children's continuing care",
    }.get(facts.funding)
    if funded and not facts.hospital_inpatient:
        findings.append(
            Finding(
                Route.RIGHT_TO_HAVE,
                Outcome.ELIGIBLE,
                facts.funding.value,
                FUNDED_AT_HOME(funded=funded),
            )
        )
    elif funded:
        findings.append(
            Finding(
                Route.RIGHT_TO_HAVE,
                Outcome.NOT_ELIGIBLE,
                facts.funding.value,
                FUNDED_IN_HOSPITAL(funded=funded),
            )
        )
        next_steps.append(AFTER_DISCHARGE())
    if facts.section_117 == Section117.AFTERCARE:
        findings.append(Finding(Route.RIGHT_TO_HAVE, Outcome.ELIGIBLE, "s117", AFTERCARE()))
    elif facts.section_117 == Section117.SECTION_2_ONLY:
        findings.append(Finding(Route.RIGHT_TO_HAVE, Outcome.NOT_ELIGIBLE, "s117", SECTION_2_ONLY()))
    if facts.wheelchair:
        findings.append(Finding(Route.RIGHT_TO_HAVE, Outcome.ELIGIBLE, "wheelchair", WHEELCHAIR()))
    return findings, next_steps


def _ipc(facts: Facts) -> list[Finding]:
    findings = []
    for cohort in facts.cohorts:
        if cohort.retired:
            findings.append(Finding(Route.IPC, Outcome.NOT_ELIGIBLE, cohort.code, COHORT_RETIRED(cohort=cohort.name)))
        elif cohort.needs_decision:
            findings.append(
                Finding(Route.IPC, Outcome.REFERRED, cohort.code, COHORT_NEEDS_DECISION(cohort=cohort.name))
            )
        else:
            findings.append(Finding(Route.IPC, Outcome.IPC_OFFER, cohort.code, COHORT_OFFER(cohort=cohort.name)))
    return findings


def _discretionary(facts: Facts) -> list[Finding]:
    if not facts.commissioned_package:
        return []
    if facts.block_contract_services:
        reason = PACKAGE_WITH_BLOCK(services=", ".join(facts.block_contract_services))
    else:
        reason = PACKAGE()
    return [Finding(Route.DISCRETIONARY, Outcome.REFERRED, "package", reason)]


# Strongest first: right to have, then an IPC offer, then the routes that need a decision.
_STRENGTH = [
    (Route.RIGHT_TO_HAVE, Outcome.ELIGIBLE),
    (Route.IPC, Outcome.IPC_OFFER),
    (Route.IPC, Outcome.REFERRED),
    (Route.DISCRETIONARY, Outcome.REFERRED),
]

NOT_ELIGIBLE_NEXT_STEPS = (COUNCIL_BUDGET(), IF_THINGS_CHANGE())


def screen(facts: Facts, *, on: datetime.date) -> ScreeningResult:
    """Screens one person on a date. Raises InvalidFacts if the answers contradict each other."""
    found = problems(facts, on=on)
    if found:
        raise InvalidFacts(found)
    rth, next_steps = _right_to_have(facts)
    findings = tuple(rth + _ipc(facts) + _discretionary(facts))

    for route, outcome in _STRENGTH:
        strongest = [f for f in findings if f.route == route and f.outcome == outcome]
        if strongest:
            return ScreeningResult(
                outcome=outcome,
                route=route,
                reasons=tuple(f.reason for f in strongest),
                findings=findings,
                block_contract_services=facts.block_contract_services,
            )

    reasons = tuple(f.reason for f in findings) or (NO_ROUTE(),)
    return ScreeningResult(
        outcome=Outcome.NOT_ELIGIBLE,
        route=Route.NONE,
        reasons=reasons,
        next_steps=tuple(next_steps) + NOT_ELIGIBLE_NEXT_STEPS,
        findings=findings,
        block_contract_services=facts.block_contract_services,
    )
