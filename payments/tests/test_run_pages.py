"""The payment pages: the runs list and its form, a run with its buttons, the ledger download, a plan's payments."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans.rules import MoneyOption
from payments import services
from payments.models import PaymentRun, RunStatus, ScheduleLine
from payments.rules import LineStatus
from people.tests.factories import UserFactory
from phb.models import AuditAction, AuditEvent
from phb.money import pounds
from phb.roles import Role


@pytest.fixture
def run(active, maker):
    return services.run_create(due_by=timezone.localdate(), acting_user=maker)


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def text(response) -> str:
    return response.content.decode()


def date_form(day) -> dict:
    return {"due_by_day": str(day.day), "due_by_month": str(day.month), "due_by_year": str(day.year)}


# The list of runs


def test_it_shows_the_runs_to_the_phb_team_read_only_without_the_permission(client, run, priya, leo):
    response = page(client, leo, reverse("payments:runs"))
    assert response.status_code == 200
    html = text(response)
    assert f"Payment run {run.pk}" in html and "Waiting for a second person to confirm" in html
    assert "Priya Patel" in html
    assert 'data-testid="new-run"' not in html and "finance permission" in html


def test_it_refuses_the_runs_to_coordinators_and_patients(client, run, alice, charlie, pat):
    for user in (alice, charlie, pat):
        client.force_login(user)
        assert client.get(reverse("payments:runs")).status_code == 404
        assert client.get(reverse("payments:run", kwargs={"pk": run.pk})).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=alice).count() == 2


def test_it_shows_the_form_to_make_a_run_only_with_the_permission(client, maker, leo):
    assert 'data-testid="new-run"' in text(page(client, maker, reverse("payments:runs")))
    assert 'data-testid="new-run"' not in text(page(client, leo, reverse("payments:runs")))


def test_the_header_links_to_payments_for_the_phb_team_only(client, priya, alice):
    assert 'data-testid="nav-payments"' in text(page(client, priya, reverse("casework:home")))
    assert 'data-testid="nav-payments"' not in text(page(client, alice, reverse("casework:home")))


# Making a run


def test_it_makes_a_run_of_everything_due_and_says_so(client, active, maker):
    due = ScheduleLine.objects.to_pay(due_by=timezone.localdate())
    count, total = due.count(), sum(line.amount for line in due)
    client.force_login(maker)
    response = client.post(reverse("payments:runs"), date_form(timezone.localdate()))
    made = PaymentRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("payments:run", kwargs={"pk": made.pk})
    assert made.status == RunStatus.WAITING and made.created_by == maker and made.lines.count() == count
    assert f"Payment run {made.pk} made: {count} payments, {pounds(total)}" in text(client.get(response.url))


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"due_by_day": "31", "due_by_month": "2", "due_by_year": "2026"}, "must be a real date"),
        ({"due_by_day": "ab", "due_by_month": "cd", "due_by_year": "efgh"}, "must be a real date"),
        ({"due_by_day": "", "due_by_month": "", "due_by_year": ""}, "Enter the date to pay up to"),
        ({"due_by_day": "1", "due_by_month": "", "due_by_year": "2026"}, "must include a month"),
        (date_form(timezone.localdate() + datetime.timedelta(days=services.RUN_AHEAD_DAYS + 1)), "35 days ahead"),
        (date_form(datetime.date(2000, 1, 1)), "Nothing is due to be paid on or before 1 January 2000"),
    ],
)
def test_a_date_that_will_not_do_is_refused_with_a_clear_message_and_no_run(client, active, maker, sent, message):
    client.force_login(maker)
    response = client.post(reverse("payments:runs"), sent)
    assert response.status_code == 200
    html = text(response)
    assert "There is a problem" in html and message in html
    assert not PaymentRun.objects.exists()


def test_someone_without_the_permission_cannot_make_a_run(client, active, leo):
    client.force_login(leo)
    response = client.post(reverse("payments:runs"), date_form(timezone.localdate()))
    assert response.status_code == 302
    assert "finance permission" in text(client.get(response.url))
    assert not PaymentRun.objects.exists()


# A run, confirmed or cancelled by someone else


def test_the_maker_sees_no_buttons_and_is_told_someone_else_must_confirm(client, run, maker):
    html = text(page(client, maker, reverse("payments:run", kwargs={"pk": run.pk})))
    assert "Confirm and pay" not in html and "Cancel this run" not in html
    assert "Someone else in the PHB team who handles payments must confirm or cancel a run you made." in html
    response = client.post(reverse("payments:confirm", kwargs={"pk": run.pk}))
    assert response.status_code == 302
    assert "Someone else in the PHB team who handles payments must confirm or cancel a run you made." in text(
        client.get(response.url)
    )
    run.refresh_from_db()
    assert run.status == RunStatus.WAITING


def test_a_phb_team_member_without_the_permission_sees_why_and_no_buttons(client, run, leo):
    html = text(page(client, leo, reverse("payments:run", kwargs={"pk": run.pk})))
    assert "Confirm and pay" not in html and "finance permission" in html


def test_another_finance_user_confirms_and_the_lines_are_paid(client, run, checker):
    gathered = list(run.lines.values_list("pk", flat=True))
    total = sum(line.amount for line in run.lines.all())
    html = text(page(client, checker, reverse("payments:run", kwargs={"pk": run.pk})))
    assert "Confirm and pay" in html and "Cancel this run" in html and "Download the ledger file" not in html
    response = client.post(reverse("payments:confirm", kwargs={"pk": run.pk}))
    assert response.status_code == 302
    html = text(client.get(response.url))
    assert f"Payment run {run.pk} confirmed: {len(gathered)} payments, {pounds(total)}" in html
    assert "Confirm and pay" not in html and "Download the ledger file (CSV)" in html
    assert "Confirmed and paid" in html
    paid = ScheduleLine.objects.filter(pk__in=gathered)
    assert {line.status for line in paid} == {LineStatus.PAID} and {line.paid_in_id for line in paid} == {run.pk}


def test_another_finance_user_cancels_and_the_lines_wait_for_the_next_run(client, run, checker):
    client.force_login(checker)
    response = client.post(reverse("payments:cancel", kwargs={"pk": run.pk}))
    assert f"Payment run {run.pk} cancelled" in text(client.get(response.url))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED and run.decided_by == checker
    assert not ScheduleLine.objects.filter(status=LineStatus.PAID).exists()
    # Already cancelled: confirming says who cancelled it, and changes nothing.
    response = client.post(reverse("payments:confirm", kwargs={"pk": run.pk}))
    assert "already cancelled" in text(client.get(response.url))


def test_the_run_page_shows_its_totals_by_money_option_and_its_lines(client, run, checker):
    html = text(page(client, checker, reverse("payments:run", kwargs={"pk": run.pk})))
    assert "Direct payment" in html and "Sarah Smith" in html
    for option, total in services.totals_by_option(run).items():
        assert pounds(total) in html, option


# The ledger


def test_the_ledger_is_a_csv_of_the_confirmed_run_and_its_download_is_audited(client, run, checker):
    services.run_confirm(run=run, acting_user=checker)
    client.force_login(checker)
    response = client.get(reverse("payments:ledger", kwargs={"pk": run.pk}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="payment-run-{run.pk}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == services.LEDGER_COLUMNS and len(rows) == run.lines.count() + 1
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_id=str(run.pk))
    assert event.actor == checker and f"payment run {run.pk}" in event.summary


def test_the_ledger_is_refused_without_the_permission(client, run, checker, leo):
    services.run_confirm(run=run, acting_user=checker)
    plain = UserFactory(username="pam", role=Role.APPROVER)
    for user in (plain, UserFactory(username="cara", role=Role.COORDINATOR)):
        client.force_login(user)
        assert client.get(reverse("payments:ledger", kwargs={"pk": run.pk})).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_waiting_run_has_no_ledger_yet(client, run, checker):
    client.force_login(checker)
    response = client.get(reverse("payments:ledger", kwargs={"pk": run.pk}))
    assert response.status_code == 302
    assert "Only a confirmed payment run has payments for the ledger." in text(client.get(response.url))
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


# A plan's payments


def test_the_plan_page_lists_its_payments_with_what_is_paid_still_to_pay_and_committed_to_providers(
    client, active, maker, checker, alice
):
    services.run_confirm(run=services.run_create(due_by=timezone.localdate(), acting_user=maker), acting_user=checker)
    lines = ScheduleLine.objects.filter(plan=active.plan)
    paid = sum(line.amount for line in lines if line.status == LineStatus.PAID)
    total = sum(line.amount for line in lines)
    committed = sum(line.amount for line in lines if line.money_option == MoneyOption.NOTIONAL)
    assert paid and committed, "the plan has money paid into an account and notional money"
    # The run paid no notional line: the NHS pays providers against their invoices.
    assert not lines.filter(money_option=MoneyOption.NOTIONAL, status=LineStatus.PAID).exists()
    response = page(client, alice, reverse("payments:schedule", kwargs={"plan_id": active.plan_id}))
    assert response.status_code == 200
    html = text(response)
    assert (
        f"{pounds(paid)} paid so far, {pounds(total - paid - committed)} still to pay this plan year. "
        f"{pounds(committed)} is committed to providers the NHS pays against their invoices."
    ) in html
    assert pounds(total) in html and "Paid in payment run" in html and "To be paid" in html and "Committed" in html
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=alice, object_id=str(active.plan_id), person_id=active.plan.person_id
    ).exists()


def test_the_plan_page_says_when_nothing_is_scheduled_yet(client, active, alice):
    ScheduleLine.objects.filter(plan=active.plan).delete()
    html = text(page(client, alice, reverse("payments:schedule", kwargs={"plan_id": active.plan_id})))
    assert "No payments are scheduled yet: they are worked out when the plan becomes active." in html


def test_the_plan_page_is_refused_to_a_coordinator_of_another_team(client, active, charlie):
    response = page(client, charlie, reverse("payments:schedule", kwargs={"plan_id": active.plan_id}))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=charlie, person_id=active.plan.person_id
    ).exists()


def test_the_plan_version_page_links_to_the_plans_payments(client, active, alice):
    html = text(page(client, alice, reverse("careplans:version", kwargs={"pk": active.pk})))
    assert reverse("payments:schedule", kwargs={"plan_id": active.plan_id}) in html
    assert "Payments for this plan" in html
