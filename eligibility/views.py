from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from eligibility import access, letters, selectors, services
from eligibility.filters import ReferralFilter
from eligibility.forms import DecisionForm, ScreeningForm
from eligibility.models import Decision
from people.access import get_person_for_user, require_staff
from people.services import person_record_view
from phb import audit
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.once import once
from phb.pagination import page_of
from phb.pdf import pdf_attachment, render_pdf
from phb.roles import is_phb_team


@require_http_methods(["GET", "POST"])
@once
def screening_new(request, person_pk):
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk, write=True)
    form = ScreeningForm(request.POST or None, person=person)
    preview = None
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") != "save":
            preview = form.preview()
        else:
            try:
                screening = services.screening_create(person=person, acting_user=request.user, **form.service_values())
            except (ValidationError, ServiceError) as error:
                add_service_error(form, error)
            else:
                messages.success(request, f"Screening saved: {screening.effective_outcome}.")
                return redirect("eligibility:detail", pk=screening.pk)
    if request.method == "GET":
        person_record_view(person=person, acting_user=request.user, page="record to screen them")
    return render(request, "eligibility/screening_form.html", {"form": form, "person": person, "preview": preview})


@require_GET
def screening_detail(request, pk):
    require_staff(request.user)
    screening = access.get_screening_for_user(request.user, pk)
    services.screening_record_view(screening=screening, acting_user=request.user)
    can_decide = is_phb_team(request.user) and screening.decision == Decision.AWAITING
    return render(request, "eligibility/screening_detail.html", {"screening": screening, "can_decide": can_decide})


@require_GET
def decision_queue(request):
    access.require_phb_team(request.user)
    listing = ReferralFilter(request.GET, queryset=selectors.decision_queue())
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    audit.record_list(request, "referrals waiting for a decision", listing.in_words(), page)
    today = timezone.localdate()
    for screening in page:
        screening.days_waiting = (today - screening.waiting_since).days
    context = {"screenings": page, "page": page, "listing": listing, "sorts": listing.sort_links(page.params)}
    return render(request, "eligibility/queue.html", context)


@require_http_methods(["GET", "POST"])
@once
def screening_decide(request, pk):
    access.require_phb_team(request.user)
    screening = access.get_screening_for_user(request.user, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_decide(
                screening=screening,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
            # Someone may have decided meanwhile: show the page as it is now.
            screening = access.get_screening_for_user(request.user, pk)
        else:
            messages.success(request, f"Decision recorded for {screening.person.full_name}.")
            return redirect("eligibility:queue")
    else:
        services.screening_record_view(screening=screening, acting_user=request.user, page="referral for decision")
    return render(request, "eligibility/decide.html", {"screening": screening, "form": form})


@require_GET
def screening_letter(request, pk):
    require_staff(request.user)
    screening = access.get_screening_for_user(request.user, pk)
    services.screening_record_view(screening=screening, acting_user=request.user, page="outcome letter")
    pdf = render_pdf("eligibility/letter.html", letters.letter_context(screening, today=timezone.localdate()))
    return pdf_attachment(pdf, "screening-outcome", screening.person.family_name, f"{screening.screened_on:%Y-%m-%d}")
