"""The indicative budget letter: what it says is decided here, from the budget version alone."""

import datetime

from django.conf import settings

from budgets.models import BudgetVersion, MethodChoice
from phb.money import pounds, weekly


def how_worked_out(version: BudgetVersion) -> list[str]:
    """Plain English, for the person: how the figure was reached."""
    steps = []
    services = version.inputs.get("services", [])
    if services:
        steps.append(
            f"We added up the NHS services you use now that could be paid for from a budget instead. "
            f"They cost {pounds(version.costed_total)} a year."
        )
    else:
        steps.append("We did not find NHS services you use now that could be paid for from a budget instead.")
    if version.ras_total is not None:
        steps.append(
            f"We also looked at your needs in each part of your life and gave each a score. "
            f"Your scores come to {pounds(version.ras_total)} a year."
        )
    if version.method in (MethodChoice.HIGHER, MethodChoice.LOWER, MethodChoice.RAS, MethodChoice.COSTED):
        steps.append(f"Your budget starts from {version.method_explanation}: {pounds(version.base_amount)} a year.")
    if version.adjustment:
        change = "added" if version.adjustment > 0 else "took away"
        steps.append(f"We {change} {pounds(abs(version.adjustment))} because: {version.adjustment_reason}")
    return steps


def letter_context(version: BudgetVersion, *, today: datetime.date) -> dict:
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "today": today,
        "person": version.person,
        "version": version,
        "annual": pounds(version.annual_amount),
        "weekly": pounds(weekly(version.annual_amount)),
        "steps": how_worked_out(version),
        "council_share": pounds(version.council_share) if version.council_share else "",
    }
