"""Refused access: what the access functions raise, and the audit event it becomes.

Every access function in an app's access.py answers "not yours" with a 404, so a guessed link does not
even confirm that a record exists. It raises AccessRefused (a 404) rather than a bare Http404, and
phb.middleware.RefusedAccessMiddleware turns each one into exactly one ACCESS_REFUSED audit event: who,
which URL pattern, which object and, when it can be told, whose record it is. Nothing else writes these
events, and a 404 that is not a refusal (a plan that is no longer a draft, a page asked for without its
choices) stays a plain Http404 and is not recorded.
"""

import uuid
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.http import Http404

NOT_FOUND = "Page not found"


class AccessRefused(Http404):
    """A 404 because the user may not reach this page or record.

    model and pk: the record asked for, when an access function looked for one (None for a role check,
    which refuses before any record is read). person_id: whose record it is, when known.
    """

    def __init__(self, message: str = NOT_FOUND, *, model=None, pk=None, person_id=None):
        super().__init__(message)
        self.model = model
        self.pk = pk
        self.person_id = person_id


def refuse(model, pk, *, person: str, message: str = NOT_FOUND) -> NoReturn:
    """Refuses access to the record `pk` of `model`, naming whose record it is: `person` is the path from
    the model to the person's id ("pk" for a person, "person_id", "plan__person_id"...). One query, on
    the refusal path only; a record that does not exist has no person."""
    try:
        person_id = model._default_manager.filter(pk=pk).values_list(person, flat=True).first()
    except (ValueError, ValidationError):
        person_id = None
    raise AccessRefused(message, model=model, pk=pk, person_id=person_id)


def refuse_role(message: str = NOT_FOUND) -> NoReturn:
    """Refuses a page to the user's role (a patient on a staff page, a coordinator on the PHB team's)."""
    raise AccessRefused(message)


def _url_ids(kwargs: dict) -> dict[str, str]:
    """The ids in the URL (UUIDs and numbers only: never a token, which is a secret, or other text)."""
    return {
        name: str(value)
        for name, value in kwargs.items()
        if isinstance(value, (uuid.UUID, int)) and not isinstance(value, bool)
    }


def record_refusal(request, refused: Exception):
    """The ACCESS_REFUSED event for one refusal (AccessRefused, or PermissionDenied: a 403): the user, the
    URL pattern and its ids in the summary, the object's type and id, the person's id when known. Never a
    name, and nothing the user typed."""
    from phb import audit
    from phb.models import AuditAction

    match = request.resolver_match
    url_name = match.view_name if match else request.path_info[:100]
    ids = _url_ids(match.kwargs if match else {})
    where = f"{url_name} ({', '.join(f'{name} {value}' for name, value in ids.items())})" if ids else url_name
    # An unsaved instance carrying only the id: audit.record takes the type and id from it.
    model, pk = getattr(refused, "model", None), getattr(refused, "pk", None)
    obj = model(pk=pk) if model is not None and pk is not None else None
    return audit.record(
        actor=request.user,
        action=AuditAction.ACCESS_REFUSED,
        obj=obj,
        person_id=getattr(refused, "person_id", None),
        summary=f"Refused access: {where}",
    )
