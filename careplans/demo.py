"""A demo support plan for Jane: a draft with outcomes and what the money buys."""

import datetime
from decimal import Decimal

from careplans import services
from people.demo import demo_person
from people.models import User


def seed(users: dict[str, User]) -> None:
    jane = demo_person(0)
    budget = jane.budget_versions.order_by("-number").first()
    if budget is None or jane.support_plans.exists():
        return
    alice = users["alice"]
    version = services.plan_start(person=jane, budget_version=budget, acting_user=alice)
    start = datetime.date.today() + datetime.timedelta(days=14)
    version = services.plan_update(
        version=version,
        expected_revision=version.revision,
        acting_user=alice,
        start_date=start,
        what_matters="Staying in my own home, singing with my choir and seeing my grandchildren.",
        about_me="I was a music teacher for thirty years. My daughter Sarah lives nearby.",
        helped_by="Jane, her daughter Sarah and Alice Adams",
        care_coordinator=alice,
        health_monitor="Dr Khan, Chapel Street Surgery",
        first_review_date=start + datetime.timedelta(days=75),
        review_method="A visit at home with Jane and Sarah",
        reduction_notice_days=28,
        risks="Falls at night: a pendant alarm and a night light.",
        contingency="The agency sends cover; Sarah is the back-up.",
    )
    choir = services.outcome_save(
        version=version,
        expected_revision=version.revision,
        acting_user=alice,
        domain="social",
        goal="I want to sing with my choir again",
        measure="Jane goes to choir practice most weeks",
        target_date=start + datetime.timedelta(days=90),
    )
    version.refresh_from_db()
    washing = services.outcome_save(
        version=version,
        expected_revision=version.revision,
        acting_user=alice,
        domain="daily_living",
        goal="I want help to wash and dress from people I choose",
        measure="Jane is ready by 9am with help she is happy with",
        target_date=start + datetime.timedelta(days=30),
    )
    for description, category, cost, quantity, frequency, outcome in [
        ("Personal assistant, mornings", "personal_care", "15.50", "7", "week", washing),
        ("Taxi to choir and back", "transport", "12.00", "2", "week", choir),
        ("Shower seat", "equipment", "85.00", "1", "one_off", washing),
    ]:
        version.refresh_from_db()
        services.item_save(
            version=version,
            expected_revision=version.revision,
            outcomes=[outcome],
            acting_user=alice,
            description=description,
            provider="",
            category=category,
            unit_cost=Decimal(cost),
            quantity=Decimal(quantity),
            frequency=frequency,
            money_option="notional",
            third_party_organisation="",
        )


def seed_submitted(users: dict[str, User]) -> None:
    """Mohammed's plan, submitted and waiting in the PHB team's queue."""
    from budgets import services as budget_services
    from budgets.calculate import Domain

    mohammed = demo_person(1)
    if mohammed.support_plans.exists() or not mohammed.screenings.exists():
        return
    alice = users["alice"]
    assessment = budget_services.assessment_create(
        person=mohammed,
        assessed_on=datetime.date.today() - datetime.timedelta(days=5),
        assessor=alice,
        participants="Mohammed and his son Imran",
        engagement_support="substantial",
        engagement_note="Needs an interpreter (Urdu) and help to manage money.",
        needs={d.value: ("moderate", "") for d in Domain},
        acting_user=alice,
    )
    budget_services.current_service_add(
        assessment=assessment,
        acting_user=alice,
        name="District nursing visits",
        provider="Community trust",
        service_type="Nursing",
        funding="nhs_spot",
        unit_cost=Decimal("38.00"),
        units=Decimal("3"),
        unit_kind="session",
        period="week",
    )
    budget = budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
    version = services.plan_start(person=mohammed, budget_version=budget, acting_user=alice)
    start = datetime.date.today() + datetime.timedelta(days=7)
    version = services.plan_update(
        version=version,
        expected_revision=version.revision,
        acting_user=alice,
        start_date=start,
        what_matters="Walking to the mosque on Fridays and staying well at home.",
        helped_by="Mohammed, Imran and Alice Adams",
        care_coordinator=alice,
        health_monitor="Dr Ahmed, Victoria Road Surgery",
        first_review_date=start + datetime.timedelta(days=80),
        review_method="A home visit with an interpreter",
        reduction_notice_days=28,
        risks="Breathlessness on exertion: a rescue plan agreed with his GP.",
        contingency="Imran covers if a carer cannot come.",
        agreed_on=datetime.date.today(),
        agreement_method="representative",
        agreement_witness="Imran Hussain (son)",
    )
    walking = services.outcome_save(
        version=version,
        expected_revision=version.revision,
        acting_user=alice,
        domain="physical_health",
        goal="I want to walk to the mosque on Fridays",
        measure="Mohammed walks there at least twice a month",
        target_date=start + datetime.timedelta(days=120),
    )
    version.refresh_from_db()
    services.item_save(
        version=version,
        expected_revision=version.revision,
        outcomes=[walking],
        acting_user=alice,
        description="Physiotherapy at home",
        provider="",
        category="therapy",
        unit_cost=Decimal("45.00"),
        quantity=Decimal("1"),
        frequency="week",
        money_option="notional",
        third_party_organisation="",
    )
    version.refresh_from_db()
    services.plan_submit(version=version, acting_user=alice)
