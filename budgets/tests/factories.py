import datetime
from decimal import Decimal

from budgets import services
from budgets.calculate import Domain, NeedLevel
from eligibility import services as eligibility_services

POINTS = {NeedLevel.NONE: 0, NeedLevel.LOW: 2, NeedLevel.MODERATE: 4, NeedLevel.HIGH: 8, NeedLevel.VERY_HIGH: 12}


def points_table(scale: int = 1) -> dict:
    return {d.value: {level.value: p * scale for level, p in POINTS.items()} for d in Domain}


def make_tariff(*, lead, effective_from=datetime.date(2025, 4, 1), price="250.00", scale=1):
    return services.tariff_create(
        acting_user=lead, effective_from=effective_from, price_per_point=Decimal(price), points=points_table(scale)
    )


def make_eligible(*, person, coordinator, on=datetime.date(2026, 1, 5)):
    from eligibility.rules import ADULT_AGE, age_on

    return eligibility_services.screening_create(
        person=person,
        screened_on=on,
        funding="chc" if age_on(person.date_of_birth, on) >= ADULT_AGE else "cc",
        hospital_inpatient=False,
        section_117="none",
        wheelchair=False,
        commissioned_package=False,
        acting_user=coordinator,
    )


def make_assessment(*, person, coordinator, levels=None, engagement="some", on=datetime.date(2026, 1, 10)):
    levels = levels or {}
    return services.assessment_create(
        person=person,
        assessed_on=on,
        assessor=coordinator,
        participants="The person and their daughter",
        engagement_support=engagement,
        engagement_note="",
        # The person's words name the part of life as they would, never as it is stored.
        needs={
            d.value: (levels.get(d.value, NeedLevel.MODERATE.value), f"About {d.value.replace('_', ' ')}")
            for d in Domain
        },
        acting_user=coordinator,
    )


def add_service(
    *, assessment, coordinator, name="Home care", funding="nhs_spot", unit_cost="20.00", units="10", period="week"
):
    return services.current_service_add(
        assessment=assessment,
        acting_user=coordinator,
        name=name,
        provider="Demo Care Ltd",
        service_type="Home care",
        funding=funding,
        unit_cost=Decimal(unit_cost),
        units=Decimal(units),
        unit_kind="hour",
        period=period,
    )
