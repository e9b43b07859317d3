"""The money flags kept for each plan whose money is in use, so the lists can show them in their one query.

payments.balance.flags is the rule (surplus, running out, spend not in the plan, a statement overdue), read on a day
through payments.selectors.money_of. The caseload, the trays and the person page show a flag for many people at
once, and working out everyone's money for a page would cost a query a person; so the flags raised today are kept,
one models.MoneyFlag row a flag, and those pages read the rows (`annotate_flags`, `flagged`).

They are kept right by:
- `refresh(plan)`, called by every service that moves a plan's money or what is known about it (a schedule
  written, a statement imported, spend typed in or matched, a hold or its end, a repayment decided), in the
  service's own transaction, so the lists are right the moment it commits;
- `refresh_all()`, the daily beat task (payments.tasks.refresh_flags), since the flags also move with the date
  alone (a statement becomes overdue; the projection moves on).

Decided here:
- A plan's money is in use while a version of it is in force (careplans: active, or approved or ending with its
  start date come) and it has a schedule; once none is, its flags are removed.
- A flag keeps the day it was first raised while it stays raised (the tray's "waiting" counts from it); a flag
  that clears and comes back is raised again that day.
- Only what changed is written: a day on which nothing changes writes nothing.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from careplans.models import PlanVersion, SupportPlan
from payments.balance import FlagCode
from payments.models import MoneyFlag, ScheduleLine
from payments.selectors import money_of

# How many plans the daily refresh reads at a time.
BATCH = 500


@dataclass(frozen=True)
class Refreshed:
    plans: int  # plans whose money is in use, worked out again
    raised: int  # flags raised that were not before
    cleared: int  # flags no longer raised (including every flag of a plan no longer in use)


def in_use(on: datetime.date) -> QuerySet[SupportPlan]:
    """Plans whose money is in use on `on`: a schedule, and a version in force."""
    return SupportPlan.objects.filter(
        Exists(ScheduleLine.objects.filter(plan=OuterRef("pk"))),
        Exists(PlanVersion.objects.filter(plan=OuterRef("pk")).in_force(on=on)),
    )


def _store(plan: SupportPlan, flags, due, on: datetime.date) -> tuple[int, int]:
    """Writes the plan's flags as raised on `on`; returns (raised, cleared)."""
    kept = {row.code: row for row in MoneyFlag.objects.select_for_update().filter(plan=plan)}
    now = {flag.code: flag for flag in flags}
    gone = [row.pk for code, row in kept.items() if code not in now]
    if gone:
        MoneyFlag.objects.filter(pk__in=gone).delete()
    raised = 0
    for code, flag in now.items():
        period_end = due.period_end if code == FlagCode.STATEMENT_OVERDUE and due is not None else None
        row = kept.get(code)
        if row is None:
            MoneyFlag.objects.create(
                plan=plan,
                person_id=plan.person_id,
                code=code,
                sentence=flag.sentence,
                raised_on=on,
                period_end=period_end,
            )
            raised += 1
        elif (row.sentence, row.period_end) != (flag.sentence, period_end):
            row.sentence, row.period_end = flag.sentence, period_end
            row.save(update_fields=["sentence", "period_end"])
    return raised, len(gone)


def refresh(plan: SupportPlan, *, on: datetime.date | None = None) -> tuple[FlagCode, ...]:
    """Works the plan's flags out again for `on` (default today) and keeps them; returns the flags raised."""
    on = on or timezone.localdate()
    with transaction.atomic():
        if not in_use(on).filter(pk=plan.pk).exists():
            MoneyFlag.objects.filter(plan=plan).delete()
            return ()
        view = money_of(plan, on)
        _store(plan, view.flags, view.statement_due, on)
        return tuple(flag.code for flag in view.flags)


def refresh_ended(version) -> None:
    """careplans.approval.ON_END: a budget ended (or ending) has its flags worked out again at once, so an ended
    one's leave the lists now rather than at the next daily refresh."""
    refresh(version.plan)


def refresh_all(*, on: datetime.date | None = None) -> Refreshed:
    """The daily refresh: every plan whose money is in use worked out again, each in its own transaction (a
    service refreshing one plan at the same moment waits for the row locks, then writes the same), and the flags
    of plans no longer in use removed."""
    on = on or timezone.localdate()
    plans = raised = 0
    using = in_use(on)
    cleared, _ = MoneyFlag.objects.exclude(plan__in=using).delete()
    last = None
    while True:
        batch = using.order_by("pk")
        if last is not None:
            batch = batch.filter(pk__gt=last)
        batch = list(batch.only("pk", "person_id")[:BATCH])
        if not batch:
            break
        for plan in batch:
            with transaction.atomic():
                view = money_of(plan, on)
                up, down = _store(plan, view.flags, view.statement_due, on)
            plans, raised, cleared = plans + 1, raised + up, cleared + down
        last = batch[-1].pk
    return Refreshed(plans=plans, raised=raised, cleared=cleared)


def with_flags(people: QuerySet) -> QuerySet:
    """People each with `money_<code>` for every FlagCode (the flag's sentence when it is raised on any of their
    plans, else None) and `money_plan` (the id of a plan with a flag raised, for the link to its money page): a
    subquery each, read from the index on (person, code), so a page of any length stays one query."""
    mine = MoneyFlag.objects.filter(person=OuterRef("pk"))
    return people.annotate(
        **{f"money_{code}": Subquery(mine.filter(code=code).values("sentence")[:1]) for code in FlagCode},
        money_plan=Subquery(mine.order_by("raised_on", "code").values("plan_id")[:1]),
    )


def flags_on(row) -> list[tuple[FlagCode, str]]:
    """The flags read with a row by with_flags, in FlagCode's order: (code, sentence)."""
    return [(code, sentence) for code in FlagCode if (sentence := getattr(row, f"money_{code}", None))]
