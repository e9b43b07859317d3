"""A change to the plan that becomes active, and holds resumed, alongside the other things that write schedule
lines: a repayment taken off the next payments survives a change; a line in a waiting payment run is left as it
is (and the money adds up whether that run is confirmed or cancelled); a line a cancelled run once gathered does
not stop the change; resuming a hold leaves the lines a stopping of direct payments holds."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone

from careplans import approval
from careplans import services as plan_services
from careplans.models import Status
from careplans.tests.factories import START
from payments import holds, reclaims, rules, services
from payments.models import ActionStatus, MoneyAction, PaymentRun, Recovery, RunLine, RunStatus, ScheduleLine
from payments.rules import LineKind, LineStatus

DAY = datetime.timedelta(days=1)


def change_money(plan, coordinator, approver, start, *, hours="4", recipient=None, money_option="direct_payment"):
    """A change to the plan, active from `start`: the personal assistant paid for `hours` hours a week instead
    of 8 (by direct payment unless said otherwise), and, if given, the direct payment paid to another recipient."""
    draft = plan_services.plan_amend(plan=plan, acting_user=coordinator)
    draft.outcomes.update(target_date=None)
    values = {
        "start_date": start,
        "first_review_date": start + 30 * DAY,
        "agreed_on": datetime.date.today(),
        "agreement_method": "signed",
        # The 4-weekly payment pays for the hours paid by direct payment (£15 an hour): none when none are.
        "dp_amount": Decimal(60 * int(hours)) if money_option == "direct_payment" else None,
    }
    if recipient:
        values["dp_recipient_name"] = recipient
    draft = plan_services.plan_update(
        version=draft, expected_revision=draft.revision, acting_user=coordinator, **values
    )
    item = draft.items.get(description="Personal assistant")
    plan_services.item_save(
        version=draft,
        expected_revision=draft.revision,
        outcomes=list(item.outcomes.all()),
        acting_user=coordinator,
        item=item,
        description=item.description,
        provider=item.provider,
        category=item.category,
        unit_cost=item.unit_cost,
        quantity=Decimal(hours),
        frequency=item.frequency,
        money_option=money_option,
        third_party_organisation="",
    )
    draft.refresh_from_db()
    version = approval.plan_approve(
        version=plan_services.plan_submit(version=draft, acting_user=coordinator),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=approver,
    )
    approval.activate_due_plans(on=start)
    version.refresh_from_db()
    assert version.status == Status.ACTIVE
    return version


def rule_lines(plan, *, leaving_out=()):
    return [services._as_rule_line(row) for row in ScheduleLine.objects.filter(plan=plan).exclude(pk__in=leaving_out)]


def repayment(plan) -> dict:
    """The lines that take a repayment off the payments (the only negative lines before any change)."""
    return {
        row.pk: (row.amount, row.due_on, row.period_start, row.status)
        for row in ScheduleLine.objects.filter(plan=plan, amount__lt=0)
    }


def total(plan) -> Decimal:
    return sum((row.amount for row in ScheduleLine.objects.filter(plan=plan)), Decimal("0.00"))


def what_the_change_pays(old_lines, version, on) -> Decimal:
    """payments.rules.recalculate's promise: the old lines' money for the days before `on` and the changed
    plan's from it."""
    new = rules.schedule(services.facts_for(version, year_start=START))
    return rules.money_before(old_lines, on) + rules.money_from(new, on)


def next_payment(plan, after: datetime.date) -> ScheduleLine:
    return (
        ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT, period_start__gt=after)
        .order_by("period_start")
        .first()
    )


def past_respond_by(action):
    MoneyAction.objects.filter(pk=action.pk).update(respond_by=timezone.localdate() - DAY)
    action.refresh_from_db()
    return action


def deduct(plan, maker, checker, amount="300.00", instalments=3):
    action = reclaims.propose_reclaim(
        plan=plan,
        amount=Decimal(amount),
        reasons="Not spent on the agreed support.",
        from_period=reclaims.payment_periods(plan, on=timezone.localdate())[0][0],
        acting_user=maker,
    )
    return reclaims.decide(
        action=past_respond_by(action),
        agree=True,
        decision_reasons="Not used as agreed.",
        recovery=Recovery.DEDUCT,
        instalments=instalments,
        acting_user=checker,
    )


# (d) A repayment taken off a payment is a line of its own kind, with its own words.


def test_a_repayment_taken_off_payments_is_shown_as_a_repayment_not_as_money_paid_before_a_change(
    active, maker, checker
):
    deduct(active.plan, maker, checker)
    taken = list(ScheduleLine.objects.filter(plan=active.plan, amount__lt=0))
    assert len(taken) == 3 and {row.kind for row in taken} == {LineKind.RECLAIM}
    assert {row.get_kind_display() for row in taken} == {"Repayment taken off this payment"}
    assert not ScheduleLine.objects.filter(plan=active.plan, kind=LineKind.RECOVERY).exists()


# (a) A change after a repayment was taken off the next payments keeps the repayment.


@pytest.mark.parametrize("status", [LineStatus.SCHEDULED, LineStatus.PAID])
def test_recalculating_keeps_a_repayment_whole_and_never_counts_it_as_money_paid_ahead(status):
    old = rules.ScheduleFacts(
        start=datetime.date(2025, 1, 1),
        frequency="monthly",
        streams=(rules.Stream(rules.MoneyOption.DIRECT_PAYMENT, Decimal("12000.00")),),
    )
    lines = rules.schedule(old)
    april = next(line for line in lines if line.period_start == datetime.date(2025, 4, 1))
    taken = rules.Line(
        LineKind.RECLAIM,
        april.money_option,
        april.period_start,
        april.period_end,
        april.due_on,
        Decimal("-250.00"),
        note="£250.00 taken off this payment: part 1 of 1 of a reclaim of £250.00",
        status=status,
    )
    lines = [replace(line, status=status) if line == april else line for line in lines] + [taken]
    new = replace(old, streams=(rules.Stream(rules.MoneyOption.DIRECT_PAYMENT, Decimal("6000.00")),))
    on = datetime.date(2025, 4, 15)
    changed = rules.recalculate(lines, new, on)
    assert [line for line in changed if line.kind == LineKind.RECLAIM] == [taken]
    plan_money = [line for line in lines if line.kind != LineKind.RECLAIM]
    assert sum(line.amount for line in changed) == (
        rules.money_before(plan_money, on) + rules.money_from(rules.schedule(new), on) - Decimal("250.00")
    )
    assert not any(line.kind == LineKind.RECOVERY for line in changed)  # April's payment covers what it paid ahead


def test_a_change_to_the_plan_keeps_a_repayment_taken_off_the_next_payments(active, alice, priya, maker, checker):
    plan = active.plan
    deduct(plan, maker, checker)
    taken = repayment(plan)
    assert sum(amount for amount, *_ in taken.values()) == Decimal("-300.00")
    # The change starts 5 days into the period of the first payment the repayment comes off.
    on = min(period_start for _, _, period_start, _ in taken.values()) + 5 * DAY
    old = rule_lines(plan, leaving_out=taken)
    version = change_money(plan, alice, priya, on)

    after = {pk: line for pk, line in repayment(plan).items() if pk in taken}
    assert after == taken  # the same rows, unchanged: the agreed £300 is still taken off
    # The plan's money is the old plan's before the change and the new plan's from it, less the repayment.
    assert total(plan) == what_the_change_pays(old, version, on) - Decimal("300.00")
    assert ScheduleLine.objects.filter(plan=plan, period_start__gte=on, plan_version=version).exists()


def test_a_change_does_not_pay_back_a_repayment_already_taken_off_a_paid_payment(active, alice, priya, maker, checker):
    """A repayment taken off a payment already made is not money paid ahead for days of the plan: a change does
    not pay it back."""
    plan = active.plan
    deduct(plan, maker, checker, instalments=1)
    [taken] = ScheduleLine.objects.filter(plan=plan, amount__lt=0)
    run = services.run_create(due_by=taken.due_on, acting_user=maker)
    services.run_confirm(run=run, acting_user=checker)
    taken.refresh_from_db()
    assert taken.status == LineStatus.PAID
    on = taken.period_start + 3 * DAY  # within the period the repayment was taken off
    old = rule_lines(plan, leaving_out=[taken.pk])
    version = change_money(plan, alice, priya, on)
    assert total(plan) == what_the_change_pays(old, version, on) - Decimal("300.00")
    assert not any("more was paid back" in row.note for row in ScheduleLine.objects.filter(plan=plan))


# (a) A change with lines in a waiting payment run.


@pytest.mark.parametrize("decision", ["confirmed", "cancelled"])
def test_a_change_leaves_a_line_in_a_waiting_run_as_it_is_and_the_money_adds_up_whatever_the_run_becomes(
    active, alice, priya, maker, checker, decision
):
    plan = active.plan
    gathered = next_payment(plan, timezone.localdate())
    run = services.run_create(due_by=gathered.due_on, acting_user=maker)
    assert run.lines.filter(pk=gathered.pk).exists()
    in_run = {row.pk: (row.amount, row.period_start, row.period_end, row.status) for row in run.lines.all()}
    on = gathered.period_start + 10 * DAY  # the run pays the old amount for days the change pays less for
    old = rule_lines(plan)
    version = change_money(plan, alice, priya, on)

    # Nothing the run gathered changed (nor left the run), and the days it pays from the change are taken off
    # what the changed plan pays next.
    still = {row.pk: (row.amount, row.period_start, row.period_end, row.status) for row in run.lines.all()}
    assert still == in_run
    later = ScheduleLine.objects.filter(plan=plan, money_option="direct_payment", period_start__gte=on)
    assert any("taken off: it was paid before the plan changed" in row.note for row in later)
    expected = what_the_change_pays(old, version, on)
    assert total(plan) == expected

    if decision == "confirmed":
        services.run_confirm(run=run, acting_user=checker)
        gathered.refresh_from_db()
        assert gathered.status == LineStatus.PAID
    else:
        services.run_cancel(run=run, acting_user=checker)
        # The line is still to be paid at its amount, by the next run; the change already took it into account.
        gathered.refresh_from_db()
        assert (gathered.status, gathered.amount) == (LineStatus.SCHEDULED, in_run[gathered.pk][0])
        again = services.run_create(due_by=gathered.due_on, acting_user=maker)
        assert again.lines.filter(pk=gathered.pk).exists()
    assert total(plan) == expected


def test_a_change_that_pays_nothing_into_the_account_asks_back_what_a_waiting_run_pays_for_days_after_it(
    active, alice, priya, maker, checker
):
    plan = active.plan
    gathered = next_payment(plan, timezone.localdate())
    run = services.run_create(due_by=gathered.due_on, acting_user=maker)
    on = gathered.period_start + 10 * DAY
    old = rule_lines(plan)
    # The NHS arranges the personal assistant from the change: nothing more is paid into the account.
    version = change_money(plan, alice, priya, on, hours="8", money_option="notional")
    dp = ScheduleLine.objects.filter(plan=plan, money_option="direct_payment")
    [back] = dp.filter(kind=LineKind.RECOVERY)
    # The run pays 28 days; the 18 from the change are to be paid back.
    assert back.amount == -(gathered.amount - rules.split_line(services._as_rule_line(gathered), on)[0].amount)
    assert total(plan) == what_the_change_pays(old, version, on)
    services.run_cancel(run=run, acting_user=checker)
    # Cancelled, the line is still to be paid, and the recovery still takes its days after the change back:
    # the account gets the old amount for the days before the change, and nothing from it.
    gathered.refresh_from_db()
    assert gathered.status == LineStatus.SCHEDULED
    account = sum(row.amount for row in dp.filter(period_end__gte=gathered.period_start))
    assert account == rules.split_line(services._as_rule_line(gathered), on)[0].amount


# (a) A change with lines once in a cancelled payment run.


def test_a_change_succeeds_when_a_cancelled_run_gathered_its_lines_and_updates_them_where_they_stand(
    active, alice, priya, maker, checker
):
    plan = active.plan
    gathered = next_payment(plan, timezone.localdate())
    run = services.run_create(due_by=gathered.due_on, acting_user=maker)
    services.run_cancel(run=run, acting_user=checker)
    in_run = set(run.lines.values_list("pk", flat=True))
    on = gathered.period_start + 10 * DAY
    days_before, _ = rules.split_line(services._as_rule_line(gathered), on)
    old = rule_lines(plan)
    version = change_money(plan, alice, priya, on)

    # The cancelled run's record still has every line it gathered; the one the change starts in now pays the
    # old amount for the days before the change, and a new line pays the new amount from it.
    assert set(RunLine.objects.filter(run=run).values_list("line_id", flat=True)) == in_run
    gathered.refresh_from_db()
    assert (gathered.period_end, gathered.amount, gathered.status) == (
        on - DAY,
        days_before.amount,
        LineStatus.SCHEDULED,
    )
    assert ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT, period_start=on, plan_version=version)
    assert total(plan) == what_the_change_pays(old, version, on)
    # The next run gathers the changed lines; the cancelled one stays cancelled.
    again = services.run_create(due_by=on, acting_user=maker)
    assert again.lines.filter(pk=gathered.pk).exists()
    assert PaymentRun.objects.get(pk=run.pk).status == RunStatus.CANCELLED


def test_a_change_to_whom_the_money_is_paid_succeeds_when_a_cancelled_run_gathered_the_lines_it_replaces(
    active, alice, priya, maker, checker
):
    """A line the change replaces by one to another payee leaves the cancelled run's record, which paid nothing."""
    plan = active.plan
    first = ScheduleLine.objects.get(
        plan=plan, kind=LineKind.PAYMENT, period_start__lte=timezone.localdate(), period_end__gte=timezone.localdate()
    )
    second = next_payment(plan, timezone.localdate())
    run = services.run_create(due_by=second.due_on, acting_user=maker)
    assert run.lines.filter(pk=second.pk).exists()
    services.run_cancel(run=run, acting_user=checker)
    on = second.period_start  # the whole of the second period is paid to the new recipient
    old = rule_lines(plan)
    version = change_money(plan, alice, priya, on, recipient="Sam Smith")

    assert not ScheduleLine.objects.filter(pk=second.pk).exists()
    assert not RunLine.objects.filter(line_id=second.pk).exists()
    assert RunLine.objects.filter(run=run, line_id=first.pk).exists()  # the lines it keeps stay in its record
    new = ScheduleLine.objects.get(plan=plan, kind=LineKind.PAYMENT, period_start=on)
    assert (new.payee, new.plan_version_id) == ("Sam Smith", version.pk)
    assert total(plan) == what_the_change_pays(old, version, on)


# (b) Resuming a hold leaves the lines a stopping of direct payments holds.


def _stop(plan, maker, checker, effective_on):
    action = reclaims.propose_stop(
        plan=plan,
        effective_on=effective_on,
        after_stopping="notional",
        reasons="Money spent on a holiday.",
        acting_user=maker,
    )
    done = reclaims.decide(
        action=past_respond_by(action), agree=True, decision_reasons="Not used as agreed.", acting_user=checker
    )
    assert done.status == ActionStatus.AGREED
    return "Direct payments stopped from"


def test_resuming_a_hold_made_after_a_stopping_keeps_the_stoppings_lines_held(active, alice, maker, checker):
    plan = active.plan
    stop_on = next_payment(plan, reclaims.respond_by_for(timezone.localdate())).period_start + 3 * DAY
    stopped = _stop(plan, maker, checker, stop_on)
    held_by_stop = set(
        ScheduleLine.objects.filter(plan=plan, hold_reason__startswith=stopped).values_list("pk", flat=True)
    )
    assert held_by_stop
    hold = holds.hold_payments(plan=plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice)
    holds.resume_payments(suspension=hold, resumes_on=timezone.localdate() + 7 * DAY, acting_user=alice)

    dp = ScheduleLine.objects.filter(plan=plan, money_option="direct_payment", period_end__gte=stop_on)
    assert dp.exists() and not dp.exclude(status=LineStatus.HELD).exists()  # no direct payment from the stop
    assert (
        set(
            ScheduleLine.objects.filter(plan=plan, status=LineStatus.HELD, hold_reason__startswith=stopped).values_list(
                "pk", flat=True
            )
        )
        == held_by_stop
    )
    # The hold's own lines from the day payments resume are released: the notional commitments, and the
    # direct payments before the stop.
    released = ScheduleLine.objects.filter(
        plan=plan, period_start__gte=timezone.localdate() + 7 * DAY, period_end__lt=stop_on
    )
    assert released.exists() and not released.filter(status=LineStatus.HELD).exists()


def test_resuming_a_hold_made_before_a_stopping_keeps_the_stoppings_lines_held(active, alice, maker, checker):
    """The stopping holds the lines the hold held already from its date, so resuming the hold pays none of them,
    not even the held days paid after all."""
    plan = active.plan
    hold = holds.hold_payments(plan=plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice)
    stop_on = next_payment(plan, reclaims.respond_by_for(timezone.localdate())).period_start + 3 * DAY
    stopped = _stop(plan, maker, checker, stop_on)
    held_by_stop = ScheduleLine.objects.filter(plan=plan, hold_reason__startswith=stopped)
    assert held_by_stop.exists()
    assert not held_by_stop.exclude(money_option__in=["direct_payment", "third_party"]).exists()
    assert not held_by_stop.filter(period_start__lt=stop_on).exists()
    holds.resume_payments(
        suspension=hold, resumes_on=timezone.localdate() + 7 * DAY, acting_user=alice, pay_held_days=True
    )

    dp = ScheduleLine.objects.filter(plan=plan, money_option="direct_payment", period_end__gte=stop_on)
    assert dp.exists() and not dp.exclude(status=LineStatus.HELD, hold_reason__startswith=stopped).exists()
    before_stop = ScheduleLine.objects.filter(plan=plan, period_start__gte=timezone.localdate(), period_end__lt=stop_on)
    assert before_stop.exists() and not before_stop.filter(status=LineStatus.HELD).exists()
    notional = ScheduleLine.objects.filter(plan=plan, money_option="notional", period_start__gte=timezone.localdate())
    assert not notional.filter(status=LineStatus.HELD).exists()
