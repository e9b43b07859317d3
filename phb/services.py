"""The optimistic-lock update, written once for every record a form edits.

A form carries the `version` the record had when it was opened. Saving locks
the row, refuses a stale version with the name of whoever saved in between and
when, validates, bumps the version and writes one audit row holding only the
fields that changed. The caller's service keeps its own rules (who may act,
what the values must be) and runs inside its own transaction.
"""

from collections.abc import Callable

from django.db import models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from phb import audit
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditAction, AuditEvent


def claim_current(
    queryset: QuerySet | models.Manager,
    *,
    pk,
    expected_version: int,
    noun: str = "record",
    not_found: str = "",
) -> models.Model:
    """Locks the row and returns it, or refuses a form opened before someone else's save.

    `queryset` may be scoped to what the acting user may change; a row outside it
    is refused with `not_found`. The model needs `version`, `updated_by` and `updated_at`.
    """
    # No join to updated_by here: when another editor's save holds the lock, PostgreSQL hands this query
    # their row once they commit, but a joined user row from before the wait, so the message named the
    # editor before them, or nobody. _last_editor reads the user after the lock is held.
    current = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if current is None:
        raise ServiceError(not_found or f"This {noun} cannot be found. It may have been removed. Reload the page.")
    if current.version != expected_version:
        raise StaleRecordError(
            noun=noun, changed_by=_last_editor(current), changed_at=timezone.localtime(current.updated_at)
        )
    return current


def _last_editor(current: models.Model) -> str:
    """Who saved the locked row last: its updated_by, else the latest actor on its audit trail."""
    if current.updated_by_id is not None:
        return current.updated_by.display_name  # read now, under the lock
    event = (
        AuditEvent.objects.filter(
            object_type=current._meta.label_lower,
            object_id=str(current.pk),
            action__in=(AuditAction.CREATE, AuditAction.UPDATE),  # changes, not someone opening the record
            actor__isnull=False,
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return event.actor.display_name if event is not None else "someone else"


def _save(instance: models.Model) -> None:
    instance.save()


@transaction.atomic
def audited_update(
    *,
    queryset: QuerySet | models.Manager,
    pk,
    expected_version: int,
    values: dict,
    fields: list[str],
    acting_user,
    summary: str | Callable[[models.Model, dict], str],
    person_id=None,
    noun: str = "record",
    not_found: str = "",
    check: Callable[[models.Model], None] | None = None,
    validate_unique: bool = True,
    save: Callable[[models.Model], None] = _save,
    after_save: Callable[[models.Model], dict] | None = None,
    skip_if_unchanged: bool = False,
) -> models.Model:
    """Sets `values` on the locked row if nobody saved since `expected_version`, and audits the change.

    - `fields`: the fields this edit may set; they are what the audit row compares.
    - `summary`: the audit summary, or a function of (saved record, changes) that gives it.
    - `check(current)`: the caller's rules that need the locked row; runs after the
      version check and before anything is set. Raise to refuse.
    - `save(current)`: how to save, for a caller that turns a database error into a message.
    - `after_save(current)`: further writes in the same transaction (an assessment's
      needs); the changes it returns join the same audit row.
    - `skip_if_unchanged`: write nothing, not even the version, when no field changed.

    Nothing is written when the version is stale, `check` refuses or `full_clean` fails.
    """
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"Not {noun} fields this edit may set: {sorted(unknown)}")
    current = claim_current(queryset, pk=pk, expected_version=expected_version, noun=noun, not_found=not_found)
    if check is not None:
        check(current)
    before = audit.snapshot(current, fields)
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean(validate_unique=validate_unique)
    if skip_if_unchanged and not audit.diff(before, audit.snapshot(current, fields)):
        return current
    current.updated_by = acting_user
    current.version = F("version") + 1
    save(current)
    current.refresh_from_db()
    changes = audit.diff(before, audit.snapshot(current, fields))
    if after_save is not None:
        changes.update(after_save(current))
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=current,
        person_id=person_id,
        summary=summary(current, changes) if callable(summary) else summary,
        changes=changes,
    )
    return current
