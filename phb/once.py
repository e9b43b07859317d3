"""Forms that are safe to send twice.

A double click, a browser's "send again", or a slow connection sends the same form twice. Each form
that makes something carries a one-time token (`{% once_field %}` from `phb/templatetags/once.py`, next
to `{% csrf_token %}`), and its view is decorated with `@once`:

- the first sending claims the token: a row of `SentForm` (unique per user and token) inserted in the
  same transaction as the view's own writes; when the view answers with a redirect (it made what it
  was asked to), the row keeps where it led;
- a second sending of the same form finds the row and goes to the same page, with a note that it was
  already sent: no error and no second row. Two sendings at once queue on the unique index, so the
  second waits for the first and then goes where the first went;
- a sending the view refuses (the form shown again with its errors) gives its token back, so the
  corrected form, which carries a new token, is sent as normal.

Services keep their own rules as well (one unscheduled review due per plan, compare-and-swap decisions,
optimistic locks), so a post without a token (not from one of the service's pages) is no worse than
before. Claims are kept for KEPT_FOR (ONCE_KEEP_DAYS): a form sent again after that is done again, as a
new form. Each sending removes the same user's older claims; `purge_sent_forms` removes everyone's (the
hourly beat task phb.tasks.purge_sent_forms, or `manage.py purge_sent_forms`), so an account that stops
sending forms leaves none behind.
"""

import datetime
import re
import secrets
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone

from phb.models import SentForm

FIELD = "once"
KEPT_FOR = datetime.timedelta(days=settings.ONCE_KEEP_DAYS)
ALREADY_SENT = "You had already sent this form. We have not sent it again."

_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{20,64}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _token(request) -> str:
    token = request.POST.get(FIELD, "") if request.method == "POST" else ""
    return token if _WELL_FORMED.fullmatch(token) else ""


def once(view):
    """Runs a view that makes something once per form token (see the module's docstring)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        token = _token(request)
        if not token or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            SentForm.objects.filter(user=request.user, sent_at__lt=timezone.now() - KEPT_FOR).delete()
            try:
                with transaction.atomic():
                    claim = SentForm.objects.create(user=request.user, token=token)
            except IntegrityError:
                first = SentForm.objects.filter(user=request.user, token=token).first()
                if first is not None and first.result_url:
                    messages.info(request, ALREADY_SENT)
                    return redirect(first.result_url)
                return view(request, *args, **kwargs)
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303) and response.get("Location"):
                SentForm.objects.filter(pk=claim.pk).update(result_url=response["Location"][:2000])
            else:
                SentForm.objects.filter(pk=claim.pk).delete()
            return response

    return wrapped


def purge_sent_forms(*, now: datetime.datetime | None = None) -> int:
    """Removes every user's claims older than KEPT_FOR, in one statement on the index of when they were
    sent; returns how many. Safe to run at any time and any number of times: a claim that old no longer
    stops anything (the view itself would remove it before looking for its token)."""
    cut_off = (now or timezone.now()) - KEPT_FOR
    removed, _ = SentForm.objects.filter(sent_at__lt=cut_off).delete()
    return removed
