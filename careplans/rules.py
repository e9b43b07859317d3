"""The personalised care and support plan as pure functions: costs, totals, what is missing, what changed.

Plain values in (a PlanSnapshot), plain values out, so the rules for a plan that
can be submitted read here as the policy: the NHS (Direct Payments)
Regulations 2013, regulation 8, says what a plan must contain.
"""

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from phb.money import MAX_AMOUNT, four_weekly, monthly, pounds, round_pounds, weekly
from phb.words import long_date


class Frequency(StrEnum):
    WEEK = "week"
    FOUR_WEEKS = "4_weeks"
    MONTH = "month"
    YEAR = "year"
    ONE_OFF = "one_off"


FREQUENCY_LABELS = {
    Frequency.WEEK: "a week",
    Frequency.FOUR_WEEKS: "every 4 weeks",
    Frequency.MONTH: "a month",
    Frequency.YEAR: "a year",
    Frequency.ONE_OFF: "once",
}

# How many times a year each frequency happens (a one-off happens once in the plan's year).
TIMES_A_YEAR = {
    Frequency.WEEK: Fraction(365, 7),
    Frequency.FOUR_WEEKS: Fraction(365, 28),
    Frequency.MONTH: Fraction(12),
    Frequency.YEAR: Fraction(1),
    Frequency.ONE_OFF: Fraction(1),
}

# The most units one item can have in its period: never more hours than the period has.
MAX_QUANTITY = {
    Frequency.WEEK: Decimal(168),
    Frequency.FOUR_WEEKS: Decimal(672),
    Frequency.MONTH: Decimal(744),
    Frequency.YEAR: Decimal(8784),
    Frequency.ONE_OFF: Decimal(1000),
}

MAX_ITEM_ANNUAL = MAX_AMOUNT  # £5,000,000
# Items in one version of a plan: its total is at most 100 × £5,000,000 a year, far inside the
# numeric(12, 2) column that keeps an agreed plan's total. Plans have a handful.
MAX_ITEMS = 100


class MoneyOption(StrEnum):
    DIRECT_PAYMENT = "direct_payment"
    NOTIONAL = "notional"
    THIRD_PARTY = "third_party"


MONEY_OPTION_LABELS = {
    MoneyOption.DIRECT_PAYMENT: "Direct payment",
    MoneyOption.NOTIONAL: "Notional budget (the NHS arranges it)",
    MoneyOption.THIRD_PARTY: "Third-party budget (an organisation holds the money)",
}


class PaymentFrequency(StrEnum):
    """How often the direct payment is paid (the values of careplans.models.PaymentFrequency)."""

    FOUR_WEEKLY = "4_weekly"
    MONTHLY = "monthly"


PAYMENT_FREQUENCY_LABELS = {PaymentFrequency.FOUR_WEEKLY: "every 4 weeks", PaymentFrequency.MONTHLY: "a month"}

PAYMENTS_A_YEAR = {PaymentFrequency.FOUR_WEEKLY: Fraction(365, 28), PaymentFrequency.MONTHLY: Fraction(12)}

# A year's money as one payment, rounded once (phb.money).
_ONE_PAYMENT = {PaymentFrequency.FOUR_WEEKLY: four_weekly, PaymentFrequency.MONTHLY: monthly}


@dataclass(frozen=True)
class OutcomeSnapshot:
    key: str  # the same across versions of a plan, so versions can be compared
    domain: str
    goal: str
    measure: str
    target_date: datetime.date | None


@dataclass(frozen=True)
class ItemSnapshot:
    key: str
    description: str
    unit_cost: Decimal
    quantity: Decimal
    frequency: Frequency
    money_option: MoneyOption
    third_party_organisation: str = ""
    outcome_keys: tuple[str, ...] = ()
    provider: str = ""
    category: str = ""


@dataclass(frozen=True)
class PlanSnapshot:
    budget_annual: Decimal
    start_date: datetime.date | None = None
    outcomes: tuple[OutcomeSnapshot, ...] = ()
    items: tuple[ItemSnapshot, ...] = ()
    care_coordinator: str = ""
    health_monitor: str = ""
    first_review_date: datetime.date | None = None
    review_method: str = ""
    reduction_notice_days: int | None = None
    risks: str = ""
    contingency: str = ""
    what_matters: str = ""
    dp_recipient: str = ""
    dp_recipient_name: str = ""
    dp_amount: Decimal | None = None
    dp_frequency: str = ""
    agreed_on: datetime.date | None = None
    agreement_method: str = ""
    over_budget_justification: str = ""
    first_review_within_months: int = 3


def item_annual_exact(unit_cost: Decimal, quantity: Decimal, frequency: Frequency) -> Fraction:
    """An item's cost a year, exactly: add these up, then round once."""
    return Fraction(unit_cost) * Fraction(quantity) * TIMES_A_YEAR[Frequency(frequency)]


def item_annual_cost(unit_cost: Decimal, quantity: Decimal, frequency: Frequency) -> Decimal:
    return round_pounds(item_annual_exact(unit_cost, quantity, frequency))


def item_problems(item: ItemSnapshot) -> dict[str, str]:
    """What is wrong with one item, by the field to change."""
    problems = {}
    if item.unit_cost <= 0:
        problems["unit_cost"] = "Unit cost must be more than £0"
    if item.quantity <= 0:
        problems["quantity"] = "Quantity must be more than 0"
    elif item.quantity > MAX_QUANTITY[Frequency(item.frequency)]:
        limit = MAX_QUANTITY[Frequency(item.frequency)]
        problems["quantity"] = (
            f"Quantity must be {limit:,} or fewer {FREQUENCY_LABELS[Frequency(item.frequency)]}. "
            "Check the quantity and how often"
        )
    if not problems and item_annual_cost(item.unit_cost, item.quantity, item.frequency) > MAX_ITEM_ANNUAL:
        problems["unit_cost"] = "This item would cost more than £5,000,000 a year. Check the cost and quantity"
    if item.money_option == MoneyOption.THIRD_PARTY and not item.third_party_organisation.strip():
        problems["third_party_organisation"] = "Enter the name of the organisation that holds the money"
    return problems


@dataclass(frozen=True)
class Totals:
    annual: Decimal
    weekly: Decimal
    budget_annual: Decimal
    budget_weekly: Decimal
    difference: Decimal  # plan minus budget: more than 0 is over budget
    by_money_option: dict[str, Decimal] = field(default_factory=dict)

    @property
    def over_budget(self) -> bool:
        return self.difference > 0

    @property
    def under_budget(self) -> bool:
        return self.difference < 0


def totals(plan: PlanSnapshot) -> Totals:
    costs = [
        (item.money_option, item_annual_cost(item.unit_cost, item.quantity, item.frequency)) for item in plan.items
    ]
    annual = sum((cost for _, cost in costs), Decimal("0.00"))
    by_option = {}
    for option, cost in costs:
        by_option[option.value] = by_option.get(option.value, Decimal("0.00")) + cost
    return Totals(
        annual=annual,
        weekly=weekly(annual),
        budget_annual=plan.budget_annual,
        budget_weekly=weekly(plan.budget_annual),
        difference=annual - plan.budget_annual,
        by_money_option=by_option,
    )


def payment_for(annual: Decimal | Fraction, frequency: str) -> Decimal:
    """The payment that pays an annual amount at this frequency: £6,257.14 a year is £480.00 every 4 weeks."""
    return _ONE_PAYMENT[PaymentFrequency(frequency)](annual)


def direct_payment_annual(plan: PlanSnapshot) -> Fraction:
    """What the items paid by direct payment cost a year, exactly (rounded only when shown)."""
    return sum(
        (
            item_annual_exact(item.unit_cost, item.quantity, item.frequency)
            for item in plan.items
            if item.money_option == MoneyOption.DIRECT_PAYMENT
        ),
        Fraction(0),
    )


def direct_payment_mismatch(plan: PlanSnapshot) -> str:
    """Why the direct payment does not pay for the items paid by direct payment; "" if it does.

    A payment is whole pence, so it may miss the items' cost by up to a penny each time it is paid:
    a year of payments may differ from the items' annual cost by the number of payments a year × £0.01.
    """
    if not plan.dp_amount or plan.dp_frequency not in PAYMENTS_A_YEAR:
        return ""  # nothing to compare: missing() asks for the amount and frequency when they are needed
    frequency = PaymentFrequency(plan.dp_frequency)
    payments = PAYMENTS_A_YEAR[frequency]
    payment_annual = Fraction(plan.dp_amount) * payments
    items_annual = direct_payment_annual(plan)
    difference = payment_annual - items_annual
    if abs(difference) <= payments * Fraction(1, 100):
        return ""
    how_often = PAYMENT_FREQUENCY_LABELS[frequency]
    if not any(item.money_option == MoneyOption.DIRECT_PAYMENT for item in plan.items):
        return (
            f"The plan has a direct payment of {pounds(plan.dp_amount)} {how_often}, but no item is paid by "
            "direct payment. Remove the amount of each payment, or choose direct payment for the items it pays for"
        )
    if items_annual <= 0:
        return ""  # the items are not costed yet: missing() asks for their costs first
    # The difference shown is between the two amounts shown, so the sentence adds up for whoever reads it.
    shown_payment, shown_items = round_pounds(payment_annual), round_pounds(items_annual)
    more_or_less = "less" if difference > 0 else "more"
    return (
        f"The direct payment of {pounds(plan.dp_amount)} {how_often} comes to {pounds(shown_payment)} a year, "
        f"but the items paid by direct payment cost {pounds(shown_items)} a year, "
        f"{pounds(abs(shown_payment - shown_items))} {more_or_less} than the payment. "
        f"Change the payment to {pounds(payment_for(items_annual, frequency))} {how_often}"
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day some months later, or that month's last day (31 January + 1 month = end of February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def missing(plan: PlanSnapshot) -> list[str]:
    """Everything that must be in the plan before it can be submitted, in plain English. Empty means complete."""
    gaps = []
    if not plan.start_date:
        gaps.append("Enter the date the plan starts")
    if not plan.what_matters.strip():
        gaps.append("Write what matters to the person, in their own words")
    if not plan.outcomes:
        gaps.append("Add at least one outcome: the health needs and what the person wants to achieve")
    if not plan.items:
        gaps.append("Add what the money will buy")
    for item in plan.items:
        if item.unit_cost <= 0 or item.quantity <= 0:
            gaps.append(f"Cost the item '{item.description}'")
        if not item.outcome_keys:
            gaps.append(f"Link the item '{item.description}' to the outcome it helps with")
    if any(item.money_option == MoneyOption.DIRECT_PAYMENT for item in plan.items):
        if not plan.dp_recipient or not plan.dp_recipient_name.strip():
            gaps.append("Say who receives the direct payment")
        if not plan.dp_amount or not plan.dp_frequency:
            gaps.append("Enter the size of the direct payment and how often it is paid")
    if mismatch := direct_payment_mismatch(plan):
        gaps.append(mismatch)
    if not plan.care_coordinator:
        gaps.append("Name the care coordinator")
    if not plan.health_monitor.strip():
        gaps.append("Say who will monitor the person's health condition")
    if not plan.first_review_date:
        gaps.append("Enter the date of the first review")
    elif plan.start_date:
        latest = add_months(plan.start_date, plan.first_review_within_months)
        if not plan.start_date < plan.first_review_date <= latest:
            gaps.append(
                f"The first review must be after the start date and no later than {long_date(latest)} "
                f"({plan.first_review_within_months} months after the start)"
            )
    if not plan.review_method.strip():
        gaps.append("Say how the first review will be done")
    if plan.reduction_notice_days is None:
        gaps.append("Enter the notice period before any reduction in the budget")
    if not plan.risks.strip():
        gaps.append("Write the risks and how they will be managed")
    if not plan.contingency.strip():
        gaps.append("Write what happens if the support fails (contingency)")
    if not plan.agreed_on or not plan.agreement_method:
        gaps.append("Record when and how the person agreed to the plan")
    if totals(plan).over_budget and not plan.over_budget_justification.strip():
        gaps.append("Explain why the plan costs more than the indicative budget")
    return gaps


def unlinked_items(plan: PlanSnapshot) -> list[str]:
    return [item.description for item in plan.items if not item.outcome_keys]


@dataclass(frozen=True)
class Change:
    kind: str  # "added" | "removed" | "changed"
    what: str  # "outcome" | "item"
    label: str
    fields: tuple[tuple[str, str, str], ...] = ()  # (field, before, after) for changes


@dataclass(frozen=True)
class Comparison:
    changes: tuple[Change, ...]
    total_before: Decimal
    total_after: Decimal

    @property
    def total_difference(self) -> Decimal:
        return self.total_after - self.total_before


def _fields(obj, names: Sequence[str]) -> dict[str, str]:
    values = {}
    for name in names:
        value = getattr(obj, name)
        values[name] = ", ".join(value) if isinstance(value, tuple) else ("" if value is None else str(value))
    return values


OUTCOME_FIELDS = ("domain", "goal", "measure", "target_date")
ITEM_FIELDS = (
    "description",
    "provider",
    "category",
    "unit_cost",
    "quantity",
    "frequency",
    "money_option",
    "third_party_organisation",
    "outcome_keys",
)


def _compare_rows(before, after, what: str, names, label) -> list[Change]:
    changes = []
    old = {row.key: row for row in before}
    new = {row.key: row for row in after}
    for key, row in new.items():
        if key not in old:
            changes.append(Change("added", what, label(row)))
            continue
        a, b = _fields(old[key], names), _fields(row, names)
        diffs = tuple((name, a[name], b[name]) for name in names if a[name] != b[name])
        if diffs:
            changes.append(Change("changed", what, label(row), diffs))
    changes += [Change("removed", what, label(row)) for key, row in old.items() if key not in new]
    return changes


def compare(before: PlanSnapshot, after: PlanSnapshot) -> Comparison:
    """What changed between two versions of a plan: outcomes and items added, removed or changed, and totals."""
    changes = _compare_rows(before.outcomes, after.outcomes, "outcome", OUTCOME_FIELDS, lambda o: o.goal)
    changes += _compare_rows(before.items, after.items, "item", ITEM_FIELDS, lambda i: i.description)
    return Comparison(changes=tuple(changes), total_before=totals(before).annual, total_after=totals(after).annual)
