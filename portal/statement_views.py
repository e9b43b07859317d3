"""The person's statements and spending in the portal: what they have sent, sending a bank or card statement
(and, when we do not know its layout, saying which column is which), and sending a receipt for something they
bought. For the person or their representative (portal.access), and only for the person's plan in force; who may
add is payments.statement_access, asked again by the services. The flows are payments.statement_views'."""

from functools import partial

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from careplans.models import PlanVersion
from payments import statement_services
from payments import statement_views as flows
from payments.models import Receipt
from payments.statement_forms import SPEND_AND_REFUND
from phb.once import once
from phb.pagination import page_of
from phb.refusals import refuse
from portal import access, services
from portal.views import _signs_out_without_access


def _plan_in_force(person):
    """The person's plan in force today (the newest, should two be), or None."""
    version = (
        PlanVersion.objects.filter(plan__person=person)
        .in_force(on=timezone.localdate())
        .select_related("plan")
        .order_by("-start_date", "-number")
        .first()
    )
    if version is None:
        return None
    plan = version.plan
    plan.person = person
    return plan


def _page(request, person, plan, template, **extra):
    def render_page(form, more=None):
        context = {"person": person, "plan": plan, "form": form, **extra, **(more or {})}
        return render(request, template, context)

    return render_page


def _no_plan(request, person):
    return render(request, "portal/statements/no_plan.html", {"person": person})


def _list_url(person) -> str:
    return reverse("portal:statements", kwargs={"pk": person.pk})


@require_GET
@_signs_out_without_access
def statements_view(request, pk):
    """What the person has spent and been paid, newest first, and the statements we have had."""
    person = access.get_person_for_patient(request.user, pk)
    services.portal_view(person=person, acting_user=request.user, page="statements and spending")
    plan = _plan_in_force(person)
    if plan is None:
        return _no_plan(request, person)
    page = page_of(flows.transactions_of(plan), request.GET.get("page"), counted=False)
    context = {
        "person": person,
        "plan": plan,
        "page": page,
        "rows": flows.transaction_rows(page, statement_services.items_in_force(plan)),
        # Online access to the person (just checked) is what lets them add: payments.statement_access, which the
        # services ask again.
        "may_add": True,
    }
    return render(request, "portal/statements/list.html", context)


ADDING_PAGES = {
    "portal/statements/add.html": "adding a statement",
    "portal/statements/columns.html": "the columns of a statement",
    "portal/statements/receipt.html": "adding a receipt",
}


def _add_page(request, pk, flow, template: str, **urls):
    """What the pages that add share: the person (portal.access), their plan in force (or the page saying there is
    none), then the flow of payments.statement_views with the portal's page, back to the list when done. urls:
    the flow's other URLs, by the name of the portal's page (given the person)."""
    person = access.get_person_for_patient(request.user, pk)
    if request.method == "GET":  # what a post adds is recorded by its service
        services.portal_view(person=person, acting_user=request.user, page=ADDING_PAGES[template])
    plan = _plan_in_force(person)
    if plan is None:
        return _no_plan(request, person)
    return flow(
        request,
        plan=plan,
        render_page=_page(request, person, plan, template),
        done_url=_list_url(person),
        **{argument: reverse(name, kwargs={"pk": person.pk}) for argument, name in urls.items()},
    )


@require_http_methods(["GET", "POST"])
@_signs_out_without_access
@once
def statement_add(request, pk):
    return _add_page(
        request, pk, flows.upload_flow, "portal/statements/add.html", columns_url="portal:statement_columns"
    )


@require_http_methods(["GET", "POST"])
@_signs_out_without_access
@once
def statement_columns(request, pk):
    return _add_page(
        request, pk, flows.columns_flow, "portal/statements/columns.html", restart_url="portal:statement_add"
    )


@require_http_methods(["GET", "POST"])
@_signs_out_without_access
@once
def receipt_add(request, pk):
    """Something the person bought (or money back), typed in, with its receipt."""
    return _add_page(request, pk, partial(flows.typed_flow, kinds=SPEND_AND_REFUND), "portal/statements/receipt.html")


@require_GET
@_signs_out_without_access
def receipt(request, pk, receipt_pk):
    """A receipt of the person's, as a download; every download recorded."""
    person = access.get_person_for_patient(request.user, pk)
    found = Receipt.objects.select_related("plan").filter(plan__person=person, pk=receipt_pk).first()
    if found is None:
        refuse(Receipt, receipt_pk, person="plan__person_id")
    return flows.receipt_response(found, request.user, summary="Portal: viewed a receipt")
