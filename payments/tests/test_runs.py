"""The schedule written when a plan starts, and payment runs: four eyes, each line paid exactly once, the ledger."""

import csv
import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from careplans.tests.factories import approved_change, approved_plan
from payments import access, services, triggers
from payments.models import PaymentRun, RunLine, RunStatus, ScheduleLine
from payments.rules import LineKind, LineStatus
from people.tests.factories import PersonFactory, UserFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent
from phb.roles import Role
from tests.page_data import finance


def test_a_plan_that_becomes_active_gets_its_schedule_and_its_year_adds_up_to_the_annual_amount(active):
    lines = list(ScheduleLine.objects.filter(plan=active.plan))
    assert lines and {line.plan_version_id for line in lines} == {active.pk}
    assert all(line.status == LineStatus.SCHEDULED for line in lines)
    regular = [line for line in lines if line.kind != LineKind.ONE_OFF]
    annual = services.facts_for(active, year_start=active.start_date).agreed_annual
    assert sum(line.amount for line in lines) == annual
    # 4-weekly from the start date, paid in advance: due on each period's first day.
    dp = sorted((line for line in regular if line.money_option == "direct_payment"), key=lambda line: line.due_on)
    assert dp[0].due_on == active.start_date and dp[1].due_on == active.start_date + datetime.timedelta(days=28)
    assert AuditEvent.objects.filter(action=AuditAction.SCHEDULE_PAYMENTS, object_id=str(active.pk)).exists()


def test_a_change_that_starts_replaces_the_unpaid_lines_from_its_start_and_never_touches_paid_ones(
    active, alice, priya, maker, checker
):
    run = services.run_create(due_by=datetime.date(2026, 6, 1), acting_user=maker)
    services.run_confirm(run=run, acting_user=checker)
    paid_before = {
        line.pk: (line.amount, line.period_start) for line in ScheduleLine.objects.filter(status=LineStatus.PAID)
    }
    assert paid_before
    change = approved_change(plan=active.plan, coordinator=alice, approver=priya, start=timezone.localdate())
    assert change.status == "active"
    after = list(ScheduleLine.objects.filter(plan=active.plan))
    # The paid lines are the same rows, unchanged.
    paid_after = {line.pk: (line.amount, line.period_start) for line in after if line.status == LineStatus.PAID}
    assert paid_after == paid_before
    # Lines from the change's start are the new version's.
    assert {line.plan_version_id for line in after if line.period_start >= timezone.localdate()} == {change.pk}


def test_a_paid_line_cannot_be_changed_or_deleted_even_outside_the_services(active, maker, checker):
    services.run_confirm(run=services.run_create(due_by=timezone.localdate(), acting_user=maker), acting_user=checker)
    paid = ScheduleLine.objects.filter(status=LineStatus.PAID).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleLine.objects.filter(pk=paid.pk).update(amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleLine.objects.filter(pk=paid.pk).update(status=LineStatus.SCHEDULED, paid_in=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleLine.objects.filter(pk=paid.pk).delete()
    assert triggers.PAID == LineStatus.PAID


def test_a_run_gathers_what_is_due_by_its_day_and_a_second_person_confirms_it(active, maker, checker):
    due = ScheduleLine.objects.to_pay(due_by=timezone.localdate())
    expected = (due.count(), sum(line.amount for line in due))
    run = services.run_create(due_by=timezone.localdate(), acting_user=maker)
    assert run.status == RunStatus.WAITING and run.lines.count() == expected[0]
    with pytest.raises(ServiceError, match="Someone else"):
        services.run_confirm(run=run, acting_user=maker)
    run = services.run_confirm(run=run, acting_user=checker)
    assert (run.status, run.paid_count, run.paid_total) == (RunStatus.CONFIRMED, *expected)
    assert not ScheduleLine.objects.to_pay(due_by=timezone.localdate()).exists()
    with pytest.raises(ServiceError, match="already confirmed"):
        services.run_confirm(run=run, acting_user=checker)
    with pytest.raises(ServiceError, match="Nothing is due"):
        services.run_create(due_by=timezone.localdate(), acting_user=maker)


def test_a_line_in_a_waiting_run_is_not_gathered_again_and_a_cancelled_runs_lines_wait_for_the_next(
    active, maker, checker
):
    first = services.run_create(due_by=timezone.localdate(), acting_user=maker)
    with pytest.raises(ServiceError, match="Nothing is due"):
        services.run_create(due_by=timezone.localdate(), acting_user=maker)
    services.run_cancel(run=first, acting_user=checker)
    again = services.run_create(due_by=timezone.localdate(), acting_user=maker)
    assert set(again.lines.values_list("pk", flat=True)) == set(first.lines.values_list("pk", flat=True))


def test_only_the_phb_team_with_the_finance_permission_may_make_or_confirm_runs(active, alice, priya, maker):
    assert not access.may_run_payments(alice) and "Only the PHB team" in access.run_refusal(alice)
    plain = UserFactory(username="pam", role=Role.APPROVER)
    assert "finance permission" in access.run_refusal(plain)
    with pytest.raises(ServiceError, match="finance permission"):
        services.run_create(due_by=timezone.localdate(), acting_user=plain)
    run = services.run_create(due_by=timezone.localdate(), acting_user=maker)
    with pytest.raises(ServiceError, match="finance permission"):
        services.run_confirm(run=run, acting_user=plain)
    assert PaymentRun.objects.get(pk=run.pk).status == RunStatus.WAITING


def test_a_run_cannot_reach_more_than_its_days_ahead(active, maker):
    with pytest.raises(ServiceError, match="35 days ahead"):
        services.run_create(
            due_by=timezone.localdate() + datetime.timedelta(days=services.RUN_AHEAD_DAYS + 1), acting_user=maker
        )
    assert not PaymentRun.objects.exists()


def test_the_ledger_csv_has_a_row_for_each_payment_with_no_bank_details_and_no_formulas(
    north, alice, priya, maker, checker
):
    person = PersonFactory(given_name="Al", family_name="Formula", care_team=north, lead_coordinator=alice)
    version = approved_plan(person=person, coordinator=alice, approver=priya)
    ScheduleLine.objects.filter(plan=version.plan).update(payee="=HYPERLINK(1)")
    run = services.run_confirm(
        run=services.run_create(due_by=timezone.localdate(), acting_user=maker), acting_user=checker
    )
    rows = list(csv.reader(io.StringIO(services.ledger_csv(run))))
    assert tuple(rows[0]) == services.LEDGER_COLUMNS
    assert len(rows) - 1 == run.paid_count
    assert sum(Decimal(row[8]) for row in rows[1:]) == run.paid_total
    assert all(row[2] == "'=HYPERLINK(1)" for row in rows[1:])
    assert all(row[1].startswith("PHB-") for row in rows[1:])


@pytest.mark.django_db(transaction=True)
def test_two_runs_confirmed_at_the_same_moment_pay_each_line_exactly_once(north, alice, priya, leo):
    maker, checker = finance(priya), finance(leo)
    other_checker = finance(UserFactory(username="fin", role=Role.APPROVER))
    person = PersonFactory(given_name="Ty", family_name="Twice", care_team=north, lead_coordinator=alice)
    approved_plan(person=person, coordinator=alice, approver=priya)
    first = services.run_create(due_by=timezone.localdate(), acting_user=maker)
    # A second run over the same lines (as two people making runs at once could): made directly.
    second = PaymentRun.objects.create(due_by=timezone.localdate(), created_by=maker)
    RunLine.objects.bulk_create(RunLine(run=second, line=line) for line in first.lines.all())
    lines = first.lines.count()
    assert lines > 1
    start = threading.Barrier(2)
    results, errors = {}, []

    def confirm(run, user):
        try:
            start.wait(timeout=10)
            results[run.pk] = services.run_confirm(run=run, acting_user=user).paid_count
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm, args=(first, checker)),
        threading.Thread(target=confirm, args=(second, other_checker)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(results.values()) == [0, lines]  # one run paid them all, the other found nothing left to pay
    paid = ScheduleLine.objects.filter(status=LineStatus.PAID)
    assert paid.count() == lines and paid.values("paid_in").distinct().count() == 1
