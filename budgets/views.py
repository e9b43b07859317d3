from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgets import access, calculate, letters, selectors, services
from budgets.filters import SignOffFilter, TariffFilter
from budgets.forms import AssessmentForm, BudgetChoiceForm, CurrentServiceForm, SignOffForm, TariffForm
from budgets.models import SignOff, Tariff
from eligibility.selectors import is_eligible
from people.access import get_person_for_user, persons_writable_by, require_staff
from phb import audit
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.models import AuditAction
from phb.money import pounds
from phb.once import once
from phb.pagination import page_of
from phb.pdf import pdf_attachment, render_pdf
from phb.roles import is_phb_team

SERVICE_ERRORS = (ValidationError, ServiceError)


def _refuse_if_locked(request, assessment):
    """A redirect to the assessment, saying why, when it can no longer be changed (budgets.selectors rule)."""
    reason = selectors.assessment_locked_reason(assessment)
    if reason:
        messages.error(request, reason)
        return redirect("budgets:assessment", pk=assessment.pk)
    return None


def _viewed(user, obj, person_id, page):
    audit.record(actor=user, action=AuditAction.VIEW, obj=obj, person_id=person_id, summary=f"Viewed {page}")


@require_http_methods(["GET", "POST"])
@once
def assessment_new(request, person_pk):
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk, write=True)
    if not is_eligible(person=person):
        messages.error(
            request,
            f"{person.full_name} is not eligible for a personal health budget yet. Screen them first, "
            "or wait for the PHB team's decision on their referral.",
        )
        return redirect("people:detail", pk=person.pk)
    form = AssessmentForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(
                person=person,
                needs=form.needs(),
                assessor=request.user,
                acting_user=request.user,
                **form.assessment_values(),
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Assessment saved. Now record the services they use.")
            return redirect("budgets:assessment", pk=assessment.pk)
    return render(request, "budgets/assessment_form.html", {"form": form, "person": person})


@require_http_methods(["GET", "POST"])
@once
def assessment_edit(request, pk):
    require_staff(request.user)
    assessment = access.get_assessment_for_user(request.user, pk, write=True)
    if locked := _refuse_if_locked(request, assessment):
        return locked
    form = AssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_update(
                assessment=assessment,
                expected_version=form.cleaned_data["version"] or 0,
                needs=form.needs(),
                acting_user=request.user,
                **form.assessment_values(),
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect("budgets:assessment", pk=assessment.pk)
    if request.method == "GET":
        _viewed(request.user, assessment, assessment.person_id, "assessment to change it")
    return render(
        request, "budgets/assessment_form.html", {"form": form, "person": assessment.person, "assessment": assessment}
    )


@require_GET
def assessment_detail(request, pk):
    require_staff(request.user)
    assessment = access.get_assessment_for_user(request.user, pk)
    _viewed(request.user, assessment, assessment.person_id, "assessment")
    sheet = selectors.worksheet_for(assessment=assessment, on=timezone.localdate())
    can_write = persons_writable_by(request.user).filter(pk=assessment.person_id).exists()
    locked = selectors.assessment_locked_reason(assessment)
    return render(
        request,
        "budgets/assessment_detail.html",
        {
            "assessment": assessment,
            "sheet": sheet,
            "can_write": can_write,
            "can_edit": can_write and not locked,
            "locked": locked,
            "service_lines": zip(assessment.services.all(), sheet.costed.lines, strict=True),
        },
    )


@require_http_methods(["GET", "POST"])
@once
def service_add(request, assessment_pk):
    require_staff(request.user)
    assessment = access.get_assessment_for_user(request.user, assessment_pk, write=True)
    if locked := _refuse_if_locked(request, assessment):
        return locked
    form = CurrentServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service = services.current_service_add(
                assessment=assessment, acting_user=request.user, **form.service_values()
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{service.name} has been added.")
            return redirect("budgets:assessment", pk=assessment.pk)
    return render(request, "budgets/service_form.html", {"form": form, "assessment": assessment})


@require_http_methods(["GET", "POST"])
@once
def service_edit(request, pk):
    require_staff(request.user)
    service = access.get_service_for_user(request.user, pk)
    if locked := _refuse_if_locked(request, service.assessment):
        return locked
    form = CurrentServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            services.current_service_update(
                service=service,
                expected_version=form.cleaned_data["version"] or 0,
                acting_user=request.user,
                **form.service_values(),
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect("budgets:assessment", pk=service.assessment_id)
    if request.method == "GET":
        _viewed(request.user, service, service.assessment.person_id, "current service to change it")
    return render(
        request, "budgets/service_form.html", {"form": form, "assessment": service.assessment, "service": service}
    )


@require_http_methods(["GET", "POST"])
@once
def service_remove(request, pk):
    """Asks before removing a current service (GET), then removes it (POST)."""
    require_staff(request.user)
    service = access.get_service_for_user(request.user, pk)
    if request.method == "GET":
        if locked := _refuse_if_locked(request, service.assessment):
            return locked
        _viewed(request.user, service, service.assessment.person_id, "current service to remove it")
        line = calculate.costed([selectors.service_input(service)]).lines[0]
        context = {"service": service, "assessment": service.assessment, "line": line}
        return render(request, "budgets/service_remove.html", context)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.current_service_remove(service=service, expected_version=version, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{service.name} has been removed.")
    return redirect("budgets:assessment", pk=service.assessment_id)


@require_http_methods(["GET", "POST"])
@once
def budget_new(request, assessment_pk):
    require_staff(request.user)
    assessment = access.get_assessment_for_user(request.user, assessment_pk, write=True)
    sheet = selectors.worksheet_for(assessment=assessment, on=timezone.localdate())
    form = BudgetChoiceForm(request.POST or None, has_council_share=sheet.costed.council_share > 0)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.budget_version_create(
                assessment=assessment, acting_user=request.user, **form.service_values()
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Indicative budget {version.number} saved.")
            return redirect("budgets:budget", pk=version.pk)
    _viewed(request.user, assessment, assessment.person_id, "budget calculation")
    return render(
        request,
        "budgets/budget_new.html",
        {
            "form": form,
            "assessment": assessment,
            "sheet": sheet,
            # A percentage for people to read (not money), so float formatting is fine here.
            "sign_off_share": f"{float(settings.BUDGET_SIGN_OFF_ADJUSTMENT_SHARE * 100):g}%",
            "sign_off_above": pounds(settings.BUDGET_SIGN_OFF_ABOVE),
        },
    )


@require_GET
def budget_detail(request, pk):
    require_staff(request.user)
    version = access.get_budget_for_user(request.user, pk)
    _viewed(request.user, version, version.person_id, f"indicative budget {version.number}")
    can_sign_off = (
        is_phb_team(request.user)
        and version.sign_off == SignOff.AWAITING
        and version.created_by_id != request.user.pk
        and selectors.is_latest_budget(version)
    )
    return render(
        request,
        "budgets/budget_detail.html",
        {
            "version": version,
            "can_sign_off": can_sign_off,
            "form": SignOffForm() if can_sign_off else None,
            "letter_problem": selectors.budget_unusable_reason(version),
        },
    )


@require_POST
@once
def budget_sign_off(request, pk):
    require_staff(request.user)
    access.require_phb_team(request.user)
    version = access.get_budget_for_user(request.user, pk)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.budget_version_sign_off(
                version=version,
                approve=form.cleaned_data["decision"] == "sign_off",
                note=form.cleaned_data["note"],
                acting_user=request.user,
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Indicative budget {version.number} for {version.person.full_name}: done.")
            return redirect("budgets:sign_off_queue")
    version = access.get_budget_for_user(request.user, pk)
    return render(
        request,
        "budgets/budget_detail.html",
        {
            "version": version,
            "can_sign_off": True,
            "form": form,
            "letter_problem": selectors.budget_unusable_reason(version),
        },
    )


@require_GET
def sign_off_queue(request):
    require_staff(request.user)
    access.require_phb_team(request.user)
    listing = SignOffFilter(request.GET, queryset=selectors.sign_off_queue())
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    audit.record_list(request, "budgets to sign off", listing.in_words(), page)
    today = timezone.localdate()
    for version in page:
        version.days_waiting = (today - timezone.localdate(version.created_at)).days
    context = {"versions": page, "page": page, "listing": listing, "sorts": listing.sort_links(page.params)}
    return render(request, "budgets/sign_off_queue.html", context)


@require_GET
def budget_letter(request, pk):
    require_staff(request.user)
    version = access.get_budget_for_user(request.user, pk)
    problem = selectors.budget_unusable_reason(version)
    if problem:
        messages.error(request, problem)
        return redirect("budgets:budget", pk=version.pk)
    _viewed(request.user, version, version.person_id, f"indicative budget {version.number} letter")
    pdf = render_pdf("budgets/letter.html", letters.letter_context(version, today=timezone.localdate()))
    return pdf_attachment(pdf, "indicative-budget", version.person.family_name, version.number)


@require_GET
def tariff_list(request):
    require_staff(request.user)
    access.require_lead(request.user)
    listing = TariffFilter(
        request.GET, queryset=Tariff.objects.select_related("updated_by").order_by("-effective_from", "-pk")
    )
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    in_force = selectors.tariff_in_force(on=timezone.localdate())
    context = {"tariffs": page, "page": page, "in_force": in_force, "sorts": listing.sort_links(page.params)}
    return render(request, "budgets/tariff_list.html", context)


@require_http_methods(["GET", "POST"])
@once
def tariff_edit(request, pk=None):
    require_staff(request.user)
    access.require_lead(request.user)
    tariff = Tariff.objects.filter(pk=pk).first() if pk else None
    if pk and tariff is None:
        raise Http404("No tariff found")
    template = tariff or selectors.tariff_in_force(on=timezone.localdate())
    form = TariffForm(request.POST or None, tariff=template)
    if request.method == "POST" and form.is_valid():
        try:
            if tariff:
                services.tariff_update(
                    tariff=tariff,
                    expected_version=form.cleaned_data["version"] or 0,
                    acting_user=request.user,
                    **form.service_values(),
                )
            else:
                services.tariff_create(acting_user=request.user, **form.service_values())
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "The tariff has been saved.")
            return redirect("budgets:tariffs")
    return render(request, "budgets/tariff_form.html", {"form": form, "tariff": tariff})
