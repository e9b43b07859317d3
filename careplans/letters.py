"""The plan as a document the person keeps: what it says is decided here, from the version alone."""

import datetime

from django.conf import settings

from careplans import rules
from careplans.models import PlanVersion
from careplans.selectors import snapshot
from phb.money import pounds, weekly


def plan_document_context(version: PlanVersion, *, today: datetime.date) -> dict:
    plan_totals = rules.totals(snapshot(version))
    outcomes = list(version.outcomes.all())
    numbers = {o.pk: n for n, o in enumerate(outcomes, start=1)}
    items = [
        {
            "item": item,
            "annual": pounds(rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency)),
            "outcome_numbers": ", ".join(str(numbers[o.pk]) for o in item.linked_outcomes() if o.pk in numbers),
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


RECONSIDER = (
    "If you disagree with this decision, you can ask us to look at it again. Contact your care coordinator "
    "or the personal health budget team within 28 days of the date of this letter and tell us why. Someone "
    "who was not involved in this decision will look at it again and write to you with the result. You can "
    "ask a friend, family member or advocate to help you."
)


def decision_letter_context(version: PlanVersion, *, today: datetime.date, review_due=None) -> dict:
    plan_totals = rules.totals(snapshot(version))
    annual = version.agreed_annual if version.agreed_annual is not None else plan_totals.annual
    options = sorted({rules.MONEY_OPTION_LABELS[rules.MoneyOption(i.money_option)] for i in version.items.all()})
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "today": today,
        "person": version.plan.person,
        "version": version,
        "annual": pounds(annual),
        "weekly": pounds(weekly(annual)),
        "money_options": options,
        "review_due": review_due,
        "reconsider": RECONSIDER,
    }
