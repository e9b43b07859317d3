"""A person's record history in words: what each audit event changed, by the field's label and the choice's
label, never a field name ("agreed_on"), a stored code ("nhs_spot") or a record's id.

An event keeps its changes as {field: [before, after]} with the values as stored (phb.audit.snapshot);
the model the event is about (its object_type) says what each field is. Records an event points to
(a lead coordinator, a care team, the outcomes an item serves) are named with one query a kind of record
for the whole page. Models are found by name through the app registry, so this reads every app's events
without importing an app above people.
"""

import datetime
import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Substr, Trim

from phb.models import AuditEvent
from phb.roles import Role
from phb.words import date_and_time, long_date, lower_first

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
EMPTY = "none"
NOT_SHOWN = "a record no longer here"
# Prefixed keys: "need.physical_health" (an assessment's level of need in one part of life), "service.name"
# (a current service removed), "removed.goal" (an outcome or item removed from a draft).
PREFIXED_MODELS = {"need": "budgets.assessmentneed", "service": "budgets.currentservice"}


TEXT = CharField()


# How a record an event points to is named, as SQL, so every kind of record on a page is named in one
# query (a UNION): {model label: its name}. A kind not here is shown as "a record", never by its id.
def _name_sql():
    def text(expression):
        return Cast(expression, output_field=TEXT)

    return {
        "people.user": Coalesce(NullIf(Trim(Concat("first_name", Value(" "), "last_name")), Value("")), "username"),
        "people.careteam": text("name"),
        "budgets.budgetversion": Concat(Value("indicative budget "), text("number")),
        "careplans.outcome": Substr("goal", 1, 60),
        "careplans.planversion": Concat(Value("version "), text("number")),
        "eligibility.ipccohort": text("name"),
    }


NAMED_KINDS = frozenset(_name_sql())
# Kinds of record a change names by a code of their own rather than their id (the IPC cohorts).
BY_CODE = {"eligibility.ipccohort": "code"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str

    @property
    def words(self) -> str:
        """ "Lead coordinator: was Alice Adams, now Bob Brown"; "Funding: NHS block contract" when it was
        set for the first time."""
        if self.before == EMPTY:
            return f"{self.label}: {self.after}"
        return f"{self.label}: was {self.before}, now {self.after}"


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    who: str
    role: str
    changes: list[Change]


def _model(label: str):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    """The model field a change key names: on the model itself, or on a kind of row it holds (a version's
    outcomes and items). None when no model has it."""
    if model is None:
        return None
    for candidate in [model, *(rel.related_model for rel in model._meta.related_objects)]:
        try:
            return candidate._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _humanised(name: str) -> str:
    words = name.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def _resolve(event: AuditEvent, key: str) -> tuple[str, object]:
    """(label, field or None) for one change key."""
    model = _model(event.object_type)
    prefix, _, name = key.rpartition(".")
    if prefix == "need":
        need = _model(PREFIXED_MODELS["need"])
        domain = dict(need._meta.get_field("domain").flatchoices).get(name, _humanised(name)) if need else name
        return f"Need in {lower_first(domain)}", need._meta.get_field("level") if need else None
    if prefix in PREFIXED_MODELS:
        model = _model(PREFIXED_MODELS[prefix])
    field = _field(model, name or key)
    if field is None or not hasattr(field, "verbose_name"):
        return _humanised(name or key), None
    label = str(field.verbose_name)
    return label[:1].upper() + label[1:], field


def _related_label(field) -> str:
    return field.related_model._meta.label_lower if getattr(field, "related_model", None) else ""


def _one(value, field, names: dict) -> str:
    if value in (None, "", [], {}):
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, _humanised(str(value))))
    text = str(value)
    related = _related_label(field) if field is not None else ""
    if related:
        unnamed = NOT_SHOWN if related in NAMED_KINDS else "a record"
        return names.get((related, text), unnamed if UUID.match(text) or text.isdigit() else text)
    if isinstance(field, models.DateTimeField):
        try:
            return date_and_time(datetime.datetime.fromisoformat(text))
        except ValueError:
            return text
    if isinstance(field, models.DateField):
        try:
            return long_date(datetime.date.fromisoformat(text))
        except ValueError:
            return text
    if UUID.match(text):
        return NOT_SHOWN
    return text


def _value(value, field, names: dict) -> str:
    if isinstance(value, list) and value:
        return ", ".join(_one(item, field, names) for item in value)
    return _one(value, field, names)


def _pairs(change) -> tuple[object, object]:
    if isinstance(change, list) and len(change) == 2:
        return change[0], change[1]
    return None, change  # a value recorded on its own ("removed": 12)


def _names(events: list[AuditEvent]) -> dict:
    """{(model label, stored value): name} for every record the page's changes point to, in one query."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        for key, change in (event.changes or {}).items():
            _, field = _resolve(event, key)
            related = _related_label(field) if field is not None else ""
            if not related:
                continue
            for value in _pairs(change):
                for item in value if isinstance(value, list) else [value]:
                    if item not in (None, ""):
                        wanted.setdefault(related, set()).add(str(item))
    names_sql = _name_sql()
    parts = []
    for label, stored in sorted(wanted.items()):
        model = _model(label)
        if model is None or label not in names_sql:
            continue
        by = BY_CODE.get(label, "pk")
        if by == "pk":
            keys = []
            for text in stored:
                try:
                    keys.append(model._meta.pk.to_python(text))
                except ValidationError:
                    continue  # not one of this kind's ids: shown as a record
        else:
            keys = list(stored)
        if keys:
            parts.append(
                model._default_manager.filter(**{f"{by}__in": keys})
                .order_by()
                .values_list(
                    Value(label, output_field=CharField()), Cast(by, output_field=CharField()), names_sql[label]
                )
            )
    if not parts:
        return {}
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {(label, key): name for label, key, name in query}


def rows(events) -> list[Row]:
    """The page's events with their changes in words, ready for templates/people/person_history.html."""
    events = list(events)
    names = _names(events)
    roles = dict(Role.choices)
    result = []
    for event in events:
        changes = []
        for key, change in (event.changes or {}).items():
            label, field = _resolve(event, key)
            before, after = _pairs(change)
            changes.append(Change(label=label, before=_value(before, field, names), after=_value(after, field, names)))
        who = event.actor.display_name if event.actor else (event.actor_username or "The system")
        result.append(Row(event=event, who=who, role=roles.get(event.actor_role, ""), changes=changes))
    return result
