"""The money in use as pages: payment runs (made by one member of the PHB team who handles payments, confirmed
or cancelled by another, then the ledger's CSV), and a plan's payment schedule. Every write is a service in
payments.services; who may make, confirm or cancel a run is payments.access, asked here only to show or hide
the buttons (the services ask it again). Holding and resuming payments and recording invoices are pages of their
own (payments.holds_views), reached from the plan's payments page."""

import dataclasses

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import access as plan_access
from payments import services
from payments.access import decide_refusal, may_run_payments, run_refusal
from payments.forms import RunForm
from payments.holds import hold_refusal
from payments.invoices import invoice_refusal, notional_items
from payments.models import MONEY_OPTION_CHOICES, PaymentRun, RunStatus, ScheduleLine, Suspension
from payments.rules import ACCOUNT_OPTIONS, ZERO, LineStatus
from people.access import require_staff
from phb import audit
from phb.downloads import csv_download
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import pounds
from phb.once import once
from phb.pagination import COUNT_UP_TO, page_of
from phb.refusals import refuse_role
from phb.roles import is_phb_team

# NHS.UK tag colours: waiting for someone is yellow, done is green, stopped is grey.
RUN_TAG_COLOURS = {RunStatus.WAITING: "yellow", RunStatus.CONFIRMED: "green", RunStatus.CANCELLED: "grey"}
LINE_TAG_COLOURS = {LineStatus.SCHEDULED: "blue", LineStatus.HELD: "orange", LineStatus.PAID: "green"}
OPTION_LABELS = dict(MONEY_OPTION_CHOICES)  # how the money is managed, in words


def _require_phb_team(user) -> None:
    """Payment runs are the PHB team's: a 404 for everyone else (an audited refusal)."""
    require_staff(user)
    if not is_phb_team(user):
        refuse_role()


def _payments(count: int) -> str:
    return f"{count:,} payment{'' if count == 1 else 's'}"


def _runs():
    """Runs with who made and decided them, and what each gathered (one query for a page of them)."""
    return PaymentRun.objects.select_related("created_by", "decided_by").annotate(
        gathered=Count("lines"), gathered_total=Sum("lines__amount")
    )


def _run_row(run: PaymentRun) -> dict:
    """A run as the pages show it: once confirmed, what it paid; until then, what it gathered."""
    confirmed = run.status == RunStatus.CONFIRMED
    return {
        "run": run,
        "confirmed": confirmed,
        "count": run.paid_count if confirmed else run.gathered,
        "total": run.paid_total if confirmed else (run.gathered_total or ZERO),
        "colour": RUN_TAG_COLOURS[RunStatus(run.status)],
    }


@require_http_methods(["GET", "POST"])
@once
def runs(request):
    """Every payment run, newest first; for those who handle payments, the form that makes a new one."""
    _require_phb_team(request.user)
    refusal = run_refusal(request.user)
    may_run = not refusal
    form = RunForm(request.POST if request.method == "POST" else None, initial={"due_by": timezone.localdate()})
    if request.method == "POST":
        if not may_run:
            messages.error(request, refusal)
            return redirect("payments:runs")
        if form.is_valid():
            try:
                run = services.run_create(due_by=form.cleaned_data["due_by"], acting_user=request.user)
            except ServiceError as error:
                form.add_error("due_by", str(error))
            else:
                made = _run_row(_runs().get(pk=run.pk))
                messages.success(
                    request,
                    f"Payment run {run.pk} made: {_payments(made['count'])}, {pounds(made['total'])}. "
                    "Someone else who handles payments must now confirm it.",
                )
                return redirect("payments:run", pk=run.pk)
    page = page_of(_runs(), request.GET.get("page"))
    context = {"page": page, "rows": [_run_row(run) for run in page], "form": form, "refusal": refusal}
    return render(request, "payments/runs.html", context)


@require_GET
def run_detail(request, pk):
    """One run: what it gathered (or paid), by money option and line by line, and the buttons to decide it."""
    _require_phb_team(request.user)
    run = get_object_or_404(_runs(), pk=pk)
    refusal = run_refusal(request.user)
    decide_refused = decide_refusal(request.user, run)
    lines = ScheduleLine.objects.filter(runs=run).order_by("payee", "due_on", "id")
    # The run has counted its lines already (run.gathered): the page does not count them again.
    page = page_of(lines, request.GET.get("page"), counted=False)
    page = dataclasses.replace(page, count=min(run.gathered, COUNT_UP_TO), count_capped=run.gathered > COUNT_UP_TO)
    audit.record_list(request, f"payments in payment run {run.pk}", None, page)
    totals = services.totals_by_option(run)
    context = {
        **_run_row(run),
        "page": page,
        "lines": [
            {"line": line, "colour": LINE_TAG_COLOURS[LineStatus(line.status)], "other_run": line.paid_in_id != run.pk}
            for line in page
        ],
        "totals": [(OPTION_LABELS.get(option, option), total) for option, total in totals.items()],
        "can_decide": not decide_refused,  # exactly when the services would accept
        # Why not, while the run waits (a decided run says who decided it).
        "why_not": decide_refused if run.status == RunStatus.WAITING else "",
        "may_download": run.status == RunStatus.CONFIRMED and not refusal,
    }
    return render(request, "payments/run.html", context)


def _decide(request, pk, decide, done):
    _require_phb_team(request.user)
    run = get_object_or_404(PaymentRun, pk=pk)
    try:
        run = decide(run=run, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done(run))
    return redirect("payments:run", pk=pk)


@require_POST
@once
def run_confirm(request, pk):
    return _decide(
        request,
        pk,
        services.run_confirm,
        lambda run: f"Payment run {run.pk} confirmed: {_payments(run.paid_count)}, {pounds(run.paid_total)}",
    )


@require_POST
@once
def run_cancel(request, pk):
    return _decide(
        request,
        pk,
        services.run_cancel,
        lambda run: f"Payment run {run.pk} cancelled. Its payments will be gathered by the next run.",
    )


@require_GET
def run_ledger(request, pk):
    """The confirmed run's payments as the ledger's CSV, for those who handle payments; each download audited."""
    _require_phb_team(request.user)
    if not may_run_payments(request.user):
        refuse_role()
    run = get_object_or_404(PaymentRun, pk=pk)
    try:
        text = services.ledger_csv(run)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("payments:run", pk=run.pk)
    audit.record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=run,
        summary=f"Downloaded the ledger file of payment run {run.pk}: {_payments(run.paid_count)}, "
        f"{pounds(run.paid_total)}",
    )
    return csv_download(text, f"payment-run-{run.pk}.csv")


@require_GET
def plan_schedule(request, plan_id):
    """A plan's payment schedule: each line, what is paid and what is still to pay; payments held (with their
    buttons to resume), and what is committed to each provider item against what has been invoiced."""
    require_staff(request.user)
    plan = plan_access.get_plan_for_user(request.user, plan_id)
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=plan,
        person_id=plan.person_id,
        summary="Viewed the plan's payments",
    )
    lines = ScheduleLine.objects.filter(plan=plan)
    into_account = Q(money_option__in=ACCOUNT_OPTIONS)
    sums = lines.aggregate(
        total=Sum("amount"),
        paid=Sum("amount", filter=Q(status=LineStatus.PAID)),
        to_pay=Sum("amount", filter=into_account & ~Q(status=LineStatus.PAID)),
        committed=Sum("amount", filter=~into_account & ~Q(status=LineStatus.HELD)),
        count=Count("id"),
    )
    total, paid = sums["total"] or ZERO, sums["paid"] or ZERO
    # Counted with the sums above: the page does not count the lines again.
    page = page_of(
        lines.order_by("period_start", "due_on", "kind", "payee", "id"), request.GET.get("page"), counted=False
    )
    page = dataclasses.replace(page, count=min(sums["count"], COUNT_UP_TO), count_capped=sums["count"] > COUNT_UP_TO)
    items = list(notional_items(plan))
    held = list(Suspension.objects.filter(plan=plan, resumed_at=None).order_by("starts_on"))
    context = {
        "plan": plan,
        "person": plan.person,
        "page": page,
        "lines": [
            {
                "line": line,
                "colour": LINE_TAG_COLOURS[LineStatus(line.status)],
                "held": line.status == LineStatus.HELD,
                # Notional money is never paid by a run: its line stays a commitment (payments.rules.ACCOUNT_OPTIONS).
                "committed": line.status == LineStatus.SCHEDULED and line.money_option not in ACCOUNT_OPTIONS,
            }
            for line in page
        ],
        "total": total,
        "paid": paid,
        "to_pay": sums["to_pay"] or ZERO,
        "committed": sums["committed"] or ZERO,
        "holds": held,
        "may_hold": not hold_refusal(request.user, plan),  # exactly when the services would accept
        "may_invoice": not invoice_refusal(request.user, plan, items),
        "commitments": [
            {"item": item, "left": item.committed - item.invoiced, "over": item.invoiced > item.committed}
            for item in items
        ],
    }
    return render(request, "payments/schedule.html", context)
