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
                f"Has {funded} funding and lives in the community.",
            )
        )
    elif funded:
        findings.append(
            Finding(
                Route.RIGHT_TO_HAVE,
                Outcome.NOT_ELIGIBLE,
                facts.funding.value,
                f"Has {funded} funding but is a hospital inpatient. "
                "The right to have a budget applies to people living in the community.",
            )
        )
        next_steps.append("Screen again when they are discharged home.")
    if facts.section_117 == Section117.AFTERCARE:
        findings.append(
            Finding(Route.RIGHT_TO_HAVE, Outcome.ELIGIBLE, "s117", "Receives section 117 mental health aftercare.")
        )
    elif facts.section_117 == Section117.SECTION_2_ONLY:
        findings.append(
            Finding(
                Route.RIGHT_TO_HAVE,
                Outcome.NOT_ELIGIBLE,
                "s117",
                "Was detained under section 2 only. Section 117 aftercare follows detention for treatment "
                "(for example section 3), so it does not give a right to a budget.",
            )
        )
    if facts.wheelchair:
        findings.append(
            Finding(
                Route.RIGHT_TO_HAVE,
                Outcome.ELIGIBLE,
                "wheelchair",
                "Is eligible for NHS wheelchair services, so can have a personal wheelchair budget.",
            )
        )
    return findings, next_steps


def _ipc(facts: Facts) -> list[Finding]:
    findings = []
    for cohort in facts.cohorts:
        if cohort.retired:
            findings.append(
                Finding(
                    Route.IPC,
                    Outcome.NOT_ELIGIBLE,
                    cohort.code,
                    f"The IPC cohort '{cohort.name}' is no longer offered.",
                )
            )
        elif cohort.needs_decision:
            findings.append(
                Finding(
                    Route.IPC,
                    Outcome.REFERRED,
                    cohort.code,
                    f"Is in the IPC cohort '{cohort.name}', which needs a PHB team decision.",
                )
            )
        else:
            findings.append(
                Finding(Route.IPC, Outcome.IPC_OFFER, cohort.code, f"Is in the IPC cohort '{cohort.name}'.")
            )
    return findings


def _discretionary(facts: Facts) -> list[Finding]:
    if not facts.commissioned_package:
        return []
    reason = "Has an individually commissioned care package. The PHB team decides case by case."
    if facts.block_contract_services:
        reason += (
            " Services paid through a block contract cannot be paid for again from a budget: "
            + ", ".join(facts.block_contract_services)
            + "."
        )
    return [Finding(Route.DISCRETIONARY, Outcome.REFERRED, "package", reason)]


# Strongest first: right to have, then an IPC offer, then the routes that need a decision.
_STRENGTH = [
    (Route.RIGHT_TO_HAVE, Outcome.ELIGIBLE),
    (Route.IPC, Outcome.IPC_OFFER),
    (Route.IPC, Outcome.REFERRED),
    (Route.DISCRETIONARY, Outcome.REFERRED),
]

NOT_ELIGIBLE_NEXT_STEPS = (
    "They may be able to get a personal budget for social care from their local council.",
    "Screen again if their health or funding changes.",
)


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

    reasons = tuple(f.reason for f in findings) or (
        "Does not have Continuing Healthcare or children's continuing care funding, section 117 aftercare, "
        "an NHS wheelchair need, an individually commissioned care package, or an IPC cohort that applies.",
    )
    return ScreeningResult(
        outcome=Outcome.NOT_ELIGIBLE,
        route=Route.NONE,
        reasons=reasons,
        next_steps=tuple(next_steps) + NOT_ELIGIBLE_NEXT_STEPS,
        findings=findings,
        block_contract_services=facts.block_contract_services,
    )
