"""Repayments and stopping direct payments as pages (staff only): a plan's list, proposing each, one action's page
with its letters, the person's response, the decision and withdrawing. Every write is a service in
payments.reclaims; who may do what is payments.reclaim_access, asked here to show a button exactly when its
refusal is "" (the services ask it again under the row lock)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import access as plan_access
from careplans.models import PlanVersion
from payments import reclaim_access, reclaims
from payments.models import ActionKind, ActionStatus, MoneyAction
from payments.reclaim_forms import DecideForm, ProposeReclaimForm, ProposeStopForm, ResponseForm
from people.access import require_staff
from phb import audit
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.models import AuditAction
from phb.money import pounds
from phb.once import once
from phb.pagination import page_of
from phb.pdf import pdf_attachment
from phb.refusals import refuse_role
from phb.roles import is_phb_team
from phb.words import long_date, lower_first

SERVICE_ERRORS = (ValidationError, ServiceError)
# NHS.UK tag colours: waiting for someone is yellow, going ahead orange, not going ahead white, withdrawn grey.
STATUS_TAG_COLOURS = {
    ActionStatus.PROPOSED: "yellow",
    ActionStatus.AGREED: "orange",
    ActionStatus.NOT_AGREED: "white",
    ActionStatus.WITHDRAWN: "grey",
}
LETTERS = ("letter_pdf", "decision_letter_pdf")  # never read for a page: only for their downloads


def _actions():
    return MoneyAction.objects.select_related(
        "plan__person", "proposed_by", "decided_by", "response_recorded_by"
    ).defer(*LETTERS)


def _get_action(request, pk, *, phb_team_only: bool = False) -> MoneyAction:
    require_staff(request.user)
    if phb_team_only and not is_phb_team(request.user):
        refuse_role()
    return reclaim_access.get_action_for_user(request.user, pk, actions=_actions())


def _view(request, obj, person_id, summary: str) -> None:
    audit.record(actor=request.user, action=AuditAction.VIEW, obj=obj, person_id=person_id, summary=summary)


def title(action: MoneyAction) -> str:
    """What an action is, in a few words: "Repayment of £250.00", "Stopping direct payments from 1 March 2027"."""
    if action.kind == ActionKind.RECLAIM:
        return f"Repayment of {pounds(action.amount)}"
    return f"Stopping direct payments from {long_date(action.effective_on)}"


def _row(action: MoneyAction) -> dict:
    return {"action": action, "title": title(action), "colour": STATUS_TAG_COLOURS[ActionStatus(action.status)]}


@require_GET
def reclaims_list(request, plan_id):
    """The plan's repayments and stoppings, newest first, and the buttons to propose each."""
    require_staff(request.user)
    plan = plan_access.get_plan_for_user(request.user, plan_id)
    page = page_of(_actions().filter(plan=plan).order_by("-proposed_at", "-id"), request.GET.get("page"))
    _view(request, plan, plan.person_id, "Viewed the plan's repayments and stopping of direct payments")
    refusal = reclaim_access.propose_refusal(request.user)
    blockers = {}
    if not refusal:
        options, waiting = reclaims.proposal_facts(plan, on=timezone.localdate())
        blockers = {kind: reclaims.propose_blocker(kind, options=options, waiting=waiting) for kind in ActionKind}
    context = {
        "plan": plan,
        "person": plan.person,
        "page": page,
        "rows": [_row(action) for action in page],
        "may_propose": not refusal,
        "can_reclaim": not refusal and not blockers[ActionKind.RECLAIM],
        "can_stop": not refusal and not blockers[ActionKind.STOP],
        "blockers": sorted({text for text in blockers.values() if text}),
    }
    return render(request, "payments/reclaims/list.html", context)


def _plan_for_proposing(request, plan_id):
    require_staff(request.user)
    plan = plan_access.get_plan_for_user(request.user, plan_id)
    if reclaim_access.propose_refusal(request.user):
        refuse_role()
    return plan


def _propose(request, plan, form, service, template, page_words, done):
    if request.method == "POST" and form.is_valid():
        try:
            action = service(plan=plan, acting_user=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, done(action))
            return redirect("payments:reclaim", pk=action.pk)
    elif request.method == "GET":
        _view(request, plan, plan.person_id, f"Viewed the plan's payments to {page_words}")
    context = {"plan": plan, "person": plan.person, "form": form, "respond_days": settings.PAYMENTS_RESPONSE_DAYS}
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@once
def reclaim_new(request, plan_id):
    """Propose a repayment: the amount, the period it is from and why; the letter is written at once."""
    plan = _plan_for_proposing(request, plan_id)
    periods = reclaims.payment_periods(plan, on=timezone.localdate())
    form = ProposeReclaimForm(request.POST if request.method == "POST" else None, periods=periods)
    return _propose(
        request,
        plan,
        form,
        reclaims.propose_reclaim,
        "payments/reclaims/propose_reclaim.html",
        "propose a repayment",
        lambda action: (
            f"Repayment of {pounds(action.amount)} proposed. Download the letter and send it to "
            f"{plan.person.full_name}. They can respond by {long_date(action.respond_by)}."
        ),
    )


@require_http_methods(["GET", "POST"])
@once
def stop_new(request, plan_id):
    """Propose stopping direct payments: from when, what happens to the budget after, and why."""
    plan = _plan_for_proposing(request, plan_id)
    respond_by = reclaims.respond_by_for(timezone.localdate())
    form = ProposeStopForm(request.POST if request.method == "POST" else None, respond_by=respond_by)
    return _propose(
        request,
        plan,
        form,
        reclaims.propose_stop,
        "payments/reclaims/propose_stop.html",
        "propose stopping direct payments",
        lambda action: (
            f"Stopping direct payments proposed. Download the letter and send it to "
            f"{plan.person.full_name}. They can respond by {long_date(action.respond_by)}."
        ),
    )


def _detail(request, action, *, response_form=None, status=200):
    user = request.user
    respond_refused = reclaim_access.respond_refusal(user, action)
    decide_refused = reclaim_access.decide_refusal(user, action)
    waiting = action.status == ActionStatus.PROPOSED
    next_step = reclaims.next_step(action)
    if response_form is None and not respond_refused:
        initial = {"response": action.response, "response_on": action.response_on}
        response_form = ResponseForm(initial=initial if action.response_on else None)
    context = {
        **_row(action),
        "plan": action.plan,
        "person": action.plan.person,
        "can_respond": not respond_refused,
        "response_form": response_form,
        "can_decide": not decide_refused,
        "why_not_decide": decide_refused if waiting else "",
        "can_withdraw": not reclaim_access.withdraw_refusal(user, action),
        "next_step": next_step,
        # Where the next step is done: the plan's version in force (read only when there is a next step).
        "version": PlanVersion.objects.in_force_for(action.plan, on=timezone.localdate()) if next_step else None,
        "has_decision_letter": action.status in (ActionStatus.AGREED, ActionStatus.NOT_AGREED),
    }
    return render(request, "payments/reclaims/detail.html", context, status=status)


@require_GET
def reclaim_detail(request, pk):
    """One repayment or stopping: what was proposed, its letters, the response, the decision and what to do next."""
    action = _get_action(request, pk)
    _view(request, action, action.plan.person_id, f"Viewed the {lower_first(title(action))}")
    return _detail(request, action)


@require_POST
@once
def reclaim_response(request, pk):
    """Record the person's response (shown on the action's page, with its errors when it is not right)."""
    action = _get_action(request, pk)
    refusal = reclaim_access.respond_refusal(request.user, action)
    if refusal:
        messages.error(request, refusal)
        return redirect("payments:reclaim", pk=action.pk)
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            reclaims.record_response(action=action, acting_user=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Response recorded.")
            return redirect("payments:reclaim", pk=action.pk)
    return _detail(request, action, response_form=form)


def _hold_preview(action: MoneyAction) -> dict:
    """What agreeing to a stopping would hold: the payments to be paid into an account from the stop date."""
    found = reclaims.lines_to_stop(action.plan_id, action.effective_on)
    return found.aggregate(count=Count("pk"), total=Sum("amount"))


@require_http_methods(["GET", "POST"])
@once
def reclaim_decide(request, pk):
    """The decision, on its own page: what agreeing does, then yes or no with reasons (and, for a repayment, how
    it is paid back)."""
    action = _get_action(request, pk, phb_team_only=True)
    refusal = reclaim_access.decide_refusal(request.user, action)
    if refusal:
        messages.error(request, refusal)
        return redirect("payments:reclaim", pk=action.pk)
    reclaim = action.kind == ActionKind.RECLAIM
    form = DecideForm(request.POST if request.method == "POST" else None, reclaim=reclaim)
    if request.method == "POST" and form.is_valid():
        try:
            action = reclaims.decide(action=action, acting_user=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Decision recorded. Download the decision letter and send it to {action.plan.person.full_name}.",
            )
            return redirect("payments:reclaim", pk=action.pk)
    elif request.method == "GET":
        _view(request, action, action.plan.person_id, f"Viewed the {lower_first(title(action))} to decide it")
    context = {
        **_row(action),
        "plan": action.plan,
        "person": action.plan.person,
        "form": form,
        "reclaim": reclaim,
        "held": None if reclaim else _hold_preview(action),
    }
    return render(request, "payments/reclaims/decide.html", context)


@require_http_methods(["GET", "POST"])
@once
def reclaim_withdraw(request, pk):
    """Withdraw a proposal, on its own page: nothing changes for the person."""
    action = _get_action(request, pk, phb_team_only=True)
    refusal = reclaim_access.withdraw_refusal(request.user, action)
    if refusal:
        messages.error(request, refusal)
        return redirect("payments:reclaim", pk=action.pk)
    if request.method == "POST":
        try:
            reclaims.withdraw(action=action, acting_user=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{title(action)} withdrawn.")
        return redirect("payments:reclaim", pk=action.pk)
    _view(request, action, action.plan.person_id, f"Viewed the {lower_first(title(action))} to withdraw it")
    return render(request, "payments/reclaims/withdraw.html", {**_row(action), "person": action.plan.person})


def _letter(request, pk, field: str, words: str):
    require_staff(request.user)
    actions = MoneyAction.objects.select_related("plan__person").only(
        "id", "kind", "plan_id", "proposed_at", "decided_at", field, "plan__person__id", "plan__person__family_name"
    )
    action = reclaim_access.get_action_for_user(request.user, pk, actions=actions)
    content = getattr(action, field)
    if not content:
        raise Http404("No decision letter yet")
    kind = "repayment" if action.kind == ActionKind.RECLAIM else "stopping-direct-payments"
    what = lower_first(action.get_kind_display())
    _view(request, action, action.plan.person_id, f"Downloaded the {words} about the {what}")
    day = timezone.localdate(action.decided_at if field == "decision_letter_pdf" else action.proposed_at)
    return pdf_attachment(bytes(content), kind, words, action.plan.person.family_name, day.isoformat())


@require_GET
def reclaim_letter(request, pk):
    """The letter that proposed it, as the person was sent it (audited)."""
    return _letter(request, pk, "letter_pdf", "letter")


@require_GET
def reclaim_decision_letter(request, pk):
    """The decision letter (audited); a 404 until there is a decision."""
    return _letter(request, pk, "decision_letter_pdf", "decision letter")
