"""Payments held and resumed: a stay in hospital, say, when the support the money buys is not needed.

Holding marks the plan's unpaid lines for the days of the hold as held (payments.rules.suspend: a line partly in
the hold is split by days, so only its days in the hold are held); a payment run never pays a held line. Paid
lines never change (a trigger refuses it). A hold with no day to resume goes on into the next plan year's lines
too (payments.services.schedule_next_year).

Resuming on a day releases the hold's own held lines from that day (payments.rules.resume), to be paid as usual:
those held with its reason. A line held for another reason (direct payments stopped, payments.reclaims) stays
held. The held days before the day stay held, so they are never paid: the support was not needed then. Where the
money was owed after all (payments were held while a bank account was changed, say), the person resuming says so
and those lines are released too, due on the day payments resume.

Each row is changed where it stands rather than deleted and made again, so a line in a payment run waiting to be
confirmed stays in it: confirming pays only lines still to be paid, so a held line is left out.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from careplans.models import PlanVersion, Status, SupportPlan
from payments import flagging
from payments.models import ScheduleLine, Suspension
from payments.periods import ONE_DAY
from payments.rules import TO_PAY_BACK, ZERO, LineStatus, resume, split_line, suspend
from payments.services import _as_rule_line, _row
from people.access import may_write, visible
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import pounds
from phb.refusals import refuse
from phb.roles import is_phb_team
from phb.words import date_and_time, long_date

# How far back a hold or a resumption may be dated: 28 days, one 4-weekly period (or about a month), so a stay
# in hospital told to the coordinator a few weeks late can still be recorded from its first day. Lines already
# paid for those days stay paid; only unpaid ones are held.
BACKDATE_DAYS = 28


def hold_refusal(user, plan: SupportPlan) -> str:
    """Why the user may not hold or resume the plan's payments ("" when they may): a coordinator in the
    person's care team, or the PHB team. No query: the plan's person is loaded with it (careplans.access).
    The schedule page shows its buttons exactly when this is ""; the services ask it again."""
    if is_phb_team(user) or may_write(user, plan.person):
        return ""
    return "Only the person's care coordinator or the PHB team can hold or resume payments."


def get_suspension_for_user(user, pk) -> Suspension:
    """A hold on the plan of a person the user may see, with its plan and person."""
    found = Suspension.objects.select_related("plan__person").filter(visible(user, "plan__person__"), pk=pk).first()
    if found is None:
        refuse(Suspension, pk, person="plan__person_id", message="No held payments found")
    return found


def earliest_day(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) - datetime.timedelta(days=BACKDATE_DAYS)


def _refuse_unless_allowed(user, plan) -> None:
    refusal = hold_refusal(user, plan)
    if refusal:
        raise ServiceError(refusal)


def _lock(plan: SupportPlan) -> None:
    """One hold or resumption of a plan at a time (and none while its schedule is written)."""
    SupportPlan.objects.select_for_update().filter(pk=plan.pk).first()


@dataclass
class _Rewrite:
    """Rows changed where they stand, and rows split off them."""

    changed: list
    made: list

    def save(self) -> None:
        fields = ["period_start", "period_end", "due_on", "amount", "note", "status", "hold_reason"]
        ScheduleLine.objects.bulk_update(self.changed, fields)
        ScheduleLine.objects.bulk_create(self.made)


def _rewrite(rows, parts_of, keep) -> _Rewrite:
    """For each row, its parts (rules' lines, from parts_of): the part `keep` picks stays in the row, the rest
    are new rows for the same plan and version."""
    rewrite = _Rewrite([], [])
    for row in rows:
        parts = parts_of(_as_rule_line(row))
        kept = next(part for part in parts if keep(part))
        for name in ("period_start", "period_end", "due_on", "amount", "note", "status", "hold_reason"):
            setattr(row, name, getattr(kept, name))
        row.note, row.hold_reason = row.note[:300], row.hold_reason[:300]
        rewrite.changed.append(row)
        rewrite.made += [
            _row(part, plan_id=row.plan_id, version_id=row.plan_version_id) for part in parts if part is not kept
        ]
    return rewrite


def _overlapping(plan, starts_on, ends_on):
    """The plan's hold whose days meet starts_on up to (not including) ends_on (None: with no end)."""
    holds = Suspension.objects.filter(plan=plan).filter(Q(ends_on=None) | Q(ends_on__gt=starts_on))
    if ends_on is not None:
        holds = holds.filter(starts_on__lt=ends_on)
    return holds.order_by("starts_on").first()


def _hold_problems(starts_on, ends_on, reason) -> dict:
    errors = {}
    if not reason:
        errors["reason"] = "Enter why payments are being held"
    earliest = earliest_day()
    if starts_on < earliest:
        errors["starts_on"] = (
            f"Payments can be held from up to {BACKDATE_DAYS} days ago: enter {long_date(earliest)} or later"
        )
    if ends_on is not None and ends_on <= starts_on:
        errors["ends_on"] = "The day payments resume must be after the day they are held from"
    return errors


def _until(hold: Suspension) -> str:
    return f" until {long_date(hold.ends_on - ONE_DAY)}" if hold.ends_on else " with no end date yet"


@transaction.atomic
def hold_payments(
    *, plan: SupportPlan, starts_on: datetime.date, ends_on: datetime.date | None = None, reason: str, acting_user
) -> Suspension:
    """Hold the plan's payments from starts_on until the day before ends_on (None: until someone resumes them).
    Refused for someone who may not, a reason left blank, a start more than BACKDATE_DAYS ago, a plan not in
    force, and a hold that overlaps another (resume or end that one first)."""
    _refuse_unless_allowed(acting_user, plan)
    reason = (reason or "").strip()
    errors = _hold_problems(starts_on, ends_on, reason)
    if errors:
        raise ValidationError(errors)
    _lock(plan)
    today = timezone.localdate()
    if not PlanVersion.objects.in_force(on=today).filter(plan=plan, status__in=Status.RUNNING).exists():
        raise ServiceError("Payments can only be held for a plan in force. This plan has not started or has ended.")
    other = _overlapping(plan, starts_on, ends_on)
    if other is not None:
        raise ValidationError(
            {
                "starts_on": f"Payments are already held from {long_date(other.starts_on)}{_until(other)}. "
                "Choose days that do not overlap, or resume those payments first"
            }
        )
    rows = ScheduleLine.objects.select_for_update().filter(
        plan=plan, status=LineStatus.SCHEDULED, period_end__gte=starts_on
    )
    if ends_on is not None:
        rows = rows.filter(period_start__lt=ends_on)
    rows = list(rows.exclude(kind__in=TO_PAY_BACK).order_by("period_start", "id"))
    last_held = ends_on - ONE_DAY if ends_on else None
    rewrite = _rewrite(
        rows,
        lambda line: suspend([line], starts_on, last_held, reason),
        lambda part: part.status == LineStatus.HELD,
    )
    rewrite.save()
    hold = Suspension(plan=plan, starts_on=starts_on, ends_on=ends_on, reason=reason[:300], created_by=acting_user)
    hold.full_clean()
    hold.save()
    held = sum((row.amount for row in rewrite.changed), ZERO)
    until = f" until {long_date(last_held)}" if last_held else ""
    audit.record(
        actor=acting_user,
        action=AuditAction.HOLD_PAYMENTS,
        obj=hold,
        person_id=plan.person_id,
        summary=f"Held payments from {long_date(starts_on)}{until}: {len(rewrite.changed)} "
        f"payment{'' if len(rewrite.changed) == 1 else 's'}, {pounds(held)}",
        changes={"starts_on": [None, str(starts_on)], "ends_on": [None, str(ends_on) if ends_on else None]},
    )
    flagging.refresh(plan)
    return hold


def _resume_problems(hold: Suspension, resumes_on: datetime.date) -> dict:
    if resumes_on <= hold.starts_on:
        return {"resumes_on": f"Payments are held from {long_date(hold.starts_on)}: resume them on a later day"}
    if hold.ends_on is not None and resumes_on > hold.ends_on:
        return {
            "resumes_on": f"Payments are held until {long_date(hold.ends_on - ONE_DAY)}: resume them on "
            f"{long_date(hold.ends_on)} or earlier"
        }
    earliest = earliest_day()
    if resumes_on < earliest:
        return {
            "resumes_on": f"Payments can be resumed from up to {BACKDATE_DAYS} days ago: enter "
            f"{long_date(earliest)} or later"
        }
    return {}


def _released(line, resumes_on, pay_held_days):
    """A held line's parts once payments resume: from resumes_on released, before it held unless paid after all."""
    if line.period_start < resumes_on <= line.period_end:
        before, after = split_line(line, resumes_on)
        return [resume([before], resumes_on)[0] if pay_held_days else before, resume([after], resumes_on)[0]]
    if line.period_start >= resumes_on or pay_held_days:
        return resume([line], resumes_on)
    return [line]


@transaction.atomic
def resume_payments(
    *, suspension: Suspension, resumes_on: datetime.date, acting_user, pay_held_days: bool = False
) -> Suspension:
    """Resume held payments from resumes_on: the hold ends the day before it. pay_held_days: the lines held for
    days before resumes_on are paid after all (due on resumes_on, or their own day if later)."""
    plan = suspension.plan
    _refuse_unless_allowed(acting_user, plan)
    _lock(plan)
    hold = Suspension.objects.select_for_update(of=("self",)).select_related("resumed_by").get(pk=suspension.pk)
    if hold.resumed_at is not None:
        raise ServiceError(
            f"{hold.resumed_by.display_name} already resumed these payments on {date_and_time(hold.resumed_at)}."
        )
    errors = _resume_problems(hold, resumes_on)
    if errors:
        raise ValidationError(errors)
    # The hold's own lines: held with its reason (as hold_payments, payments.rules.recalculate and the next plan
    # year's lines hold them), not a line held by a stopping of direct payments (payments.reclaims._hold).
    rows = ScheduleLine.objects.select_for_update().filter(
        plan=plan, status=LineStatus.HELD, hold_reason=hold.reason, period_start__gte=hold.starts_on
    )
    if hold.ends_on is not None:
        rows = rows.filter(period_end__lt=hold.ends_on)
    rows = list(rows.order_by("period_start", "id"))
    rewrite = _rewrite(
        rows,
        lambda line: _released(line, resumes_on, pay_held_days),
        lambda part: part.period_start < resumes_on or part.status == LineStatus.SCHEDULED,
    )
    rewrite.save()
    released = [row for row in rewrite.changed + rewrite.made if row.status == LineStatus.SCHEDULED]
    before = hold.ends_on
    hold.ends_on, hold.resumed_by, hold.resumed_at = resumes_on, acting_user, timezone.now()
    hold.full_clean()
    hold.save(update_fields=["ends_on", "resumed_by", "resumed_at"])
    held_days = " The held days' payments are paid too." if pay_held_days else ""
    audit.record(
        actor=acting_user,
        action=AuditAction.RESUME_PAYMENTS,
        obj=hold,
        person_id=plan.person_id,
        summary=f"Resumed payments from {long_date(resumes_on)}: {len(released)} "
        f"payment{'' if len(released) == 1 else 's'} to pay, {pounds(sum((r.amount for r in released), ZERO))}."
        f"{held_days}",
        changes={"ends_on": [str(before) if before else None, str(resumes_on)]},
    )
    flagging.refresh(plan)
    return hold
