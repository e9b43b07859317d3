from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from people import access, history, selectors, services
from people.filters import EventsByTime
from people.forms import PersonForm
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.once import once
from phb.pagination import page_of


@require_http_methods(["GET", "POST"])
@once
def person_add(request):
    access.require_staff(request.user)
    access.require_may_add_person(request.user)
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(acting_user=request.user, **form.service_values())
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{person.full_name} has been added.")
            return redirect("people:detail", pk=person.pk)
    return render(request, "people/person_form.html", {"form": form, "adding": True})


@require_GET
def person_detail(request, pk):
    access.require_staff(request.user)
    person = access.get_person_for_user(request.user, pk, annotated=True)
    services.person_record_view(person=person, acting_user=request.user)
    can_edit = access.may_write(request.user, person)
    return render(request, "people/person_detail.html", {"person": person, "can_edit": can_edit})


@require_http_methods(["GET", "POST"])
@once
def person_edit(request, pk):
    access.require_staff(request.user)
    person = access.get_person_for_user(request.user, pk, write=True)
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(
                person=person,
                expected_version=form.cleaned_data["version"] or 0,
                acting_user=request.user,
                **form.service_values(),
            )
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect("people:detail", pk=person.pk)
    if request.method == "GET":
        services.person_record_view(person=person, acting_user=request.user, page="record to change it")
    return render(request, "people/person_form.html", {"form": form, "person": person, "adding": False})


@require_GET
def person_history(request, pk):
    access.require_staff(request.user)
    person = access.get_person_for_user(request.user, pk)
    services.person_record_view(person=person, acting_user=request.user, page="record history")
    with_views = request.GET.get("views") == "shown"
    listing = EventsByTime(request.GET, queryset=selectors.audit_trail_for(person=person, with_views=with_views))
    params = {"views": "shown" if with_views else "", **listing.kept()}
    events = page_of(listing.qs, request.GET.get("page"), size=50, params=params)
    context = {
        "person": person,
        "events": events,
        "rows": history.rows(events),
        "with_views": with_views,
        "sorts": listing.sort_links(events.params),
        "sort": listing.kept().get("sort", ""),
    }
    return render(request, "people/person_history.html", context)
