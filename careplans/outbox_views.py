"""The PHB team lead's page of messages the service could not send, with a button to try each again."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from careplans import emails
from careplans.filters import FailedMessagesFilter
from people.access import require_staff
from phb import audit
from phb.refusals import refuse_role
from phb.roles import Role, has_role


def _require_lead(user) -> None:
    """Only the PHB team lead: a 404 for everyone else, so the page does not reveal that it exists."""
    require_staff(user)
    if not has_role(user, Role.LEAD):
        refuse_role()


@require_GET
def failed_messages(request):
    _require_lead(request.user)
    listing = FailedMessagesFilter(request.GET)
    page = listing.page(request.GET.get("page"))
    audit.record_list(request, "messages not sent", listing.in_words(), page)
    context = {
        "rows": page,
        "page": page,
        "max_attempts": settings.OUTBOX_MAX_ATTEMPTS,
        "listing": listing,
        "sorts": listing.sort_links(page.params),
    }
    return render(request, "careplans/failed_messages.html", context)


@require_POST
def message_retry(request, kind, pk):
    _require_lead(request.user)
    message = emails.outbox_message(kind, pk)
    if message is None:
        raise Http404("No message found")
    if emails.message_retry(message=message, acting_user=request.user):
        messages.success(request, f"We will try to send the message again: {message.what}")
    else:
        messages.info(request, "This message is already being sent again.")
    return redirect("careplans:failed_messages")
