"""The plan as a document the person keeps, and the decision letters: what they say is decided here, from the
version alone."""

import datetime
from decimal import Decimal

from budgets.letters import WEEKLY_WORDS
from careplans import rules
from careplans.models import EndReason, PlanVersion
from careplans.selectors import snapshot
from eligibility.letters import RECONSIDER
from phb.letterhead import letterhead
from phb.money import DAYS_IN_WEEK, DAYS_IN_YEAR, pounds, weekly

# How the money is managed, said to the person (the staff pages use rules.MONEY_OPTION_LABELS).
MONEY_OPTION_WORDS = {
    rules.MoneyOption.DIRECT_PAYMENT: "As a direct payment: the money is paid to you, or to someone you chose, to buy "
    "the support in your plan.",
    rules.MoneyOption.NOTIONAL: "The NHS arranges and pays for the support for you. This is called a notional budget.",
    rules.MoneyOption.THIRD_PARTY: "An organisation holds the money and arranges the support for you. This is called "
    "a third-party budget.",
}

# Why a budget ends, said to the person (the staff pages use EndReason's labels). The letter after a death is
# written to the family and says so in its own words.
END_REASON_WORDS = {
    EndReason.CONSENT_WITHDRAWN: "You told us you no longer want a personal health budget.",
    EndReason.NOT_ELIGIBLE: "You can no longer have a personal health budget.",
    EndReason.NEEDS_NOT_MET: "Your personal health budget is not meeting your needs.",
    EndReason.MONEY_MISUSED: "The money in your budget has not been used as agreed in your plan.",
    EndReason.MOVED_AWAY: "You have moved away from the area we look after.",
}


def _times(frequency: rules.Frequency) -> str:
    times = rules.TIMES_A_YEAR[frequency]
    if times.denominator == 1:
        return f"multiplied by {times.numerator}"
    about = (Decimal(times.numerator) / Decimal(times.denominator)).quantize(Decimal("0.01"))
    return f"multiplied by {times.numerator} and divided by {times.denominator} (about {about} times a year)"


def yearly_words(frequencies) -> str:
    """How the plan's costs become yearly ones, in words, from rules.TIMES_A_YEAR: only for the frequencies used."""
    used = set(frequencies)
    sentences = [f"How we work out a year's cost: a year has {DAYS_IN_YEAR} days."]
    for frequency in (rules.Frequency.WEEK, rules.Frequency.FOUR_WEEKS, rules.Frequency.MONTH):
        if frequency in used:
            sentences.append(f"A cost {rules.FREQUENCY_LABELS[frequency]} is {_times(frequency)}.")
    if rules.Frequency.ONE_OFF in used:
        sentences.append("A one-off cost is counted once.")
    sentences.append(f"A week's money is the yearly amount multiplied by {DAYS_IN_WEEK} and divided by {DAYS_IN_YEAR}.")
    return " ".join(sentences)


def plan_document_context(version: PlanVersion, *, today: datetime.date) -> dict:
    plan_totals = rules.totals(snapshot(version))
    outcomes = list(version.outcomes.all())
    numbers = {o.pk: n for n, o in enumerate(outcomes, start=1)}
    all_items = list(version.items.all())
    items = [
        {
            "item": item,
            "annual": pounds(rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency)),
            "outcome_numbers": ", ".join(str(numbers[o.pk]) for o in item.linked_outcomes() if o.pk in numbers),
        }
        for item in all_items
    ]
    return {
        **letterhead(),
        "today": today,
        "person": version.plan.person,
        "version": version,
        "outcomes": outcomes,
        "items": items,
        "total_annual": pounds(plan_totals.annual),
        "total_weekly": pounds(plan_totals.weekly),
        "budget_annual": pounds(plan_totals.budget_annual),
        "budget_weekly": pounds(plan_totals.budget_weekly),
        "by_option": [
            (rules.MONEY_OPTION_LABELS[rules.MoneyOption(option)], pounds(amount))
            for option, amount in plan_totals.by_money_option.items()
        ],
        "yearly_words": yearly_words(rules.Frequency(item.frequency) for item in all_items),
    }


def decision_letter_context(version: PlanVersion, *, today: datetime.date, review_due=None) -> dict:
    plan_totals = rules.totals(snapshot(version))
    annual = version.agreed_annual if version.agreed_annual is not None else plan_totals.annual
    options = {rules.MoneyOption(item.money_option) for item in version.items.all()}
    person = version.plan.person
    return {
        **letterhead(),
        "today": today,
        "person": person,
        "coordinator": version.care_coordinator or person.lead_coordinator,
        "version": version,
        "annual": pounds(annual),
        "weekly": pounds(weekly(annual)),
        "weekly_words": WEEKLY_WORDS,
        # The person was told a likely amount before the plan was written; say why this one differs from it.
        "indicative_annual": pounds(plan_totals.budget_annual) if plan_totals.budget_annual != annual else "",
        "money_options": [words for option, words in MONEY_OPTION_WORDS.items() if option in options],
        "end_reason": END_REASON_WORDS.get(version.end_reason, "") if version.end_reason else "",
        "died": version.end_reason == EndReason.DIED,
        "review_due": review_due,
        "reconsider": RECONSIDER,
    }
