"""The screening policy, case by case. Each row: who, on what date, what they have, what the rules say."""

import datetime

import pytest

from eligibility.rules import (
    Cohort,
    Facts,
    Funding,
    InvalidFacts,
    Outcome,
    Route,
    Section117,
    age_on,
    problems,
    screen,
)

ON = datetime.date(2026, 6, 15)
ADULT = datetime.date(1960, 1, 1)
CHILD = datetime.date(2015, 1, 1)
# Turns 18 on the screening date.
EIGHTEEN_TODAY = datetime.date(2008, 6, 15)

FRAILTY = Cohort("frailty", "Multiple long-term conditions, especially older people with frailty")
EHC = Cohort("children-complex", "Children and young people with complex needs, especially with an EHC plan")
LDA = Cohort("ld-autism", "Learning disabilities and/or autism with high support needs", needs_decision=True)
END_OF_LIFE = Cohort("end-of-life", "People receiving end-of-life care")
CHC_COHORT = Cohort("chc", "People funded through CHC")
MENTAL_HEALTH = Cohort("mental-health", "Significant mental health needs, e.g. on the Care Programme Approach")
RETIRED = Cohort("old-pilot", "A pilot cohort that has ended", retired=True)

E, IPC, REF, NOT = Outcome.ELIGIBLE, Outcome.IPC_OFFER, Outcome.REFERRED, Outcome.NOT_ELIGIBLE
RTH, IPCR, DISC, NONE = Route.RIGHT_TO_HAVE, Route.IPC, Route.DISCRETIONARY, Route.NONE

CASES = [
    # id, date of birth, facts, expected outcome, expected route, text expected in the reasons
    ("adult CHC at home", ADULT, dict(funding=Funding.CHC), E, RTH, "Continuing Healthcare"),
    ("adult CHC in hospital", ADULT, dict(funding=Funding.CHC, hospital_inpatient=True), NOT, NONE, "inpatient"),
    ("child CC at home", CHILD, dict(funding=Funding.CC), E, RTH, "children's continuing care"),
    ("child CC in hospital", CHILD, dict(funding=Funding.CC, hospital_inpatient=True), NOT, NONE, "inpatient"),
    ("CC the day before 18th birthday", datetime.date(2008, 6, 16), dict(funding=Funding.CC), E, RTH, "children's"),
    ("CHC on the 18th birthday", EIGHTEEN_TODAY, dict(funding=Funding.CHC), E, RTH, "Continuing Healthcare"),
    ("CHC the day after 18th birthday", datetime.date(2008, 6, 14), dict(funding=Funding.CHC), E, RTH, "Continuing"),
    ("s117 aftercare", ADULT, dict(section_117=Section117.AFTERCARE), E, RTH, "section 117"),
    ("s2 only is not s117", ADULT, dict(section_117=Section117.SECTION_2_ONLY), NOT, NONE, "section 2 only"),
    (
        "s117 while an inpatient elsewhere",
        ADULT,
        dict(section_117=Section117.AFTERCARE, hospital_inpatient=True),
        E,
        RTH,
        "section 117",
    ),
    ("wheelchair", ADULT, dict(wheelchair=True), E, RTH, "wheelchair"),
    ("child wheelchair", CHILD, dict(wheelchair=True), E, RTH, "wheelchair"),
    ("package", ADULT, dict(commissioned_package=True), REF, DISC, "case by case"),
    (
        "package with block contract",
        ADULT,
        dict(commissioned_package=True, block_contract_services=("Day centre",)),
        REF,
        DISC,
        "Day centre",
    ),
    ("IPC frailty", ADULT, dict(cohorts=(FRAILTY,)), IPC, IPCR, "frailty"),
    ("IPC children with EHC plan", CHILD, dict(cohorts=(EHC,)), IPC, IPCR, "EHC plan"),
    ("IPC learning disability needs decision", ADULT, dict(cohorts=(LDA,)), REF, IPCR, "needs a PHB team decision"),
    ("IPC end of life", ADULT, dict(cohorts=(END_OF_LIFE,)), IPC, IPCR, "end-of-life"),
    (
        "IPC CHC cohort while inpatient",
        ADULT,
        dict(funding=Funding.CHC, hospital_inpatient=True, cohorts=(CHC_COHORT,)),
        IPC,
        IPCR,
        "funded through CHC",
    ),
    ("IPC mental health", ADULT, dict(cohorts=(MENTAL_HEALTH,)), IPC, IPCR, "Care Programme Approach"),
    ("retired cohort only", ADULT, dict(cohorts=(RETIRED,)), NOT, NONE, "no longer offered"),
    ("retired and live cohort", ADULT, dict(cohorts=(RETIRED, FRAILTY)), IPC, IPCR, "frailty"),
    ("RTH beats IPC", ADULT, dict(funding=Funding.CHC, cohorts=(FRAILTY,)), E, RTH, "Continuing Healthcare"),
    ("RTH beats package", ADULT, dict(wheelchair=True, commissioned_package=True), E, RTH, "wheelchair"),
    ("IPC beats package", ADULT, dict(commissioned_package=True, cohorts=(FRAILTY,)), IPC, IPCR, "frailty"),
    ("IPC offer beats IPC decision", ADULT, dict(cohorts=(LDA, FRAILTY)), IPC, IPCR, "frailty"),
    (
        "IPC decision beats package",
        ADULT,
        dict(commissioned_package=True, cohorts=(LDA,)),
        REF,
        IPCR,
        "Learning disabilities",
    ),
    ("two RTH routes give both reasons", ADULT, dict(funding=Funding.CHC, wheelchair=True), E, RTH, "wheelchair"),
    (
        "inpatient CHC with a package is referred",
        ADULT,
        dict(funding=Funding.CHC, hospital_inpatient=True, commissioned_package=True),
        REF,
        DISC,
        "case by case",
    ),
    ("nothing applies", ADULT, dict(), NOT, NONE, "Does not have"),
    (
        "inpatient without NHS funding is not an RTH route",
        ADULT,
        dict(hospital_inpatient=True),
        NOT,
        NONE,
        "Does not have",
    ),
    ("child with nothing", CHILD, dict(), NOT, NONE, "Does not have"),
]


@pytest.mark.parametrize(
    ("born", "facts", "outcome", "route", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_it_screens_by_the_policy(born, facts, outcome, route, reason):
    result = screen(Facts(date_of_birth=born, **facts), on=ON)
    assert (result.outcome, result.route) == (outcome, route)
    assert any(reason in text for text in result.reasons), result.reasons


def test_it_records_every_route_that_applies_not_only_the_strongest():
    result = screen(Facts(date_of_birth=ADULT, wheelchair=True, commissioned_package=True, cohorts=(LDA,)), on=ON)
    assert [(f.route, f.outcome) for f in result.findings] == [(RTH, E), (IPCR, REF), (DISC, REF)]


def test_it_says_what_to_do_next_when_not_eligible():
    result = screen(Facts(date_of_birth=ADULT, funding=Funding.CHC, hospital_inpatient=True), on=ON)
    assert "Screen again when they are discharged home." in result.next_steps
    assert any("social care from their local council" in step for step in result.next_steps)


def test_it_gives_no_next_steps_when_eligible():
    assert screen(Facts(date_of_birth=ADULT, wheelchair=True), on=ON).next_steps == ()


def test_it_shows_block_contract_services_to_the_decider():
    result = screen(
        Facts(date_of_birth=ADULT, commissioned_package=True, block_contract_services=("Day centre", "Respite")), on=ON
    )
    assert result.block_contract_services == ("Day centre", "Respite")


@pytest.mark.parametrize(
    ("born", "funding", "field", "text"),
    [
        (ADULT, Funding.BOTH, "funding", "cannot have both"),
        (EIGHTEEN_TODAY, Funding.CC, "funding", "aged 17 or under"),
        (datetime.date(2010, 1, 1), Funding.CHC, "funding", "is 16 on the screening date"),
        (datetime.date(2008, 6, 16), Funding.CHC, "funding", "is 17"),
    ],
)
def test_it_refuses_contradictory_answers_naming_the_one_to_change(born, funding, field, text):
    with pytest.raises(InvalidFacts) as error:
        screen(Facts(date_of_birth=born, funding=funding), on=ON)
    assert text in error.value.problems[field]


def test_it_refuses_a_screening_date_before_birth_or_in_the_future():
    facts = Facts(date_of_birth=ON)
    assert "after the person's date of birth" in problems(facts, on=ON - datetime.timedelta(days=1))["screened_on"]
    assert (
        "today or in the past"
        in problems(Facts(date_of_birth=ADULT), on=ON, today=ON - datetime.timedelta(days=1))["screened_on"]
    )


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (datetime.date(2008, 6, 15), datetime.date(2026, 6, 14), 17),
        (datetime.date(2008, 6, 15), datetime.date(2026, 6, 15), 18),
        (datetime.date(2008, 2, 29), datetime.date(2026, 2, 28), 17),
        (datetime.date(2008, 2, 29), datetime.date(2026, 3, 1), 18),
    ],
)
def test_it_counts_age_in_whole_years(born, on, age):
    assert age_on(born, on) == age
