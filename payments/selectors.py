"""Reads for the money in use: a plan's money as the money pages show it, in a constant number of queries.

`money_of(plan, on)` loads the plan's schedule lines, its transactions and statements, and its items (three queries,
whatever their number) and asks the pure rules of payments.balance what they mean on `on`: the balance, where it is
heading, the flags, planned against actual for each item, and the figures of the charts (payments.charts).
`money_in_force_for(person, on)` is the same for the person's plan in force, for the portal.

Decided here:
- An item's name is its description in the version in force on `on` (careplans.models.in_force_among), else in
  the newest version that has it: money matched to an item a change took out of the plan keeps its name.
- Planned for an item bought from the account uses its annual cost in the version in force (or, once no version
  is in force, the newest agreed one); its one-offs and notional commitments are in the schedule already.
- The plan year shown is the one `on` falls in (plan_year_of; schedules run on year after year): the balance and
  the flags count everything since the schedule began (money left in the account carries over), while planned
  against spent for each item, the charts and what is still to come are for that plan year.
- The versions are read through their items (one query): a version with no items cannot be agreed, so none is
  missed that could be in force.
- The statement overdue is payments.balance.statement_overdue's, the rule its flag reads: nothing here works it
  out again.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import BooleanField, CharField, DateField, DecimalField, UUIDField, Value

from careplans.models import PlanVersion, Status, SupportItem, SupportPlan, in_force_among
from careplans.rules import MONEY_OPTION_LABELS, Frequency, MoneyOption, item_annual_exact
from payments import balance as money
from payments.charts import BLUE, GREY, PURPLE, MonthPoint, months
from payments.models import ScheduleLine
from payments.models import Statement as StatementRow
from payments.models import Transaction as TransactionRow
from payments.periods import ONE_DAY, plan_year_end
from payments.rules import ZERO, Line, LineKind, LineStatus
from people.models import Person
from phb.money import round_pounds

NO_LONGER_IN_THE_PLAN = "An item no longer in the plan"
NOT_MATCHED = "Not matched to an item yet"
NOT_IN_THE_PLAN = "Not in the plan"
ITEM_FIELDS = ("key", "description", "unit_cost", "quantity", "frequency", "money_option", "created_at")
VERSION_FIELDS = ("plan_version__id", "plan_version__plan_id", "plan_version__number", "plan_version__status")
VERSION_FIELDS += ("plan_version__start_date",)
PLAN_FIELDS = ("plan_version__plan__id", "plan_version__plan__person_id", "plan_version__plan__created_at")


@dataclass(frozen=True)
class ItemRow:
    """Planned against actual for one item, for the plan year to `on`."""

    key: str
    name: str
    how: str  # how the item's money is managed, in words
    planned: Decimal
    actual: Decimal

    @property
    def difference(self) -> Decimal:
        """Spent more than planned (above £0) or less (below)."""
        return self.actual - self.planned


@dataclass(frozen=True)
class SpendRow:
    """A bar of the spending-by-item chart: an item, the spend still to match, or the spend not in the plan."""

    name: str
    amount: Decimal
    colour: str = BLUE
    is_item: bool = True


@dataclass(frozen=True)
class MoneyView:
    plan: SupportPlan
    on: datetime.date
    version: PlanVersion | None  # the version the item names and costs are read from
    lines: tuple[Line, ...]
    transactions: tuple[money.Transaction, ...]
    statements: tuple[money.Statement, ...]
    balance: money.Balance
    projection: money.Projection | None  # None without a schedule
    flags: tuple[money.Flag, ...]
    items: tuple[ItemRow, ...]
    account_items: frozenset[str]  # the keys of the items bought from the account
    months: tuple[MonthPoint, ...]
    spend_by_item: tuple[SpendRow, ...]
    year_start: datetime.date | None
    year_end: datetime.date | None
    to_come: Decimal  # still to be paid into the account after `on`, to the plan year's end (not held)
    statement_due: money.StatementDue | None  # the statement overdue on `on` (payments.balance.statement_overdue)

    @property
    def has_schedule(self) -> bool:
        return bool(self.lines)

    @property
    def statement_due_for(self) -> datetime.date | None:
        """The last day of the period whose statement is overdue, or None."""
        return self.statement_due.period_end if self.statement_due else None

    def flagged(self, code: money.FlagCode) -> money.Flag | None:
        return next((flag for flag in self.flags if flag.code == code), None)


# Loading --------------------------------------------------------------------------------------------------------


def _items(items):
    """Items with the version each is in (its number, status and start: no text), in the order they were added."""
    return items.select_related("plan_version").only(*ITEM_FIELDS, *VERSION_FIELDS).order_by("created_at", "id")


def _lines(plan_id) -> tuple[Line, ...]:
    rows = ScheduleLine.objects.filter(plan_id=plan_id).order_by("period_start", "due_on", "kind", "id")
    fields = ("kind", "money_option", "period_start", "period_end", "due_on", "amount", "item_key", "payee")
    return tuple(
        Line(
            kind=LineKind(kind),
            money_option=MoneyOption(option),
            period_start=start,
            period_end=end,
            due_on=due,
            amount=amount,
            item=str(item_key) if item_key else "",
            payee=payee,
            status=LineStatus(status),
        )
        for kind, option, start, end, due, amount, item_key, payee, status in rows.values_list(*fields, "status")
    )


STATEMENT = "statement"  # marks a statement's row among the transactions' (never a transaction's kind)


def _money_moved(plan_id) -> tuple[tuple[money.Transaction, ...], tuple[money.Statement, ...]]:
    """The plan's transactions and statements, in one query (a UNION: a statement's row carries its days where a
    transaction's carries its date, with its own mark for a kind, and its own id where a transaction's carries
    its statement's, so each statement knows the kinds of the transactions it brought)."""
    moved = (
        TransactionRow.objects.filter(plan_id=plan_id)
        .annotate(until=Value(None, DateField()), received=Value(None, DateField()))
        .values_list("on", "amount", "kind", "item_key", "not_in_plan", "until", "received", "statement_id")
        .order_by()  # no ORDER BY in a UNION's parts: SQLite refuses one (make run; the seed works out flags)
    )
    sent = (
        StatementRow.objects.filter(plan_id=plan_id)
        .annotate(
            money=Value(None, DecimalField(max_digits=12, decimal_places=2)),
            what=Value(STATEMENT, CharField()),
            item=Value(None, UUIDField()),
            outside=Value(False, BooleanField()),
        )
        .values_list("covers_from", "money", "what", "item", "outside", "covers_to", "received_on", "id")
        .order_by()
    )
    transactions, sent_rows, kinds = [], [], defaultdict(set)
    for on, amount, kind, item_key, not_in_plan, until, received, statement_id in moved.union(sent, all=True):
        if kind == STATEMENT:
            sent_rows.append((statement_id, on, until, received))
        else:
            item = str(item_key) if item_key else None
            transactions.append(money.Transaction(on, amount, money.TransactionKind(kind), item, not_in_plan))
            kinds[statement_id].add(money.TransactionKind(kind))
    statements = [
        money.Statement(covers_from, covers_to, received, frozenset(kinds[statement_id]))
        for statement_id, covers_from, covers_to, received in sent_rows
    ]
    transactions.sort(key=lambda t: t.on)
    statements.sort(key=lambda s: s.covers_to)
    return tuple(transactions), tuple(statements)


def _version_for_money(versions: list[PlanVersion], on: datetime.date) -> PlanVersion | None:
    """The version in force on `on`; once none is, the newest agreed one."""
    agreed = [version for version in versions if version.status in Status.AGREED]
    return in_force_among(versions, on=on) or max(agreed, key=lambda version: version.number, default=None)


def money_of(plan: SupportPlan, on: datetime.date) -> MoneyView:
    """The plan's money on `on` (the end of that day), in three queries."""
    return _money(plan, on, list(_items(SupportItem.objects.filter(plan_version__plan=plan))))


def money_in_force_for(person: Person, on: datetime.date) -> MoneyView | None:
    """The money of the person's plan in force on `on` (the newest one, should two be), or None; three queries
    when there is one, one when there is none."""
    found = SupportItem.objects.filter(plan_version__plan__person=person)
    items = list(_items(found).select_related("plan_version__plan").only(*ITEM_FIELDS, *VERSION_FIELDS, *PLAN_FIELDS))
    by_plan = {}
    for item in items:
        by_plan.setdefault(item.plan_version.plan_id, {})[item.plan_version_id] = item.plan_version
    in_force = [version for versions in by_plan.values() if (version := in_force_among(versions.values(), on=on))]
    if not in_force:
        return None
    version = max(in_force, key=lambda version: (version.start_date or datetime.date.min, version.number))
    plan = version.plan
    plan.person = person  # the page names the person: no query for them
    return _money(plan, on, [item for item in items if item.plan_version.plan_id == plan.pk])


# Working it out ---------------------------------------------------------------------------------------------------


def _account_annual(items: Iterable[SupportItem]) -> dict[str, Decimal]:
    """Each regular item bought from the account: its cost a year (payments.balance's item_annual)."""
    return {
        str(item.key): round_pounds(item_annual_exact(item.unit_cost, item.quantity, item.frequency))
        for item in items
        if item.money_option != MoneyOption.NOTIONAL and item.frequency != Frequency.ONE_OFF
    }


def plan_year_of(lines: Sequence[Line], on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the plan year `on` falls in; before the first, the first; after the last year
    scheduled, the last (plan years follow each other from the schedule's first day: payments.services)."""
    start = money.year_start(lines)
    last_start = max(line.period_start for line in lines)
    while plan_year_end(start) < min(on, last_start):
        start = plan_year_end(start) + ONE_DAY
    return start, plan_year_end(start)


def _money(plan: SupportPlan, on: datetime.date, items: list[SupportItem]) -> MoneyView:
    lines = _lines(plan.pk)
    transactions, statements = _money_moved(plan.pk)
    versions = list({item.plan_version_id: item.plan_version for item in items}.values())
    version = _version_for_money(versions, on)
    in_version = [item for item in items if version is not None and item.plan_version_id == version.pk]
    # Names: the version in force first, then newer versions before older ones.
    named = sorted(
        items, key=lambda item: (item.plan_version_id != getattr(version, "pk", None), -item.plan_version.number)
    )
    names, options = {}, {}
    for item in named:
        names.setdefault(str(item.key), item.description)
        options.setdefault(str(item.key), MoneyOption(item.money_option))
    for line in lines:
        if line.item:
            options.setdefault(line.item, line.money_option)
    item_annual = _account_annual(in_version)
    account_items = frozenset(key for key, option in options.items() if option != MoneyOption.NOTIONAL)
    now = money.balance(
        lines,
        transactions,
        on,
        contingency_weeks=settings.PAYMENTS_CONTINGENCY_WEEKS,
        surplus_weeks=settings.PAYMENTS_SURPLUS_WEEKS,
        item_annual=item_annual,
    )
    year = now
    start = end = ahead = None
    found = ()
    year_lines = lines
    if lines:
        start, end = plan_year_of(lines, on)
        year_lines = tuple(line for line in lines if start <= line.period_start <= end)
        ahead = money.projection(lines, transactions, on, year_end=end)
        found = tuple(
            money.flags(
                lines, transactions, statements, on, surplus_weeks=settings.PAYMENTS_SURPLUS_WEEKS, year_end=end
            )
        )
        # Planned against spent, item by item, for this plan year: its lines and the money moved in it.
        year = money.balance(year_lines, [t for t in transactions if t.on >= start], on, item_annual=item_annual)
    order = {str(item.key): n for n, item in enumerate(in_version)}
    rows = tuple(
        sorted(
            (
                ItemRow(
                    key=spend.item,
                    name=names.get(spend.item, NO_LONGER_IN_THE_PLAN),
                    how=MONEY_OPTION_LABELS[options[spend.item]] if spend.item in options else "",
                    planned=spend.planned,
                    actual=spend.actual,
                )
                for spend in year.items
            ),
            key=lambda row: (order.get(row.key, len(order)), row.name),
        )
    )
    bars = [SpendRow(row.name, row.actual) for row in rows if row.key in account_items or row.actual]
    if year.to_match:
        bars.append(SpendRow(NOT_MATCHED, year.to_match, GREY, is_item=False))
    if year.not_in_plan:
        bars.append(SpendRow(NOT_IN_THE_PLAN, year.not_in_plan, PURPLE, is_item=False))
    to_come = sum(
        (
            line.amount
            for line in lines
            if line.money_option != MoneyOption.NOTIONAL
            and line.status != LineStatus.HELD
            and on < line.due_on <= (end or on)
        ),
        ZERO,
    )
    return MoneyView(
        plan=plan,
        on=on,
        version=version,
        lines=lines,
        transactions=transactions,
        statements=statements,
        balance=now,
        projection=ahead,
        flags=found,
        items=rows,
        account_items=account_items,
        months=tuple(months(year_lines, transactions, on, item_annual=item_annual, account_items=account_items)),
        spend_by_item=tuple(bars),
        year_start=start,
        year_end=end,
        to_come=to_come,
        statement_due=money.statement_overdue(lines, statements, on),
    )
