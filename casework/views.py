"""The caseload and the work trays: where everyone is and what needs doing."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from people import access, selectors
from people.forms import CaseloadSearchForm
from phb import audit
from phb.pagination import page_of


@require_GET
def caseload(request):
    access.require_staff(request.user)
    form = CaseloadSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    people = selectors.caseload_for(user=request.user, query=query)
    page = page_of(people, request.GET.get("page"), params={"q": query})
    audit.record_list(request, "the caseload", {}, page, searched_by=selectors.search_kind(query) if query else "")
    return render(
        request,
        "casework/caseload.html",
        {"form": form, "query": query, "page": page, "can_add": access.can_add_person(request.user)},
    )
