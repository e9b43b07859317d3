"""The PHB team lead's CSV downloads of the caseload, the plans to decide and the reviews due.

Each reads its list exactly as the list's page does, from the same query string: the page's own filter set
(its filters and sort, an invalid value ignored) over the page's own selector, as the page shows it to a
lead (everyone). Every matching row is written, not a page, streamed a chunk at a time (exports.py). Each
download is one EXPORT event in the audit trail, naming the list and its filters in words (never the text
of a search). Like the audit trail's own export (people.audit_views.trail_export), for a PHB team lead only:
anyone else gets the refused-access 404.
"""

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from careplans.filters import PlanQueueFilter, ReviewsDueFilter
from careplans.reviews import reviews_due_for
from casework import selectors as stage_selectors
from casework.filters import CaseloadFilter
from people.audit_views import require_lead
from people.forms import CaseloadSearchForm
from people.selectors import search_kind
from phb import audit
from phb.downloads import csv_download
from phb.models import AuditAction
from reports import exports


@never_cache
@require_GET
def caseload(request):
    """The caseload as a lead sees it (everyone), searched, filtered and sorted as its page is."""
    require_lead(request.user)
    today = timezone.localdate()
    form = CaseloadSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    people = stage_selectors.caseload(user=request.user, today=today, query=query)
    listing = CaseloadFilter(request.GET, queryset=people, today=today, everyone=True)
    searched = {"searched": f"by {search_kind(query)}"} if query else {}
    return _download(request, exports.CASELOAD, listing.qs, {**searched, **listing.in_words()}, today=today)


@never_cache
@require_GET
def plans(request):
    """The plans to decide, filtered and sorted as the queue's page is."""
    require_lead(request.user)
    listing = PlanQueueFilter(request.GET, user=request.user)
    return _download(request, exports.PLANS, listing.queue(), listing.in_words(), today=timezone.localdate())


@never_cache
@require_GET
def reviews(request):
    """The reviews due, filtered and sorted as their page is (by default overdue or due within 28 days)."""
    require_lead(request.user)
    today = timezone.localdate()
    due = reviews_due_for(user=request.user, today=today).select_related("plan__person__lead_coordinator")
    listing = ReviewsDueFilter(request.GET, queryset=due, user=request.user, today=today)
    return _download(request, exports.REVIEWS, listing.qs, listing.in_words(), today=today)


def _download(request, export: exports.Export, records, filters: dict, *, today) -> StreamingHttpResponse:
    """The export recorded in the audit trail, then streamed as CSV."""
    described = "; ".join(f"{name}: {value}" for name, value in filters.items() if value)
    audit.record(
        actor=request.user,
        action=AuditAction.EXPORT,
        summary=f"Exported {export.list_name} as CSV" + (f" ({described})" if described else ""),
    )
    return csv_download(exports.lines(export, exports.in_chunks(records), today=today), export.download_name(today))
