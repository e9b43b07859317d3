"""Every write to the money in use, each recording who did it.

- The schedule is written when a plan version becomes active (careplans.approval.ON_ACTIVATE): the first
  version's from its start date; a change's by payments.rules.recalculate, which keeps every paid line and
  every line before the change's start and replaces the unpaid lines from it.
- A payment run gathers the lines due by a day; a second member of the PHB team with the finance permission
  confirms it, which pays each line it gathered that is still to be paid, exactly once (a line another run paid
  first is left out; the UPDATE re-reads each line under its row lock, and payments/triggers.py refuses any
  change to a paid line).
"""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from careplans.models import PlanVersion
from careplans.rules import Frequency, MoneyOption, PaymentFrequency, item_annual_exact
from careplans.selectors import snapshot
from payments import access
from payments.models import PaymentRun, RunLine, RunStatus, ScheduleLine
from payments.rules import (
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
)
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import pounds, round_pounds
from phb.words import long_date

# How far ahead a run may gather payments: a month and a few days, so a run made before a weekend or a bank
# holiday can pay what falls due over it.
RUN_AHEAD_DAYS = 35


def facts_for(version: PlanVersion, *, year_start: datetime.date) -> ScheduleFacts:
    """What the version says about its money, for the plan year from year_start (payments.rules.ScheduleFacts).

    Decided here (the plan does not say): a plan with no direct payment frequency (all notional or third party)
    counts its periods monthly; a one-off item is paid or committed on the version's start date; the direct
    payment's holder is the name the plan gives, or the person; a third-party budget is one account for each
    organisation; notional money is one commitment for each item, to its provider."""
    plan = snapshot(version)
    person = version.plan.person
    regular = defaultdict(list)
    one_offs = []
    for item in plan.items:
        option = MoneyOption(item.money_option)
        if item.frequency == Frequency.ONE_OFF:
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


def schedule_on_activation(version: PlanVersion, acting_user) -> None:
    """Write the schedule for a version that has just become active (careplans.approval.ON_ACTIVATE)."""
    plan = version.plan
    existing = list(ScheduleLine.objects.select_for_update().filter(plan=plan).order_by("period_start"))
    year_start = existing[0].period_start if existing else version.start_date
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
        return
    if not existing:
        lines = schedule(facts)
        summary = f"Payment schedule worked out for version {version.number}"
    else:
        on = min(max(version.start_date, year_start), facts.end)
        lines = recalculate([_as_rule_line(line) for line in existing], facts, on)
        summary = f"Payment schedule changed from {long_date(on)} for version {version.number}"
    # Paid lines never change (a trigger refuses it): what the rules return for them is what is stored.
    versions_by_period = {(line.money_option, line.payee, line.period_start): line.plan_version_id for line in existing}
    ScheduleLine.objects.filter(plan=plan).exclude(status=LineStatus.PAID).delete()
    ScheduleLine.objects.bulk_create(
        _row(
            line,
            plan_id=plan.pk,
            version_id=versions_by_period.get((line.money_option, line.payee, line.period_start), version.pk)
            if line.period_end < version.start_date
            else version.pk,
        )
        for line in lines
        if line.status != LineStatus.PAID
    )
    total = sum((line.amount for line in lines), ZERO)
    audit.record(
        actor=acting_user,
        action=AuditAction.SCHEDULE_PAYMENTS,
        obj=version,
        person_id=plan.person_id,
        summary=f"{summary}: {len(lines)} lines, {pounds(total)} in the plan year",
    )


def _refuse_unless_allowed(user) -> None:
    refusal = access.run_refusal(user)
    if refusal:
        raise ServiceError(refusal)


@transaction.atomic
def run_create(*, due_by: datetime.date, acting_user) -> PaymentRun:
    """Gather every line due on or before due_by, not yet paid and not held, that no waiting run has gathered."""
    _refuse_unless_allowed(acting_user)
    today = timezone.localdate()
    furthest = today + datetime.timedelta(days=RUN_AHEAD_DAYS)
    if due_by > furthest:
        raise ServiceError(
            f"A payment run can gather payments due up to {RUN_AHEAD_DAYS} days ahead, until {long_date(furthest)}."
        )
    gathered = RunLine.objects.filter(run__status=RunStatus.WAITING).values("line_id")
    lines = list(
        ScheduleLine.objects.filter(status=LineStatus.SCHEDULED, due_on__lte=due_by)
        .exclude(pk__in=gathered)
        .values_list("pk", "amount")
    )
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
