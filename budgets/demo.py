"""Demo tariff, assessments, current services and an indicative budget."""

import datetime
from decimal import Decimal

from budgets import services
from budgets.calculate import Domain, NeedLevel
from budgets.models import Tariff
from people.demo import demo_person
from people.models import User

POINTS = {NeedLevel.NONE: 0, NeedLevel.LOW: 3, NeedLevel.MODERATE: 6, NeedLevel.HIGH: 10, NeedLevel.VERY_HIGH: 15}

JANE_NEEDS = {
    Domain.MENTAL_HEALTH: ("moderate", "I get low when I can't get out."),
    Domain.PHYSICAL_HEALTH: ("high", "My breathing is worse in winter."),
    Domain.DAILY_LIVING: ("high", "I need help to wash and dress every morning."),
    Domain.SOCIAL: ("moderate", "I miss my choir."),
    Domain.CONFIDENCE: ("low", "I can manage my tablets."),
    Domain.WORK: ("none", ""),
    Domain.HOUSING: ("low", "The stairs worry me."),
    Domain.CARERS: ("moderate", "My daughter helps but she works full time."),
}

JANE_SERVICES = [
    ("Home care (morning calls)", "nhs_spot", "21.50", "7", "hour", "week"),
    ("Day centre", "nhs_block", "55.00", "2", "day", "week"),
    ("Council home care (evenings)", "council", "19.00", "3", "hour", "week"),
]


def seed(users: dict[str, User]) -> None:
    if not Tariff.objects.exists():
        services.tariff_create(
            acting_user=users["leo"],
            effective_from=datetime.date(2025, 4, 1),
            price_per_point=Decimal("220.00"),
            points={d.value: {level.value: p for level, p in POINTS.items()} for d in Domain},
            notes="Demo tariff",
        )
    jane = demo_person(0)
    if jane.assessments.exists():
        return
    alice = users["alice"]
    assessment = services.assessment_create(
        person=jane,
        assessed_on=datetime.date.today() - datetime.timedelta(days=3),
        assessor=alice,
        participants="Jane, her daughter Sarah, and Alice Adams (care coordinator)",
        engagement_support="some",
        engagement_note="Would like help to find and book support.",
        needs={d.value: need for d, need in JANE_NEEDS.items()},
        acting_user=alice,
    )
    for name, funding, cost, units, unit_kind, period in JANE_SERVICES:
        services.current_service_add(
            assessment=assessment,
            acting_user=alice,
            name=name,
            provider="Demo provider",
            service_type="",
            funding=funding,
            unit_cost=Decimal(cost),
            units=Decimal(units),
            unit_kind=unit_kind,
            period=period,
        )
    services.budget_version_create(
        assessment=assessment,
        method="higher",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
