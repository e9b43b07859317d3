"""Payments held and resumed (a stay in hospital): pro rata by days, paid lines untouched, one hold at a time,
and who may."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from payments import holds, services
from payments.models import ScheduleLine, Suspension
from payments.rules import LineKind, LineStatus, split_line
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

DAY = datetime.timedelta(days=1)


def _payments(plan):
    """The direct payment's lines, in order (4-weekly, each due on its first day)."""
    return list(ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT).order_by("period_start", "id"))


def _next_period(plan):
    """The first direct payment line starting after today: its period, to hold part of it."""
    return next(line for line in _payments(plan) if line.period_start > timezone.localdate() + 3 * DAY)


def _total(plan):
    return sum(line.amount for line in ScheduleLine.objects.filter(plan=plan))


def test_a_hold_mid_period_holds_only_its_days_pro_rata_and_the_year_still_adds_up(active, alice):
    plan = active.plan
    before_total = _total(plan)
    line = _next_period(plan)
    starts = line.period_start + 10 * DAY  # 10 days of the period paid, the other 18 held
    expected_before, expected_held = split_line(services._as_rule_line(line), starts)
    hold = holds.hold_payments(plan=plan, starts_on=starts, reason="In hospital", acting_user=alice)

    assert hold.starts_on == starts and hold.ends_on is None and hold.created_by == alice
    rows = ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT)
    first = rows.get(period_start=line.period_start)
    assert (first.status, first.amount, first.period_end) == (
        LineStatus.SCHEDULED,
        expected_before.amount,
        starts - DAY,
    )
    split = rows.get(period_start=starts)
    assert (split.status, split.amount, split.hold_reason) == (LineStatus.HELD, expected_held.amount, "In hospital")
    # Every later line of every money option is held too (no end date), and nothing is lost.
    assert not ScheduleLine.objects.filter(plan=plan, period_start__gte=starts, status=LineStatus.SCHEDULED).exists()
    assert _total(plan) == before_total
    assert AuditEvent.objects.filter(action=AuditAction.HOLD_PAYMENTS, object_id=str(hold.pk)).exists()


def test_a_hold_with_an_end_date_holds_only_those_days(active, alice):
    plan = active.plan
    line = _next_period(plan)
    starts, resumes = line.period_start + 5 * DAY, line.period_start + 12 * DAY
    holds.hold_payments(plan=plan, starts_on=starts, ends_on=resumes, reason="Respite stay", acting_user=alice)
    parts = list(ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT, period_start__gte=line.period_start))
    held = [part for part in parts if part.status == LineStatus.HELD]
    assert [(p.period_start, p.period_end) for p in held] == [(starts, resumes - DAY)]
    assert sum(p.amount for p in parts if p.period_start <= line.period_end) == line.amount
    assert ScheduleLine.objects.get(plan=plan, kind=LineKind.PAYMENT, period_start=resumes).status == "scheduled"


def test_resuming_releases_the_lines_from_its_day_and_the_held_days_stay_unpaid(active, alice, bob):
    plan = active.plan
    line = _next_period(plan)
    starts = line.period_start + 10 * DAY
    hold = holds.hold_payments(plan=plan, starts_on=starts, reason="In hospital", acting_user=alice)
    resumes = starts + 40 * DAY  # past the next period's start: that line is split at the day payments resume
    hold = holds.resume_payments(suspension=hold, resumes_on=resumes, acting_user=bob)

    assert (hold.ends_on, hold.resumed_by) == (resumes, bob)
    lines = ScheduleLine.objects.filter(plan=plan)
    assert not lines.filter(period_start__gte=resumes, status=LineStatus.HELD).exists()
    assert not lines.filter(period_start__gte=starts, period_end__lt=resumes).exclude(status=LineStatus.HELD).exists()
    assert lines.filter(period_start=resumes, kind=LineKind.PAYMENT, status=LineStatus.SCHEDULED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.RESUME_PAYMENTS, object_id=str(hold.pk)).exists()
    with pytest.raises(ServiceError, match="Bob Brown already resumed"):
        holds.resume_payments(suspension=hold, resumes_on=resumes, acting_user=alice)


def test_resuming_can_pay_the_held_days_after_all_due_on_the_day_payments_resume(active, alice):
    plan = active.plan
    starts = _next_period(plan).period_start
    hold = holds.hold_payments(plan=plan, starts_on=starts, reason="Bank account changing", acting_user=alice)
    resumes = starts + 30 * DAY
    holds.resume_payments(suspension=hold, resumes_on=resumes, acting_user=alice, pay_held_days=True)
    lines = ScheduleLine.objects.filter(plan=plan)
    assert not lines.filter(status=LineStatus.HELD).exists()
    held_days = lines.filter(period_start__gte=starts, period_end__lt=resumes)
    assert held_days and all(line.due_on >= resumes for line in held_days)


def test_paid_lines_are_never_held_nor_changed(active, alice, maker, checker):
    run = services.run_create(due_by=timezone.localdate() + 20 * DAY, acting_user=maker)
    services.run_confirm(run=run, acting_user=checker)
    paid = {
        line.pk: (line.amount, line.period_start, line.period_end)
        for line in ScheduleLine.objects.filter(plan=active.plan, status=LineStatus.PAID)
    }
    assert paid
    holds.hold_payments(
        plan=active.plan, starts_on=timezone.localdate() - 5 * DAY, reason="In hospital", acting_user=alice
    )
    after = {
        line.pk: (line.amount, line.period_start, line.period_end)
        for line in ScheduleLine.objects.filter(plan=active.plan, status=LineStatus.PAID)
    }
    assert after == paid


def test_a_held_line_in_a_waiting_run_is_not_paid_when_the_run_is_confirmed(active, alice, maker, checker):
    run = services.run_create(due_by=timezone.localdate() + 30 * DAY, acting_user=maker)
    gathered = set(run.lines.values_list("pk", flat=True))
    holds.hold_payments(plan=active.plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice)
    held = set(ScheduleLine.objects.filter(pk__in=gathered, status=LineStatus.HELD).values_list("pk", flat=True))
    assert held
    services.run_confirm(run=run, acting_user=checker)
    assert ScheduleLine.objects.filter(pk__in=held, status=LineStatus.HELD).count() == len(held)


def test_overlapping_holds_are_refused_and_days_after_one_ends_are_not(active, alice):
    plan = active.plan
    starts = _next_period(plan).period_start
    holds.hold_payments(plan=plan, starts_on=starts, ends_on=starts + 14 * DAY, reason="Respite", acting_user=alice)
    for start, end in [(starts + 3 * DAY, None), (starts - 3 * DAY, starts + DAY), (starts - 10 * DAY, None)]:
        with pytest.raises(ValidationError, match="already held"):
            holds.hold_payments(plan=plan, starts_on=start, ends_on=end, reason="Again", acting_user=alice)
    holds.hold_payments(plan=plan, starts_on=starts + 14 * DAY, reason="In hospital", acting_user=alice)
    assert Suspension.objects.filter(plan=plan).count() == 2


@pytest.mark.parametrize(
    "starts, ends, reason, field",
    [
        (timezone.localdate(), None, "   ", "reason"),
        (timezone.localdate() - datetime.timedelta(days=holds.BACKDATE_DAYS + 1), None, "In hospital", "starts_on"),
        (timezone.localdate() + 5 * DAY, timezone.localdate() + 5 * DAY, "In hospital", "ends_on"),
    ],
)
def test_a_blank_reason_a_start_too_long_ago_and_an_end_before_the_start_are_refused(
    active, alice, starts, ends, reason, field
):
    with pytest.raises(ValidationError) as refused:
        holds.hold_payments(plan=active.plan, starts_on=starts, ends_on=ends, reason=reason, acting_user=alice)
    assert field in refused.value.message_dict
    assert not Suspension.objects.exists()
    assert not ScheduleLine.objects.filter(status=LineStatus.HELD).exists()


def test_a_hold_may_start_up_to_the_backdating_limit(active, alice):
    earliest = timezone.localdate() - datetime.timedelta(days=holds.BACKDATE_DAYS)
    hold = holds.hold_payments(plan=active.plan, starts_on=earliest, reason="In hospital", acting_user=alice)
    assert hold.starts_on == earliest


def test_who_may_hold_the_coordinators_of_the_persons_team_and_the_phb_team(active, alice, bob, charlie, priya):
    plan = type(active.plan).objects.select_related("person").get(pk=active.plan_id)
    assert [holds.hold_refusal(user, plan) for user in (alice, bob, priya)] == ["", "", ""]
    assert "Only the person's care coordinator or the PHB team" in holds.hold_refusal(charlie, plan)
    with pytest.raises(ServiceError):
        holds.hold_payments(plan=plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=charlie)
    hold = holds.hold_payments(plan=plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=priya)
    with pytest.raises(ServiceError):
        holds.resume_payments(suspension=hold, resumes_on=timezone.localdate() + DAY, acting_user=charlie)
    assert Suspension.objects.get().resumed_at is None


def test_a_hold_with_no_end_goes_on_into_the_next_plan_years_lines(active, alice):
    plan = active.plan
    holds.hold_payments(plan=plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice)
    end = max(ScheduleLine.objects.filter(plan=plan).values_list("period_end", flat=True))
    added = services.schedule_next_year(plan=plan, on=end - 10 * DAY)
    assert added
    new = ScheduleLine.objects.filter(plan=plan, period_start__gt=end)
    assert new.count() == added and set(new.values_list("status", flat=True)) == {LineStatus.HELD}
    assert sum(line.amount for line in new) > Decimal("0")


def test_a_hold_resuming_in_the_next_plan_year_holds_that_years_lines_only_until_then(active, alice):
    plan = active.plan
    end = max(ScheduleLine.objects.filter(plan=plan).values_list("period_end", flat=True))
    resumes = end + 45 * DAY
    holds.hold_payments(
        plan=plan, starts_on=timezone.localdate(), ends_on=resumes, reason="In hospital", acting_user=alice
    )
    services.schedule_next_year(plan=plan, on=end - DAY)
    new = ScheduleLine.objects.filter(plan=plan, period_start__gt=end)
    assert {line.status for line in new.filter(period_end__lt=resumes)} == {LineStatus.HELD}
    assert {line.status for line in new.filter(period_start__gte=resumes)} == {LineStatus.SCHEDULED}
    assert new.filter(period_start=resumes).exists()  # the period is split where payments resume


# The pages ---------------------------------------------------------------------------------------------------


def _date(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year} if day else {}


def test_the_coordinator_holds_and_resumes_payments_from_the_plans_payments_page(client, active, alice):
    plan = active.plan
    schedule = reverse("payments:schedule", kwargs={"plan_id": plan.pk})
    hold_url = reverse("payments:hold", kwargs={"plan_id": plan.pk})
    client.force_login(alice)
    assert hold_url in client.get(schedule).content.decode()
    assert client.get(hold_url).status_code == 200
    response = client.post(hold_url, {**_date("starts_on", timezone.localdate() + 3 * DAY), "reason": "In hospital"})
    assert response.status_code == 302 and response.url == schedule
    hold = Suspension.objects.get()
    page = client.get(schedule).content.decode()
    resume_url = reverse("payments:resume", kwargs={"pk": hold.pk})
    assert "Payments held" in page and "In hospital" in page and resume_url in page
    assert "Payments held from" in page  # the message after holding
    assert client.get(resume_url).status_code == 200
    response = client.post(resume_url, _date("resumes_on", timezone.localdate() + 20 * DAY))
    assert response.status_code == 302 and response.url == schedule
    hold.refresh_from_db()
    assert (hold.ends_on, hold.resumed_by) == (timezone.localdate() + 20 * DAY, alice)
    assert resume_url not in client.get(schedule).content.decode()
    # Resumed already: the resume page goes back to the schedule with a note.
    assert client.get(resume_url).status_code == 302


def test_the_hold_form_says_what_to_fix(client, active, priya):
    client.force_login(priya)
    url = reverse("payments:hold", kwargs={"plan_id": active.plan_id})
    response = client.post(url, {**_date("starts_on", timezone.localdate() - 60 * DAY), "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Enter why payments are being held" in page
    response = client.post(url, {**_date("starts_on", timezone.localdate() - 60 * DAY), "reason": "In hospital"})
    assert f"Payments can be held from up to {holds.BACKDATE_DAYS} days ago" in response.content.decode()
    assert not Suspension.objects.exists()


def test_outsiders_are_refused_the_hold_and_resume_pages(client, active, alice, charlie, pat):
    hold = holds.hold_payments(
        plan=active.plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice
    )
    hold_url = reverse("payments:hold", kwargs={"plan_id": active.plan_id})
    resume_url = reverse("payments:resume", kwargs={"pk": hold.pk})
    for outsider in (charlie, pat):
        client.force_login(outsider)
        for url, form in ((hold_url, {**_date("starts_on", timezone.localdate()), "reason": "x"}), (resume_url, {})):
            assert client.get(url).status_code == 404
            assert client.post(url, form).status_code == 404
    assert Suspension.objects.get().resumed_at is None and Suspension.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED).count() == 8
