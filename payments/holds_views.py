"""Pages to hold and resume a plan's payments and to record a provider's invoice, each reached from the plan's
payments page (payments.views.plan_schedule), which shows their buttons exactly when payments.holds.hold_refusal
and payments.invoices.invoice_refusal allow. Every write is a service that asks them again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careplans import access as plan_access
from payments import holds, invoices
from payments.holds_forms import HoldForm, InvoiceForm, ResumeForm
from people.access import require_staff
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.money import pounds
from phb.once import once
from phb.refusals import refuse_role
from phb.roles import is_phb_team
from phb.words import long_date

SERVICE_ERRORS = (ValidationError, ServiceError)


def _plan_for(request, plan_id):
    require_staff(request.user)
    return plan_access.get_plan_for_user(request.user, plan_id)


@require_http_methods(["GET", "POST"])
@once
def hold(request, plan_id):
    plan = _plan_for(request, plan_id)
    if holds.hold_refusal(request.user, plan):
        refuse_role()
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            held = holds.hold_payments(
                plan=plan,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                acting_user=request.user,
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            until = f" until {long_date(held.ends_on)}" if held.ends_on else ""
            messages.success(request, f"Payments held from {long_date(held.starts_on)}{until}.")
            return redirect("payments:schedule", plan_id=plan.pk)
    return render(request, "payments/holds/hold.html", {"form": form, "plan": plan, "person": plan.person})


@require_http_methods(["GET", "POST"])
@once
def resume(request, pk):
    require_staff(request.user)
    suspension = holds.get_suspension_for_user(request.user, pk)
    plan = suspension.plan
    if holds.hold_refusal(request.user, plan):
        refuse_role()
    if suspension.resumed_at is not None:
        messages.info(request, f"Payments held from {long_date(suspension.starts_on)} have already been resumed.")
        return redirect("payments:schedule", plan_id=plan.pk)
    form = ResumeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resumed = holds.resume_payments(
                suspension=suspension,
                resumes_on=form.cleaned_data["resumes_on"],
                pay_held_days=form.cleaned_data["pay_held_days"],
                acting_user=request.user,
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Payments resume from {long_date(resumed.ends_on)}.")
            return redirect("payments:schedule", plan_id=plan.pk)
    context = {"form": form, "plan": plan, "person": plan.person, "suspension": suspension}
    return render(request, "payments/holds/resume.html", context)


@require_http_methods(["GET", "POST"])
@once
def invoice(request, plan_id):
    plan = _plan_for(request, plan_id)
    if not is_phb_team(request.user):
        refuse_role()
    items = list(invoices.notional_items(plan))
    refusal = invoices.invoice_refusal(request.user, plan, items)
    if refusal:
        messages.error(request, refusal)
        return redirect("payments:schedule", plan_id=plan.pk)
    form = InvoiceForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = invoices.record_invoice(plan=plan, acting_user=request.user, **data)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Invoice from {recorded.provider} for {pounds(recorded.amount)} recorded.")
            return redirect("payments:schedule", plan_id=plan.pk)
    return render(request, "payments/holds/invoice.html", {"form": form, "plan": plan, "person": plan.person})
