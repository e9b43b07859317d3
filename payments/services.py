"""Every write to the money in use, each recording who did it.

- The schedule is written when a plan version becomes active (careplans.approval.ON_ACTIVATE): the first
  version's from its start date; a change's by payments.rules.recalculate, which keeps every paid line and
  every line before the change's start and replaces the unpaid lines from it (in its plan year, and in any
  later plan year already scheduled). A line a waiting payment run will pay counts as paid, and a repayment
  taken off a payment (RECLAIM) is kept whole; the other rows are changed where they stand (_store_change).
- Plan years follow each other from the first version's start (payments.periods.plan_year_end: each starts the
  day after the last ends). The next plan year's lines are added RUN_AHEAD_DAYS before the schedule ends
  (schedule_next_year, from the beat task payments.tasks.extend_schedules), by the same rules; a plan in force
  before payments were kept here is given its schedule from a day on (schedule_on_activation's from_day, from
  `manage.py schedule_active_plans`).
- A payment run gathers the lines due by a day; a second member of the PHB team with the finance permission
  confirms it, which pays each line it gathered that is still to be paid, exactly once (a line another run paid
  first is left out; the UPDATE re-reads each line under its row lock, and payments/triggers.py refuses any
  change to a paid line).
"""

import csv
import datetime
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from careplans.models import PlanVersion, Status, SupportPlan
from careplans.rules import Frequency, MoneyOption, PaymentFrequency, item_annual_exact
from careplans.selectors import snapshot
from payments import access, flagging
from payments.models import (
    ActionKind,
    ActionStatus,
    MoneyAction,
    PaymentRun,
    RunLine,
    RunStatus,
    ScheduleLine,
    Suspension,
)
from payments.periods import ONE_DAY, plan_year_end
from payments.rules import (
    ACCOUNT_OPTIONS,
    ZERO,
    Line,
    LineKind,
    LineStatus,
    OneOff,
    ScheduleFacts,
    Stream,
    facts_problems,
    recalculate,
    schedule,
    suspend,
)
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import pounds, round_pounds
from phb.words import long_date

logger = logging.getLogger(__name__)

# How far ahead a run may gather payments: a month and a few days, so a run made before a weekend or a bank
# holiday can pay what falls due over it.
RUN_AHEAD_DAYS = 35


def facts_for(
    version: PlanVersion, *, year_start: datetime.date, year_end: datetime.date | None = None
) -> ScheduleFacts:
    """What the version says about its money, for the plan year from year_start (payments.rules.ScheduleFacts).

    Decided here (the plan does not say): a plan with no direct payment frequency (all notional or third party)
    counts its periods monthly; a one-off item is paid or committed on the version's start date; the direct
    payment's holder is the name the plan gives, or the person; a third-party budget is one account for each
    organisation; notional money is one commitment for each item, to its provider. A one-off item is bought
    once: it is in the plan year the version starts in, and not in a later year (nor in a year before it).
    year_end: a plan year cut short (a budget ending within it), as ScheduleFacts.year_end."""
    plan = snapshot(version)
    person = version.plan.person
    regular = defaultdict(list)
    one_offs = []
    last_day = year_end or plan_year_end(year_start)
    for item in plan.items:
        option = MoneyOption(item.money_option)
        if item.frequency == Frequency.ONE_OFF:
            if not year_start <= version.start_date <= last_day:
                continue
            one_offs.append(
                OneOff(
                    money_option=option,
                    amount=round_pounds(item.unit_cost * item.quantity),
                    on=version.start_date,
                    item=item.key,
                    payee=_payee(option, item, version, person),
                )
            )
            continue
        account = item.key if option == MoneyOption.NOTIONAL else _payee(option, item, version, person)
        regular[(option, account)].append(item)
    streams = tuple(
        Stream(
            money_option=option,
            annual=round_pounds(sum(item_annual_exact(i.unit_cost, i.quantity, i.frequency) for i in items)),
            item=account if option == MoneyOption.NOTIONAL else "",
            payee=_payee(option, items[0], version, person),
        )
        for (option, account), items in regular.items()
    )
    return ScheduleFacts(
        start=year_start,
        frequency=PaymentFrequency(version.dp_frequency or PaymentFrequency.MONTHLY),
        streams=streams,
        one_offs=tuple(one_offs),
        year_end=year_end,
    )


def _payee(option: MoneyOption, item, version: PlanVersion, person) -> str:
    if option == MoneyOption.DIRECT_PAYMENT:
        return version.dp_recipient_name or person.full_name
    if option == MoneyOption.THIRD_PARTY:
        return item.third_party_organisation
    return item.provider or item.description


def _as_rule_line(line: ScheduleLine) -> Line:
    return Line(
        kind=LineKind(line.kind),
        money_option=MoneyOption(line.money_option),
        period_start=line.period_start,
        period_end=line.period_end,
        due_on=line.due_on,
        amount=line.amount,
        item=str(line.item_key) if line.item_key else "",
        payee=line.payee,
        note=line.note,
        status=LineStatus(line.status),
        hold_reason=line.hold_reason,
    )


def _row(line: Line, *, plan_id, version_id) -> ScheduleLine:
    return ScheduleLine(
        plan_id=plan_id,
        plan_version_id=version_id,
        kind=line.kind,
        money_option=line.money_option,
        item_key=line.item or None,
        payee=line.payee[:200],
        period_start=line.period_start,
        period_end=line.period_end,
        due_on=line.due_on,
        amount=line.amount,
        note=line.note[:300],
        status=line.status,
        hold_reason=line.hold_reason[:300],
    )


def first_year_start(plan: SupportPlan, lines=()) -> datetime.date | None:
    """The day the plan's first plan year started: the earliest start of a version that has been in force (or of
    a line, whichever is earlier). Every later plan year follows from it (plan_year_containing)."""
    starts = [line.period_start for line in lines]
    first = (
        PlanVersion.objects.filter(plan=plan, status__in=Status.AGREED - Status.PENDING)
        .exclude(start_date=None)
        .order_by("start_date")
        .values_list("start_date", flat=True)
        .first()
    )
    if first is not None:
        starts.append(first)
    return min(starts, default=None)


def plan_year_containing(first_start: datetime.date, day: datetime.date) -> datetime.date:
    """The first day of the plan year that holds `day` (each year starts the day after the last one ends)."""
    year_start = first_start
    while plan_year_end(year_start) < day:
        year_start = plan_year_end(year_start) + ONE_DAY
    return year_start


def _save_lines(plan: SupportPlan, lines, *, version_id) -> None:
    """Store rules' lines that are not paid (a paid line is stored already, and never changes)."""
    ScheduleLine.objects.bulk_create(
        _row(line, plan_id=plan.pk, version_id=version_id) for line in lines if line.status != LineStatus.PAID
    )


def stopping_reason(effective_on: datetime.date, *, decided_by, decided_on: datetime.date) -> str:
    """Why lines are held by a stopping of direct payments that was agreed (payments.reclaims.decide)."""
    return (
        f"Direct payments stopped from {long_date(effective_on)}: decided by {decided_by.display_name} on "
        f"{long_date(decided_on)}"
    )[:300]


def _held_again(lines: list[Line], plan: SupportPlan, year_start: datetime.date) -> list[Line]:
    """Lines of a year not scheduled before, held where payments are held with no day to resume yet, or resume
    on a day after the year starts (planned, or as resumed): a hold goes on into the next plan year until then.
    A stopping of direct payments that was agreed holds every payment into an account from its date, in every
    later year too; it is applied first, so (as when it is decided) it holds the lines a hold also covers."""
    stops = MoneyAction.objects.filter(plan=plan, kind=ActionKind.STOP, status=ActionStatus.AGREED)
    for stop in stops.select_related("decided_by").order_by("effective_on"):
        reason = stopping_reason(
            stop.effective_on, decided_by=stop.decided_by, decided_on=timezone.localdate(stop.decided_at)
        )
        lines = suspend(lines, stop.effective_on, None, reason, money_options=ACCOUNT_OPTIONS)
    holds = Suspension.objects.filter(plan=plan).exclude(ends_on__lte=year_start)
    for hold in holds:
        lines = suspend(lines, hold.starts_on, hold.ends_on - ONE_DAY if hold.ends_on else None, hold.reason)
    return lines


def _gathered_to_pay(rows) -> set:
    """The rows a waiting payment run gathered and will pay when confirmed (not held): a change leaves them as
    they are and counts them as paid (read after the rows are locked, so a run made meanwhile is seen)."""
    unpaid = [row.pk for row in rows if row.status == LineStatus.SCHEDULED]
    return set(
        RunLine.objects.filter(run__status=RunStatus.WAITING, line_id__in=unpaid).values_list("line_id", flat=True)
    )


def _for_change(row: ScheduleLine, as_paid: set) -> Line:
    """A row as payments.rules.recalculate reads it: one a waiting run will pay counts as paid. If that run is
    cancelled instead, the line is still to be paid at its amount, and the money the change took off the next
    lines for it (or asks back) is still right: the line will be paid, by the next run."""
    line = _as_rule_line(row)
    return replace(line, status=LineStatus.PAID) if row.pk in as_paid else line


def _identity(kind, money_option, item, payee, period_start) -> tuple:
    """What a line is, whatever its amount, end, due date or hold: a change updates the row with the same one."""
    return (str(kind), str(money_option), str(item or ""), payee[:200], period_start)


def _store_change(plan: SupportPlan, lines, rows, *, as_paid: set, version_id, before: datetime.date) -> None:
    """Store what recalculate returned for the rows of the changed plan years, changing rows where they stand.

    Left as they are: paid rows and rows a waiting run will pay (as_paid: recalculate counted both as paid, and
    returned them as paid lines), and repayments taken off payments (RECLAIM: recalculate keeps them whole).
    Every other row is matched to a line of the same kind, money option, item, payee and first day (_identity)
    and updated in place, so a row that a payment run gathered once (a cancelled run, or a confirmed run that
    left it out because it was held) keeps its place in that run's record. A line with no such row is a new row.
    A row with no such line is deleted, with its place in any run's record: no run paid it (a paid row is never
    replaced) and no waiting run will (a row a waiting run will pay is left as it is), so that run's record
    loses a payment it never made. A row ending before `before` keeps the version it was written for."""
    free = defaultdict(list)
    for row in sorted(rows, key=lambda row: (row.period_end, row.due_on, row.created_at, str(row.pk))):
        if row.status != LineStatus.PAID and row.kind != LineKind.RECLAIM and row.pk not in as_paid:
            free[_identity(row.kind, row.money_option, row.item_key, row.payee, row.period_start)].append(row)
    versions_by_period = {(row.money_option, row.payee, row.period_start): row.plan_version_id for row in rows}
    changed, made = [], []
    to_write = [line for line in lines if line.status != LineStatus.PAID and line.kind != LineKind.RECLAIM]
    for line in sorted(to_write, key=lambda line: (line.period_end, line.due_on)):
        found = free.get(_identity(line.kind, line.money_option, line.item, line.payee, line.period_start))
        row = found.pop(0) if found else None
        version = version_id
        if line.period_end < before:
            version = (
                row.plan_version_id
                if row
                else versions_by_period.get((line.money_option, line.payee, line.period_start), version_id)
            )
        wanted = _row(line, plan_id=plan.pk, version_id=version)
        if row is None:
            made.append(wanted)
        elif any(getattr(row, name) != getattr(wanted, name) for name in _CHANGING):
            for name in _CHANGING:
                setattr(row, name, getattr(wanted, name))
            changed.append(row)
    gone = [row.pk for rows in free.values() for row in rows]
    RunLine.objects.filter(line_id__in=gone).delete()
    ScheduleLine.objects.filter(pk__in=gone).delete()
    ScheduleLine.objects.bulk_update(changed, ["plan_version", *_CHANGING[1:]])
    ScheduleLine.objects.bulk_create(made)


# What a change may change in a row that stays (what the row is, _identity, stays the same).
_CHANGING = ["plan_version_id", "period_end", "due_on", "amount", "note", "status", "hold_reason"]


def schedule_on_activation(version: PlanVersion, acting_user, *, from_day: datetime.date | None = None) -> int:
    """Write the schedule for a version that has just become active (careplans.approval.ON_ACTIVATE).

    from_day: for a version in force before payments were kept here (manage.py schedule_active_plans): the plan
    year that holds from_day, and only its lines due on or after it. Lines due before it were paid by the ICB
    outside this service, so none is made for them (a period that started before from_day was paid in advance).
    Returns the number of lines written."""
    plan = version.plan
    existing = list(ScheduleLine.objects.select_for_update().filter(plan=plan).order_by("period_start"))
    first = first_year_start(plan, existing) or version.start_date
    on = max(version.start_date, first) if existing or from_day is None else max(version.start_date, from_day)
    year_start = plan_year_containing(first, on)
    facts = facts_for(version, year_start=year_start)
    problems = facts_problems(facts)
    if problems:
        # An approved plan's money is checked before approval, so this is a plan with no money in it (or a rule
        # changed since): say so on the record rather than stop the plan starting.
        audit.record(
            actor=acting_user,
            action=AuditAction.SCHEDULE_PAYMENTS,
            obj=version,
            person_id=plan.person_id,
            summary=f"No payment schedule for version {version.number}: {problems[0]}",
        )
        return 0
    if not existing:
        lines = [line for line in schedule(facts) if from_day is None or line.due_on >= from_day]
        if from_day is None:
            summary = f"Payment schedule worked out for version {version.number}"
        else:
            summary = f"Payment schedule worked out from {long_date(from_day)} for version {version.number}"
        _save_lines(plan, lines, version_id=version.pk)
    else:
        # Lines of earlier plan years never change. The change's year is recalculated from its start, and each
        # later year already scheduled from that year's first day (so its paid lines are taken off too).
        changing = [line for line in existing if line.period_start >= year_start]
        as_paid = _gathered_to_pay(changing)
        lines = recalculate(
            [_for_change(line, as_paid) for line in changing if line.period_start <= facts.end], facts, on
        )
        later = facts.end + ONE_DAY
        while any(line.period_start >= later for line in changing):
            in_year = [line for line in changing if later <= line.period_start <= plan_year_end(later)]
            if in_year:
                later_facts = facts_for(version, year_start=later)
                lines += recalculate([_for_change(line, as_paid) for line in in_year], later_facts, later)
            later = plan_year_end(later) + ONE_DAY
        summary = f"Payment schedule changed from {long_date(on)} for version {version.number}"
        _store_change(plan, lines, changing, as_paid=as_paid, version_id=version.pk, before=version.start_date)
    total = sum((line.amount for line in lines), ZERO)
    audit.record(
        actor=acting_user,
        action=AuditAction.SCHEDULE_PAYMENTS,
        obj=version,
        person_id=plan.person_id,
        summary=f"{summary}: {len(lines)} lines, {pounds(total)} in the plan year",
    )
    flagging.refresh(plan)
    return len(lines)


def _schedule_end(plan: SupportPlan) -> datetime.date | None:
    return max(ScheduleLine.objects.filter(plan=plan).values_list("period_end", flat=True), default=None)


@transaction.atomic
def schedule_next_year(*, plan: SupportPlan, on: datetime.date | None = None, acting_user=None) -> int:
    """Add the next plan year's lines to a plan in force whose schedule ends within RUN_AHEAD_DAYS of `on`
    (today), by the same rules as its first year, from the version in force; again for each year still missing.
    Returns the lines added: none when the schedule already reaches far enough (so running it twice adds
    nothing), when the plan has no schedule yet (manage.py schedule_active_plans writes it) or no version in
    force, or when the budget ends before the next year starts. A budget ending within the year cuts it short."""
    on = on or timezone.localdate()
    SupportPlan.objects.select_for_update().filter(pk=plan.pk).first()  # one extension of a plan at a time
    horizon = on + datetime.timedelta(days=RUN_AHEAD_DAYS)
    version = (
        PlanVersion.objects.in_force(on=on)
        .filter(plan=plan, status__in=Status.RUNNING)
        .select_related("plan__person", "budget_version", "care_coordinator")
        .prefetch_related("outcomes", "items")
        .order_by("-number")
        .first()
    )
    added = 0
    for _ in range(10):  # a plan years behind catches up, a year at a time (ten years at most in one go)
        end = _schedule_end(plan)
        if version is None or end is None or end > horizon:
            break
        first = first_year_start(plan, ScheduleLine.objects.filter(plan=plan).order_by("period_start")[:1])
        next_day = end + ONE_DAY
        year_start = plan_year_containing(first, next_day)
        year_end = plan_year_end(year_start)
        if version.status == Status.ENDING and version.ended_on:
            year_end = min(year_end, version.ended_on - ONE_DAY)  # payments stop from the end date
        if year_end < next_day:
            break
        facts = facts_for(version, year_start=year_start, year_end=year_end)
        if facts_problems(facts):
            break
        lines = [line for line in schedule(facts) if line.period_start >= next_day]
        if not lines:
            break
        lines = _held_again(lines, plan, year_start)
        _save_lines(plan, lines, version_id=version.pk)
        added += len(lines)
        total = sum((line.amount for line in lines), ZERO)
        audit.record(
            actor=acting_user,
            action=AuditAction.SCHEDULE_PAYMENTS,
            obj=version,
            person_id=plan.person_id,
            summary=f"Payment schedule for the plan year from {long_date(next_day)} added for version "
            f"{version.number}: {len(lines)} lines, {pounds(total)}",
        )
    if added:
        flagging.refresh(plan)
    return added


def _versions_in_force(on: datetime.date):
    """Versions in force on a day that have become active (not an approved one waiting for the hourly task that
    activates it, which writes its schedule), with what facts_for reads."""
    return (
        PlanVersion.objects.in_force(on=on)
        .filter(status__in=Status.RUNNING)
        .select_related("plan__person", "budget_version", "care_coordinator")
        .prefetch_related("outcomes", "items__outcomes")
    )


@dataclass(frozen=True)
class Backfilled:
    plans: int  # plans given a schedule
    lines: int  # lines written
    without: int  # plans in force whose money makes no schedule (said on their record)


def schedule_active_plans(*, on: datetime.date | None = None) -> Backfilled:
    """A schedule for every plan in force with no schedule lines: plans active before payments were kept here.

    The same service as when a version becomes active (schedule_on_activation), from `on` (today): the plan year
    that holds it, with the lines due on or after it. Lines due before it are not made: the ICB paid those
    periods outside this service (a period already started was paid in advance, on its first day). Each plan in
    its own transaction, its row locked and its lines counted again, so running it twice (or two at once) writes
    each schedule once."""
    on = on or timezone.localdate()
    plans = lines = without = 0
    unscheduled = _versions_in_force(on).exclude(plan__payment_lines__isnull=False).order_by("plan_id", "-number")
    seen = set()
    for version in unscheduled:
        if version.plan_id in seen:
            continue  # the newer of two versions in force (a change waiting for the hourly task) is the one
        seen.add(version.plan_id)
        with transaction.atomic():
            SupportPlan.objects.select_for_update().filter(pk=version.plan_id).first()
            if ScheduleLine.objects.filter(plan_id=version.plan_id).exists():
                continue
            written = schedule_on_activation(version, None, from_day=on)
        plans, lines, without = plans + bool(written), lines + written, without + (not written)
    return Backfilled(plans=plans, lines=lines, without=without)


@dataclass(frozen=True)
class Extended:
    plans: int  # plans given lines of a new plan year
    lines: int  # lines added


def extend_schedules(*, on: datetime.date | None = None) -> Extended:
    """The next plan year's lines for every plan in force whose schedule ends within RUN_AHEAD_DAYS of `on`
    (today): schedule_next_year for each, in its own transaction. Running it again adds nothing."""
    on = on or timezone.localdate()
    horizon = on + datetime.timedelta(days=RUN_AHEAD_DAYS)
    ending = (
        SupportPlan.objects.filter(pk__in=_versions_in_force(on).values("plan_id"))
        .annotate(schedule_end=Max("payment_lines__period_end"))
        .filter(schedule_end__lte=horizon)
        .order_by("pk")
    )
    plans = lines = 0
    for plan in ending:
        try:
            added = schedule_next_year(plan=plan, on=on)
        except DatabaseError:
            # One plan the database refuses must not stop the others: logged for the team to look at.
            logger.exception("Could not add the next plan year's payments to plan %s", plan.pk)
            continue
        plans, lines = plans + bool(added), lines + added
    return Extended(plans=plans, lines=lines)


def _refuse_unless_allowed(user) -> None:
    refusal = access.run_refusal(user)
    if refusal:
        raise ServiceError(refusal)


@transaction.atomic
def run_create(*, due_by: datetime.date, acting_user) -> PaymentRun:
    """Gather every payment into an account (direct payment or third party) due on or before due_by, not yet paid
    and not held, that no waiting run has gathered. Notional money is not paid by runs: the NHS pays the providers
    against their invoices (payments.invoices), so its lines stay commitments."""
    _refuse_unless_allowed(acting_user)
    today = timezone.localdate()
    furthest = today + datetime.timedelta(days=RUN_AHEAD_DAYS)
    if due_by > furthest:
        raise ServiceError(
            f"A payment run can gather payments due up to {RUN_AHEAD_DAYS} days ahead, until {long_date(furthest)}."
        )
    gathered = RunLine.objects.filter(run__status=RunStatus.WAITING).values("line_id")
    lines = list(ScheduleLine.objects.to_pay(due_by=due_by).exclude(pk__in=gathered).values_list("pk", "amount"))
    if not lines:
        raise ServiceError(f"Nothing is due to be paid on or before {long_date(due_by)} that is not already in a run.")
    run = PaymentRun.objects.create(due_by=due_by, created_by=acting_user)
    RunLine.objects.bulk_create(RunLine(run=run, line_id=pk) for pk, _ in lines)
    total = sum((amount for _, amount in lines), ZERO)
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=run,
        summary=f"Payment run {run.pk} made: {len(lines)} payments, {pounds(total)}, due by {long_date(due_by)}",
    )
    return run


def _locked_waiting(run: PaymentRun, acting_user) -> PaymentRun:
    run = PaymentRun.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=run.pk)
    refusal = access.decide_refusal(acting_user, run)
    if refusal:
        raise ServiceError(refusal)
    return run


@transaction.atomic
def run_confirm(*, run: PaymentRun, acting_user) -> PaymentRun:
    """Pay every line the run gathered that is still to be paid: each line once, whatever else runs at once."""
    run = _locked_waiting(run, acting_user)
    paid_count = ScheduleLine.objects.filter(
        pk__in=RunLine.objects.filter(run=run).values("line_id"), status=LineStatus.SCHEDULED
    ).update(status=LineStatus.PAID, paid_in=run)
    paid_total = ScheduleLine.objects.filter(paid_in=run).aggregate(total=Sum("amount"))["total"] or ZERO
    run.status, run.decided_by, run.decided_at = RunStatus.CONFIRMED, acting_user, timezone.now()
    run.paid_count, run.paid_total = paid_count, paid_total
    run.save(update_fields=["status", "decided_by", "decided_at", "paid_count", "paid_total"])
    audit.record(
        actor=acting_user,
        action=AuditAction.CONFIRM_RUN,
        obj=run,
        summary=f"Payment run {run.pk} confirmed: {paid_count} payments, {pounds(paid_total)}",
    )
    return run


@transaction.atomic
def run_cancel(*, run: PaymentRun, acting_user) -> PaymentRun:
    """A run nobody should pay: its lines wait for the next run."""
    run = _locked_waiting(run, acting_user)
    run.status, run.decided_by, run.decided_at = RunStatus.CANCELLED, acting_user, timezone.now()
    run.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(actor=acting_user, action=AuditAction.CANCEL_RUN, obj=run, summary=f"Payment run {run.pk} cancelled")
    return run


LEDGER_COLUMNS = (
    "Payment run",
    "Payee reference",
    "Payee",
    "How the money is managed",
    "Plan",
    "Period from",
    "Period to",
    "Due on",
    "Amount",
)


def payee_reference(line: ScheduleLine) -> str:
    """How the ICB's ledger knows the account paid: the plan and its money option (no bank details are kept)."""
    code = {MoneyOption.DIRECT_PAYMENT: "DP", MoneyOption.THIRD_PARTY: "TP", MoneyOption.NOTIONAL: "NB"}
    return f"PHB-{str(line.plan_id)[:8].upper()}-{code[MoneyOption(line.money_option)]}"


def ledger_csv(run: PaymentRun) -> str:
    """The confirmed run's payments for the finance ledger, one row a line it paid."""
    if run.status != RunStatus.CONFIRMED:
        raise ServiceError("Only a confirmed payment run has payments for the ledger.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LEDGER_COLUMNS)
    for line in ScheduleLine.objects.filter(paid_in=run).order_by("payee", "due_on", "id"):
        cells = [
            run.pk,
            payee_reference(line),
            audit.spreadsheet_safe(line.payee),  # typed on a plan: never read as a formula
            line.get_money_option_display(),
            str(line.plan_id),
            line.period_start.isoformat(),
            line.period_end.isoformat(),
            line.due_on.isoformat(),
            f"{line.amount:.2f}",
        ]
        writer.writerow(cells)  # the rest is written by the service: numbers stay numbers
    return out.getvalue()


def totals_by_option(run: PaymentRun) -> dict[str, Decimal]:
    """What a run gathered (or, once confirmed, paid), by how the money is managed."""
    lines = ScheduleLine.objects.filter(paid_in=run) if run.status == RunStatus.CONFIRMED else run.lines.all()
    rows = lines.values("money_option").annotate(total=Sum("amount")).order_by("money_option")
    return {row["money_option"]: row["total"] for row in rows}
