"""Demo support plans at every step: being written, returned, waiting for a decision, approved to start
later, active (with reviews coming, due, overdue and done), ending and ended.

Everything goes through the services, with dates in the past where the story needs them, so each plan
is one the service itself could have made (see eligibility/demo.py for who is where in the journey).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from careplans import approval, reviews, services
from careplans.models import Outcome, PlanVersion, Review, ReviewStatus
from people.demo import demo_person
from people.models import Person, User


@dataclass(frozen=True)
class PlanStory:
    """How far one person's plan goes and what it says."""

    coordinator: str  # username of who writes it
    goes_to: str  # draft, submitted, returned, approved (its start date decides whether it is active), reviewed,
    # ending, ended, or ending_asked (an ending that waits for a PHB team member to confirm it)
    starts_in: int  # days from today; below 0 it started that many days ago
    first_review_after: int  # days after the start
    what_matters: str
    helped_by: str
    health_monitor: str
    risks: str
    contingency: str
    outcomes: tuple  # (domain, goal, measure, target days after the start)
    items: tuple  # (description, category, unit cost, quantity, frequency, index of its outcome)
    about_me: str = ""
    agreement: tuple = ("signed", "")  # how they agreed, witness
    agreed: bool = True


RETURN_REASON = (
    "The plan pays for taxis but not for the gym membership Peter says matters most. Add it, or say how he "
    "will pay for it, and check the start date with his GP."
)
REVIEW_NOTES = {
    "money_notes": "The budget covered everything; about £200 is left in the account.",
    "use_notes": "Used as agreed: Michael keeps the receipts.",
    "safety_notes": "No falls since the pendant alarm was fitted.",
}


def _story(coordinator: str, goes_to: str, starts_in: int, first_review_after: int, name: str, **extra) -> PlanStory:
    """A plan with the ordinary content, for the people whose journey matters more than their plan's words."""
    values = {
        "what_matters": f"Staying well at home and seeing friends. {name} wants to choose who helps.",
        "helped_by": f"{name} and their care coordinator",
        "health_monitor": "Their GP at the Demo Medical Practice",
        "risks": "Falls at home: a pendant alarm.",
        "contingency": "The agency sends cover when a carer cannot come.",
        "outcomes": (
            ("daily_living", "I want help to get up and dressed from people I know", "Ready by 10am most days", 60),
            ("social", "I want to get out to see friends every week", "Out at least once a week", 90),
        ),
        "items": (
            ("Personal assistant, mornings", "personal_care", "15.50", "7", "week", 0),
            ("Community transport", "transport", "9.00", "2", "week", 1),
        ),
    }
    return PlanStory(coordinator, goes_to, starts_in, first_review_after, **{**values, **extra})


STORIES = {
    1: PlanStory(
        coordinator="alice",
        goes_to="submitted",
        starts_in=7,
        first_review_after=80,
        what_matters="Walking to the mosque on Fridays and staying well at home.",
        helped_by="Mohammed, Imran and Alice Adams",
        health_monitor="Dr Ahmed, Victoria Road Surgery",
        risks="Breathlessness on exertion: a rescue plan agreed with his GP.",
        contingency="Imran covers if a carer cannot come.",
        outcomes=(
            (
                "physical_health",
                "I want to walk to the mosque on Fridays",
                "Mohammed walks there at least twice a month",
                120,
            ),
        ),
        items=(("Physiotherapy at home", "therapy", "45.00", "1", "week", 0),),
        agreement=("representative", "Imran Hussain (son)"),
    ),
    11: _story(
        "bob",
        "returned",
        10,
        80,
        "Peter",
        outcomes=(("physical_health", "I want to get fit enough to walk the dog again", "Walks 20 minutes", 90),),
        items=(("Taxis to the hospital gym", "transport", "14.00", "2", "week", 0),),
    ),
    12: _story("alice", "approved", 21, 75, "Margaret"),
    17: _story("bob", "approved", -20, 85, "Oliver"),
    13: _story("alice", "approved", -60, 75, "David"),
    14: _story("charlie", "approved", -120, 85, "Fatima"),
    4: _story(
        "alice",
        "reviewed",
        -200,
        85,
        "Eileen",
        helped_by="Eileen, her son Michael Walsh (her representative) and Alice Adams",
        agreement=("representative", "Michael Walsh (son)"),
    ),
    15: _story("bob", "ending", -150, 85, "George"),
    16: _story("charlie", "ended", -270, 85, "Helen"),
    18: _story("bob", "ending_asked", -45, 85, "Kevin"),
}


def seed(users: dict[str, User]) -> None:
    """Jane's plan: a draft with outcomes and what the money buys, still being written."""
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
        _add_item(version, alice, description, category, cost, quantity, frequency, [outcome])


def _add_item(version, user, description, category, cost, quantity, frequency, outcomes) -> None:
    services.item_save(
        version=version,
        expected_revision=version.revision,
        outcomes=outcomes,
        acting_user=user,
        description=description,
        provider="",
        category=category,
        unit_cost=Decimal(cost),
        quantity=Decimal(quantity),
        frequency=frequency,
        money_option="notional",
        third_party_organisation="",
    )


def seed_stories(users: dict[str, User]) -> None:
    """Every other plan, each taken as far as its story goes."""
    for serial, story in STORIES.items():
        person = demo_person(serial)
        budget = person.budget_versions.order_by("-number").first()
        if budget is None or person.support_plans.exists():
            continue
        _tell(person, budget, story, users)


def _write(person: Person, budget, story: PlanStory, coordinator: User) -> PlanVersion:
    today = datetime.date.today()
    start = today + datetime.timedelta(days=story.starts_in)
    version = services.plan_start(person=person, budget_version=budget, acting_user=coordinator)
    method, witness = story.agreement
    version = services.plan_update(
        version=version,
        expected_revision=version.revision,
        acting_user=coordinator,
        start_date=start,
        what_matters=story.what_matters,
        about_me=story.about_me,
        helped_by=story.helped_by,
        care_coordinator=coordinator,
        health_monitor=story.health_monitor,
        first_review_date=start + datetime.timedelta(days=story.first_review_after),
        review_method="A visit at home",
        reduction_notice_days=28,
        risks=story.risks,
        contingency=story.contingency,
        # Agreed before it was sent, a few days before it starts (never after today).
        agreed_on=min(today, start - datetime.timedelta(days=14)) if story.agreed else None,
        agreement_method=method if story.agreed else "",
        agreement_witness=witness if story.agreed else "",
    )
    outcomes: list[Outcome] = []
    for domain, goal, measure, target_after in story.outcomes:
        version.refresh_from_db()
        outcomes.append(
            services.outcome_save(
                version=version,
                expected_revision=version.revision,
                acting_user=coordinator,
                domain=domain,
                goal=goal,
                measure=measure,
                target_date=start + datetime.timedelta(days=target_after),
            )
        )
    for description, category, cost, quantity, frequency, outcome in story.items:
        version.refresh_from_db()
        _add_item(version, coordinator, description, category, cost, quantity, frequency, [outcomes[outcome]])
    version.refresh_from_db()
    return version


def _tell(person: Person, budget, story: PlanStory, users: dict[str, User]) -> None:
    coordinator, approver = users[story.coordinator], users["priya"]
    version = _write(person, budget, story, coordinator)
    if story.goes_to == "draft":
        return
    version = services.plan_submit(version=version, acting_user=coordinator)
    if story.goes_to == "submitted":
        return
    if story.goes_to == "returned":
        approval.plan_return(version=version, reason=RETURN_REASON, acting_user=approver)
        return
    # A start date that has come makes it active at once; its first review is due as the plan says.
    version = approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=approver
    )
    today = datetime.date.today()
    if story.goes_to == "reviewed":
        _review(Review.objects.get(plan=version.plan, status=ReviewStatus.DUE), version, coordinator)
        _change(version, coordinator, approver)
    elif story.goes_to == "ending":
        approval.plan_end(
            version=version,
            reason="consent_withdrawn",
            ended_on=today + datetime.timedelta(days=30),
            note="George has chosen to go back to services arranged by the NHS.",
            unspent_to_repay=None,
            acting_user=coordinator,
        )
    elif story.goes_to == "ending_asked":
        approval.ending_ask(
            version=version,
            reason="money_misused",
            ended_on=today + datetime.timedelta(days=28),
            note="Receipts for the last three months do not match the payments; Kevin has not answered our letters.",
            unspent_to_repay=Decimal("1250.00"),
            acting_user=coordinator,
        )
    elif story.goes_to == "ended":
        approval.plan_end(
            version=version,
            reason="moved_away",
            ended_on=today - datetime.timedelta(days=14),
            note="Helen moved to live with her sister in Bristol.",
            unspent_to_repay=Decimal("312.40"),
            acting_user=coordinator,
        )


def _change(version: PlanVersion, coordinator: User, approver: User) -> None:
    """After the review, evening visits added from a month ago: version 2 is active, version 1 superseded."""
    today = datetime.date.today()
    start = today - datetime.timedelta(days=30)
    draft = services.plan_amend(plan=version.plan, acting_user=coordinator)
    for outcome in draft.outcomes.all():  # new targets, from the new start
        draft.refresh_from_db()
        services.outcome_save(
            version=draft,
            expected_revision=draft.revision,
            acting_user=coordinator,
            outcome=outcome,
            target_date=start + datetime.timedelta(days=120),
        )
    draft.refresh_from_db()
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        start_date=start,
        first_review_date=start + datetime.timedelta(days=85),
        agreed_on=start - datetime.timedelta(days=7),
        agreement_method="representative",
        agreement_witness="Michael Walsh (son)",
    )
    outcome = draft.outcomes.order_by("target_date").first()
    _add_item(draft, coordinator, "Evening visits after a fall", "personal_care", "16.00", "3", "week", [outcome])
    draft.refresh_from_db()
    draft = services.plan_submit(version=draft, acting_user=coordinator)
    approval.plan_approve(
        version=draft,
        financially_appropriate=True,
        clinically_appropriate=True,
        conditions="Look again at the evening visits at the next review.",
        acting_user=approver,
    )


def _review(review: Review, version: PlanVersion, coordinator: User) -> None:
    """The first review, done with the person a few days after it was due."""
    progress = ["achieved", "partly", "not_yet"]
    words = ["I am up and dressed by ten most days now.", "I get out when Michael can drive me.", ""]
    outcomes = list(version.outcomes.order_by("target_date"))
    reviews.review_complete(
        review=review,
        completed_on=review.due_on + datetime.timedelta(days=5),
        outcome_progress={str(o.key): (progress[i % 3], words[i % 3]) for i, o in enumerate(outcomes)},
        domain_ratings={o.domain: ("better" if i == 0 else "same") for i, o in enumerate(outcomes)},
        money_enough=True,
        used_as_planned=True,
        satisfaction="satisfied",
        decision="continue",
        acting_user=coordinator,
        **REVIEW_NOTES,
    )
