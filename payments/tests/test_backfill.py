"""Plans in force before payments were kept here: `manage.py schedule_active_plans` writes each one's schedule
from today, by the same service as when a plan becomes active, once."""

import datetime
import io

from django.core.management import call_command
from django.utils import timezone

from careplans.tests.factories import approved_plan
from payments import services
from payments.models import ScheduleLine
from payments.periods import plan_year_end
from payments.rules import LineStatus
from people.tests.factories import PersonFactory


def _as_before_payments(plan):
    """The plan as it was before payments were kept here: in force, with no schedule."""
    ScheduleLine.objects.filter(plan=plan).delete()


def _run() -> str:
    out = io.StringIO()
    call_command("schedule_active_plans", stdout=out)
    return out.getvalue()


def test_a_plan_in_force_with_no_schedule_gets_the_lines_due_from_today(active):
    plan = active.plan
    due_from_today = sorted(
        (line.period_start, line.amount)
        for line in ScheduleLine.objects.filter(plan=plan, due_on__gte=timezone.localdate())
    )
    _as_before_payments(plan)

    assert _run() == f"1 plan given a payment schedule: {len(due_from_today)} payments scheduled.\n"
    lines = ScheduleLine.objects.filter(plan=plan)
    # The lines due before today were paid outside this service: none is made. The rest are the same lines the
    # schedule written on activation held, to the penny.
    assert sorted((line.period_start, line.amount) for line in lines) == due_from_today
    assert min(line.due_on for line in lines) >= timezone.localdate()
    assert max(line.period_end for line in lines) == plan_year_end(active.start_date)
    assert {(line.plan_version_id, line.status) for line in lines} == {(active.pk, LineStatus.SCHEDULED)}


def test_running_it_again_writes_nothing_and_plans_with_a_schedule_are_left_alone(active, north, alice, priya):
    other = approved_plan(
        person=PersonFactory(given_name="Al", family_name="Ready", care_team=north, lead_coordinator=alice),
        coordinator=alice,
        approver=priya,
    )
    untouched = set(ScheduleLine.objects.filter(plan=other.plan).values_list("pk", "amount"))
    _as_before_payments(active.plan)
    first = services.schedule_active_plans(on=timezone.localdate())
    assert (first.plans, first.without) == (1, 0) and first.lines == ScheduleLine.objects.filter(
        plan=active.plan
    ).count()
    assert services.schedule_active_plans(on=timezone.localdate()) == services.Backfilled(plans=0, lines=0, without=0)
    assert _run() == "0 plans given a payment schedule: 0 payments scheduled.\n"
    assert set(ScheduleLine.objects.filter(plan=other.plan).values_list("pk", "amount")) == untouched


def test_a_plan_in_its_second_year_is_scheduled_from_today_in_that_year(active):
    _as_before_payments(active.plan)
    second_year = plan_year_end(active.start_date) + datetime.timedelta(days=40)
    done = services.schedule_active_plans(on=second_year)
    lines = ScheduleLine.objects.filter(plan=active.plan)
    assert done.lines == lines.count() > 0
    assert min(line.due_on for line in lines) >= second_year
    assert max(line.period_end for line in lines) == plan_year_end(
        plan_year_end(active.start_date) + datetime.timedelta(days=1)
    )
    # The next plan year follows on from it as usual.
    assert services.extend_schedules(on=max(line.period_end for line in lines)).lines > 0
