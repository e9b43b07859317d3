"""Writing the audit trail. Services call record() inside their transaction."""

import datetime
import decimal
import uuid

from django.db import models

from phb.middleware import current_request_id
from phb.models import AuditAction, AuditEvent


def json_safe(value):
    """A value as JSON can store it: dates as ISO text, money and ids as strings, records as their id."""
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return [json_safe(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The given fields of an instance as JSON-safe values (FKs as their id)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = field.attname if field.is_relation else name
        values[name] = json_safe(getattr(instance, attname))
    return values


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(
    *,
    actor,
    action: AuditAction,
    obj: models.Model | None = None,
    person_id=None,
    summary: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        actor_role=getattr(actor, "role", "") if authenticated else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        person_id=person_id,
        summary=summary[:200],
        changes=changes or {},
        request_id=current_request_id.get(),
    )
    event.save()
    return event
