"""A hand-built data set for the quarterly return, through the real services, with known answers.

Everyone is fictional; NHS numbers come from the 999 test range (people.tests.factories). The quarters are
those of 2026-27: Q1 is 1 April to 30 June 2026, Q2 1 July to 30 September, Q3 1 October to 31 December.
"""

import datetime
from decimal import Decimal

import pytest

from budgets import services as budget_services
from budgets.tests.factories import add_service, make_assessment
from careplans import approval, services
from careplans.tests.factories import add_item, add_outcome, details
from eligibility import services as eligibility_services
from eligibility.models import Decision
from eligibility.tests.factories import IPCCohortFactory
from people.tests.factories import PersonFactory

D = datetime.date
SCREENED_ON = D(2026, 1, 5)
BORN = D(1960, 5, 1)  # an adult, whatever the day

# One direct payment item (£15 × 8 hours a week) and the payment that pays for it exactly.
DIRECT_PAYMENT = {
    "dp_recipient": "nominee",
    "dp_recipient_name": "Sarah Smith",
    "dp_amount": Decimal("480.00"),
    "dp_frequency": "4_weekly",
}
NO_DIRECT_PAYMENT = {"dp_recipient": "", "dp_recipient_name": "", "dp_amount": None, "dp_frequency": ""}
ITEMS = {
    "direct_payment": {"description": "Personal assistant", "unit_cost": "15.00", "quantity": "8"},
    "notional": {"description": "Taxi to choir", "unit_cost": "12.00", "quantity": "2"},
    "third_party": {
        "description": "Support worker",
        "unit_cost": "10.00",
        "quantity": "5",
        "organisation": "Leeds Independent Living",
    },
}


def screen(person, coordinator, *, on=SCREENED_ON, funding="none", section_117="none", wheelchair=False, **more):
    return eligibility_services.screening_create(
        person=person,
        screened_on=on,
        funding=funding,
        hospital_inpatient=False,
        section_117=section_117,
        wheelchair=wheelchair,
        commissioned_package=more.pop("package", False),
        package_description="Complex package",
        acting_user=coordinator,
        **more,
    )


def budget(person, coordinator):
    """An indicative budget that needs no sign-off, for a person already screened eligible."""
    assessment = make_assessment(person=person, coordinator=coordinator)
    add_service(assessment=assessment, coordinator=coordinator)
    return budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=coordinator,
    )


def _with_items(version, coordinator, options, *, one_off_chair=False):
    outcome = add_outcome(version, coordinator, target=None)
    version.refresh_from_db()
    if one_off_chair:
        add_item(
            version,
            coordinator,
            [outcome],
            description="Wheelchair with tilt in space",
            unit_cost="2400.00",
            quantity="1",
            frequency="one_off",
            money_option="notional",
            category="equipment",
        )
        version.refresh_from_db()
    for option in options:
        values = dict(ITEMS[option])
        add_item(version, coordinator, [outcome], money_option=option, **values)
        version.refresh_from_db()
    return version


def _decide(draft, coordinator, approver):
    submitted = services.plan_submit(version=draft, acting_user=coordinator)
    return approval.plan_approve(
        version=submitted, financially_appropriate=True, clinically_appropriate=True, acting_user=approver
    )


def phb(person, *, coordinator, approver, start, options=("notional",), one_off_chair=False, ended_on=None):
    """An agreed plan starting on `start` whose items are managed in `options` (each once); ended from
    `ended_on` (the first day it is no longer in force) when given. Returns the version as it ends up."""
    draft = services.plan_start(person=person, budget_version=budget(person, coordinator), acting_user=coordinator)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        care_coordinator=coordinator,
        **details(
            start_date=start,
            first_review_date=start + datetime.timedelta(days=30),
            **(DIRECT_PAYMENT if "direct_payment" in options else NO_DIRECT_PAYMENT),
        ),
    )
    version = _decide(_with_items(draft, coordinator, options, one_off_chair=one_off_chair), coordinator, approver)
    if ended_on is not None:
        version = end(version, coordinator, on=ended_on)
    return version


def end(version, coordinator, *, on):
    return approval.plan_end(
        version=version,
        reason="consent_withdrawn",
        ended_on=on,
        note="",
        unspent_to_repay=None,
        acting_user=coordinator,
    )


def change(version, *, coordinator, approver, start, add=()):
    """A new version of the plan starting on `start`, with items managed in `add` added to those copied."""
    draft = services.plan_amend(plan=version.plan, acting_user=coordinator)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        start_date=start,
        first_review_date=start + datetime.timedelta(days=30),
        agreed_on=D(2026, 11, 20),
        agreement_method="signed",
        **(DIRECT_PAYMENT if "direct_payment" in add else {}),
    )
    outcome = draft.outcomes.first()
    for option in add:
        add_item(draft, coordinator, [outcome], money_option=option, **ITEMS[option])
        draft.refresh_from_db()
    return _decide(draft, coordinator, approver)


def person(name, team, coordinator, *, born=BORN):
    given, family = name.split()
    return PersonFactory(
        given_name=given, family_name=family, date_of_birth=born, care_team=team, lead_coordinator=coordinator
    )


def a_cohort():
    return IPCCohortFactory(code="learning-disability", name="People with a learning disability")


@pytest.fixture
def cohort(db):
    return a_cohort()


def build_dataset(north, south, alice, charlie, priya, cohort) -> dict:
    """People with known answers. Unless said, each is in the North team and has NHS Continuing Healthcare."""
    made = {}

    def add(key, name, *, team=north, coordinator=alice, born=BORN, screening=None, **plan):
        someone = person(name, team, coordinator, born=born)
        screened = screen(someone, coordinator, **(screening or {"funding": "chc"}))
        if screened.decision == Decision.AWAITING:
            eligibility_services.screening_decide(
                screening=screened, approve=True, reason="The package suits a budget.", acting_user=priya
            )
        made[key] = phb(someone, coordinator=coordinator, approver=priya, **plan) if plan else someone
        return made[key]

    # Quarter boundaries (Q2: 1 July to 30 September 2026).
    add("from_q1", "Ann Archer", start=D(2026, 4, 1))
    add("q2_first_day", "Ben Baker", start=D(2026, 7, 1), options=("direct_payment",))
    add("after_q2", "Cal Carter", start=D(2026, 10, 1), options=("third_party",))
    add(
        "ended_before_q2",
        "Dee Dixon",
        screening={"section_117": "aftercare"},
        start=D(2026, 4, 1),
        ended_on=D(2026, 7, 1),  # last day in force 30 June, the day before Q2
    )
    add("ended_in_q2", "Eve Evans", start=D(2026, 4, 1), ended_on=D(2026, 8, 15))
    # A personal wheelchair budget paid once, in May, and ended when the chair was bought.
    add(
        "one_off_chair",
        "Fay Fisher",
        screening={"wheelchair": True},
        start=D(2026, 5, 1),
        options=(),
        one_off_chair=True,
        ended_on=D(2026, 6, 1),
    )
    # 18 on 20 August 2026 (in Q2), screened at 17 with children's continuing care; screened again as an adult
    # with Continuing Healthcare on 5 October (in Q3).
    hal = add(
        "turned_18",
        "Hal Hughes",
        born=D(2008, 8, 20),
        screening={"funding": "cc"},
        start=D(2026, 4, 1),
        options=("third_party",),
    )
    screen(hal.plan.person, alice, on=D(2026, 10, 5), funding="chc")
    add(
        "mixed",
        "Ivy Ingram",
        screening={"cohorts": [cohort]},
        start=D(2026, 4, 1),
        options=("direct_payment", "notional"),
    )
    # Continuing Healthcare, section 117 aftercare and a wheelchair: counted once, under Continuing Healthcare.
    add(
        "chc_first",
        "Jon Jones",
        screening={"funding": "chc", "section_117": "aftercare", "wheelchair": True},
        start=D(2026, 7, 15),
    )
    # Section 117 aftercare and a wheelchair: under section 117.
    add(
        "aftercare_before_wheelchair",
        "Kim King",
        screening={"section_117": "aftercare", "wheelchair": True},
        start=D(2026, 4, 1),
    )
    # Notional from April, changed from 1 August to add a direct payment: mixed from then.
    lee = add("changed_in_q2", "Lee Lewis", start=D(2026, 4, 1))
    made["changed_in_q2"] = change(lee, coordinator=alice, approver=priya, start=D(2026, 8, 1), add=("direct_payment",))
    # An individually commissioned package, approved by the PHB team (other), in the South team.
    add(
        "south",
        "Sam Shah",
        team=south,
        coordinator=charlie,
        screening={"package": True},
        start=D(2026, 4, 1),
    )
    # Screened and budgeted, with no agreed plan: never counted.
    add("no_plan", "Nia Noble")
    return made
