"""Writing and reading the audit trail. Services call record() inside their transaction; list pages call
record_list() once per page view; the audit pages read it through trail(); purge() removes events past
their retention period, the one delete the database allows (see migration 0006)."""

import datetime
import decimal
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from phb import freshness
from phb.errors import ServiceError
from phb.middleware import current_request_id
from phb.models import AuditAction, AuditEvent
from phb.roles import Role, has_role
from phb.words import date_and_time, lower_first


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


def fields_in_words(model, names) -> str:
    """The changed fields for a summary as people read them: "lead coordinator, care team", never
    "lead_coordinator, care_team"."""
    words = []
    for name in names:
        try:
            words.append(lower_first(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:  # not a field (a need, an outcome list): its name in words
            words.append(name.replace("_", " ").replace(".", " "))
    return ", ".join(words)


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


# Events that change nothing the service counts (reading, searching, exporting, and everything about signing
# in, second factors, passwords and sessions): figures kept by phb.freshness stay. Every other event marks them
# stale (reading messages too: it changes the count of messages not read).
READS = frozenset(
    {
        AuditAction.VIEW,
        AuditAction.VIEW_LIST,
        AuditAction.SEARCH,
        AuditAction.EXPORT,
        AuditAction.SIGN_IN,
        AuditAction.SIGN_IN_FAILED,
        AuditAction.SIGN_OUT,
        AuditAction.TIMED_OUT,
        AuditAction.END_SESSIONS,
        AuditAction.ENROL_FACTOR,
        AuditAction.VERIFY_FACTOR,
        AuditAction.FACTOR_FAILED,
        AuditAction.USE_RECOVERY_CODE,
        AuditAction.REMOVE_FACTOR,
        AuditAction.RESET_FACTORS,
        AuditAction.LOCKED_OUT,
        AuditAction.UNLOCK,
        AuditAction.ASK_PASSWORD_RESET,
        AuditAction.RESET_PASSWORD,
        AuditAction.CHANGE_PASSWORD,
        AuditAction.ACCESS_REFUSED,
        AuditAction.PURGE,
    }
)


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
    if action not in READS:
        freshness.changed()  # counts worked out before this change are stale once it commits
    return event


# Lists: one event per page view of a list that shows people's names


def _rows(count) -> tuple[int | None, str]:
    """(rows shown on this page, how many the list holds, in words) from a phb.pagination.Page or a number."""
    if isinstance(count, int):
        return None, f"{count:,}"
    total = f"more than {count.count:,}" if count.count_capped else f"{count.count:,}"
    return len(count.object_list), total


def filters_in_words(form) -> dict:
    """A list's filter form as record_list writes it: each chosen filter by its label and the chosen
    option's label. Typed text is never written: such a filter is written as "given"."""
    if not form.is_bound or not form.is_valid():
        return {}
    chosen = {}
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False, [], ()):
            continue
        label = lower_first(field.label or name)
        if isinstance(field, forms.ModelChoiceField) or isinstance(value, models.Model):
            chosen[label] = str(value)
        elif isinstance(field, forms.ChoiceField):
            chosen[label] = str(dict(field.choices).get(value, value))
        elif isinstance(field, forms.BooleanField):
            chosen[label] = "yes"
        else:
            chosen[label] = "given"
    return chosen


def record_list(
    request, list_name: str, filters: dict | None, count, *, searched_by: str = "", person_id=None
) -> AuditEvent:
    """Writes one event for a page of a list that shows people: which list, its filter and how many rows.

    Never one event per row, and never the text of a search: a search is written as "by NHS number" or
    "by name" (searched_by) with how many were found, so the trail holds no name or number someone typed.
    filters: the list's filters in words ({"care team": "North", "when": "all reviews waiting"}); only
    values the page itself offers as choices, never free text. count: the phb.pagination.Page shown, or a
    number of rows. person_id: the one person the list is about, if it is (it then shows in their history).
    """
    shown, total = _rows(count)
    page = f", page {count.number}" if not isinstance(count, int) and count.number > 1 else ""
    described = "; ".join(f"{name}: {value}" for name, value in (filters or {}).items() if value not in ("", None))
    if searched_by:
        return record(
            actor=request.user,
            action=AuditAction.SEARCH,
            summary=f"Searched by {searched_by} in {list_name}{page}: {total} found",
        )
    showing = f"{total} rows" if shown is None else f"{shown} shown of {total}"
    return record(
        actor=request.user,
        action=AuditAction.VIEW_LIST,
        person_id=person_id,
        summary=f"Viewed {list_name}{f' ({described})' if described else ''}{page}: {showing}",
    )


# Reading the trail


def role_label(value: str) -> str:
    """A role as people say it ("PHB team lead"), from the code stored on an event."""
    return Role(value).label if value in Role.values else value


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def trail(
    *,
    person_id=None,
    actor_id=None,
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, narrowed by person, user, action and days (both days included, local time).

    Dates become a range on `at` rather than a date of it, so the (person, at) and (at) indexes answer."""
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if person_id is not None:
        events = events.filter(person_id=person_id)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=_start_of(since))
    if until is not None:
        events = events.filter(at__lt=_start_of(until + datetime.timedelta(days=1)))
    return events


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text: anything it would read as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# Retention

# The database setting the purge names its cut-off in, for its own transaction only (migration 0006).
PURGE_SETTING = "phb.audit_purge_before"


def retention_cut_off(now: datetime.datetime | None = None) -> datetime.datetime:
    """Events before this moment are past AUDIT_RETENTION_YEARS and may be removed."""
    now = now or timezone.now()
    years = settings.AUDIT_RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February, and the year the events were written in was not a leap year
        return now.replace(year=now.year - years, day=28)


def purge_refusal(acting_user) -> str | None:
    """Why this user may not remove old events, or None if they may (a PHB team lead, on PostgreSQL)."""
    if not has_role(acting_user, Role.LEAD):
        return "Only a PHB team lead can remove old audit events."
    if connection.vendor != "postgresql":
        return "Old audit events can only be removed from a PostgreSQL database."
    return None


def purge_count(now: datetime.datetime | None = None) -> int:
    return AuditEvent.objects.filter(at__lt=retention_cut_off(now)).count()


@transaction.atomic
def purge(*, acting_user, now: datetime.datetime | None = None) -> AuditEvent:
    """Removes the events older than the retention period and records that it did, with the count and the
    cut-off, in the same transaction. Returns the PURGE event.

    The trigger lets these rows go only because this transaction names the cut-off and runs as the
    table's owner; any other DELETE, and this one for a newer row, is still refused."""
    refusal = purge_refusal(acting_user)
    if refusal:
        raise ServiceError(refusal)
    cut_off = retention_cut_off(now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [PURGE_SETTING, cut_off.isoformat()])
        cursor.execute("DELETE FROM phb_auditevent WHERE at < %s", [cut_off])
        removed = cursor.rowcount
        cursor.execute("SELECT set_config(%s, '', true)", [PURGE_SETTING])
    years = settings.AUDIT_RETENTION_YEARS
    return record(
        actor=acting_user,
        action=AuditAction.PURGE,
        summary=(
            f"Removed {removed:,} audit event{'' if removed == 1 else 's'} from before "
            f"{date_and_time(cut_off)} (kept for {years} years)"
        ),
        changes={"removed": removed, "cut_off": cut_off.isoformat(), "retention_years": years},
    )
