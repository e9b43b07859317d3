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
