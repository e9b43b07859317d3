"""The plan as a document the person keeps: what it says is decided here, from the version alone."""

import datetime

from django.conf import settings

from careplans import rules
from careplans.models import PlanVersion
from careplans.selectors import snapshot
from phb.money import pounds


def plan_document_context(version: PlanVersion, *, today: datetime.date) -> dict:
    plan_totals = rules.totals(snapshot(version))
    outcomes = list(version.outcomes.all())
    numbers = {o.pk: n for n, o in enumerate(outcomes, start=1)}
    items = [
        {
            "item": item,
            "annual": pounds(rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency)),
            "outcome_numbers": ", ".join(str(numbers[o.pk]) for o in item.outcomes.all() if o.pk in numbers),
        }
        for item in version.items.all()
    ]
    return {
        "organisation_name": settings.ORGANISATION_NAME,
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
    }
