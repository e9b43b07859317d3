"""The next plan year's lines, added RUN_AHEAD_DAYS before the schedule ends (payments.services.extend_schedules,
the beat task payments.tasks.extend_schedules): by the same rules, adding up to the annual amount, once."""

import datetime

import pytest
from django.utils import timezone

from careplans import approval
from careplans.models import Status
from careplans.tests.factories import approved_change
from payments import services, tasks
from payments.models import ScheduleLine
from payments.periods import plan_year_end
from payments.rules import LineKind, LineStatus
from phb.models import AuditAction, AuditEvent

DAY = datetime.timedelta(days=1)


def _end(plan):
    return max(ScheduleLine.objects.filter(plan=plan).values_list("period_end", flat=True))


def test_a_schedule_ending_within_35_days_gets_the_next_plan_years_lines_adding_up_to_the_annual_amount(active):
    plan = active.plan
    end = _end(plan)
    assert end == plan_year_end(active.start_date)
    on = end - datetime.timedelta(days=services.RUN_AHEAD_DAYS)
    done = services.extend_schedules(on=on)

    next_start = end + DAY
    new = list(ScheduleLine.objects.filter(plan=plan, period_start__gte=next_start))
    assert (done.plans, done.lines) == (1, len(new)) and new
    facts = services.facts_for(active, year_start=next_start)
    # The year's regular money, to the penny (a one-off item is bought once, in the year its version starts).
    assert sum(line.amount for line in new) == facts.agreed_annual
    assert not facts.one_offs and LineKind.ONE_OFF not in {line.kind for line in new}
    assert max(line.period_end for line in new) == plan_year_end(next_start)
    assert {(line.plan_version_id, line.status) for line in new} == {(active.pk, LineStatus.SCHEDULED)}
    # The same cycle of 4-weekly payments starts again on the plan's anniversary.
    dp = sorted(line.period_start for line in new if line.kind == LineKind.PAYMENT)
    assert dp[:2] == [next_start, next_start + datetime.timedelta(days=28)]
    assert AuditEvent.objects.filter(action=AuditAction.SCHEDULE_PAYMENTS, summary__contains="plan year from").exists()


def test_running_it_again_adds_nothing(active):
    on = _end(active.plan) - DAY
    assert services.extend_schedules(on=on).lines > 0
    count = ScheduleLine.objects.count()
    assert services.extend_schedules(on=on) == services.Extended(plans=0, lines=0)
    assert services.schedule_next_year(plan=active.plan, on=on) == 0
    assert ScheduleLine.objects.count() == count


def test_a_schedule_further_than_35_days_from_its_end_is_left_alone(active):
    on = _end(active.plan) - datetime.timedelta(days=services.RUN_AHEAD_DAYS + 1)
    assert services.extend_schedules(on=on).lines == 0
    assert tasks.extend_schedules.run() == {"plans": 0, "lines": 0}  # the task itself, today: far from the end


def test_a_schedule_years_behind_catches_up_a_year_at_a_time(active):
    end = _end(active.plan)
    on = end + datetime.timedelta(days=400)
    services.extend_schedules(on=on)
    assert _end(active.plan) >= on + datetime.timedelta(days=services.RUN_AHEAD_DAYS)
    years = ScheduleLine.objects.filter(plan=active.plan, kind=LineKind.PAYMENT, period_start__gt=end)
    assert years.count() > 26  # two more years of 4-weekly payments


def test_a_budget_ending_in_the_next_year_is_scheduled_up_to_the_day_before_its_end(active, alice):
    end = _end(active.plan)
    ended_on = end + datetime.timedelta(days=60)
    approval.plan_end(
        version=active,
        reason="moved_away",
        ended_on=ended_on,
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    services.extend_schedules(on=end - DAY)
    assert _end(active.plan) == ended_on - DAY


def test_a_change_that_starts_in_the_next_year_replaces_only_that_years_unpaid_lines(active, alice, priya):
    plan = active.plan
    end = _end(plan)
    services.extend_schedules(on=end - DAY)
    first_year = {
        (line.pk, line.amount, line.status) for line in ScheduleLine.objects.filter(plan=plan, period_end__lte=end)
    }
    starts = end + datetime.timedelta(days=50)
    change = approved_change(plan=plan, coordinator=alice, approver=priya, start=starts)
    approval.activate_due_plans(on=starts)
    change.refresh_from_db()
    assert change.status == Status.ACTIVE
    lines = ScheduleLine.objects.filter(plan=plan)
    assert {(line.pk, line.amount, line.status) for line in lines.filter(period_end__lte=end)} == first_year
    assert {line.plan_version_id for line in lines.filter(period_start__gte=starts)} == {change.pk}
    second_year = lines.filter(period_start__gt=end, kind__in=[LineKind.PAYMENT, LineKind.COMMITMENT])
    # The change copies the plan's money unchanged: the year still adds up to the same amount.
    assert sum(line.amount for line in second_year) == services.facts_for(active, year_start=end + DAY).agreed_annual
    assert max(line.period_end for line in lines) == plan_year_end(end + DAY)


@pytest.mark.parametrize("days_before_end", [0, 35])
def test_the_window_is_run_ahead_days(active, days_before_end):
    on = _end(active.plan) - datetime.timedelta(days=days_before_end)
    assert services.extend_schedules(on=on).plans == 1
    assert timezone.localdate() < on  # the plan's first year is still going today


def _cut_short(active):
    """The schedule as if it had been written only to the period after today: what extend_schedules adds back."""
    today = timezone.localdate()
    later = ScheduleLine.objects.filter(plan=active.plan, period_start__gt=today)
    removed = sorted((line.period_start, line.kind, line.amount) for line in later)
    later.delete()
    return removed


def test_a_schedule_that_stops_part_way_through_a_year_is_completed_by_the_same_rules(active):
    removed = _cut_short(active)
    assert services.extend_schedules().lines == len(removed) > 0
    added = ScheduleLine.objects.filter(plan=active.plan, period_start__gt=timezone.localdate())
    assert sorted((line.period_start, line.kind, line.amount) for line in added) == removed


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_adds_the_lines_through_a_real_worker(celery_worker_process, active):
    """The wiring: the task, queued to Redis, run by a worker process against the test database, once."""
    from conftest import wait_for

    _mail, log = celery_worker_process
    removed = _cut_short(active)
    count = ScheduleLine.objects.count()
    first = tasks.extend_schedules.delay()
    assert wait_for(lambda: f"[{first.id}] succeeded" in log.read_text()), log.read_text()
    assert ScheduleLine.objects.count() == count + len(removed)
    second = tasks.extend_schedules.delay()
    assert wait_for(lambda: f"[{second.id}] succeeded" in log.read_text()), log.read_text()
    assert "{'plans': 0, 'lines': 0}" in log.read_text().split(second.id)[-1][:300]
    assert ScheduleLine.objects.count() == count + len(removed)


def test_an_agreed_stopping_holds_the_next_years_payments_into_the_account_but_not_the_notional_money(
    active, maker, checker
):
    from payments import reclaims
    from payments.tests.test_reclaims import past_respond_by, stop

    plan = active.plan
    end = _end(plan)
    action = stop(plan, maker)
    reclaims.decide(action=past_respond_by(action), agree=True, decision_reasons="Misused.", acting_user=checker)
    services.extend_schedules(on=end - DAY)
    next_year = ScheduleLine.objects.filter(plan=plan, period_start__gt=end)
    account = next_year.filter(money_option__in=["direct_payment", "third_party"])
    assert account.exists() and {line.status for line in account} == {LineStatus.HELD}
    assert all(line.hold_reason.startswith("Direct payments stopped from") for line in account)
    assert all(f"decided by {checker.display_name}" in line.hold_reason for line in account)
    notional = next_year.filter(money_option="notional")
    assert notional.exists() and {line.status for line in notional} == {LineStatus.SCHEDULED}


def test_a_stopping_not_agreed_leaves_the_next_year_to_be_paid(active, maker, checker):
    from payments import reclaims
    from payments.tests.test_reclaims import past_respond_by, stop

    plan = active.plan
    end = _end(plan)
    action = stop(plan, maker)
    reclaims.decide(action=past_respond_by(action), agree=False, decision_reasons="Explained.", acting_user=checker)
    services.extend_schedules(on=end - DAY)
    assert not ScheduleLine.objects.filter(plan=plan, period_start__gt=end, status=LineStatus.HELD).exists()
