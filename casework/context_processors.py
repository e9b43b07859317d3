"""The counts beside the header's links ("Needs you (5)", "Plans to decide (3)")."""

from django.utils.functional import SimpleLazyObject

from casework import trays
from phb.roles import is_clinical_staff


def work_counts(request) -> dict:
    """`work_counts`: every count the header shows, for staff only, read in one query when a page first shows
    one and kept on the request (casework.trays.counts_for), so a page that also shows them asks once."""
    user = getattr(request, "user", None)
    if not is_clinical_staff(user):
        return {}
    return {"work_counts": SimpleLazyObject(lambda: trays.counts_for(request))}
