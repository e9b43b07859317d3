"""The audit trail as pages: a PHB team lead's "Who viewed or changed this record", with its CSV export,
and each user's own "What I did".

They live in `people`, the lowest app that knows both the accounts and the people the events are about
(the trail itself, phb.AuditEvent, names a person by id only). The reading is phb.audit.trail(); these
views add the filter form, the names, and the audit of their own use: the lead's page is a list that
names people, so each page view is a VIEW_LIST event, and each export an EXPORT event.
"""

from urllib.parse import urlencode

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from people import nhs_number
from people.filters import EventsByTime, MyActivityFilter
from people.models import Person, User
from phb import audit
from phb.downloads import csv_download, line_writer
from phb.forms import NHSMessagesMixin
from phb.models import AuditAction
from phb.nhsuk import NHSDateField
from phb.pagination import page_of
from phb.refusals import refuse_role
from phb.roles import Role, has_role
from phb.words import long_date, lower_first

EXPORT_CHUNK = 2000


def require_lead(user) -> None:
    """Only a PHB team lead: a 404 for everyone else (an audited refusal), so the page does not reveal
    that it exists."""
    if not has_role(user, Role.LEAD):
        refuse_role()


class TrailFilterForm(NHSMessagesMixin, forms.Form):
    """Which events to show. A person is given by NHS number in the form and kept by their record's id in
    the page's links (person), so an NHS number is typed once and is not carried from page to page."""

    nhs_number = forms.CharField(
        label="NHS number", required=False, max_length=20, help_text="For example, 943 476 5919"
    )
    user = forms.CharField(label="Who (email address or username)", required=False, max_length=254)
    action = forms.ChoiceField(label="What they did", required=False, choices=[("", "Anything")] + AuditAction.choices)
    since = NHSDateField(label="From", required=False, past_only=True, help_text="For example, 1 4 2026")
    until = NHSDateField(label="To", required=False, help_text="For example, 30 4 2026")
    person = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "This link to a person's events is not complete. Open it again from their record."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # sent by GET: no security token in the address
        self.person_found = None
        self.user_found = None

    def clean_nhs_number(self):
        typed = self.cleaned_data["nhs_number"].strip()
        if not typed:
            return ""
        problem = nhs_number.problem(typed)
        if problem:
            raise forms.ValidationError(problem)
        digits = nhs_number.normalise(typed)
        self.person_found = Person.objects.filter(nhs_number=digits).first()
        if self.person_found is None:
            raise forms.ValidationError("No one has this NHS number. Check it and try again.")
        return digits

    def clean_person(self):
        pk = self.cleaned_data["person"]
        if pk is not None and self.person_found is None:
            self.person_found = Person.objects.filter(pk=pk).first()
            if self.person_found is None:
                raise forms.ValidationError("The person this page was showing is no longer on the system.")
        return pk

    def clean_user(self):
        typed = self.cleaned_data["user"].strip()
        if not typed:
            return ""
        found = list(User.objects.filter(Q(username__iexact=typed) | Q(email__iexact=typed))[:2])
        if len(found) != 1:
            raise forms.ValidationError(
                "No one has this email address or username. Check it and try again."
                if not found
                else "More than one account has this email address: enter the username instead."
            )
        self.user_found = found[0]
        return typed

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The 'To' date must be the same as or after the 'From' date")
        return cleaned

    def trail(self):
        """The events these filters choose (all events when the form is not valid: the page says why)."""
        if not self.is_valid():
            return audit.trail().none()
        return audit.trail(
            person_id=self.person_found.pk if self.person_found else None,
            actor_id=self.user_found.pk if self.user_found else None,
            action=self.cleaned_data["action"],
            since=self.cleaned_data["since"],
            until=self.cleaned_data["until"],
        )

    def in_words(self) -> dict:
        """The filters for the trail's own record of this page or export: never the NHS number or a name."""
        if not self.is_valid():
            return {}
        chosen = {}
        if self.person_found:
            chosen["person"] = "one person"
        if self.user_found:
            chosen["who"] = self.user_found.get_username()
        if self.cleaned_data["action"]:
            chosen["what"] = AuditAction(self.cleaned_data["action"]).label
        for name in ("since", "until"):
            if self.cleaned_data[name]:
                chosen[lower_first(self.fields[name].label)] = long_date(self.cleaned_data[name])
        return chosen

    def params(self) -> dict:
        """The page's links' query string: the person by id, never by NHS number."""
        if not self.is_valid():
            return {}
        values = {name: self.data.get(name, "") for name in ("user", "action")}
        for name in ("since", "until"):
            for part in ("day", "month", "year"):
                values[f"{name}_{part}"] = self.data.get(f"{name}_{part}", "")
        if self.person_found:
            values["person"] = str(self.person_found.pk)
        return values


def _people_named(events, known: Person | None = None) -> dict:
    """The people the events are about, by id: one query for a page (or a chunk of an export), none when
    every event is about the person the filter already found."""
    ids = {event.person_id for event in events if event.person_id}
    named = {known.pk: known} if known else {}
    missing = ids - set(named)
    if missing:
        named.update((person.pk, person) for person in Person.objects.filter(pk__in=missing))
    return named


def _who(event) -> str:
    name = event.actor.display_name if event.actor else event.actor_username
    return name or "The service"


@never_cache
@require_GET
def trail_page(request):
    """Who viewed or changed records: any person's, filtered by person, user, what and when."""
    require_lead(request.user)
    form = TrailFilterForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data["nhs_number"]:
        # Typed once: from here on the person is named by their record's id, not their NHS number.
        return redirect(f"{request.path}?{_query(form.params())}")
    listing = EventsByTime(request.GET, queryset=form.trail() if form.is_bound else audit.trail())
    page = page_of(listing.qs, request.GET.get("page"), params={**form.params(), **listing.kept()})
    people = _people_named(page.object_list, known=form.person_found)
    person_id = form.person_found.pk if form.person_found else None
    audit.record_list(request, "the audit trail", {**form.in_words(), **listing.in_words()}, page, person_id=person_id)
    rows = [
        {
            "event": event,
            "who": _who(event),
            "role": audit.role_label(event.actor_role),
            "person": people.get(event.person_id),
        }
        for event in page
    ]
    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "person": form.person_found,
            "export_query": _query(form.params()),
            "sort": listing.kept().get("sort", ""),
            "sorts": listing.sort_links(page.params),
        },
    )


def _query(params: dict) -> str:
    return urlencode({name: value for name, value in params.items() if value})


def _csv_lines(events, known: Person | None = None):
    """The export's lines, a chunk of events at a time with the people they name (one query a chunk)."""
    writer = line_writer()
    yield writer.writerow(["When", "Who", "Role", "What", "NHS number", "Person", "Details", "Request id"])
    chunk = []
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(event)
        if len(chunk) == EXPORT_CHUNK:
            yield from _csv_rows(writer, chunk, known)
            chunk = []
    yield from _csv_rows(writer, chunk, known)


def _csv_rows(writer, events, known: Person | None):
    people = _people_named(events, known)
    for event in events:
        person = people.get(event.person_id)
        cells = [
            timezone.localtime(event.at).isoformat(timespec="seconds"),
            _who(event),
            audit.role_label(event.actor_role),
            event.get_action_display(),
            person.nhs_number if person else "",
            person.full_name if person else "",
            event.summary,
            event.request_id,
        ]
        yield writer.writerow([audit.spreadsheet_safe(cell) for cell in cells])


@never_cache
@require_GET
def trail_export(request):
    """The same events as the page, every one of them, as CSV; the export is itself an audit event."""
    require_lead(request.user)
    form = TrailFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('audit:trail')}?{request.GET.urlencode()}")
    events = form.trail() if form.is_bound else audit.trail()
    count = events.count()
    described = "; ".join(f"{name}: {value}" for name, value in form.in_words().items())
    exported = audit.record(
        actor=request.user,
        action=AuditAction.EXPORT,
        person_id=form.person_found.pk if form.person_found else None,
        summary=f"Exported {count:,} audit event{'' if count == 1 else 's'} as CSV"
        + (f" ({described})" if described else ""),
    )
    # The trail as it was when asked for: not this export's own event.
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    return csv_download(_csv_lines(events.exclude(pk=exported.pk), form.person_found), f"audit-{stamp}.csv")


@never_cache
@require_GET
def my_activity(request):
    """What I did: every event the signed-in user's actions wrote, newest first. Any signed-in user."""
    # Not itself recorded as a list: it shows only the user's own actions, and would fill itself.
    listing = MyActivityFilter(request.GET, queryset=audit.trail(actor_id=request.user.pk).select_related(None))
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    rows = [{"event": event} for event in page]
    return render(
        request,
        "audit/mine.html",
        {
            "page": page,
            "rows": rows,
            "role": audit.role_label(request.user.role),
            "listing": listing,
            "sorts": listing.sort_links(page.params),
        },
    )
