"""Providers' invoices against notional money (the NHS holds the money and arranges the support), and what each
provider item has committed against what it has invoiced.

Who may: a member of the PHB team (an approver or the lead) records an invoice and, by recording it, approves it
(Invoice.approved_by). Coordinators see the invoices on the plan's payments page but may not approve them: the
money is the NHS's, so the PHB team signs it off.

Which items: a notional item of the version in force (careplans marks each item's money option,
SupportItem.money_option; notional money is MoneyOption.NOTIONAL). A direct payment or a third party's money is
accounted for by their statements instead.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from careplans.models import PlanVersion, SupportItem, SupportPlan
from careplans.rules import MoneyOption
from payments.models import Invoice, ScheduleLine
from payments.rules import LineStatus
from payments.services import first_year_start
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import MAX_AMOUNT, pounds, round_pounds
from phb.roles import is_phb_team
from phb.words import long_date

MONEY = DecimalField(max_digits=14, decimal_places=2)


def notional_items(plan: SupportPlan, *, on: datetime.date | None = None):
    """The notional items of the plan's version in force, each with what is committed to it (the schedule's lines
    for it that are not held) and what has been invoiced against it: one query."""
    on = on or timezone.localdate()
    in_force = PlanVersion.objects.in_force(on=on).filter(plan=plan).order_by("-number").values("pk")[:1]
    committed = (
        ScheduleLine.objects.filter(plan=plan, item_key=OuterRef("key"), money_option=MoneyOption.NOTIONAL)
        .exclude(status=LineStatus.HELD)
        .values("item_key")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    invoiced = (
        Invoice.objects.filter(plan=plan, item_key=OuterRef("key"))
        .values("item_key")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    zero = Value(Decimal("0.00"), output_field=MONEY)
    return (
        SupportItem.objects.filter(plan_version=Subquery(in_force), money_option=MoneyOption.NOTIONAL)
        .annotate(
            committed=Coalesce(Subquery(committed, output_field=MONEY), zero),
            invoiced=Coalesce(Subquery(invoiced, output_field=MONEY), zero),
        )
        .order_by("created_at", "id")
    )


def invoice_refusal(user, plan: SupportPlan, items) -> str:
    """Why the user may not record an invoice for the plan ("" when they may): a member of the PHB team, and the
    version in force has notional items (`items`, from notional_items). The schedule page shows its button
    exactly when this is ""; the service asks it again."""
    if not is_phb_team(user):
        return "Only the PHB team can record and approve a provider's invoice."
    if not items:
        return "This plan has no support arranged by the NHS (a notional budget) in force to record invoices against."
    return ""


def _problems(*, item, provider, period_start, period_end, amount, first_day) -> dict:
    errors = {}
    if item is None:
        errors["item_key"] = "Select the support the invoice is for"
    if not provider:
        errors["provider"] = "Enter the provider's name"
    if period_end < period_start:
        errors["period_end"] = "The end of the period must be on or after its start"
    today = timezone.localdate()
    if period_start > today:
        errors["period_start"] = "The invoice must be for support that has started: enter today or earlier"
    elif first_day and period_start < first_day:
        errors["period_start"] = f"The plan started on {long_date(first_day)}: enter that date or later"
    if not isinstance(amount, Decimal) or not amount.is_finite() or round_pounds(amount) != amount:
        errors["amount"] = "Enter the amount in pounds and pence, for example 120.50"
    elif not Decimal("0") < amount <= MAX_AMOUNT:
        errors["amount"] = f"The amount must be more than £0 and no more than £{MAX_AMOUNT:,.0f}"
    return errors


@transaction.atomic
def record_invoice(
    *,
    plan: SupportPlan,
    item_key,
    provider: str,
    reference: str,
    period_start: datetime.date,
    period_end: datetime.date,
    amount: Decimal,
    acting_user,
) -> Invoice:
    """Record a provider's invoice against a notional item of the version in force, approved by the member of the
    PHB team recording it. The same invoice number from the same provider is recorded once."""
    SupportPlan.objects.select_for_update().filter(pk=plan.pk).first()  # two of the same invoice: one waits
    items = list(notional_items(plan))
    refusal = invoice_refusal(acting_user, plan, items)
    if refusal:
        raise ServiceError(refusal)
    item = next((item for item in items if str(item.key) == str(item_key)), None)
    provider, reference = (provider or "").strip(), (reference or "").strip()
    first_day = first_year_start(plan)
    errors = _problems(
        item=item,
        provider=provider,
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        first_day=first_day,
    )
    if errors:
        raise ValidationError(errors)
    if reference:
        before = Invoice.objects.filter(plan=plan, provider__iexact=provider, reference__iexact=reference).first()
        if before is not None:
            raise ValidationError(
                {
                    "reference": f"Invoice {before.reference} from {before.provider} was recorded on "
                    f"{long_date(before.approved_at)}. Check the invoice number"
                }
            )
    invoice = Invoice(
        plan=plan,
        item_key=item.key,
        provider=provider[:200],
        reference=reference[:100],
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        approved_by=acting_user,
    )
    invoice.full_clean()
    invoice.save()
    audit.record(
        actor=acting_user,
        action=AuditAction.RECORD_INVOICE,
        obj=invoice,
        person_id=plan.person_id,
        summary=f"Recorded and approved an invoice from {provider[:60]} for {item.description[:60]}: "
        f"{pounds(amount)}, {long_date(period_start)} to {long_date(period_end)}",
    )
    return invoice
