"""Repayments (regulation 13) and stopping direct payments (regulation 14 of the NHS (Direct Payments) Regulations
2013): proposed by one member of the PHB team with a letter to the person, the person's response recorded, then
decided by another member with reasons and a second letter. Every write is audited and atomic.

The rules decided here (the issue is silent on them):
- Only a plan whose version in force has money paid into an account (a direct payment or a third-party budget)
  can have either; one repayment and one stopping may wait for a decision at a time (the plan's row lock holds
  that while proposing).
- A repayment names the payment period the money is from: the first day of one of the plan's payment periods,
  on or before today.
- A stopping takes effect after the respond-by date, so the person always has the notice in full.
- The decision waits until the respond-by date has passed (the person may respond on that day), unless a
  response has been recorded (payments.reclaim_access.decide_refusal).
- Deducting: RECLAIM schedule lines ("Repayment taken off this payment") over the next `instalments` payments to
  be paid into an account, due from the day of the decision, that no waiting payment run has gathered
  (payments.balance.deduct_reclaim works them out). Only new rows are written: no line, paid or not, is changed.
  A later change to the plan keeps them as they are (payments.rules.recalculate).
- Paid back: a transaction of kind RECOVERY on the day of the decision, in a statement typed in for that day, so
  the balance (payments.balance) falls by it.
- Stopping: from the stop date every line to be paid into an account (direct payment or third party: both are
  direct payments in the regulations' sense, to the person or to a nominee) that is not yet paid is held, its
  hold reason naming the decision; a line whose period spans the stop date is split there by days
  (payments.rules.split_line), the days before it still to be paid. A line already held from the stop date (a
  stay in hospital, say) is held by the stopping from then, so resuming that hold does not pay it
  (payments.holds.resume_payments releases only its own lines). Lines to be paid back are not held
  (payments.rules.suspend treats them the same way). What happens to the budget afterwards (another way of
  managing the money, or the budget ending) is a change to the plan the coordinator makes: careplans has no
  service that ends a budget from these inputs (see next_step).
"""

import datetime
import hashlib
from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from careplans.models import PlanVersion, SupportItem, SupportPlan
from careplans.rules import MoneyOption
from eligibility.letters import RECONSIDER
from payments import flagging, reclaim_access
from payments.balance import TransactionKind, deduct_reclaim
from payments.models import (
    ActionKind,
    ActionStatus,
    AfterStopping,
    MoneyAction,
    Recovery,
    RunLine,
    RunStatus,
    ScheduleLine,
    Statement,
    StatementFormat,
    Transaction,
)
from payments.rules import ACCOUNT_OPTIONS, TO_PAY_BACK, LineKind, LineStatus, split_line
from payments.services import _as_rule_line, _row, stopping_reason
from phb import audit
from phb.errors import ServiceError
from phb.letterhead import letterhead
from phb.models import AuditAction
from phb.money import MAX_AMOUNT, pounds, round_pounds
from phb.pdf import render_pdf
from phb.words import long_date, lower_first

OPEN = "open:"  # proposal_facts: an action kind waiting for a decision, told apart from a money option
MAX_INSTALMENTS = 26  # a plan year has at most 13 payments; a repayment can reach into the next year's too

LETTER_TEMPLATES = {
    ActionKind.RECLAIM: "payments/reclaims/letter_reclaim.html",
    ActionKind.STOP: "payments/reclaims/letter_stop.html",
}
DECISION_TEMPLATE = "payments/reclaims/letter_decision.html"

# What happens after direct payments stop, said to the person (the staff pages use AfterStopping's labels).
AFTER_STOPPING_WORDS = {
    AfterStopping.NOTIONAL: "The NHS arranges and pays for your care and support instead. This is called a "
    "notional budget. Your personal health budget and your plan carry on.",
    AfterStopping.THIRD_PARTY: "An organisation holds the money and arranges your care and support for you. "
    "This is called a third-party budget. Your personal health budget and your plan carry on.",
    AfterStopping.END: "Your personal health budget ends. Your care coordinator will talk to you about how your "
    "needs will be met from then on.",
}

HOW_TO_RESPOND = (
    "You can tell us if you disagree, if there is anything we have not taken into account, or if this would "
    "cause you difficulty. A friend, family member or advocate can help you, or respond for you."
)


# Reading ------------------------------------------------------------------------------------------------------


def proposal_facts(plan, *, on: datetime.date) -> tuple[set[MoneyOption], set[ActionKind]]:
    """How the money of the plan's version in force on `on` is managed (empty when none is in force), and the kinds
    of action waiting for a decision on the plan: one query."""
    in_force = PlanVersion.objects.filter(plan=plan).in_force(on=on).order_by("-number").values("pk")[:1]
    # No ORDER BY in either part (a model's default ordering): SQLite refuses one in a compound statement.
    options = SupportItem.objects.filter(plan_version=Subquery(in_force)).order_by().values_list("money_option")
    waiting = (
        MoneyAction.objects.filter(plan=plan, status=ActionStatus.PROPOSED)
        .annotate(tag=Concat(Value(OPEN), "kind", output_field=CharField()))
        .order_by()
        .values_list("tag")
    )
    found = {value for (value,) in options.union(waiting)}
    return (
        {MoneyOption(value) for value in found if not value.startswith(OPEN)},
        {ActionKind(value.removeprefix(OPEN)) for value in found if value.startswith(OPEN)},
    )


def propose_blocker(kind: ActionKind, *, options: set, waiting: set) -> str:
    """Why nobody can propose this kind of action on the plan now ("" when they can), from proposal_facts: asked by
    the services under the plan's lock and by the pages to show the buttons."""
    if not options & set(ACCOUNT_OPTIONS):
        return "This plan has no direct payment or third-party money in force, so there is nothing to pay back or stop."
    if kind in waiting:
        what = "A repayment" if kind == ActionKind.RECLAIM else "A stopping of direct payments"
        return f"{what} is already waiting for a decision on this plan. Decide on it or withdraw it first."
    return ""


def payment_periods(plan, *, on: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The plan's payment periods into an account that have started by `on`, earliest first (one query)."""
    rows = (
        ScheduleLine.objects.filter(
            plan=plan, kind=LineKind.PAYMENT, money_option__in=ACCOUNT_OPTIONS, period_start__lte=on
        )
        .values_list("period_start", "period_end")
        .distinct()
        .order_by("period_start", "period_end")
    )
    periods = {}
    for start, end in rows:
        periods[start] = max(end, periods.get(start, end))
    return sorted(periods.items())


def next_step(action: MoneyAction) -> str:
    """What someone still has to do after an agreed stopping, in words for the page ("" when nothing)."""
    if action.kind != ActionKind.STOP or action.status != ActionStatus.AGREED:
        return ""
    when = long_date(action.effective_on)
    if action.after_stopping == AfterStopping.END:
        return (
            f"Direct payments are held from {when}, but the personal health budget has not ended yet. The care "
            f"coordinator or the PHB team should end the budget from {when} on the support plan. Ending because the "
            "money has not been used as agreed needs a second PHB team member to confirm it."
        )
    option = "a notional budget" if action.after_stopping == AfterStopping.NOTIONAL else "a third-party budget"
    return (
        f"Direct payments are held from {when}. The care coordinator should now change the support plan so that the "
        f"items paid by direct payment are managed as {option} from {when}, and send it to the PHB team to agree."
    )


# Letters ------------------------------------------------------------------------------------------------------


def _letter_base(action: MoneyAction, *, today: datetime.date) -> dict:
    person = action.plan.person
    return {
        **letterhead(),
        "today": today,
        "person": person,
        "coordinator": person.lead_coordinator,
        "action": action,
        "is_reclaim": action.kind == ActionKind.RECLAIM,
        "amount": pounds(action.amount) if action.amount is not None else "",
        "reasons": action.reasons,
        "respond_by": action.respond_by,
        "how_to_respond": HOW_TO_RESPOND,
        "after_stopping": AFTER_STOPPING_WORDS.get(action.after_stopping, ""),
    }


def proposal_letter_context(action: MoneyAction, *, today: datetime.date) -> dict:
    """What the letter proposing a repayment or a stopping says: the amount or the stop date, why, from when, and
    how and by when the person can respond."""
    return _letter_base(action, today=today)


def decision_letter_context(action: MoneyAction, *, today: datetime.date, parts=(), held=None) -> dict:
    """What the decision letter says. parts: (due on, amount taken off) for a repayment taken off payments; held:
    (how many payments, their total) for direct payments stopped."""
    count, total = held or (0, Decimal("0.00"))
    return {
        **_letter_base(action, today=today),
        "agreed": action.status == ActionStatus.AGREED,
        "decision_reasons": action.decision_reasons,
        "deducted": action.recovery == Recovery.DEDUCT,
        "paid_back": action.recovery == Recovery.PAID_BACK,
        "parts": [(on, pounds(amount)) for on, amount in parts],
        "held_count": count,
        "held_total": pounds(total),
        "reconsider": RECONSIDER,
    }


# Writing ------------------------------------------------------------------------------------------------------


def _lock_plan(plan) -> SupportPlan:
    """Locks the plan (as every move of its versions does, careplans.approval._locked) and reads it afresh."""
    return (
        SupportPlan.objects.select_for_update(of=("self",)).select_related("person__lead_coordinator").get(pk=plan.pk)
    )


def _refuse(refusal: str) -> None:
    if refusal:
        raise ServiceError(refusal)


def _clean_reasons(reasons: str, field: str = "reasons") -> str:
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({field: "Enter the reasons"})
    return reasons


def _check_can_propose(plan, kind: ActionKind, today: datetime.date) -> None:
    options, waiting = proposal_facts(plan, on=today)
    _refuse(propose_blocker(kind, options=options, waiting=waiting))


def _create(action: MoneyAction, *, acting_user, summary: str, changes: dict) -> MoneyAction:
    action.letter_pdf = render_pdf(
        LETTER_TEMPLATES[ActionKind(action.kind)], proposal_letter_context(action, today=timezone.localdate())
    )
    action.full_clean()
    action.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.PROPOSE_RECLAIM,
        obj=action,
        person_id=action.plan.person_id,
        summary=summary,
        changes={name: [None, audit.json_safe(value)] for name, value in changes.items()},
    )
    return action


def respond_by_for(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=settings.PAYMENTS_RESPONSE_DAYS)


@transaction.atomic
def propose_reclaim(*, plan, amount: Decimal, reasons: str, from_period: datetime.date, acting_user) -> MoneyAction:
    """Proposes that the person pays back `amount` of the money paid from the period starting from_period, with a
    letter telling them why and how to respond by the respond-by date."""
    _refuse(reclaim_access.propose_refusal(acting_user))
    plan = _lock_plan(plan)
    today = timezone.localdate()
    errors = {}
    if amount is None or round_pounds(amount) != amount or not Decimal("0") < amount <= MAX_AMOUNT:
        errors["amount"] = f"Enter an amount in pounds and pence, more than £0 and up to {pounds(MAX_AMOUNT)}"
    if not (reasons or "").strip():
        errors["reasons"] = "Enter why the money should be paid back"
    if from_period not in dict(payment_periods(plan, on=today)):
        errors["from_period"] = "Select the payment period the money is from"
    if errors:
        raise ValidationError(errors)
    _check_can_propose(plan, ActionKind.RECLAIM, today)
    action = MoneyAction(
        plan=plan,
        kind=ActionKind.RECLAIM,
        amount=amount,
        from_period=from_period,
        reasons=reasons.strip(),
        respond_by=respond_by_for(today),
        proposed_by=acting_user,
    )
    return _create(
        action,
        acting_user=acting_user,
        summary=f"Proposed a repayment of {pounds(amount)}; the person can respond by {long_date(action.respond_by)}",
        changes={"amount": amount, "from_period": from_period, "respond_by": action.respond_by},
    )


@transaction.atomic
def propose_stop(*, plan, effective_on: datetime.date, after_stopping: str, reasons: str, acting_user) -> MoneyAction:
    """Proposes stopping direct payments from effective_on (after the respond-by date), with a letter telling the
    person why, what would happen to their budget, and how to respond."""
    _refuse(reclaim_access.propose_refusal(acting_user))
    plan = _lock_plan(plan)
    today = timezone.localdate()
    respond_by = respond_by_for(today)
    errors = {}
    if effective_on is None or effective_on <= respond_by:
        errors["effective_on"] = (
            f"The stop date must be after {long_date(respond_by)}, the date the person can respond by"
        )
    if after_stopping not in AfterStopping.values:
        errors["after_stopping"] = "Select what happens to the budget after direct payments stop"
    if not (reasons or "").strip():
        errors["reasons"] = "Enter why direct payments should stop"
    if errors:
        raise ValidationError(errors)
    _check_can_propose(plan, ActionKind.STOP, today)
    action = MoneyAction(
        plan=plan,
        kind=ActionKind.STOP,
        effective_on=effective_on,
        after_stopping=after_stopping,
        reasons=reasons.strip(),
        respond_by=respond_by,
        proposed_by=acting_user,
    )
    return _create(
        action,
        acting_user=acting_user,
        summary=f"Proposed stopping direct payments from {long_date(effective_on)}; the person can respond by "
        f"{long_date(respond_by)}",
        changes={"effective_on": effective_on, "after_stopping": after_stopping, "respond_by": respond_by},
    )


def _locked(action: MoneyAction) -> MoneyAction:
    """Locks the plan, then the action, and reads the action afresh (with whoever decided it)."""
    SupportPlan.objects.select_for_update().filter(pk=action.plan_id).exists()
    return (
        MoneyAction.objects.select_for_update(of=("self",))
        .select_related("plan__person__lead_coordinator", "proposed_by", "decided_by")
        .get(pk=action.pk)
    )


@transaction.atomic
def record_response(*, action: MoneyAction, response: str, response_on: datetime.date, acting_user) -> MoneyAction:
    """Records what the person said (by letter, telephone, e-mail or in person) and when. Recording it again while
    the action waits replaces it; the audit trail keeps both."""
    action = _locked(action)
    _refuse(reclaim_access.respond_refusal(acting_user, action))
    today = timezone.localdate()
    errors = {}
    response = (response or "").strip()
    if not response:
        errors["response"] = "Enter what the person said"
    proposed_on = timezone.localdate(action.proposed_at)
    if response_on is None or not proposed_on <= response_on <= today:
        errors["response_on"] = f"The date of the response must be between {long_date(proposed_on)} and today"
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(action, ["response", "response_on", "response_recorded_by"])
    action.response, action.response_on, action.response_recorded_by = response, response_on, acting_user
    action.save(update_fields=["response", "response_on", "response_recorded_by"])
    audit.record(
        actor=acting_user,
        action=AuditAction.RECORD_RESPONSE,
        obj=action,
        person_id=action.plan.person_id,
        summary=f"Recorded the person's response of {long_date(response_on)} to the proposed "
        f"{lower_first(action.get_kind_display())}",
        changes=audit.diff(before, audit.snapshot(action, ["response", "response_on", "response_recorded_by"])),
    )
    return action


def _gathered_lines():
    return RunLine.objects.filter(run__status=RunStatus.WAITING).values("line_id")


def _deduct(action: MoneyAction, instalments: int, today: datetime.date) -> list[tuple[datetime.date, Decimal]]:
    """Writes the RECLAIM lines that take the repayment off the next payments; returns (due on, part) of each."""
    rows = list(
        ScheduleLine.objects.select_for_update()
        .filter(plan_id=action.plan_id)
        .exclude(pk__in=_gathered_lines())
        .order_by("due_on", "period_start", "id")
    )
    lines = [_as_rule_line(row) for row in rows]
    try:
        result = deduct_reclaim(lines, action.amount, start_on=today, instalments=instalments)
    except ValueError as error:
        message = f"{error}. Choose fewer payments, or ask for the money to be paid back."
        raise ValidationError({"instalments": message}) from None
    # deduct_reclaim marks its parts as money to be paid back; they are a repayment (a kind of their own, which a
    # change to the plan keeps as it is).
    new = list((Counter(result) - Counter(lines)).elements())
    versions = {(row.money_option, row.payee, row.due_on): row.plan_version_id for row in rows}
    ScheduleLine.objects.bulk_create(
        _row(line, plan_id=action.plan_id, version_id=versions[(line.money_option, line.payee, line.due_on)])
        for line in new
    )
    return sorted((line.due_on, -line.amount) for line in new)


def _paid_back(action: MoneyAction, today: datetime.date, acting_user) -> None:
    """Records the repayment as money paid back from the account today, in a statement of its own for the day
    (listed as the repayment agreed, not as typed in by whoever decided it)."""
    statement = Statement(
        plan=action.plan,
        file_format=StatementFormat.REPAYMENT,
        covers_from=today,
        covers_to=today,
        received_on=today,
        added=1,
        added_by=acting_user,
    )
    statement.full_clean()
    statement.save()
    paid = Transaction(
        plan=action.plan,
        statement=statement,
        on=today,
        amount=action.amount,
        kind=TransactionKind.RECOVERY,
        description=f"Repayment to the NHS agreed on {long_date(today)}"[:300],
        fingerprint=hashlib.sha256(f"repayment {action.pk}".encode()).hexdigest(),
        added_by=acting_user,
    )
    paid.full_clean()
    paid.save()


def lines_to_stop(plan_id, stop: datetime.date):
    """The lines a stopping from `stop` holds (_hold), or the part of them from `stop`: every line not yet paid into
    an account whose days reach the stop date, held already or not, except lines that take money back."""
    return ScheduleLine.objects.filter(
        plan_id=plan_id,
        status__in=[LineStatus.SCHEDULED, LineStatus.HELD],
        money_option__in=ACCOUNT_OPTIONS,
        period_end__gte=stop,
    ).exclude(kind__in=TO_PAY_BACK)


def _hold(action: MoneyAction, today: datetime.date, acting_user) -> tuple[int, Decimal]:
    """Holds every line not yet paid into an account from the stop date, with the stopping's reason (a line held
    already, by a hold in payments.holds, is held by the stopping from then); returns how many and their total."""
    stop = action.effective_on
    reason = stopping_reason(stop, decided_by=acting_user, decided_on=today)
    rows = list(lines_to_stop(action.plan_id, stop).select_for_update())
    changed, added = [], []
    for row in rows:
        if row.period_start < stop:
            before, after = split_line(_as_rule_line(row), stop)
            row.period_end, row.amount, row.note = before.period_end, before.amount, before.note[:300]
            held = _row(after, plan_id=row.plan_id, version_id=row.plan_version_id)
            held.status, held.hold_reason = LineStatus.HELD, reason
            added.append(held)
        else:
            row.status, row.hold_reason = LineStatus.HELD, reason
        changed.append(row)
    ScheduleLine.objects.bulk_update(changed, ["period_end", "amount", "note", "status", "hold_reason"])
    ScheduleLine.objects.bulk_create(added)
    held = [row for row in [*changed, *added] if row.hold_reason == reason]
    return len(held), sum((row.amount for row in held), Decimal("0.00"))


@transaction.atomic
def decide(
    *,
    action: MoneyAction,
    agree: bool,
    decision_reasons: str,
    acting_user,
    recovery: str | None = None,
    instalments: int | None = None,
) -> MoneyAction:
    """A second member of the PHB team decides, with reasons, after the respond-by date or once a response has been
    recorded. Agreeing to a repayment takes it off the next payments (DEDUCT, over `instalments` payments) or
    records it paid back (PAID_BACK); agreeing to a stopping holds the payments from the stop date. Either way a
    decision letter is written to the person."""
    action = _locked(action)
    today = timezone.localdate()
    _refuse(reclaim_access.decide_refusal(acting_user, action, today=today))
    errors = {}
    decision_reasons = (decision_reasons or "").strip()
    if not decision_reasons:
        errors["decision_reasons"] = "Enter the reasons for the decision"
    reclaiming = agree and action.kind == ActionKind.RECLAIM
    if reclaiming and recovery not in Recovery.values:
        errors["recovery"] = "Select how the money is to be paid back"
    if (
        reclaiming
        and recovery == Recovery.DEDUCT
        and not (isinstance(instalments, int) and 1 <= instalments <= MAX_INSTALMENTS)
    ):
        errors["instalments"] = f"Enter how many payments to take it off, from 1 to {MAX_INSTALMENTS}"
    if errors:
        raise ValidationError(errors)
    parts, held = (), None
    if reclaiming and recovery == Recovery.DEDUCT:
        parts = _deduct(action, instalments, today)
    elif reclaiming:
        _paid_back(action, today, acting_user)
    elif agree:
        held = _hold(action, today, acting_user)
    action.status = ActionStatus.AGREED if agree else ActionStatus.NOT_AGREED
    action.decided_by, action.decided_at, action.decision_reasons = acting_user, timezone.now(), decision_reasons
    action.recovery = recovery if reclaiming else ""
    action.instalments = instalments if reclaiming and recovery == Recovery.DEDUCT else None
    action.decision_letter_pdf = render_pdf(
        DECISION_TEMPLATE, decision_letter_context(action, today=today, parts=parts, held=held)
    )
    action.full_clean()
    action.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.DECIDE_RECLAIM,
        obj=action,
        person_id=action.plan.person_id,
        summary=_decision_summary(action, parts=parts, held=held),
        changes={
            "status": [ActionStatus.PROPOSED.value, action.status],
            "decision_reasons": [None, decision_reasons],
            "recovery": [None, action.recovery],
            "instalments": [None, action.instalments],
        },
    )
    flagging.refresh(action.plan)
    return action


def _decision_summary(action: MoneyAction, *, parts, held) -> str:
    if action.status == ActionStatus.NOT_AGREED:
        return f"Decided not to go ahead with the proposed {lower_first(action.get_kind_display())}"
    if action.kind == ActionKind.STOP:
        count, total = held
        return (
            f"Decided to stop direct payments from {long_date(action.effective_on)}: {count} "
            f"payment{'' if count == 1 else 's'} held, {pounds(total)}"
        )
    if action.recovery == Recovery.DEDUCT:
        return f"Decided on a repayment of {pounds(action.amount)}, taken off the next {len(parts)} payments"
    return f"Decided on a repayment of {pounds(action.amount)}, paid back by the person"


@transaction.atomic
def withdraw(*, action: MoneyAction, acting_user) -> MoneyAction:
    """Withdraws a proposal still waiting for a decision: nothing changes for the person."""
    action = _locked(action)
    _refuse(reclaim_access.withdraw_refusal(acting_user, action))
    action.status = ActionStatus.WITHDRAWN
    action.save(update_fields=["status"])
    audit.record(
        actor=acting_user,
        action=AuditAction.WITHDRAW,
        obj=action,
        person_id=action.plan.person_id,
        summary=f"Withdrew the proposed {lower_first(action.get_kind_display())}",
        changes={"status": [ActionStatus.PROPOSED.value, ActionStatus.WITHDRAWN.value]},
    )
    return action
