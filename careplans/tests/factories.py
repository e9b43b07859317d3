import datetime
from decimal import Decimal

from budgets import services as budget_services
from budgets.tests.factories import add_service, make_assessment, make_eligible
from careplans import services

START = datetime.date(2026, 4, 1)


def budgeted(*, person, coordinator):
    """An eligible person with an indicative budget that needs no sign-off (£10,428.57 a year)."""
    make_eligible(person=person, coordinator=coordinator)
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


def details(**overrides):
    values = {
        "start_date": START,
        "what_matters": "Getting back to my choir and seeing my grandchildren.",
        "about_me": "I was a music teacher.",
        "helped_by": "My daughter Sarah",
        "health_monitor": "Dr Khan, Chapel Street Surgery",
        "first_review_date": datetime.date(2026, 6, 15),
        "review_method": "A visit at home",
        "reduction_notice_days": 28,
        "risks": "Falls at night: a pendant alarm.",
        "contingency": "The agency sends cover; Sarah is the back-up.",
        "dp_recipient": "nominee",
        "dp_recipient_name": "Sarah Smith",
        "dp_amount": Decimal("480.00"),
        "dp_frequency": "4_weekly",
        "agreed_on": datetime.date(2026, 3, 20),
        "agreement_method": "signed",
        "agreement_witness": "",
        "over_budget_justification": "",
    }
    values.update(overrides)
    return values


def complete_plan(*, person, coordinator):
    """A draft plan with everything needed for submission: 2 outcomes, 3 items."""
    version = services.plan_start(
        person=person, budget_version=budgeted(person=person, coordinator=coordinator), acting_user=coordinator
    )
    version = services.plan_update(
        version=version,
        expected_revision=version.revision,
        acting_user=coordinator,
        care_coordinator=coordinator,
        **details(),
    )
    choir = add_outcome(version, coordinator, goal="Sing in my choir again")
    version.refresh_from_db()
    wash = add_outcome(version, coordinator, domain="daily_living", goal="Wash and dress with help I choose")
    version.refresh_from_db()
    add_item(
        version,
        coordinator,
        [wash],
        description="Personal assistant",
        unit_cost="15.00",
        quantity="8",
        money_option="direct_payment",
    )
    version.refresh_from_db()
    add_item(
        version,
        coordinator,
        [choir],
        description="Taxi to choir",
        unit_cost="12.00",
        quantity="2",
        money_option="notional",
    )
    version.refresh_from_db()
    add_item(
        version,
        coordinator,
        [wash],
        description="Shower seat",
        unit_cost="85.00",
        quantity="1",
        frequency="one_off",
        money_option="notional",
        category="equipment",
    )
    version.refresh_from_db()
    return version


def add_outcome(version, coordinator, *, domain="social", goal="Go to choir", target=datetime.date(2026, 9, 1)):
    return services.outcome_save(
        version=version,
        expected_revision=version.revision,
        acting_user=coordinator,
        domain=domain,
        goal=goal,
        measure="I tell my coordinator at the review",
        target_date=target,
    )


def add_item(
    version,
    coordinator,
    outcomes,
    *,
    description="Personal assistant",
    unit_cost="15.00",
    quantity="8",
    frequency="week",
    money_option="notional",
    category="personal_care",
    organisation="",
):
    return services.item_save(
        version=version,
        expected_revision=version.revision,
        outcomes=outcomes,
        acting_user=coordinator,
        description=description,
        provider="",
        category=category,
        unit_cost=Decimal(unit_cost),
        quantity=Decimal(quantity),
        frequency=frequency,
        money_option=money_option,
        third_party_organisation=organisation,
    )


def approved_plan(*, person, coordinator, approver):
    """A complete plan, submitted and approved: active from 1 April 2026."""
    from careplans import approval

    version = services.plan_submit(
        version=complete_plan(person=person, coordinator=coordinator), acting_user=coordinator
    )
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=approver
    )


def approved_change(*, plan, coordinator, approver, start):
    """A new version of an agreed plan, approved to start on `start` (the one in force stays until then)."""
    from careplans import approval

    draft = services.plan_amend(plan=plan, acting_user=coordinator)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        start_date=start,
        first_review_date=start + datetime.timedelta(days=30),
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )
    return approval.plan_approve(
        version=services.plan_submit(version=draft, acting_user=coordinator),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=approver,
    )
