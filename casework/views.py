"""The caseload and the work trays: where everyone is and what needs doing."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from casework import filters as caseload_filters
from casework import selectors as stage_selectors
from casework import trays
from people import access, selectors
from people.forms import CaseloadSearchForm
from phb import audit
from phb.listing import crispy_once
from phb.pagination import page_of
from phb.roles import Role, has_role, is_phb_team


@require_GET
def caseload(request):
    """The people the user may see with their stage and next action, searched, filtered, sorted and paged
    from the query string alone, so any view of the list can be bookmarked."""
    access.require_staff(request.user)
    today = timezone.localdate()
    form = CaseloadSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    # Coordinators see the people they lead, or (show=team) everyone in their care teams; the PHB team everyone.
    show = ("team" if request.GET.get("show") == "team" else "mine") if has_role(request.user, Role.COORDINATOR) else ""
    # A name search is compiled with its words as stand-ins, like the list without one; an NHS number or a word
    # too short for the trigram indexes is read through the ORM.
    terms = caseload_filters.search_terms(query) if query else ()
    if terms is None:
        people = stage_selectors.caseload(user=request.user, today=today, query=query, mine=show == "mine")
        listing = caseload_filters.CaseloadFilter(request.GET, queryset=people, today=today, everyone=not show)
    else:  # the list's form, sort and links; its rows come from the compiled queryset below
        listing = caseload_filters.CaseloadFilter(request.GET, queryset=None, today=today, everyone=not show)
    params = {"q": query, "show": show if show == "team" else "", **listing.kept()}
    number = request.GET.get("page")
    if terms is None:
        # A search can match thousands: the page's 26 ids first, then their rows.
        page = page_of(listing.qs, number, params=params, counted=listing.countable, ids_first=True)
    else:
        page = caseload_filters.caseload_page(
            request.user, today=today, show=show, listing=listing, number=number, params=params, terms=terms
        )
    words = {"showing": caseload_filters.SHOWING.get(show, ""), **listing.in_words()}
    audit.record_list(request, "the caseload", words, page, searched_by=selectors.search_kind(query) if query else "")
    context = {
        "search": crispy_once(form),
        "listing": listing,
        "query": query,
        "show": show,
        "tabs": caseload_filters.tabs(show, page.params),
        "sorts": listing.sort_links(page.params),
        "filtered": listing.filtered,
        "page": page,
        "counted": listing.countable,
        "can_add": access.can_add_person(request.user),
    }
    return render(request, "casework/caseload.html", context)


@require_GET
def home(request):
    """Where staff start: a coordinator's "Needs you" and "Waiting for others", the PHB team's queues."""
    access.require_staff(request.user)
    ask = trays.ask_from(request)
    counts = trays.counts_for(request)  # the header's, kept until anything changes: not counted twice
    shown = trays.trays_for(ask, counts)
    if is_phb_team(request.user):
        filters = {"plans to decide": trays.ASSIGNED_WORDS[ask.assigned].lower()}
    else:
        filters = {"showing": "my people" if ask.scope == trays.Scope.MINE else "my team"}
    audit.record_list(request, "work tray", filters, sum(len(s.rows) for tray in shown for s in tray.sections))
    context = {"trays": shown, "ask": ask, "mine": trays.Scope.MINE}
    if is_phb_team(request.user):
        context["choices"] = trays.assigned_choices(counts)
    return render(request, "casework/home.html", context)
