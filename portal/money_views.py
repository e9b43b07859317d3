"""The person's money in the portal ("Your money"): what is in their account, what has been paid in and spent,
what is left this year, a statement we are waiting for, and the charts. For the person or their representative,
and only for the person's plan in force (payments.selectors.money_in_force_for). Read only."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from payments import charts
from payments.money_views import link_if_built
from payments.selectors import money_in_force_for
from portal import access, services
from portal.views import _signs_out_without_access


@require_GET
@_signs_out_without_access
def money(request, pk):
    person = access.get_person_for_patient(request.user, pk)
    services.portal_view(person=person, acting_user=request.user, page="money")
    view = money_in_force_for(person, timezone.localdate())
    spending, by_item = charts.money_charts(view, you=True) if view else (None, None)
    context = {
        "person": person,
        "money": view,
        "left": charts.left_sentence(view.balance, view.projection, view.year_end, you=True) if view else "",
        "spending_chart": spending,
        "items_chart": by_item,
        "statements_url": link_if_built("portal:statements", pk=person.pk),
        "add_statement_url": link_if_built("portal:statement_add", pk=person.pk),
        "add_receipt_url": link_if_built("portal:receipt_add", pk=person.pk),
    }
    return render(request, "portal/money.html", context)
