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


class Section(StrEnum):
    """The parts of a plan, in the order a coordinator writes them with the person (the draft's task list)."""

    ABOUT = "about"
    OUTCOMES = "outcomes"
    SUPPORT = "support"
    MONEY = "money"
    SAFETY = "safety"
    AGREEMENT = "agreement"


SECTION_TITLES = {
    Section.ABOUT: "About the person",
    Section.OUTCOMES: "Outcomes",
    Section.SUPPORT: "Support and costs",
    Section.MONEY: "How the money is managed",
    Section.SAFETY: "Risks and contingency",
    Section.AGREEMENT: "Dates, reviews and agreement",
}

# The plan's own fields in each section (outcomes and items are rows of their own). The form for a
# section shows these.
SECTION_FIELDS = {
    Section.ABOUT: ("what_matters", "about_me", "helped_by", "care_coordinator", "health_monitor"),
    Section.OUTCOMES: (),
    Section.SUPPORT: ("over_budget_justification",),
    Section.MONEY: ("dp_recipient", "dp_recipient_name", "dp_amount", "dp_frequency"),
    Section.SAFETY: ("risks", "contingency", "reduction_notice_days"),
    Section.AGREEMENT: (
        "start_date",
        "first_review_date",
        "review_method",
        "agreed_on",
        "agreement_method",
        "agreement_witness",
    ),
}

# Fields every plan needs before it is submitted, with what to do when one is empty. missing() asks these
# (and the agreement's date and method, asked together), and the plan's forms leave "(optional)" off their
# labels (ALWAYS_NEEDED); the fields needed only sometimes say when (NEEDED_WHEN).
NEEDED = {
    "what_matters": "Write what matters to the person, in their own words",
    "care_coordinator": "Name the care coordinator",
    "health_monitor": "Say who will monitor the person's health condition",
    "risks": "Write the risks and how they will be managed",
    "contingency": "Write what happens if the support fails (contingency)",
    "reduction_notice_days": "Enter the notice period before any reduction in the budget",
    "start_date": "Enter the date the plan starts",
    "first_review_date": "Enter the date of the first review",
    "review_method": "Say how the first review will be done",
}
NEEDED_WHEN = {
    "dp_recipient": "when any of the money is a direct payment",
    "dp_recipient_name": "when any of the money is a direct payment",
    "dp_amount": "when any of the money is a direct payment",
    "dp_frequency": "when any of the money is a direct payment",
    "over_budget_justification": "when the plan costs more than the indicative budget",
}
ALWAYS_NEEDED = frozenset(NEEDED) | {"agreed_on", "agreement_method"}


def section_of(field: str) -> Section:
    return next(section for section, fields in SECTION_FIELDS.items() if field in fields)


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def gaps_by_section(plan: PlanSnapshot) -> dict[Section, list[str]]:
    """Everything that must be in the plan before it can be submitted, in plain English, by section (every
    section present, in order). Nothing in any section means complete."""
    gaps: dict[Section, list[str]] = {section: [] for section in Section}
    for name, what_to_do in NEEDED.items():
        if _empty(getattr(plan, name)):
            gaps[section_of(name)].append(what_to_do)
    if plan.start_date and plan.first_review_date:
        latest = add_months(plan.start_date, plan.first_review_within_months)
        if not plan.start_date < plan.first_review_date <= latest:
            gaps[Section.AGREEMENT].append(
                f"The first review must be after the start date and no later than {long_date(latest)} "
                f"({plan.first_review_within_months} months after the start)"
            )
    if not plan.agreed_on or not plan.agreement_method:
        gaps[Section.AGREEMENT].append("Record when and how the person agreed to the plan")
    if not plan.outcomes:
        gaps[Section.OUTCOMES].append("Add at least one outcome: the health needs and what the person wants to achieve")
    if not plan.items:
        gaps[Section.SUPPORT].append("Add what the money will buy")
    for item in plan.items:
        if item.unit_cost <= 0 or item.quantity <= 0:
            gaps[Section.SUPPORT].append(f"Cost the item '{item.description}'")
        if not item.outcome_keys:
            gaps[Section.SUPPORT].append(f"Link the item '{item.description}' to the outcome it helps with")
    if totals(plan).over_budget and not plan.over_budget_justification.strip():
        gaps[Section.SUPPORT].append("Explain why the plan costs more than the indicative budget")
    if uses_direct_payment(plan):
        if not plan.dp_recipient or not plan.dp_recipient_name.strip():
            gaps[Section.MONEY].append("Say who receives the direct payment")
        if not plan.dp_amount or not plan.dp_frequency:
            gaps[Section.MONEY].append("Enter the size of the direct payment and how often it is paid")
    if mismatch := direct_payment_mismatch(plan):
        gaps[Section.MONEY].append(mismatch)
    return gaps


def missing(plan: PlanSnapshot) -> list[str]:
    """Everything that must be in the plan before it can be submitted, section by section. Empty means
    complete: the one rule submission, the draft's "still needed" box and its task list all ask."""
    return [gap for section_gaps in gaps_by_section(plan).values() for gap in section_gaps]


def uses_direct_payment(plan: PlanSnapshot) -> bool:
    return any(item.money_option == MoneyOption.DIRECT_PAYMENT for item in plan.items)


class Progress(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


PROGRESS_LABELS = {
    Progress.NOT_STARTED: "Not started",
    Progress.IN_PROGRESS: "In progress",
    Progress.COMPLETED: "Completed",
}


def _started(plan: PlanSnapshot, section: Section) -> bool:
    if section is Section.OUTCOMES:
        return bool(plan.outcomes)
    if section is Section.SUPPORT:
        return bool(plan.items)
    if section is Section.MONEY:
        # The money options are chosen item by item: with items, this part is under way.
        return bool(plan.items) or any(not _empty(getattr(plan, f)) for f in SECTION_FIELDS[section])
    return any(not _empty(getattr(plan, f, None)) for f in SECTION_FIELDS[section])


def progress(plan: PlanSnapshot) -> dict[Section, Progress]:
    """Each section's progress for the task list, from the same gaps as missing(): completed when started
    and nothing in it is missing, in progress when started with something missing, else not started."""
    gaps = gaps_by_section(plan)
    return {
        section: (
            Progress.NOT_STARTED
            if not _started(plan, section)
            else Progress.IN_PROGRESS
            if gaps[section]
            else Progress.COMPLETED
        )
        for section in Section
    }


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
