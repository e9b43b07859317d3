"""The indicative budget letter: what it says is decided here, from the budget version alone."""

import datetime

from budgets.models import BudgetVersion, MethodChoice
from phb.letterhead import letterhead
from phb.money import DAYS_IN_WEEK, DAYS_IN_YEAR, pounds, weekly

# How the letter's weekly figure comes from the yearly one (phb.money.weekly), in words.
WEEKLY_WORDS = (
    f"A year has {DAYS_IN_YEAR} days, so a week's money is the yearly amount multiplied by {DAYS_IN_WEEK} "
    f"and divided by {DAYS_IN_YEAR}."
)


def _starting_point(version: BudgetVersion) -> str:
    base = pounds(version.base_amount)
    if version.method == MethodChoice.COSTED:
        return f"Your budget starts from what the NHS services you use now cost: {base} a year."
    if version.method == MethodChoice.RAS:
        return f"Your budget starts from the amount for your needs: {base} a year."
    if version.costed_total == version.ras_total:
        return f"The two amounts are the same, so your budget starts from {base} a year."
    which = "higher" if version.method == MethodChoice.HIGHER else "lower"
    return f"Your budget starts from the {which} of the two amounts: {base} a year."


def how_worked_out(version: BudgetVersion) -> list[str]:
    """Plain English, for the person: how the figure was reached."""
    steps = []
    services = version.inputs.get("services", [])
    if services:
        steps.append(
            f"We added up what the NHS services you use now cost, counting only those that could be paid for from a "
            f"budget instead. They cost {pounds(version.costed_total)} a year."
        )
    else:
        steps.append("None of the NHS services you use now could be paid for from a budget instead.")
    if version.ras_total is not None:
        steps.append(
            f"We also looked at how much help you need in each part of your life. We set an amount of money for each "
            f"level of need. For your needs this comes to {pounds(version.ras_total)} a year."
        )
    steps.append(_starting_point(version))
    if version.adjustment:
        change = "added" if version.adjustment > 0 else "took away"
        steps.append(f"We {change} {pounds(abs(version.adjustment))}. The reason: {version.adjustment_reason}")
    return steps


def letter_context(version: BudgetVersion, *, today: datetime.date) -> dict:
    return {
        **letterhead(),
        "today": today,
        "person": version.person,
        "coordinator": version.person.lead_coordinator,
        "version": version,
        "annual": pounds(version.annual_amount),
        "weekly": pounds(weekly(version.annual_amount)),
        "weekly_words": WEEKLY_WORDS,
        "steps": how_worked_out(version),
        "council_share": pounds(version.council_share) if version.council_share else "",
    }
