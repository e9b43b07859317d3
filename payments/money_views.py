"""A plan's money as a page for staff: what has been paid in and spent, what is left, the flags, planned against
actual for each item, and the charts (payments.selectors.money_of, payments.charts). Read only."""

from django.conf import settings
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from careplans import access as plan_access
from payments import charts, selectors
from people.access import require_staff
from phb import audit
from phb.models import AuditAction


# Each flag's heading on its warning callout (the flag's sentence says the rest).
def link_if_built(name: str, **kwargs) -> str:
    """The address of a page another part of the money in use may not have built yet ("" until it has)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@require_GET
def plan_money(request, plan_id):
    require_staff(request.user)
    plan = plan_access.get_plan_for_user(request.user, plan_id)
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=plan,
        person_id=plan.person_id,
        summary="Viewed the plan's money",
    )
    view = selectors.money_of(plan, timezone.localdate())
    spending, by_item = charts.money_charts(view, you=False)
    context = {
        "plan": plan,
        "person": plan.person,
        "money": view,
        "flags": [{"title": flag.code.title, "sentence": flag.sentence} for flag in view.flags],
        "spending_chart": spending,
        "items_chart": by_item,
        "contingency_weeks": settings.PAYMENTS_CONTINGENCY_WEEKS,
        "statements_url": link_if_built("payments:statements", plan_id=plan.pk),
    }
    return render(request, "payments/money.html", context)
