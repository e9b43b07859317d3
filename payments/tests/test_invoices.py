"""Providers' invoices against notional money: recorded and approved by the PHB team, only for a notional item of
the version in force, and shown against what is committed on the plan's payments page."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from careplans.rules import MoneyOption
from payments import invoices
from payments.models import Invoice, ScheduleLine
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent

DAY = datetime.timedelta(days=1)


def _item(active, option=MoneyOption.NOTIONAL, description="Taxi to choir"):
    return active.items.get(money_option=option, description=description)


def _record(active, user, **changes):
    item = _item(active)
    values = {
        "plan": active.plan,
        "item_key": item.key,
        "provider": "Leeds Taxis",
        "reference": "INV-001",
        "period_start": timezone.localdate() - 28 * DAY,
        "period_end": timezone.localdate() - DAY,
        "amount": Decimal("96.00"),
        "acting_user": user,
        **changes,
    }
    return invoices.record_invoice(**values)


def test_a_phb_team_member_records_and_approves_an_invoice_against_a_notional_item(active, priya):
    invoice = _record(active, priya)
    assert (invoice.approved_by, invoice.item_key, invoice.amount) == (priya, _item(active).key, Decimal("96.00"))
    event = AuditEvent.objects.get(action=AuditAction.RECORD_INVOICE, object_id=str(invoice.pk))
    assert event.person_id == active.plan.person_id and "£96.00" in event.summary


def test_committed_and_invoiced_are_added_up_for_each_notional_item(active, priya, leo):
    _record(active, priya)
    _record(active, leo, reference="INV-002", amount=Decimal("4.50"))
    taxi = next(item for item in invoices.notional_items(active.plan) if item.description == "Taxi to choir")
    committed = sum(
        line.amount
        for line in ScheduleLine.objects.filter(plan=active.plan, item_key=taxi.key, money_option="notional")
    )
    assert (taxi.committed, taxi.invoiced) == (committed, Decimal("100.50"))
    seat = next(item for item in invoices.notional_items(active.plan) if item.description == "Shower seat")
    assert (seat.committed, seat.invoiced) == (Decimal("85.00"), Decimal("0.00"))


def test_only_notional_items_of_the_version_in_force_take_invoices(active, priya):
    direct = _item(active, MoneyOption.DIRECT_PAYMENT, "Personal assistant")
    with pytest.raises(ValidationError) as refused:
        _record(active, priya, item_key=direct.key)
    assert "item_key" in refused.value.message_dict
    assert {item.money_option for item in invoices.notional_items(active.plan)} == {MoneyOption.NOTIONAL}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"amount": Decimal("0.00")}, "amount"),
        ({"amount": Decimal("-5.00")}, "amount"),
        ({"amount": Decimal("1.005")}, "amount"),
        ({"amount": Decimal("5000000.01")}, "amount"),
        ({"provider": "  "}, "provider"),
        ({"period_start": timezone.localdate(), "period_end": timezone.localdate() - DAY}, "period_end"),
        ({"period_start": timezone.localdate() + DAY, "period_end": timezone.localdate() + 2 * DAY}, "period_start"),
        ({"period_start": datetime.date(2026, 3, 1)}, "period_start"),  # before the plan started
    ],
)
def test_amounts_and_periods_are_checked(active, priya, changes, field):
    with pytest.raises(ValidationError) as refused:
        _record(active, priya, **changes)
    assert field in refused.value.message_dict
    assert not Invoice.objects.exists()


def test_the_same_invoice_number_from_the_same_provider_is_recorded_once(active, priya, leo):
    _record(active, priya)
    with pytest.raises(ValidationError, match="was recorded on"):
        _record(active, leo, provider="leeds taxis", reference="inv-001")
    assert Invoice.objects.count() == 1


def test_coordinators_may_not_approve_invoices(active, alice):
    assert "Only the PHB team" in invoices.invoice_refusal(
        alice, active.plan, list(invoices.notional_items(active.plan))
    )
    with pytest.raises(ServiceError, match="Only the PHB team"):
        _record(active, alice)
    assert not Invoice.objects.exists()


# The pages ---------------------------------------------------------------------------------------------------


def _form(active, item=None, **changes):
    item = item or _item(active)
    start, end = timezone.localdate() - 28 * DAY, timezone.localdate() - DAY
    return {
        "item_key": str(item.key),
        "provider": "Leeds Taxis",
        "reference": "INV-9",
        "period_start_day": start.day,
        "period_start_month": start.month,
        "period_start_year": start.year,
        "period_end_day": end.day,
        "period_end_month": end.month,
        "period_end_year": end.year,
        "amount": "£96.00",
        **changes,
    }


def test_the_phb_team_records_an_invoice_from_the_plans_payments_page(client, active, priya):
    schedule = reverse("payments:schedule", kwargs={"plan_id": active.plan_id})
    client.force_login(priya)
    page = client.get(schedule).content.decode()
    url = reverse("payments:invoice", kwargs={"plan_id": active.plan_id})
    assert url in page and 'data-testid="commitments"' in page
    response = client.post(url, _form(active))
    assert response.status_code == 302, response.content.decode()
    assert response.url == schedule
    assert Invoice.objects.get().approved_by == priya
    page = client.get(schedule).content.decode()
    assert "£96.00" in page and "Invoice from Leeds Taxis for £96.00 recorded." in page


def test_the_invoice_form_says_what_to_fix(client, active, priya):
    client.force_login(priya)
    url = reverse("payments:invoice", kwargs={"plan_id": active.plan_id})
    response = client.post(url, _form(active, amount="", provider=""))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the amount of the invoice" in page and "Enter the provider&#x27;s name" in page
    assert not Invoice.objects.exists()


def test_a_coordinator_sees_commitments_but_no_invoice_button_and_the_form_is_refused(client, active, alice):
    client.force_login(alice)
    page = client.get(reverse("payments:schedule", kwargs={"plan_id": active.plan_id})).content.decode()
    url = reverse("payments:invoice", kwargs={"plan_id": active.plan_id})
    assert 'data-testid="commitments"' in page and url not in page
    assert client.get(url).status_code == 404
    assert client.post(url, _form(active)).status_code == 404
    assert not Invoice.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=alice).count() == 2


def test_an_outsider_is_refused_the_invoice_page(client, active, charlie, pat):
    url = reverse("payments:invoice", kwargs={"plan_id": active.plan_id})
    for outsider in (charlie, pat):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, _form(active)).status_code == 404
    assert not Invoice.objects.exists()


def test_the_pages_run_at_most_8_queries(client, active, alice, priya, django_assert_max_num_queries):
    from payments import holds

    hold = holds.hold_payments(
        plan=active.plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=alice
    )
    _record(active, priya)
    client.force_login(priya)
    for url in (
        reverse("payments:schedule", kwargs={"plan_id": active.plan_id}),
        reverse("payments:hold", kwargs={"plan_id": active.plan_id}),
        reverse("payments:resume", kwargs={"pk": hold.pk}),
        reverse("payments:invoice", kwargs={"plan_id": active.plan_id}),
    ):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200
