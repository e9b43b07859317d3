"""Demo tariff, assessments, current services and indicative budgets: one waiting for PHB team sign-off,
one signed off, the rest needing none (see eligibility/demo.py for who is where in the journey)."""

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

HOME_CARE = [("Home care visits", "nhs_spot", "21.50", "5", "hour", "week")]


def needs(level: str, **own_words: str) -> dict:
    """The same level of need in every domain, with the person's words where given (by domain value)."""
    return {d: (level, own_words.get(d.value, "")) for d in Domain}


def further_along(username: str, days_ago: int) -> tuple:
    """The assessment of someone further along (a plan written, submitted, agreed or ended)."""
    return (
        username,
        days_ago,
        "The person, a family member and their care coordinator",
        ("some", ""),
        needs("moderate"),
        HOME_CARE,
        ("higher", "0", ""),
    )


# serial: coordinator, days ago, who took part, engagement support and note, needs, current services,
# and the budget worked out: (method, adjustment, adjustment reason) or None for none yet.
ASSESSMENTS = {
    0: (
        "alice",
        3,
        "Jane, her daughter Sarah, and Alice Adams (care coordinator)",
        ("some", "Would like help to find and book support."),
        JANE_NEEDS,
        JANE_SERVICES,
        ("higher", "0", ""),
    ),
    1: (
        "alice",
        5,
        "Mohammed and his son Imran",
        ("substantial", "Needs an interpreter (Urdu) and help to manage money."),
        needs("moderate"),
        [("District nursing visits", "nhs_spot", "38.00", "3", "session", "week")],
        ("costed", "0", ""),
    ),
    6: (
        "bob",
        10,
        "Sam, his mum Kerry, and Bob Brown (care coordinator)",
        ("some", "Sam likes to be asked directly, not through his mum."),
        needs("moderate", social="I want to go to college with my friends."),
        HOME_CARE,
        None,
    ),
    9: (
        "charlie",
        25,
        "Lily and Charlie Clark (care coordinator)",
        ("independent", ""),
        needs("high", daily_living="I need two people to help me move."),
        HOME_CARE,
        ("higher", "2500.00", "Two carers are needed for every visit, which the tariff does not allow for."),
    ),
    10: (
        "alice",
        30,
        "Aisha, her husband Tariq, and Alice Adams (care coordinator)",
        ("some", "Prefers phone calls in the afternoon."),
        needs("moderate", physical_health="My diabetes makes my feet sore, so I cannot walk far."),
        HOME_CARE,
        ("higher", "2000.00", "Specialist footwear and podiatry every six weeks are not in the tariff."),
    ),
    11: further_along("bob", 50),
    12: further_along("alice", 60),
    17: further_along("bob", 70),
    18: further_along("bob", 110),
    13: further_along("alice", 90),
    14: further_along("charlie", 140),
    4: further_along("alice", 230),
    15: further_along("bob", 190),
    16: further_along("charlie", 290),
}
# serial: the PHB team signs off the budget that needed it (the rest wait, or needed none)
SIGNED_OFF = {10}


def seed(users: dict[str, User]) -> None:
    if not Tariff.objects.exists():
        services.tariff_create(
            acting_user=users["leo"],
            effective_from=datetime.date(2025, 4, 1),
            price_per_point=Decimal("220.00"),
            points={d.value: {level.value: p for level, p in POINTS.items()} for d in Domain},
            notes="Demo tariff",
        )
    today = datetime.date.today()
    for serial, (username, days_ago, participants, engagement, levels, current, budget) in ASSESSMENTS.items():
        person = demo_person(serial)
        if person.assessments.exists() or not person.screenings.exists():
            continue
        coordinator = users[username]
        assessment = services.assessment_create(
            person=person,
            assessed_on=today - datetime.timedelta(days=days_ago),
            assessor=coordinator,
            participants=participants,
            engagement_support=engagement[0],
            engagement_note=engagement[1],
            needs={d.value: need for d, need in levels.items()},
            acting_user=coordinator,
        )
        for name, funding, cost, units, unit_kind, period in current:
            services.current_service_add(
                assessment=assessment,
                acting_user=coordinator,
                name=name,
                provider="Demo provider",
                service_type="",
                funding=funding,
                unit_cost=Decimal(cost),
                units=Decimal(units),
                unit_kind=unit_kind,
                period=period,
            )
        if budget is None:
            continue
        method, adjustment, reason = budget
        version = services.budget_version_create(
            assessment=assessment,
            method=method,
            adjustment=Decimal(adjustment),
            adjustment_reason=reason,
            council_share_means_tested=False,
            acting_user=coordinator,
        )
        if serial in SIGNED_OFF:
            services.budget_version_sign_off(
                version=version,
                approve=True,
                note="Checked the footwear and podiatry costs with the provider.",
                acting_user=users["priya"],
            )
